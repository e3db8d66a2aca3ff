/**
 * The status of a contribution as `GET /v1/contributions/{id}` reports it: the chain says where it
 * stands, the node's records add why it was rejected (reason, message, field errors).
 */
import type { ContributionResponse } from "../../lib/api/schemas.js";
import type { CustodianDatabank } from "../chain.js";
import { settledOutcome } from "./acceptance.js";
import type { AcceptanceRecords } from "./records.js";

/** The contribution's status, or undefined if no such contribution was ever submitted. */
export async function contributionStatus(
  databank: CustodianDatabank,
  records: AcceptanceRecords,
  id: bigint,
): Promise<ContributionResponse | undefined> {
  const record = records.contribution(id);
  let poolId = record?.poolId;
  let contributor = record?.contributor;
  if (record === undefined) {
    const [submitted] = await databank.publicClient.getContractEvents({
      abi: databank.abi,
      address: databank.address,
      eventName: "ContributionSubmitted",
      args: { contributionId: id },
      fromBlock: 0n,
      strict: true,
    });
    if (submitted === undefined) return undefined;
    poolId = submitted.args.poolId;
    contributor = submitted.args.contributor;
  }
  const consent = await databank.contract.read.consentOf([id]);
  const onChain =
    consent.status === 1
      ? { status: "pending" as const }
      : consent.status === 0
        ? record?.status === "rejected"
          ? { status: "rejected" as const }
          : await settledOutcome(databank, id)
        : await settledOutcome(databank, id);
  const view: ContributionResponse = {
    id: id.toString(),
    poolId: poolId!,
    contributor: contributor!,
    status: onChain.status,
  };
  const reason = record?.reason ?? ("reason" in onChain ? onChain.reason : undefined);
  if (view.status === "rejected" && reason !== undefined) view.reason = reason;
  if (record?.message !== undefined && view.status !== "active") view.message = record.message;
  if (view.status === "rejected" && record?.fieldErrors !== undefined) {
    view.fieldErrors = record.fieldErrors;
  }
  return view;
}
