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
 * Everything it needs is passed in (no configuration is read here), so the node, tests and
 * benchmarks compose it the same way.
 */
import type { DatabaseSync } from "node:sqlite";
import type { Account, Address, Chain, Hex, PublicClient, Transport, WalletClient } from "viem";
import { CONFIG_DEFAULTS } from "../../lib/config/index.js";
import { databankAbi } from "../../lib/contracts/abis.js";
import {
  decodeDatabankError,
  type DatabankClient,
  type Purchase,
} from "../../lib/contracts/client.js";
import { recordsRoot } from "../../lib/contracts/recordsMerkle.js";
import {
  generateDeliveryKey,
  importDeliveryKey,
  openDeliveryKey,
  sealDeliveryKey,
  sealRecordKey,
  type PurchaseBinding,
} from "../../lib/crypto/deliveryKey.js";
import { unwrapDataKey } from "../../lib/crypto/envelope.js";
import { fromHex32, publicKeyFromPrivate } from "../../lib/crypto/keys.js";
import { buildManifest, encodeManifest } from "../../lib/delivery/manifest.js";
import type { ContentStore } from "../../lib/storage/types.js";
import {
  createActiveSetTracker,
  DEFAULT_LOG_BLOCK_RANGE,
  type ActiveContribution,
  type ActiveSetTracker,
} from "./activeSet.js";
import type { DeliveryStatusView } from "../app.js";
import { gasWithinCeiling } from "../chain.js";
import { DeliveryStore, type PurchaseRow, type StoredSealedKey } from "./deliveryStore.js";

export type { DeliveryStatus } from "./deliveryStore.js";

/** The Databank client the worker sends with: it must have a wallet whose account is the custodian. */
export type CustodianDatabankClient = DatabankClient<
  WalletClient<Transport, Chain | undefined, Account>
>;

/** Names of the durable steps, passed to {@link DeliveryWorkerDeps.checkpoint}. */
export type DeliveryCheckpoint =
  "keys-wrapped-batch" | "manifest-uploaded" | "fulfill-sent" | "fulfilled";

/** Serialises the custodian's transactions (the node passes its queue). */
export type Exclusive = <T>(task: () => Promise<T>) => Promise<T>;

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
  /** Record keys sealed and persisted per batch; default 250. */
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
  /** Records whose key is opened (HPKE) and sealed at once inside a batch; default 8. */
  wrapConcurrency?: number;
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
}

const CURSOR = "purchases";
const PURCHASE_STATUS = ["none", "pending", "fulfilled", "refunded"] as const;
/** Rebuilds in a row (the set changing under us each time) before giving up until the next pass. */
const MAX_REBUILDS = 5;
const BACKOFF_MIN_MS = 1_000;
const BACKOFF_MAX_MS = 5 * 60_000;

/** A mutex: tasks run one at a time in call order. */
export function createMutex(): Exclusive {
  let tail: Promise<unknown> = Promise.resolve();
  return <T>(task: () => Promise<T>): Promise<T> => {
    const run = tail.then(task, task);
    tail = run.catch(() => undefined);
    return run;
  };
}

/** What a manifest commits to. */
interface BuiltDelivery {
  cid: string;
  root: Hex;
  count: number;
}

/** The fulfil attempt's outcome when it did not deliver. */
type FulfilOutcome = "done" | "set-changed";

/** Creates the delivery worker (not started). */
export function createDeliveryWorker(deps: DeliveryWorkerDeps): DeliveryWorker {
  const store = new DeliveryStore(deps.db);
  const publicClient = deps.databank.publicClient as PublicClient;
  const walletClient = deps.databank.walletClient;
  const address = deps.databank.address;
  const custodian = deps.custodianAddress.toLowerCase();
  const exclusive = deps.exclusive ?? createMutex();
  const batchSize = Math.max(1, deps.batchSize ?? 250);
  const gasLimit = deps.gasLimit ?? BigInt(CONFIG_DEFAULTS.deliveryGasLimit);
  /** The refusal of a delivery transaction estimated above the ceiling (nothing is sent). */
  const tooCostly = (what: string) => (needed: string | undefined, limit: string) =>
    `${what} would cost ${needed === undefined ? "more than" : `${needed} gas, over`} the node's limit of ${limit} gas (DATABANK_DELIVERY_GAS_LIMIT); nothing was sent`;
  const wrapConcurrency = Math.max(1, deps.wrapConcurrency ?? 8);
  const pollIntervalMs = deps.pollIntervalMs ?? 1_000;
  const fromBlock = deps.fromBlock ?? 0n;
  const logBlockRange = deps.logBlockRange ?? DEFAULT_LOG_BLOCK_RANGE;
  const log = deps.log ?? (() => undefined);
  const checkpoint = deps.checkpoint ?? (async () => undefined);
  const custodianKey = new Uint8Array(deps.custodianPrivateKey);
  const custodianPublicKey = publicKeyFromPrivate(custodianKey);
  const confirmations = BigInt(
    Math.max(1, Math.floor(deps.confirmations ?? CONFIG_DEFAULTS.deliveryConfirmations)),
  );
  /** Purchases whose key was released: their fulfil had its confirmations, no need to ask again. */
  const released = new Set<bigint>();
  let chainId: number | undefined;

  const poolCustodians = new Map<number, string>();
  const trackers = new Map<number, ActiveSetTracker>();
  const retries = new Map<string, { failures: number; nextAt: number }>();
  let pass: Promise<void> = Promise.resolve();
  let timer: ReturnType<typeof setTimeout> | undefined;
  let running = false;

  // ------------------------------------------------------------ chain reads

  async function poolCustodian(poolId: number): Promise<string> {
    let known = poolCustodians.get(poolId);
    if (known === undefined) {
      // A pool's custodian is fixed at creation: cache it for good.
      known = (await deps.databank.contract.read.getPool([poolId])).custodian.toLowerCase();
      poolCustodians.set(poolId, known);
    }
    return known;
  }

  function tracker(poolId: number): ActiveSetTracker {
    let existing = trackers.get(poolId);
    if (existing === undefined) {
      existing = createActiveSetTracker({
        publicClient,
        address,
        poolId,
        fromBlock,
        blockRange: logBlockRange,
      });
      trackers.set(poolId, existing);
    }
    return existing;
  }

  /** The active set at the latest block, checked against the pool's on-chain active count. */
  async function activeSet(poolId: number): Promise<ActiveContribution[]> {
    return (await activeSetWithErasures(poolId)).set;
  }

  /**
   * The active set at the latest block and the pool's erasure count there: `fulfill` names the
   * moment the delivered set was taken by that count, so a revocation landing while the delivery
   * is in flight does not make it fail (the buyer owes that record's erasure instead).
   */
  async function activeSetWithErasures(
    poolId: number,
  ): Promise<{ set: ActiveContribution[]; erasureCount: number }> {
    const block = await publicClient.getBlockNumber({ cacheTime: 0 });
    const [set, pool] = await Promise.all([
      tracker(poolId).at(block),
      publicClient.readContract({
        address,
        abi: databankAbi,
        functionName: "getPool",
        args: [poolId],
        blockNumber: block,
      }),
    ]);
    if (set.length !== pool.activeCount) {
      throw new Error(
        `pool ${poolId}: ${set.length} active contributions rebuilt from events but ${pool.activeCount} on-chain at block ${block}`,
      );
    }
    return { set, erasureCount: pool.erasureCount };
  }

  async function chainStatus(purchaseId: bigint): Promise<(typeof PURCHASE_STATUS)[number]> {
    const value = await deps.databank.contract.read.purchaseStatus([purchaseId]);
    return PURCHASE_STATUS[value] ?? "none";
  }

  // ------------------------------------------------------------ scanning

  /** Records every new `PurchaseCreated` of a pool this node custodies; moves the cursor. */
  async function scanPurchases(): Promise<void> {
    const latest = await publicClient.getBlockNumber({ cacheTime: 0 });
    let cursor = store.cursor(CURSOR) ?? fromBlock - 1n;
    while (cursor < latest) {
      const from = cursor + 1n;
      const to = from + logBlockRange - 1n < latest ? from + logBlockRange - 1n : latest;
      const logs = await publicClient.getContractEvents({
        address,
        abi: databankAbi,
        eventName: "PurchaseCreated",
        fromBlock: from,
        toBlock: to,
      });
      const ours = [];
      for (const { args, blockNumber } of logs) {
        if ((await poolCustodian(args.poolId!)) !== custodian) continue;
        ours.push({
          purchaseId: args.purchaseId!,
          poolId: args.poolId!,
          buyer: args.buyer!,
          amount: args.amount!,
          deadline: args.deadline!,
          erasureMark: args.erasureMark!,
          buyerKey: args.buyerKey!.toLowerCase() as Hex,
          createdBlock: blockNumber,
        });
      }
      const added = store.recordPurchases(CURSOR, to, ours);
      if (added > 0) log("delivery.purchases-seen", { count: added, toBlock: to.toString() });
      cursor = to;
    }
  }

  // ------------------------------------------------------------ terminal states

  async function markDelivered(row: PurchaseRow): Promise<void> {
    const [event] = await publicClient.getContractEvents({
      address,
      abi: databankAbi,
      eventName: "PurchaseFulfilled",
      args: { purchaseId: row.purchaseId },
      fromBlock: row.createdBlock,
    });
    const buyerSealedKey =
      event === undefined ? row.buyerSealedKey : await buyerKeyFor(row, event.args.deliveryCid!);
    store.transaction(() => {
      store.update(row.purchaseId, {
        status: "delivered",
        error: null,
        // K is no longer needed to seal anything: only its buyer-sealed form stays.
        custodianSealedKey: null,
        buyerSealedKey: buyerSealedKey ?? null,
        ...(event === undefined
          ? {}
          : {
              manifestCid: event.args.deliveryCid!,
              recordsRoot: event.args.recordsRoot!,
              recordCount: event.args.recordCount!,
              fulfillTx: event.transactionHash,
            }),
      });
      store.clearSealedKeys(row.purchaseId);
    });
    log("delivery.fulfilled", {
      purchaseId: row.purchaseId.toString(),
      transactionHash: event?.transactionHash,
      deliveryCid: event?.args.deliveryCid,
      recordCount: event?.args.recordCount,
    });
    await checkpoint("fulfilled", { purchaseId: row.purchaseId });
  }

  /**
   * The buyer-sealed K for the manifest that was actually fulfilled: the stored one when it is the
   * manifest this node last built (the normal case), else re-sealed for `deliveryCid` (a superseded
   * fulfil of an earlier manifest, reusing its reserved nonce, got mined instead), else undefined.
   */
  async function buyerKeyFor(row: PurchaseRow, deliveryCid: string): Promise<Hex | undefined> {
    if (row.manifestCid === deliveryCid && row.buyerSealedKey !== undefined) {
      return row.buyerSealedKey;
    }
    if (row.custodianSealedKey === undefined) {
      log("delivery.key-unavailable", { purchaseId: row.purchaseId.toString(), deliveryCid });
      return undefined;
    }
    const binding = await bindingOf(row);
    const deliveryKey = await openDeliveryKey(row.custodianSealedKey, custodianKey, binding, {
      role: "custodian",
    });
    try {
      return await sealDeliveryKey(deliveryKey, fromHex32(row.buyerKey), binding, {
        role: "buyer",
        manifestCid: deliveryCid,
      });
    } finally {
      deliveryKey.fill(0);
    }
  }

  function markRefunded(row: PurchaseRow): void {
    store.transaction(() => {
      store.update(row.purchaseId, { status: "refunded", error: null, custodianSealedKey: null });
      store.clearSealedKeys(row.purchaseId);
    });
    log("delivery.refunded", { purchaseId: row.purchaseId.toString() });
  }

  function markFailed(row: PurchaseRow, reason: string): void {
    store.transaction(() => {
      store.update(row.purchaseId, { status: "failed", error: reason, custodianSealedKey: null });
      store.clearSealedKeys(row.purchaseId);
    });
    log("delivery.failed", { purchaseId: row.purchaseId.toString(), reason });
  }

  // ------------------------------------------------------------ one purchase

  async function deliver(initial: PurchaseRow): Promise<void> {
    let row = initial;
    const onChain = await chainStatus(row.purchaseId);
    if (onChain === "fulfilled") return markDelivered(row);
    if (onChain === "refunded") return markRefunded(row);
    if (row.status === "failed") return; // only a refund can still change a failed purchase
    if (onChain === "none") {
      throw new Error(`purchase ${row.purchaseId} is not on-chain (chain reorganised?)`);
    }

    if (row.fulfillTx !== undefined) {
      const settled = await settleSentFulfil(row);
      if (settled) return;
      row = store.purchase(row.purchaseId)!;
    }

    const latest = await publicClient.getBlock({ blockTag: "latest" });
    if (Number(latest.timestamp) >= row.deadline) {
      return markFailed(
        row,
        `the delivery deadline passed at ${new Date(row.deadline * 1000).toISOString()}; the buyer can take a refund`,
      );
    }

    await retireExpired(row.poolId, Number(latest.timestamp));

    for (let attempt = 0; ; attempt++) {
      const built = await prepareManifest(row);
      const outcome = await exclusive(() => checkAndFulfil(row, built));
      if (outcome === "done") return;
      log("delivery.set-changed", { purchaseId: row.purchaseId.toString(), attempt });
      if (attempt + 1 >= MAX_REBUILDS) {
        throw new Error(`the active set of pool ${row.poolId} kept changing; will retry`);
      }
      row = store.purchase(row.purchaseId)!;
    }
  }

  /**
   * A fulfil was sent before (this run or an earlier one): settles it from its receipt.
   *
   * @returns true when the purchase is now delivered; false when it must be (re)sent.
   */
  async function settleSentFulfil(row: PurchaseRow): Promise<boolean> {
    const hash = row.fulfillTx!;
    let receipt;
    try {
      receipt = await publicClient.getTransactionReceipt({ hash });
    } catch {
      receipt = undefined;
    }
    if (receipt === undefined) {
      let known = true;
      try {
        await publicClient.getTransaction({ hash });
      } catch {
        known = false;
      }
      if (known) {
        // Still in the mempool: wait for it rather than racing it with a second transaction.
        log("delivery.fulfill-waiting", {
          purchaseId: row.purchaseId.toString(),
          transactionHash: hash,
        });
        receipt = await publicClient.waitForTransactionReceipt({ hash, timeout: 120_000 });
      }
    }
    if (receipt?.status === "success") {
      await markDelivered(row);
      return true;
    }
    // Reverted or dropped: forget it. The reserved nonce stays, so a resend replaces any copy
    // still propagating instead of adding a second fulfil.
    store.update(row.purchaseId, { fulfillTx: null });
    log("delivery.fulfill-dropped", {
      purchaseId: row.purchaseId.toString(),
      transactionHash: hash,
      reverted: receipt !== undefined,
    });
    return false;
  }

  /** Retires the pool's expired consents, so that they are not delivered (nor paid). */
  async function retireExpired(poolId: number, now: number): Promise<void> {
    const expired = (await activeSet(poolId)).filter(
      (c) => c.expiresAt !== 0 && c.expiresAt <= now,
    );
    if (expired.length === 0) return;
    await exclusive(async () => {
      for (const { tokenId } of expired) {
        try {
          const call = {
            address,
            abi: databankAbi,
            functionName: "retireExpired",
            args: [tokenId],
            account: walletClient.account,
          } as const;
          const { request } = await publicClient.simulateContract(call);
          const gas = await gasWithinCeiling({
            limit: gasLimit,
            estimate: () => publicClient.estimateContractGas(call),
            simulateAtLimit: () => publicClient.simulateContract({ ...call, gas: gasLimit }),
            message: tooCostly(`retiring expired consent ${tokenId}`),
          });
          const hash = await walletClient.writeContract({
            ...request,
            gas,
            chain: walletClient.chain ?? null,
          });
          await publicClient.waitForTransactionReceipt({ hash });
        } catch (error) {
          // Someone else (the holder, anyone) ended it first: the goal is reached.
          if (decodeDatabankError(error)?.name === "InvalidContributionState") continue;
          throw error;
        }
      }
    });
    log("delivery.retired-expired", { poolId, count: expired.length });
  }

  /** What every seal of this purchase's delivery is bound to. */
  async function bindingOf(row: PurchaseRow): Promise<PurchaseBinding> {
    chainId ??= await publicClient.getChainId();
    return { chainId, databank: address, purchaseId: row.purchaseId };
  }

  /**
   * The purchase's delivery key K: opened from its custodian-sealed form when one is stored (a
   * resumed or rebuilt delivery), else drawn at random and stored sealed to the custodian's own key
   * before anything is sealed under it. Zero it after use.
   */
  async function purchaseDeliveryKey(
    row: PurchaseRow,
    binding: PurchaseBinding,
  ): Promise<Uint8Array> {
    if (row.custodianSealedKey !== undefined) {
      return openDeliveryKey(row.custodianSealedKey, custodianKey, binding, { role: "custodian" });
    }
    const deliveryKey = generateDeliveryKey();
    const sealed = await sealDeliveryKey(deliveryKey, custodianPublicKey, binding, {
      role: "custodian",
    });
    // Keys stored without a K are v1 leftovers (wrapped to the buyer) and a v1 manifest must not
    // be sent any more: both go, in the same step that stores K.
    store.transaction(() => {
      store.clearSealedKeys(row.purchaseId);
      store.update(row.purchaseId, {
        custodianSealedKey: sealed,
        manifestCid: null,
        buyerSealedKey: null,
        setHash: null,
      });
    });
    return deliveryKey;
  }

  /**
   * The manifest for the current active set: the stored one when the set is unchanged, else
   * built (sealing only the record keys not already sealed) and uploaded.
   */
  async function prepareManifest(row: PurchaseRow): Promise<BuiltDelivery> {
    const set = await activeSet(row.poolId);
    const root = recordsRoot(set);
    if (row.manifestCid !== undefined && row.setHash === root && row.buyerSealedKey !== undefined) {
      return { cid: row.manifestCid, root: row.recordsRoot!, count: row.recordCount! };
    }
    const id = row.purchaseId;
    const binding = await bindingOf(row);
    const deliveryKey = await purchaseDeliveryKey(row, binding);
    try {
      const key = await importDeliveryKey(deliveryKey);
      const inSet = new Map(set.map((c) => [c.tokenId, c]));
      const stored = store.sealedKeys(id);
      const stale = stored.filter((k) => inSet.get(k.tokenId)?.dataCid !== k.dataCid);
      if (stale.length > 0)
        store.deleteSealedKeys(
          id,
          stale.map((k) => k.tokenId),
        );
      const have = new Set(
        stored.filter((k) => inSet.get(k.tokenId)?.dataCid === k.dataCid).map((k) => k.tokenId),
      );
      const missing = set.filter((c) => !have.has(c.tokenId));

      let batch = store.lastBatch(id);
      for (let offset = 0; offset < missing.length; offset += batchSize) {
        batch++;
        const chunk = missing.slice(offset, offset + batchSize);
        const keys = await mapLimit(chunk, wrapConcurrency, (c) => reseal(c, key, binding));
        store.storeBatch(id, batch, keys);
        log("delivery.keys-wrapped", {
          purchaseId: id.toString(),
          batch,
          records: keys.length,
          wrappedSoFar: have.size + offset + keys.length,
          total: set.length,
        });
        await checkpoint("keys-wrapped-batch", { purchaseId: id, batch, records: keys.length });
      }

      const manifest = buildManifest({
        ...binding,
        poolId: row.poolId,
        buyer: row.buyer,
        buyerKey: row.buyerKey,
        records: store.sealedKeys(id),
      });
      if (manifest.recordsRoot !== root || manifest.recordCount !== set.length) {
        throw new Error(`purchase ${id}: the sealed keys stored do not match the active set`);
      }
      const cid = await deps.store.put(encodeManifest(manifest));
      // One HPKE operation for the whole delivery, bound to this manifest's CID.
      const buyerSealedKey = await sealDeliveryKey(deliveryKey, fromHex32(row.buyerKey), binding, {
        role: "buyer",
        manifestCid: cid,
      });
      // The manifest CID and the key that opens it are stored in the same statement, so a restart
      // either rebuilds both or reuses both.
      store.update(id, {
        status: "delivering",
        manifestCid: cid,
        buyerSealedKey,
        recordsRoot: root,
        recordCount: set.length,
        setHash: root,
        error: null,
      });
      log("delivery.manifest-uploaded", {
        purchaseId: id.toString(),
        deliveryCid: cid,
        recordsRoot: root,
        recordCount: set.length,
      });
      await checkpoint("manifest-uploaded", { purchaseId: id, cid, root, count: set.length });
      return { cid, root, count: set.length };
    } finally {
      deliveryKey.fill(0);
    }
  }

  /** Opens a record's data key with the custodian key and seals it under the delivery key. */
  async function reseal(
    c: ActiveContribution,
    key: CryptoKey,
    binding: PurchaseBinding,
  ): Promise<StoredSealedKey> {
    let envelope: Uint8Array;
    let dataKey: Uint8Array;
    try {
      envelope = await deps.store.get(c.dataCid);
      dataKey = await unwrapDataKey(envelope, custodianKey);
    } catch (error) {
      throw new Error(
        `record ${c.tokenId} (${c.dataCid}) cannot be re-wrapped: ${errorText(error)}`,
        { cause: error },
      );
    }
    try {
      const sealedKey = await sealRecordKey(key, dataKey, {
        ...binding,
        tokenId: c.tokenId,
        dataCid: c.dataCid,
      });
      return { tokenId: c.tokenId, dataCid: c.dataCid, sealedKey };
    } finally {
      dataKey.fill(0);
    }
  }

  /**
   * Under `exclusive`: checks the active set is still the manifest's, then fulfils and waits for
   * the receipt, so no transaction of this node changes the set in between.
   */
  async function checkAndFulfil(row: PurchaseRow, built: BuiltDelivery): Promise<FulfilOutcome> {
    const id = row.purchaseId;
    const { set, erasureCount } = await activeSetWithErasures(row.poolId);
    if (recordsRoot(set) !== built.root) return "set-changed";

    const purchase: Purchase = {
      id,
      poolId: row.poolId,
      buyer: row.buyer,
      amount: row.amount,
      deadline: row.deadline,
      erasureMark: row.erasureMark,
    };
    const args = [purchase, built.cid, built.root, built.count, erasureCount] as const;
    const call = {
      address,
      abi: databankAbi,
      functionName: "fulfill",
      args,
      account: walletClient.account,
    } as const;
    try {
      await publicClient.simulateContract(call);
    } catch (error) {
      const decoded = decodeDatabankError(error);
      if (decoded?.name === "PurchaseSettled") {
        const now = await chainStatus(id);
        if (now === "fulfilled") await markDelivered(row);
        else markRefunded(row);
        return "done";
      }
      if (decoded?.name === "DeliveryOverdue") {
        markFailed(row, decoded.message);
        return "done";
      }
      // The set changed in a way `erasuresSeen` cannot cover (a contribution joined outside this node).
      if (decoded?.name === "RecordCountMismatch") return "set-changed";
      throw decoded ?? error;
    }

    const gas = await gasWithinCeiling({
      limit: gasLimit,
      estimate: () => publicClient.estimateContractGas(call),
      simulateAtLimit: () => publicClient.simulateContract({ ...call, gas: gasLimit }),
      message: tooCostly(`fulfilling purchase ${id}`),
    });

    // Reserve the nonce before sending: if we die before recording the hash, the resend reuses
    // it, so at most one of the two transactions can ever be mined.
    const account = walletClient.account.address;
    const mined = await publicClient.getTransactionCount({ address: account, blockTag: "latest" });
    const nonce =
      row.fulfillNonce !== undefined && row.fulfillNonce >= mined
        ? row.fulfillNonce
        : await publicClient.getTransactionCount({ address: account, blockTag: "pending" });
    store.update(id, { fulfillNonce: nonce });

    const hash = await walletClient.writeContract({
      address,
      abi: databankAbi,
      functionName: "fulfill",
      args,
      account: walletClient.account,
      chain: walletClient.chain ?? null,
      nonce,
      gas,
    });
    store.update(id, { fulfillTx: hash });
    log("delivery.fulfill-sent", { purchaseId: id.toString(), transactionHash: hash });
    await checkpoint("fulfill-sent", { purchaseId: id, hash });

    const receipt = await publicClient.waitForTransactionReceipt({ hash });
    if (receipt.status !== "success") {
      store.update(id, { fulfillTx: null, fulfillNonce: null });
      throw new Error(`fulfil transaction ${hash} of purchase ${id} reverted`);
    }
    await markDelivered(store.purchase(id)!);
    return "done";
  }

  // ------------------------------------------------------------ passes

  async function runPass(): Promise<void> {
    await scanPurchases();
    const now = Date.now();
    for (const row of store.purchasesIn(["pending", "delivering", "failed"])) {
      const key = row.purchaseId.toString();
      const retry = retries.get(key);
      if (retry !== undefined && retry.nextAt > now) continue;
      try {
        await deliver(row);
        retries.delete(key);
      } catch (error) {
        const failures = (retry?.failures ?? 0) + 1;
        const delay = Math.min(BACKOFF_MAX_MS, BACKOFF_MIN_MS * 2 ** (failures - 1));
        retries.set(key, { failures, nextAt: Date.now() + delay });
        const message = errorText(error);
        store.update(row.purchaseId, { error: message });
        log("delivery.error", { purchaseId: key, error: message, retryInMs: delay });
      }
    }
  }

  function deliverPending(): Promise<void> {
    const next = pass.then(runPass);
    pass = next.catch(() => undefined);
    return next;
  }

  function schedule(): void {
    if (!running) return;
    timer = setTimeout(() => {
      deliverPending()
        .catch((error) => log("delivery.pass-error", { error: errorText(error) }))
        .finally(schedule);
    }, pollIntervalMs);
  }

  /**
   * Whether the delivery key may be released: `fulfill` succeeded in a block that now has at least
   * `confirmations` confirmations (asked of the chain each time until then, so a fulfil reorganised
   * away is not counted).
   */
  async function isFinal(row: PurchaseRow): Promise<boolean> {
    if (row.buyerSealedKey === undefined || row.fulfillTx === undefined) return false;
    if (released.has(row.purchaseId)) return true;
    let receipt;
    try {
      receipt = await publicClient.getTransactionReceipt({ hash: row.fulfillTx });
    } catch {
      return false;
    }
    if (receipt.status !== "success") return false;
    const latest = await publicClient.getBlockNumber({ cacheTime: 0 });
    if (latest - receipt.blockNumber + 1n < confirmations) return false;
    released.add(row.purchaseId);
    return true;
  }

  return {
    start() {
      if (running) return;
      running = true;
      deliverPending()
        .catch((error) => log("delivery.pass-error", { error: errorText(error) }))
        .finally(schedule);
    },
    async stop() {
      running = false;
      if (timer !== undefined) clearTimeout(timer);
      await pass;
    },
    deliverPending,
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
        if (await isFinal(row)) view.deliveryKey = row.buyerSealedKey!;
      }
      if (row.error !== undefined && row.status !== "delivered") view.error = row.error;
      return view;
    },
  };
}

/** Maps with at most `limit` calls in flight; results in input order. */
async function mapLimit<T, R>(
  items: readonly T[],
  limit: number,
  fn: (item: T) => Promise<R>,
): Promise<R[]> {
  const results: R[] = new Array(items.length);
  let next = 0;
  const work = async (): Promise<void> => {
    while (next < items.length) {
      const index = next++;
      results[index] = await fn(items[index]!);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, work));
  return results;
}

function errorText(error: unknown): string {
  return (error instanceof Error ? error.message : String(error)).split("\n")[0]!;
}
