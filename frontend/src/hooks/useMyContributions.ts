/** The connected contributor's contributions with their earnings, and its credits per token. */
import { useQuery } from "@tanstack/react-query";
import { zeroAddress, type Address } from "viem";
import { databankAbi } from "../../../lib/contracts/client.js";
import { contributionSummaries, type ContributionSummary } from "../logic/contributions";
import { usePools, type PoolView } from "./useChainData";
import { useDatabank } from "./useDatabank";
import { readCredits } from "../chain/credits";

export interface ContributionView extends ContributionSummary {
  pool?: PoolView;
  /** Dividends earned and not yet claimed (active contributions). */
  pending: bigint;
  /** Privacy loss so far in micro-ε (`privacyLoss`): the ε of every question answered with it. */
  privacyLoss: number;
}

export interface ContributorState {
  contributions: ContributionView[];
  /** Credit per payment token (bounties, earnings of ended consents). */
  credits: { token: Address; amount: bigint }[];
}

export function useMyContributions() {
  const { address, publicClient, account, fromBlock } = useDatabank();
  const pools = usePools();
  return useQuery({
    queryKey: ["chain", "contributions", address, account, pools.data?.length],
    enabled: account !== undefined && pools.data !== undefined,
    queryFn: async (): Promise<ContributorState> => {
      const events = <
        N extends
          "ContributionSubmitted" | "ConsentGranted" | "ConsentRevoked" | "ContributionRejected",
      >(
        eventName: N,
      ) =>
        publicClient.getContractEvents({
          abi: databankAbi,
          address,
          eventName,
          args: { contributor: account } as never,
          fromBlock,
          toBlock: "latest",
        });
      const [submitted, granted, revoked, rejected] = await Promise.all([
        events("ContributionSubmitted"),
        events("ConsentGranted"),
        events("ConsentRevoked"),
        events("ContributionRejected"),
      ]);
      const summaries = contributionSummaries({
        submitted: submitted.map((event) => ({
          contributionId: event.args.contributionId!,
          poolId: event.args.poolId!,
          dataCid: event.args.dataCid!,
          expiresAt: event.args.expiresAt!,
          scope: event.args.scope!,
          transactionHash: event.transactionHash,
        })),
        granted: granted.map((event) => ({
          contributionId: event.args.contributionId!,
          bounty: event.args.bounty!,
        })),
        revoked: revoked.map((event) => ({
          contributionId: event.args.contributionId!,
          expired: event.args.expired!,
          settled: event.args.settled!,
        })),
        rejected: rejected.map((event) => ({
          contributionId: event.args.contributionId!,
          reason: event.args.reason!,
        })),
      });
      const contributions = await Promise.all(
        summaries.map(async (summary): Promise<ContributionView> => {
          const pool = pools.data!.find((candidate) => candidate.id === summary.poolId);
          const [pending, privacyLoss] = await Promise.all([
            summary.status === "active"
              ? publicClient.readContract({
                  abi: databankAbi,
                  address,
                  functionName: "pendingEarnings",
                  args: [summary.id],
                })
              : 0n,
            // Kept after consent ends: what the contribution lost while it was active.
            summary.status === "pending" || summary.status === "rejected"
              ? 0
              : publicClient.readContract({
                  abi: databankAbi,
                  address,
                  functionName: "privacyLoss",
                  args: [summary.id],
                }),
          ]);
          return { ...summary, pool, pending, privacyLoss };
        }),
      );
      const tokens = [
        ...new Set([zeroAddress, ...pools.data!.map((pool) => pool.paymentToken)]),
      ] as Address[];
      const credits = await readCredits(publicClient, address, account!, tokens);
      return { contributions, credits };
    },
  });
}
