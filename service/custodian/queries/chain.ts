/**
 * What the query worker reads from the chain and the content store: a pool's custodian and record
 * schema (both fixed at creation, cached), the pool's query terms, and the statistics-scoped active
 * set with the pool's `statisticsEnded` at the same block — the query counterpart of the record
 * sale's set and erasure count (service/custodian/delivery/chainView.ts).
 */
import type { PublicClient } from "viem";
import type { ContentStore } from "../../../lib/storage/types.js";
import { trackerPerPool, productSetAt, type ActiveContribution } from "../activeSet.js";
import type { CustodianDatabankClient } from "../delivery/context.js";

/** A pool as `getPool` returns it. */
export type OnChainPool = Awaited<
  ReturnType<CustodianDatabankClient["contract"]["read"]["getPool"]>
>;

/** The statistics-scoped active set at one block. */
export interface StatisticsSetAt {
  /** Active contributions whose consent allows statistics, by token id ascending (shared: do not modify). */
  set: readonly ActiveContribution[];
  /** The pool's `statisticsEnded` at that block: `fulfillQuery`'s `statisticsSeen`. */
  statisticsSeen: number;
  /** The pool at that block (budget, threshold). */
  pool: OnChainPool;
}

/** Parameters of {@link createQueryChainView}. */
export interface QueryChainViewParams {
  /** Databank client with the custodian's wallet. */
  databank: CustodianDatabankClient;
  /** Where the pools' schema documents are. */
  content: ContentStore;
  /** First block to read events from. */
  fromBlock: bigint;
  /** Blocks per `eth_getLogs` request. */
  logBlockRange: bigint;
}

/** The chain reads of the query worker. */
export interface QueryChainView {
  /** The custodian of a pool, lowercase (cached). */
  poolCustodian(poolId: number): Promise<string>;
  /** The pool's record schema document, parsed (cached by pool: its CID is immutable). */
  schema(poolId: number): Promise<unknown>;
  /** The statistics-scoped active set at the latest block, checked against the on-chain count. */
  statisticsSet(poolId: number): Promise<StatisticsSetAt>;
  /** The chain id (cached). */
  chainId(): Promise<number>;
}

/** Creates the chain view of one query worker. */
export function createQueryChainView(params: QueryChainViewParams): QueryChainView {
  const { databank, content } = params;
  const publicClient = databank.publicClient as PublicClient;
  const custodians = new Map<number, string>();
  const schemas = new Map<number, unknown>();
  let chainId: number | undefined;

  const tracker = trackerPerPool({
    publicClient,
    address: databank.address,
    fromBlock: params.fromBlock,
    blockRange: params.logBlockRange,
  });

  return {
    async poolCustodian(poolId) {
      let known = custodians.get(poolId);
      if (known === undefined) {
        known = (await databank.contract.read.getPool([poolId])).custodian.toLowerCase();
        custodians.set(poolId, known);
      }
      return known;
    },
    async schema(poolId) {
      if (schemas.has(poolId)) return schemas.get(poolId);
      const [schemaCid] = await databank.contract.read.poolDocuments([poolId]);
      const bytes = await content.get(schemaCid);
      let parsed: unknown;
      try {
        parsed = JSON.parse(new TextDecoder().decode(bytes));
      } catch {
        // Not JSON: no policy can be read from it, which queryPolicyOf reports in plain words.
        parsed = null;
      }
      schemas.set(poolId, parsed);
      return parsed;
    },
    async statisticsSet(poolId) {
      const { set, pool } = await productSetAt({
        publicClient,
        address: databank.address,
        tracker: tracker(poolId),
        scope: "statistics",
      });
      return { set, statisticsSeen: pool.statisticsEnded, pool };
    },
    async chainId() {
      chainId ??= await publicClient.getChainId();
      return chainId;
    },
  };
}
