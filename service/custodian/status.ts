/**
 * The status of a contribution as `GET /v1/contributions/{id}` reports it: the chain says where it
 * stands, the node's records add why it was rejected (reason, message, field errors).
 */
import type { Hex } from "viem";
import type { ContributionResponse } from "../../lib/api/schemas.js";
import type { CustodianDatabank } from "../chain.js";
import { settledOutcome } from "./acceptance.js";
import type { AcceptanceRecords, ContributionOutcome } from "./records.js";

/** The contribution's status, or undefined if no such contribution was ever submitted. */
export async function contributionStatus(
  databank: CustodianDatabank,
  records: AcceptanceRecords,
  id: bigint,
): Promise<ContributionResponse | undefined> {
  const record = records.contribution(id);
  const origin = record ?? (await submittedEvent(databank, id));
  if (origin === undefined) return undefined;

  const consent = await databank.contract.read.consentOf([id]);
  let onChain: ContributionOutcome;
  if (consent.status === 1) onChain = { status: "pending" };
  else if (consent.status === 0 && record?.status === "rejected") onChain = record;
  else onChain = await settledOutcome(databank, id);

  const view: ContributionResponse = {
    id: id.toString(),
    poolId: origin.poolId,
    contributor: origin.contributor as Hex,
    status: onChain.status,
  };
  if (view.status === "rejected") {
    const reason = record?.reason ?? onChain.reason;
    if (reason !== undefined) view.reason = reason;
    if (record?.fieldErrors !== undefined) view.fieldErrors = record.fieldErrors;
  }
  // A rejection's explanation, or why a pending submission could not be checked yet.
  if (record?.message !== undefined && view.status !== "active" && view.status !== "revoked") {
    view.message = record.message;
  }
  return view;
}

async function submittedEvent(
  databank: CustodianDatabank,
  id: bigint,
): Promise<{ poolId: number; contributor: string } | undefined> {
  const [submitted] = await databank.publicClient.getContractEvents({
    abi: databank.abi,
    address: databank.address,
    eventName: "ContributionSubmitted",
    args: { contributionId: id },
    fromBlock: 0n,
    strict: true,
  });
  return submitted?.args;
}
