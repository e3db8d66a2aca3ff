/**
 * The query worker: answers every `QueryPurchased` of a pool this node custodies, or rejects it.
 *
 * For each purchase: fetch the query document by its CID and check its keccak256 against the
 * purchase's `queryDigest`; check it against the pool's record schema and query policy (the
 * schema's `x-databank-query-policy`, lib/query/poolPolicy.ts) with the purchase's ε — refused →
 * `rejectPurchase` with the refusal in plain words (the buyer is credited at once); take the
 * statistics-scoped active set at the latest block with the pool's `statisticsEnded` there as
 * `statisticsSeen`; open each record in memory through the key custody and compute the noisy
 * answer; seal it (lib/query/sealedAnswer.ts) and upload it; then, under the node's transaction
 * queue and after checking the set did not move, `fulfillQuery` (simulated, under the delivery gas
 * ceiling, nonce reserved). A simulation saying the privacy budget is exhausted, or the pool below
 * its threshold, becomes a rejection with the reason. The answer's key, sealed to the buyer, is
 * released by {@link QueryWorker.status} only once `fulfillQuery` is mined and confirmed.
 *
 * Crash safety: each step is recorded in SQLite (./queries/store.ts) and the chain is asked first
 * whenever a purchase is resumed, so a restart never sends a second transaction for a purchase
 * (reserved nonce) and releases the key of the answer actually recorded on-chain.
 *
 * Everything it needs is passed in (no configuration is read here).
 */
import type { DatabaseSync } from "node:sqlite";
import { keccak256, type Address, type Hex, type PublicClient } from "viem";
import { CONFIG_DEFAULTS } from "../../lib/config/index.js";
import { databankAbi } from "../../lib/contracts/abis.js";
import { recordsRoot } from "../../lib/contracts/recordsMerkle.js";
import { publicKeyFromPrivate } from "../../lib/crypto/keys.js";
import {
  answerKeyForBuyer,
  checkQuery,
  formatEpsilon,
  queryPolicyOf,
  sealAnswer,
  isQueryError,
  type CheckedQuery,
} from "../../lib/query/index.js";
import type { ContentStore } from "../../lib/storage/types.js";
import type { QueryAnswerStatusResponse } from "../../lib/api/schemas.js";
import { DEFAULT_LOG_BLOCK_RANGE, sameSet, type ActiveContribution } from "./activeSet.js";
import { errorText } from "../../lib/format/errorText.js";
import { createMutex, type CustodianDatabankClient, type Exclusive } from "./delivery/context.js";
import type { KeyCustody } from "./delivery/keyCustody.js";
import {
  createPurchaseLoop,
  createReleaseCheck,
  ourPurchases,
  receiptOfSent,
  walkNewBlocks,
} from "./purchaseWorker.js";
import { computeAnswer } from "./queries/compute.js";
import { createQueryChainView } from "./queries/chain.js";
import { QueryStore, type QueryRow } from "./queries/store.js";
import {
  createQueryTransactions,
  type QueryCall,
  type QueryFulfilment,
} from "./queries/transactions.js";

/** A query purchase's answer, as `GET /v1/purchases/{id}/answer` shows it. */
export type QueryAnswerStatusView = QueryAnswerStatusResponse;

/** What {@link createQueryWorker} needs. */
export interface QueryWorkerDeps {
  /** The node's database; the worker owns the `query_*` tables. */
  db: DatabaseSync;
  /** Databank client with the custodian's wallet. */
  databank: CustodianDatabankClient;
  /** Where queries, schemas and envelopes are read and answers written. */
  store: ContentStore;
  /** The custodian's EVM address: only purchases of pools with this custodian are answered. */
  custodianAddress: Address;
  /** The custodian's X25519 private key: answers are sealed to it before the buyer's key is released. */
  custodianPrivateKey: Uint8Array;
  /** The records' data keys kept at rest (the node's, shared with the delivery worker). */
  keyCustody: KeyCustody;
  /** Runs a task while no other custodian transaction is in flight (the node's queue). */
  exclusive?: Exclusive;
  /** Pause between passes after `start()`; default 1,000 ms. */
  pollIntervalMs?: number;
  /** Confirmations `fulfillQuery` needs before the answer's key is released; default 1. */
  confirmations?: number;
  /** Gas ceiling of `fulfillQuery` and `rejectPurchase` (DATABANK_DELIVERY_GAS_LIMIT). */
  gasLimit?: bigint;
  /** First block to read events from (the Databank's deployment block); default 0. */
  fromBlock?: bigint;
  /** Blocks per `eth_getLogs` request; default 10,000. */
  logBlockRange?: bigint;
  /** Structured log; never receives secrets, records or answers. */
  log?: (event: string, fields: Record<string, unknown>) => void;
  /** Test hook awaited after each durable step (a throw stands for a crash there). */
  checkpoint?: (name: QueryCheckpoint, info: Record<string, unknown>) => Promise<void>;
}

/** Names of the durable steps, passed to the `checkpoint` test hook. */
export type QueryCheckpoint = "answer-uploaded" | "transaction-sent";

/** The running worker. */
export interface QueryWorker {
  /** Starts polling: one pass every `pollIntervalMs`. */
  start(): void;
  /** Stops polling and waits for the pass in progress. */
  stop(): Promise<void>;
  /** One pass: records new query purchases, then answers or rejects every due one. */
  answerPending(): Promise<void>;
  /** The answer of a query purchase this node custodies; undefined if it is not one. */
  status(purchaseId: bigint): Promise<QueryAnswerStatusView | undefined>;
}

/** Cursor of the `QueryPurchased` scan in `query_cursor`. */
const PURCHASES_CURSOR = "query-purchases";
/** Answers in a row (the set changing under us each time) before giving up until the next pass. */
const MAX_ATTEMPTS = 5;

/** A query that cannot be answered for a reason the buyer should read (sent with the rejection). */
class Refusal extends Error {
  constructor(message: string) {
    super(message);
    this.name = "Refusal";
  }
}

/** Creates the query worker (not started). */
export function createQueryWorker(deps: QueryWorkerDeps): QueryWorker {
  const { databank, keyCustody } = deps;
  const publicClient = databank.publicClient as PublicClient;
  const address = databank.address;
  const log = deps.log ?? (() => undefined);
  const checkpoint = deps.checkpoint ?? (async () => undefined);
  const exclusive = deps.exclusive ?? createMutex();
  const custodian = deps.custodianAddress.toLowerCase();
  const custodianKey = new Uint8Array(deps.custodianPrivateKey);
  const custodianPublicKey = publicKeyFromPrivate(custodianKey);
  const fromBlock = deps.fromBlock ?? 0n;
  const logBlockRange = deps.logBlockRange ?? DEFAULT_LOG_BLOCK_RANGE;
  const store = new QueryStore(deps.db);
  const chain = createQueryChainView({
    databank,
    content: deps.store,
    fromBlock,
    logBlockRange,
  });
  const transactions = createQueryTransactions({
    databank,
    store,
    gasLimit: deps.gasLimit ?? BigInt(CONFIG_DEFAULTS.deliveryGasLimit),
    onSent: (row, hash) => checkpoint("transaction-sent", { purchaseId: row.purchaseId, hash }),
  });
  const isFinal = createReleaseCheck(
    publicClient,
    BigInt(Math.max(1, Math.floor(deps.confirmations ?? 1))),
  );

  /** Records every new `QueryPurchased` of a pool this node custodies; moves the cursor. */
  async function scanPurchases(): Promise<void> {
    await walkNewBlocks({
      publicClient,
      cursor: store.cursor(PURCHASES_CURSOR),
      fromBlock,
      blockRange: logBlockRange,
      step: async (from, to) => {
        const logs = await publicClient.getContractEvents({
          address,
          abi: databankAbi,
          eventName: "QueryPurchased",
          fromBlock: from,
          toBlock: to,
        });
        const ours = (await ourPurchases(logs, chain.poolCustodian, custodian)).map(
          ({ fields, args }) => ({
            ...fields,
            statisticsMark: args.statisticsMark!,
            epsilon: args.epsilon!,
            queryCid: args.queryCid!,
            queryDigest: args.queryDigest!.toLowerCase() as Hex,
          }),
        );
        const added = store.recordPurchases(PURCHASES_CURSOR, to, ours);
        if (added > 0) log("query.purchases-seen", { count: added, toBlock: to.toString() });
      },
    });
  }

  /** The query document, its digest checked, and checked against the pool's schema and policy. */
  async function checkedQuery(row: QueryRow): Promise<CheckedQuery> {
    let bytes: Uint8Array;
    try {
      bytes = await deps.store.get(row.queryCid);
    } catch (error) {
      // Not a refusal: the content may simply not have reached this node yet; retried.
      throw new Error(`cannot fetch the query ${row.queryCid}: ${errorText(error)}`, {
        cause: error,
      });
    }
    if (keccak256(bytes).toLowerCase() !== row.queryDigest) {
      throw new Refusal(
        `the query document at ${row.queryCid} does not match the digest the purchase names`,
      );
    }
    let query: unknown;
    try {
      query = JSON.parse(new TextDecoder().decode(bytes));
    } catch {
      throw new Refusal("the query document is not JSON");
    }
    const schema = await chain.schema(row.poolId);
    const pool = await databank.contract.read.getPool([row.poolId]);
    try {
      const policy = queryPolicyOf(schema, pool);
      const result = checkQuery({
        query,
        recordSchema: schema as object,
        policy,
        epsilon: BigInt(row.epsilon),
      });
      if (!result.ok) throw new Refusal(result.error.message);
      return result.query;
    } catch (error) {
      if (isQueryError(error)) throw new Refusal(error.message);
      throw error;
    }
  }

  /** The answer over `set`, sealed and uploaded; stored with K sealed to the buyer. */
  async function answer(
    row: QueryRow,
    query: CheckedQuery,
    set: readonly ActiveContribution[],
    statisticsSeen: number,
  ): Promise<QueryFulfilment> {
    const root = recordsRoot(set);
    if (
      row.answerCid !== undefined &&
      row.buyerSealedKey !== undefined &&
      row.recordsRoot === root &&
      row.statisticsSeen === statisticsSeen
    ) {
      return fulfilmentOf(row);
    }
    const chainId = await chain.chainId();
    const result = await computeAnswer({
      query,
      epsilon: BigInt(row.epsilon),
      set,
      where: { chainId, databank: address, poolId: row.poolId },
      custody: keyCustody,
      content: deps.store,
    });
    const envelope = await sealAnswer({
      result,
      binding: {
        chainId,
        databank: address,
        purchaseId: row.purchaseId,
        poolId: row.poolId,
        buyer: row.buyer,
      },
      custodianPublicKey,
    });
    const answerCid = await deps.store.put(envelope);
    const buyerSealedKey = await answerKeyForBuyer({
      envelope,
      answerCid,
      custodianPrivateKey: custodianKey,
      buyerKey: row.buyerKey,
      binding: { chainId, databank: address, purchaseId: row.purchaseId },
    });
    const fulfilment: QueryFulfilment = {
      answerCid,
      recordsRoot: root,
      recordCount: set.length,
      statisticsSeen,
      epsilonSpent: Number(result.answer.epsilonMicro),
    };
    // CID and the key that opens it in one statement: a restart reuses both or rebuilds both.
    store.update(row.purchaseId, {
      status: "answering",
      buyerSealedKey,
      ...fulfilment,
      reason: null,
    });
    log("query.answer-uploaded", {
      purchaseId: row.purchaseId.toString(),
      answerCid,
      recordCount: set.length,
      epsilonSpent: formatEpsilon(BigInt(fulfilment.epsilonSpent)),
    });
    await checkpoint("answer-uploaded", { purchaseId: row.purchaseId, answerCid });
    return fulfilment;
  }

  /** Sends `call` under the queue; settles the purchase from the outcome. */
  async function sendAndSettle(
    row: QueryRow,
    call: QueryCall,
    set?: readonly ActiveContribution[],
  ): Promise<"done" | "set-changed"> {
    return exclusive(async () => {
      if (set !== undefined) {
        const now = await chain.statisticsSet(row.poolId);
        if (!sameSet(now.set, set)) return "set-changed";
      }
      const outcome = await transactions.send(store.purchase(row.purchaseId)!, call);
      if (outcome.sent) {
        await settleFromChain(store.purchase(row.purchaseId)!);
        return "done";
      }
      const { revert } = outcome;
      switch (revert.name) {
        case "PurchaseSettled":
          await settleFromChain(row);
          return "done";
        case "DeliveryOverdue":
          markFailed(row, revert.message);
          return "done";
        case "RecordCountMismatch":
        case "StaleDeliverySet":
          return "set-changed";
      }
      if (call.kind === "fulfil") {
        const reason = rejectionFor(revert.name, revert.args);
        if (reason !== undefined) {
          const rejected = await transactions.send(store.purchase(row.purchaseId)!, {
            kind: "reject",
            reason,
          });
          if (rejected.sent) {
            await settleFromChain(store.purchase(row.purchaseId)!);
            return "done";
          }
          throw rejected.revert;
        }
      }
      throw revert;
    });
  }

  /** One purchase, from wherever it was left. */
  async function handle(initial: QueryRow): Promise<void> {
    let row = initial;
    if (await settleFromChain(row)) return;
    if (row.status === "failed") return; // only a refund can still change it
    if (row.txHash !== undefined) {
      if (await settleSent(row)) return;
      row = store.purchase(row.purchaseId)!;
    }
    const latest = await publicClient.getBlock({ blockTag: "latest" });
    if (Number(latest.timestamp) >= row.deadline) {
      return markFailed(
        row,
        `the answer deadline passed at ${new Date(row.deadline * 1000).toISOString()}; the buyer can take a refund`,
      );
    }

    let query: CheckedQuery;
    try {
      query = await checkedQuery(row);
    } catch (error) {
      if (!(error instanceof Refusal)) throw error;
      log("query.refused", { purchaseId: row.purchaseId.toString(), reason: error.message });
      await sendAndSettle(row, { kind: "reject", reason: error.message });
      return;
    }

    for (let attempt = 0; ; attempt++) {
      const { set, statisticsSeen, pool } = await chain.statisticsSet(row.poolId);
      // Spare the work when the budget cannot pay: the contract would refuse the answer anyway.
      const remaining = BigInt(pool.epsilonBudget) - BigInt(pool.epsilonSpent);
      if (remaining < BigInt(row.epsilon)) {
        await sendAndSettle(row, {
          kind: "reject",
          reason: budgetReason(remaining, BigInt(row.epsilon)),
        });
        return;
      }
      if (set.length < pool.minContributors) {
        await sendAndSettle(row, { kind: "reject", reason: thresholdReason(pool.minContributors) });
        return;
      }
      const fulfilment = await answer(row, query, set, statisticsSeen);
      const outcome = await sendAndSettle(row, { kind: "fulfil", fulfilment }, set);
      if (outcome === "done") return;
      log("query.set-changed", { purchaseId: row.purchaseId.toString(), attempt });
      if (attempt + 1 >= MAX_ATTEMPTS) {
        throw new Error(`the statistics set of pool ${row.poolId} kept changing; will retry`);
      }
      row = store.purchase(row.purchaseId)!;
    }
  }

  /**
   * Settles a purchase the chain already settled: answered (from its `QueryAnswered`), rejected
   * (from its `PurchaseRejected`) or refunded. @returns whether it was settled.
   */
  async function settleFromChain(row: QueryRow): Promise<boolean> {
    const status = await databank.contract.read.purchaseStatus([row.purchaseId]);
    if (status === 1) return false; // pending
    if (status === 0) {
      throw new Error(`purchase ${row.purchaseId} is not on-chain (chain reorganised?)`);
    }
    if (status === 2) {
      const [event] = await publicClient.getContractEvents({
        address,
        abi: databankAbi,
        eventName: "QueryAnswered",
        args: { purchaseId: row.purchaseId },
        fromBlock: row.createdBlock,
      });
      if (event === undefined) return false; // not visible yet on this RPC: next pass
      const answerCid = event.args.answerCid!;
      // The stored key is for the answer this node last uploaded; if a superseded transaction
      // (same reserved nonce) recorded an earlier answer, re-seal K for that one.
      const buyerSealedKey =
        row.answerCid === answerCid && row.buyerSealedKey !== undefined
          ? row.buyerSealedKey
          : await resealFor(row, answerCid);
      store.update(row.purchaseId, {
        status: "answered",
        answerCid,
        buyerSealedKey: buyerSealedKey ?? null,
        recordsRoot: event.args.recordsRoot!,
        recordCount: event.args.recordCount!,
        statisticsSeen: event.args.statisticsSeen!,
        epsilonSpent: event.args.epsilonSpent!,
        txHash: event.transactionHash,
        reason: null,
      });
      log("query.answered", {
        purchaseId: row.purchaseId.toString(),
        transactionHash: event.transactionHash,
        answerCid,
        recordCount: event.args.recordCount,
      });
      return true;
    }
    const [rejected] = await publicClient.getContractEvents({
      address,
      abi: databankAbi,
      eventName: "PurchaseRejected",
      args: { purchaseId: row.purchaseId },
      fromBlock: row.createdBlock,
    });
    if (rejected !== undefined) {
      store.update(row.purchaseId, {
        status: "rejected",
        reason: rejected.args.reason!,
        txHash: rejected.transactionHash,
        buyerSealedKey: null,
      });
      log("query.rejected", {
        purchaseId: row.purchaseId.toString(),
        reason: rejected.args.reason,
      });
    } else {
      store.update(row.purchaseId, { status: "refunded", buyerSealedKey: null, reason: null });
      log("query.refunded", { purchaseId: row.purchaseId.toString() });
    }
    return true;
  }

  /**
   * K sealed to the buyer for an answer this node did not store last: one a superseded transaction
   * (same reserved nonce) recorded. The custodian is a recipient of every answer it sealed, so K is
   * re-derived from the envelope; an answer it cannot open (not its own) gets no key.
   */
  async function resealFor(row: QueryRow, answerCid: string): Promise<Hex | undefined> {
    try {
      return await answerKeyForBuyer({
        envelope: await deps.store.get(answerCid),
        answerCid,
        custodianPrivateKey: custodianKey,
        buyerKey: row.buyerKey,
        binding: { chainId: await chain.chainId(), databank: address, purchaseId: row.purchaseId },
      });
    } catch (error) {
      log("query.key-unavailable", {
        purchaseId: row.purchaseId.toString(),
        answerCid,
        error: errorText(error),
      });
      return undefined;
    }
  }

  /** A transaction sent before (this run or an earlier one): settles it from its receipt. */
  async function settleSent(row: QueryRow): Promise<boolean> {
    const receipt = await receiptOfSent(publicClient, row.txHash!);
    if (receipt?.status === "success" && (await settleFromChain(row))) return true;
    // Reverted or dropped: forget it; the reserved nonce stays so a resend replaces any copy.
    store.update(row.purchaseId, { txHash: null });
    return false;
  }

  function markFailed(row: QueryRow, reason: string): void {
    store.update(row.purchaseId, { status: "failed", reason, buyerSealedKey: null });
    log("query.failed", { purchaseId: row.purchaseId.toString(), reason });
  }

  const loop = createPurchaseLoop({
    name: "query",
    pollIntervalMs: deps.pollIntervalMs ?? 1_000,
    log,
    scan: scanPurchases,
    due: () => store.purchasesIn(["pending", "answering", "failed"]),
    purchaseIdOf: (row) => row.purchaseId,
    handle,
    recordError: (row, message) => store.update(row.purchaseId, { reason: message }),
  });

  return {
    start: loop.start,
    stop: loop.stop,
    answerPending: loop.runPass,
    async status(purchaseId) {
      const row = store.purchase(purchaseId);
      if (row === undefined) return undefined;
      const view: QueryAnswerStatusView = { purchaseId: purchaseId.toString(), status: row.status };
      // The answer is shown only once `fulfillQuery` is mined (the payment is final then), and
      // its key only once that has its confirmations.
      if (row.status === "answered") {
        if (row.answerCid !== undefined) view.answerCid = row.answerCid;
        if (row.recordsRoot !== undefined) view.recordsRoot = row.recordsRoot;
        if (row.recordCount !== undefined) view.recordCount = row.recordCount;
        if (row.statisticsSeen !== undefined) view.statisticsSeen = row.statisticsSeen;
        if (row.epsilonSpent !== undefined) {
          view.epsilonSpent = formatEpsilon(BigInt(row.epsilonSpent));
        }
        if (row.txHash !== undefined) view.transactionHash = row.txHash;
        if (
          row.buyerSealedKey !== undefined &&
          row.txHash !== undefined &&
          (await isFinal(purchaseId, row.txHash))
        ) {
          view.answerKey = row.buyerSealedKey;
        }
      } else {
        if (row.status === "rejected" && row.txHash !== undefined) {
          view.transactionHash = row.txHash;
        }
        if (row.reason !== undefined) view.reason = row.reason;
      }
      return view;
    },
  };
}

/** What `fulfillQuery` would record for a stored answer. */
function fulfilmentOf(row: QueryRow): QueryFulfilment {
  return {
    answerCid: row.answerCid!,
    recordsRoot: row.recordsRoot!,
    recordCount: row.recordCount!,
    statisticsSeen: row.statisticsSeen!,
    epsilonSpent: row.epsilonSpent!,
  };
}

/** The buyer's reason for a fulfilment the contract refuses for good, if it is one of those. */
function rejectionFor(name: string, args: readonly unknown[]): string | undefined {
  if (name === "PrivacyBudgetExhausted") {
    return budgetReason(BigInt(args[1] as number), BigInt(args[2] as number));
  }
  if (name === "BelowThreshold") return thresholdReason(Number(args[2]));
  if (name === "NoActiveContributions") {
    return "the pool has no active contributions that allow statistics";
  }
  return undefined;
}

function budgetReason(remaining: bigint, requested: bigint): string {
  const left = remaining < 0n ? 0n : remaining;
  return `the pool's privacy budget has only ${formatEpsilon(left)} ε left, less than the ${formatEpsilon(requested)} ε this query would spend`;
}

function thresholdReason(minContributors: number): string {
  return `the pool has fewer than ${minContributors} contributions that allow statistics, its threshold for answering`;
}
