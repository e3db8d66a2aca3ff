/**
 * Reads of the Databank state. Every query key starts with "chain", and <BlockRefresher> invalidates
 * them on each new block, so pages follow the chain without a reload.
 */
import { useQuery } from "@tanstack/react-query";
import { zeroAddress, type Address } from "viem";
import { databankAbi } from "../../../lib/contracts/client.js";
import { readTokenInfo } from "../chain/tokenInfo";
import type { TokenInfo } from "../logic/format";
import { useDatabank } from "./useDatabank";

/** A pool as the dApp shows it: on-chain state plus its documents' CIDs. */
export interface PoolView {
  id: number;
  curator: Address;
  custodian: Address;
  paymentToken: Address;
  price: bigint;
  contributorShareBps: number;
  platformFeeBps: number;
  /** Active contributions whose consent allows record sales: what a record sale delivers and pays. */
  activeCount: number;
  /** The products the pool sells (CONSENT_SCOPE bits: 1 record sales, 2 queries, 3 both). */
  products: number;
  /** Price of one query (0 when the pool sells none). */
  queryPrice: bigint;
  /** Active contributions whose consent allows statistics: what a query runs over and pays. */
  statisticsActive: number;
  /** Active contributions that allow statistics and nothing else (not in `activeCount`). */
  statisticsOnlyActive: number;
  /** The privacy budget all queries may ever spend, in micro-ε (immutable). */
  epsilonBudget: number;
  /** micro-ε spent by answered queries so far. */
  epsilonSpent: number;
  /** Most micro-ε one query may spend. */
  maxEpsilonPerQuery: number;
  minContributors: number;
  maxContributors: number;
  erasureCount: number;
  deliveryWindow: number;
  paused: boolean;
  carry: bigint;
  rewardPerContribution: bigint;
  bountyPerContribution: bigint;
  bountyBudget: bigint;
  /** What is left of the curator's own bounty funding (it may withdraw the unspent part). */
  curatorBounty: bigint;
  purposes: number;
  custodianKey: `0x${string}`;
  termsDigest: `0x${string}`;
  schemaCid: string;
  termsCid: string;
}

/** Every pool, newest first. */
export function usePools() {
  const { address, publicClient } = useDatabank();
  return useQuery({
    queryKey: ["chain", "pools", address],
    queryFn: async (): Promise<PoolView[]> => {
      const count = await publicClient.readContract({
        abi: databankAbi,
        address,
        functionName: "poolCount",
      });
      // Pool ids start at 1 (createPool pre-increments the count).
      const ids = Array.from({ length: count }, (_, index) => count - index);
      return Promise.all(ids.map((id) => readPool(publicClient, address, id)));
    },
  });
}

async function readPool(
  publicClient: ReturnType<typeof useDatabank>["publicClient"],
  address: Address,
  id: number,
): Promise<PoolView> {
  const [pool, [schemaCid, termsCid]] = await Promise.all([
    publicClient.readContract({ abi: databankAbi, address, functionName: "getPool", args: [id] }),
    publicClient.readContract({
      abi: databankAbi,
      address,
      functionName: "poolDocuments",
      args: [id],
    }),
  ]);
  return {
    id,
    curator: pool.curator,
    custodian: pool.custodian,
    paymentToken: pool.paymentToken,
    price: pool.price,
    contributorShareBps: pool.contributorShareBps,
    platformFeeBps: pool.platformFeeBps,
    activeCount: pool.recordsActive,
    products: pool.products,
    queryPrice: pool.queryPrice,
    statisticsActive: pool.statisticsActive,
    statisticsOnlyActive: pool.statisticsOnlyActive,
    epsilonBudget: pool.epsilonBudget,
    epsilonSpent: pool.epsilonSpent,
    maxEpsilonPerQuery: pool.maxEpsilonPerQuery,
    minContributors: pool.minContributors,
    maxContributors: pool.maxContributors,
    erasureCount: pool.erasureCount,
    deliveryWindow: pool.deliveryWindow,
    paused: pool.paused,
    carry: BigInt(pool.carry),
    rewardPerContribution: pool.rewardPerContribution,
    bountyPerContribution: pool.bountyPerContribution,
    bountyBudget: pool.bountyBudget,
    curatorBounty: pool.curatorBounty,
    purposes: pool.purposes,
    custodianKey: pool.custodianKey,
    termsDigest: pool.termsDigest,
    schemaCid,
    termsCid,
  };
}

/** Symbol and decimals of a payment token (the native coin for address(0)). */
export function useTokenInfo(token: Address | undefined) {
  const { publicClient } = useDatabank();
  return useQuery({
    queryKey: ["token", token],
    enabled: token !== undefined,
    staleTime: Infinity,
    queryFn: (): Promise<TokenInfo> => readTokenInfo(publicClient, token ?? zeroAddress),
  });
}

/** The Databank's events of one kind, oldest first (read from the configured start block). */
export function useDatabankEvents<
  N extends
    | "PoolCreated"
    | "PurchaseCreated"
    | "PurchaseFulfilled"
    | "PurchaseRefunded"
    | "QueryPurchased"
    | "QueryAnswered"
    | "PurchaseRejected"
    | "ConsentGranted"
    | "ConsentRevoked"
    | "ContributionSubmitted"
    | "ContributionRejected"
    | "ContributionSettled"
    | "ErasureRequested"
    | "ErasureAttested"
    | "Credited"
    | "Withdrawn"
    | "PoolPriceChanged"
    | "PoolPausedSet"
    | "BountyFunded",
>(eventName: N) {
  const { address, publicClient, fromBlock } = useDatabank();
  return useQuery({
    queryKey: ["chain", "events", address, eventName],
    queryFn: () =>
      publicClient.getContractEvents({
        abi: databankAbi,
        address,
        eventName,
        fromBlock,
        toBlock: "latest",
      }),
  });
}

/** The latest block's timestamp (unix seconds): what "overdue" is measured against. */
export function useChainTime() {
  const { publicClient } = useDatabank();
  return useQuery({
    queryKey: ["chain", "time"],
    queryFn: async () => Number((await publicClient.getBlock()).timestamp),
  });
}
