/**
 * The delivery worker: for every purchase of a pool this node custodies, seals each active
 * record's data key under the purchase's delivery key K, uploads the delivery manifest (v2) and
 * calls `fulfill`; K itself, sealed to the buyer, is released by {@link DeliveryWorker.status}
 * only once `fulfill` is mined and confirmed (docs/data-bank-node.md, "How a delivery becomes
 * final"), because the manifest CID is public from the moment the transaction is sent.
 *
 * Crash safety (docs/data-bank-node.md, "Delivery and crash safety"): progress is recorded in
 * SQLite (service/custodian/deliveryStore.ts) at each durable step — purchase seen, K drawn (kept
 * sealed to the custodian's own key), each batch of sealed keys, manifest uploaded with K sealed to
 * the buyer, fulfil sent, fulfilled/refunded — and the chain is asked first whenever a purchase is
 * resumed, so a worker killed at any instant and restarted on the same database never fulfils
 * twice, never skips a purchase and reuses the same K and sealed K.
 *
 * This file composes the steps, one module each under service/custodian/delivery/:
 * `tracking` (new purchases; ended consents shredded), `chainView` (chain reads), `keyCustody`
 * (records' data keys kept at rest under the KEK; tombstones), `build` (sealed keys, manifest),
 * `fulfil` (retiring expired consents, `fulfill`), `recovery` (settling from the chain); the pass
 * loop and the key's release check are shared with the query worker (./purchaseWorker.ts). What is
 * left here: the order of steps for one purchase, and the delivery's status view.
 *
 * Everything it needs is passed in (no configuration is read here), so the node, tests and
 * benchmarks compose it the same way.
 */
import type { DatabaseSync } from "node:sqlite";
import type { Address, PublicClient } from "viem";
import { CONFIG_DEFAULTS } from "../../lib/config/index.js";
import type { ContentStore } from "../../lib/storage/types.js";
import { DEFAULT_LOG_BLOCK_RANGE } from "./activeSet.js";
import type { DeliveryStatusView } from "../app.js";
import { DeliveryStore, type PurchaseRow } from "./deliveryStore.js";
import { createPurchaseLoop, createReleaseCheck } from "./purchaseWorker.js";
import { createDeliveryBuilder } from "./delivery/build.js";
import { createChainView } from "./delivery/chainView.js";
import {
  createMutex,
  type CustodianDatabankClient,
  type DeliveryCheckpoint,
  type DeliveryContext,
  type Exclusive,
} from "./delivery/context.js";
import { createFulfilment } from "./delivery/fulfil.js";
import { createKeyCustody, type KeyCustody } from "./delivery/keyCustody.js";
import { createRecovery } from "./delivery/recovery.js";
import { createTracking } from "./delivery/tracking.js";

export type { DeliveryStatus } from "./deliveryStore.js";
export {
  createMutex,
  type CustodianDatabankClient,
  type DeliveryCheckpoint,
  type Exclusive,
} from "./delivery/context.js";
export { createKeyCustody, RecordRevokedError, type KeyCustody } from "./delivery/keyCustody.js";

/** What {@link createDeliveryWorker} needs. */
export interface DeliveryWorkerDeps {
  /** The node's database; the worker owns the `delivery_*` tables. */
  db: DatabaseSync;
  /** Databank client with the custodian's wallet. */
  databank: CustodianDatabankClient;
  /** Where envelopes are read and manifests written. */
  store: ContentStore;
  /** The custodian's EVM address: only purchases of pools with this custodian are delivered. */
  custodianAddress: Address;
  /** The custodian's X25519 private key (32 bytes) that contributors wrapped their keys to. */
  custodianPrivateKey: Uint8Array;
  /**
   * Runs a task while no other custodian transaction is in flight. The worker holds it from the
   * final active-set check through the fulfil receipt, and while retiring expired consents.
   * Default: a mutex local to this worker.
   */
  exclusive?: Exclusive;
  /** Pause between passes after `start()`; default 1,000 ms. */
  pollIntervalMs?: number;
  /** Record keys sealed and persisted per batch; default `CONFIG_DEFAULTS.deliveryBatchSize`. */
  batchSize?: number;
  /**
   * Confirmations (blocks including the one that mined it) `fulfill` needs before the delivery key
   * is released to the buyer (DATABANK_DELIVERY_CONFIRMATIONS); default
   * `CONFIG_DEFAULTS.deliveryConfirmations` (1). Raise it on a chain that can reorganise.
   */
  confirmations?: number;
  /**
   * Gas ceiling of `fulfill` and `retireExpired` (DATABANK_DELIVERY_GAS_LIMIT): one estimated above
   * it is not sent (the purchase records the error and is retried), and each is sent with this gas
   * limit. Default `CONFIG_DEFAULTS.deliveryGasLimit`.
   */
  gasLimit?: bigint;
  /** Records whose key is fetched and sealed at once inside a batch; default 8. */
  wrapConcurrency?: number;
  /**
   * The records' data keys kept at rest (service/custodian/delivery/keyCustody.ts). Default: one
   * on `db` with the custodian's X25519 key. Pass the node's own to share it with the acceptance
   * path.
   */
  keyCustody?: KeyCustody;
  /**
   * Whether the default key custody keeps data keys at rest; default true. false re-opens every
   * record's envelope (HPKE) for every delivery, as before key custody: for benchmarks only.
   */
  keepDataKeys?: boolean;
  /** First block to read events from (the Databank's deployment block); default 0. */
  fromBlock?: bigint;
  /** Blocks per `eth_getLogs` request; default 10,000. */
  logBlockRange?: bigint;
  /** Structured log; never receives secrets or plaintext. */
  log?: (event: string, fields: Record<string, unknown>) => void;
  /** Test hook awaited after each durable step (see {@link DeliveryCheckpoint}). */
  checkpoint?: (name: DeliveryCheckpoint, info: Record<string, unknown>) => Promise<void>;
}

/** A purchase's delivery, as `GET /v1/purchases/{id}/delivery` shows it (defined with the API). */
export type { DeliveryStatusView } from "../app.js";

/** The running worker. */
export interface DeliveryWorker {
  /** Starts polling: one pass every `pollIntervalMs`. */
  start(): void;
  /** Stops polling and waits for the pass in progress. */
  stop(): Promise<void>;
  /** One pass: records new purchases, then delivers every due one. */
  deliverPending(): Promise<void>;
  /** The delivery of a purchase this node custodies; undefined if it is not one. */
  status(purchaseId: bigint): Promise<DeliveryStatusView | undefined>;
  /** The records' data keys kept at rest (shared with the acceptance path, see the docs). */
  readonly keyCustody: KeyCustody;
}

/** Rebuilds in a row (the set changing under us each time) before giving up until the next pass. */
const MAX_REBUILDS = 5;

/** Creates the delivery worker (not started). */
export function createDeliveryWorker(deps: DeliveryWorkerDeps): DeliveryWorker {
  const publicClient = deps.databank.publicClient as PublicClient;
  const log = deps.log ?? (() => undefined);
  const ctx: DeliveryContext = {
    store: new DeliveryStore(deps.db),
    databank: deps.databank,
    publicClient,
    address: deps.databank.address,
    content: deps.store,
    custodian: deps.custodianAddress.toLowerCase(),
    exclusive: deps.exclusive ?? createMutex(),
    gasLimit: deps.gasLimit ?? BigInt(CONFIG_DEFAULTS.deliveryGasLimit),
    fromBlock: deps.fromBlock ?? 0n,
    logBlockRange: deps.logBlockRange ?? DEFAULT_LOG_BLOCK_RANGE,
    log,
    checkpoint: deps.checkpoint ?? (async () => undefined),
  };
  const { store } = ctx;
  const keyCustody =
    deps.keyCustody ??
    createKeyCustody({
      db: deps.db,
      custodianPrivateKey: deps.custodianPrivateKey,
      keepKeys: deps.keepDataKeys ?? true,
      log,
    });
  const chain = createChainView(ctx);
  const tracking = createTracking({ ctx, chain, custody: keyCustody });
  const recovery = createRecovery({
    ctx,
    chain,
    custodianPrivateKey: deps.custodianPrivateKey,
  });
  const fulfilment = createFulfilment({ ctx, chain, recovery });
  const builder = createDeliveryBuilder({
    ctx,
    chain,
    custody: keyCustody,
    custodianPrivateKey: deps.custodianPrivateKey,
    batchSize: Math.max(1, deps.batchSize ?? CONFIG_DEFAULTS.deliveryBatchSize),
    concurrency: Math.max(1, deps.wrapConcurrency ?? 8),
  });
  const isFinal = createReleaseCheck(
    publicClient,
    BigInt(Math.max(1, Math.floor(deps.confirmations ?? CONFIG_DEFAULTS.deliveryConfirmations))),
  );

  /** One purchase, from wherever it was left (docs/data-bank-node.md, steps 1–6). */
  async function deliver(initial: PurchaseRow): Promise<void> {
    let row = initial;
    const onChain = await chain.purchaseStatus(row.purchaseId);
    if (onChain === "fulfilled") return recovery.markDelivered(row);
    if (onChain === "refunded") return recovery.markRefunded(row);
    if (row.status === "failed") return; // only a refund can still change a failed purchase
    if (onChain === "none") {
      throw new Error(`purchase ${row.purchaseId} is not on-chain (chain reorganised?)`);
    }

    if (row.fulfillTx !== undefined) {
      const settled = await recovery.settleSentFulfil(row);
      if (settled) return;
      row = store.purchase(row.purchaseId)!;
    }

    const latest = await publicClient.getBlock({ blockTag: "latest" });
    if (Number(latest.timestamp) >= row.deadline) {
      return recovery.markFailed(
        row,
        `the delivery deadline passed at ${new Date(row.deadline * 1000).toISOString()}; the buyer can take a refund`,
      );
    }

    await fulfilment.retireExpired(row.poolId, Number(latest.timestamp));

    for (let attempt = 0; ; attempt++) {
      const built = await builder.prepareManifest(row);
      const outcome = await ctx.exclusive(() => fulfilment.checkAndFulfil(row, built));
      if (outcome === "done") return;
      log("delivery.set-changed", { purchaseId: row.purchaseId.toString(), attempt });
      if (attempt + 1 >= MAX_REBUILDS) {
        throw new Error(`the active set of pool ${row.poolId} kept changing; will retry`);
      }
      row = store.purchase(row.purchaseId)!;
    }
  }

  const loop = createPurchaseLoop({
    name: "delivery",
    pollIntervalMs: deps.pollIntervalMs ?? 1_000,
    log,
    // Ended consents first: no delivery of this pass may use a key that should be gone.
    scan: async () => {
      await tracking.scanRevocations();
      await tracking.scanPurchases();
    },
    due: () => store.purchasesIn(["pending", "delivering", "failed"]),
    purchaseIdOf: (row) => row.purchaseId,
    handle: deliver,
    recordError: (row, message) => store.update(row.purchaseId, { error: message }),
  });

  return {
    keyCustody,
    start: loop.start,
    stop: loop.stop,
    deliverPending: loop.runPass,
    async status(purchaseId) {
      const row = store.purchase(purchaseId);
      if (row === undefined) return undefined;
      const view: DeliveryStatusView = { purchaseId: purchaseId.toString(), status: row.status };
      // The manifest is shown only once `fulfill` is mined: before that the payment is not final,
      // and a buyer holding the keys could still try to make the delivery fail.
      if (row.status === "delivered") {
        if (row.manifestCid !== undefined) view.deliveryCid = row.manifestCid;
        if (row.recordsRoot !== undefined) view.recordsRoot = row.recordsRoot;
        if (row.recordCount !== undefined) view.recordCount = row.recordCount;
        if (row.fulfillTx !== undefined) view.transactionHash = row.fulfillTx;
        // The key only once `fulfill` is mined and has its confirmations.
        if (
          row.buyerSealedKey !== undefined &&
          row.fulfillTx !== undefined &&
          (await isFinal(purchaseId, row.fulfillTx))
        ) {
          view.deliveryKey = row.buyerSealedKey;
        }
      }
      if (row.error !== undefined && row.status !== "delivered") view.error = row.error;
      return view;
    },
  };
}
