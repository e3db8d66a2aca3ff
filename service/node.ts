/**
 * `startDatabankNode`: composes the content store, the chain clients, the database, the
 * transaction queue, the acceptance worker and the HTTP app, and serves the app.
 */
import { serve, type ServerType } from "@hono/node-server";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import type { DatabaseSync } from "node:sqlite";
import type { Hono } from "hono";
import {
  bytesToHex,
  createPublicClient,
  createWalletClient,
  defineChain,
  type Address,
  type Hex,
} from "viem";
import { privateKeyToAccount } from "viem/accounts";
import { ConfigError, resolveDatabankAddress, type DatabankConfig } from "../lib/config/index.js";
import { createDatabankClient } from "../lib/contracts/index.js";
import { createContentStore, type ContentStore } from "../lib/storage/index.js";
import { createApp, type DeliveryStatusSource } from "./app.js";
import type { CustodianDatabank, CustodianWalletClient, NodePublicClient } from "./chain.js";
import { createAcceptanceWorker, type AcceptanceWorker } from "./custodian/acceptance.js";
import { createContributionChecker } from "./custodian/checks.js";
import { createAcceptedKeys } from "./custodian/acceptedKeys.js";
import {
  createDeliveryWorker,
  createKeyCustody,
  type DeliveryCheckpoint,
  type DeliveryWorker,
} from "./custodian/delivery.js";
import { createPoolDirectory } from "./custodian/pools.js";
import { createQueryWorker, type QueryWorker } from "./custodian/queries.js";
import { AcceptanceRecords } from "./custodian/records.js";
import { recoverReservations, type ContributionCheckpointHook } from "./custodian/reservations.js";
import { openDatabase } from "./db.js";
import { silentLogger, type LogFields, type Logger } from "./log.js";
import { createTransactionQueue, type TransactionQueue } from "./transactions.js";
import { bindDatabaseToDeployment } from "./deploymentBinding.js";
import { createCustodianKeyCheck, type CustodianKeyCheck } from "./custodian/keyCheck.js";
import { rpcTransport } from "./rpc.js";
import { createContentGc, type ContentGc } from "./content/gc.js";
import { GcGate } from "./content/gcGate.js";
import { ContentReferences } from "./content/references.js";
import { trackStoredContent } from "./content/trackingStore.js";
import { UploadLog } from "./content/uploadLog.js";

/**
 * How long a garbage collection round waits for uploads in flight (new ones wait behind it)
 * before skipping its round: short, so uploads are never held back for long.
 */
const GC_MAX_WAIT_FOR_WRITES_MS = 2_000;

/** Optional behaviour of {@link startDatabankNode}. */
export interface NodeHooks {
  /** Where log lines go; default silent. `service/main.ts` passes a console logger. */
  logger?: Logger;
  /** First block the workers scan on a fresh database; default `config.startBlock`. */
  acceptanceFromBlock?: bigint;
  /** Replaces the delivery worker as the source of `GET /v1/purchases/{id}/delivery` (API tests). */
  deliveries?: DeliveryStatusSource;
  /**
   * Test hook awaited by the relay and the acceptance worker after each durable step (see
   * ContributionCheckpoint).
   */
  contributionCheckpoint?: ContributionCheckpointHook;
  /** Test hook awaited by the delivery worker after each durable step (see DeliveryCheckpoint). */
  deliveryCheckpoint?: (name: DeliveryCheckpoint, info: Record<string, unknown>) => Promise<void>;
  /** Whether to start the workers; default true (tests drive them with `pollOnce`/`deliverPending`). */
  startWorkers?: boolean;
  /** Clock of the relay rate limiter (unix ms). */
  now?: () => number;
  /**
   * Clock of garbage collection and of the upload log it reads (unix ms); default `Date.now`.
   * Tests set it to place uploads and ended consents before or after the grace period.
   */
  gcNow?: () => number;
  /** How long a download may wait for its client to take the next chunk (tests shorten it). */
  downloadStallTimeoutMs?: number;
}

/** Parameters of {@link startDatabankNode}. */
export interface StartDatabankNodeParams {
  /** From `loadConfig({ requireCustodian: true })`. */
  config: DatabankConfig;
  /** Injected chain access (tests: Hardhat's in-process clients); default from `config.rpcUrl`. */
  publicClient?: NodePublicClient;
  /** Must use the custodian's account (config.custodian.privateKey); default from `config.rpcUrl`. */
  walletClient?: CustodianWalletClient;
  /** Injected content store (stopped by the node); default `createContentStore(config.storage)`. */
  store?: ContentStore;
  hooks?: NodeHooks;
}

/** A running node. */
export interface DatabankNode {
  /** Base URL of the HTTP API, e.g. http://127.0.0.1:8787. */
  url: string;
  /** The custodian's EVM address. */
  address: Address;
  /** The custodian's X25519 public key (hex, 32 bytes). */
  custodianPublicKey: Hex;
  app: Hono;
  store: ContentStore;
  db: DatabaseSync;
  databank: CustodianDatabank;
  acceptance: AcceptanceWorker;
  delivery: DeliveryWorker;
  /** Answers (or rejects) query purchases, sharing the delivery's queue, key custody and gas limit. */
  queries: QueryWorker;
  /** Garbage collection of unreferenced content (periodic unless DATABANK_GC_INTERVAL_MS=0). */
  gc: ContentGc;
  /** The custodian's transaction queue: every transaction of this account goes through it. */
  exclusive: TransactionQueue["exclusive"];
  /** Stops the server, the workers, then closes the database and the store. */
  stop(): Promise<void>;
}

/**
 * Starts the data bank node.
 *
 * @throws ConfigError when the custodian's keys are missing, the injected wallet is not the
 *   custodian's account, or no Databank address is known for the chain.
 */
export async function startDatabankNode(params: StartDatabankNodeParams): Promise<DatabankNode> {
  const { config } = params;
  const hooks = params.hooks ?? {};
  const logger = hooks.logger ?? silentLogger;
  const secrets = config.custodian;
  if (secrets === undefined) {
    throw new ConfigError(
      "DATABANK_CUSTODIAN_PRIVATE_KEY",
      "the node needs the custodian's keys (see docs/data-bank-node.md)",
    );
  }

  const { publicClient, walletClient } = await chainClients(params, secrets.privateKey);
  if (walletClient.account.address.toLowerCase() !== secrets.address.toLowerCase()) {
    throw new ConfigError(
      "DATABANK_CUSTODIAN_PRIVATE_KEY",
      `the wallet client's account ${walletClient.account.address} is not the custodian's ${secrets.address}`,
    );
  }
  const chainId = await publicClient.getChainId();
  const databank: CustodianDatabank = createDatabankClient({
    publicClient,
    walletClient,
    address: resolveDatabankAddress(config, chainId),
  });

  // Resources are opened in order and closed in reverse, also when a later step fails.
  const cleanups: (() => Promise<void> | void)[] = [];
  const closeAll = async () => {
    for (const cleanup of cleanups.reverse()) {
      try {
        await cleanup();
      } catch (error) {
        logger.error("node: error while stopping", { problem: (error as Error).message });
      }
    }
  };
  try {
    const ownStore = params.store ?? (await createContentStore(storageOptions(config)));
    cleanups.push(() => ownStore.stop());
    const db = openDatabase(join(config.dataDir, "node.sqlite"));
    cleanups.push(() => db.close());
    // Every put and pin of the node goes through this wrapper: logged with its time (its grace
    // starts) and kept apart from garbage collection rounds.
    const uploads = new UploadLog(db);
    const gcGate = new GcGate({ maxWaitMs: GC_MAX_WAIT_FOR_WRITES_MS });
    const store = trackStoredContent({
      store: ownStore,
      log: uploads,
      gate: gcGate,
      now: hooks.gcNow ?? Date.now,
    });
    // Before any worker reads or writes it: a database of another deployment (or of this chain
    // before a reset) would report deliveries whose transactions do not exist.
    await bindDatabaseToDeployment({
      db,
      dataDir: config.dataDir,
      chainId,
      databank: databank.address,
      publicClient,
    });
    const keyCheck = createCustodianKeyCheck({
      databank,
      custodian: secrets.address,
      publicKey: secrets.x25519PublicKey,
    });
    await warnOfKeyMismatch(keyCheck, logger);

    const queue = createTransactionQueue();
    const records = new AcceptanceRecords(db);
    // One key custody for the node: the relay and the acceptance worker keep each accepted
    // record's data key in it, and the delivery worker reads (and shreds) them there.
    const keyCustody = createKeyCustody({
      db,
      custodianPrivateKey: secrets.x25519PrivateKey,
      log: (event, fields) => logger.info(event, logFields(fields)),
    });
    const acceptedKeys = createAcceptedKeys({
      custody: keyCustody,
      chainId,
      databank: databank.address,
      logger,
    });
    const pools = createPoolDirectory({ databank, store });
    // The worker may fetch envelopes from the IPFS network; the HTTP routes only use envelopes
    // uploaded to this node (so a relay request cannot make the node wait on the network).
    const checker = (localOnly: boolean) =>
      createContributionChecker({
        chainId,
        databank: databank.address,
        store,
        pools,
        records,
        secrets,
        maxEnvelopeBytes: config.node.maxUploadBytes,
        localOnly,
      });
    const acceptance = createAcceptanceWorker({
      databank,
      records,
      pools,
      checker: checker(false),
      store,
      exclusive: queue.exclusive,
      logger,
      pollIntervalMs: config.node.pollIntervalMs,
      gasLimit: BigInt(config.node.acceptanceGasLimit),
      fromBlock: hooks.acceptanceFromBlock ?? config.startBlock,
      checkpoint: hooks.contributionCheckpoint,
      acceptedKeys,
    });
    cleanups.push(() => acceptance.stop());
    // Fingerprints a crash left reserved are settled from the chain before any request is served
    // (a failure here is retried at every acceptance poll, and by a relay of the same record).
    await recoverReservations({ databank, records, exclusive: queue.exclusive, logger }).catch(
      (error: unknown) =>
        logger.warn("reservation: recovery postponed", {
          problem: error instanceof Error ? error.message : String(error),
        }),
    );
    if (hooks.startWorkers !== false) acceptance.start();

    const delivery = createDeliveryWorker({
      db,
      databank,
      store,
      custodianAddress: secrets.address,
      custodianPrivateKey: secrets.x25519PrivateKey,
      exclusive: queue.exclusive,
      pollIntervalMs: config.node.pollIntervalMs,
      batchSize: config.node.deliveryBatchSize,
      gasLimit: BigInt(config.node.deliveryGasLimit),
      confirmations: config.node.deliveryConfirmations,
      keyCustody,
      fromBlock: hooks.acceptanceFromBlock ?? config.startBlock,
      log: (event, fields) => logger.info(event, logFields(fields)),
      checkpoint: hooks.deliveryCheckpoint,
    });
    cleanups.push(() => delivery.stop());
    if (hooks.startWorkers !== false) delivery.start();
    const deliveries = hooks.deliveries ?? delivery;

    // Queries share the delivery's transaction queue (one nonce sequence), key custody (records'
    // data keys kept at rest, shredded on revocation) and gas ceiling.
    const queries = createQueryWorker({
      db,
      databank,
      store,
      custodianAddress: secrets.address,
      custodianPrivateKey: secrets.x25519PrivateKey,
      keyCustody,
      exclusive: queue.exclusive,
      pollIntervalMs: config.node.pollIntervalMs,
      gasLimit: BigInt(config.node.deliveryGasLimit),
      confirmations: config.node.deliveryConfirmations,
      fromBlock: hooks.acceptanceFromBlock ?? config.startBlock,
      log: (event, fields) => logger.info(event, logFields(fields)),
    });
    cleanups.push(() => queries.stop());
    if (hooks.startWorkers !== false) queries.start();

    const gc = createContentGc({
      store: ownStore,
      log: uploads,
      gate: gcGate,
      references: new ContentReferences({
        publicClient,
        databank: databank.address,
        db,
        fromBlock: hooks.acceptanceFromBlock ?? config.startBlock,
      }),
      graceSeconds: config.node.gcGraceSeconds,
      intervalMs: config.node.gcIntervalMs,
      logger,
      now: hooks.gcNow,
    });
    cleanups.push(() => gc.stop());
    if (hooks.startWorkers !== false) gc.start();

    const app = createApp({
      chainId,
      databank,
      custodianPublicKey: secrets.x25519PublicKey,
      store,
      pools,
      checker: checker(true),
      records,
      acceptedKeys,
      exclusive: queue.exclusive,
      contributionCheckpoint: hooks.contributionCheckpoint,
      deliveries,
      answers: queries,
      keyCheck,
      logger,
      config: config.node,
      now: hooks.now,
      downloadStallTimeoutMs: hooks.downloadStallTimeoutMs,
    });
    const server = await listen(app, config.node.host, config.node.port);
    cleanups.push(() => closeServer(server));
    const { port } = server.address() as AddressInfo;
    const host = config.node.host.includes(":") ? `[${config.node.host}]` : config.node.host;
    const url = `http://${host}:${port}`;

    let stopping: Promise<void> | undefined;
    return {
      url,
      address: secrets.address,
      custodianPublicKey: bytesToHex(secrets.x25519PublicKey),
      app,
      store,
      db,
      databank,
      acceptance,
      delivery,
      queries,
      gc,
      exclusive: queue.exclusive,
      stop: () => (stopping ??= closeAll()),
    };
  } catch (error) {
    await closeAll();
    throw error;
  }
}

async function chainClients(
  params: StartDatabankNodeParams,
  privateKey: Hex,
): Promise<{ publicClient: NodePublicClient; walletClient: CustodianWalletClient }> {
  if (params.publicClient && params.walletClient) {
    return { publicClient: params.publicClient, walletClient: params.walletClient };
  }
  const transport = rpcTransport({
    url: params.config.rpcUrl,
    timeoutMs: params.config.rpcTimeoutMs,
    retryCount: params.config.rpcRetryCount,
  });
  const chainId = await createPublicClient({ transport }).getChainId();
  // A minimal chain definition: the node only needs the id (viem checks it before sending).
  const chain = defineChain({
    id: chainId,
    name: `chain ${chainId}`,
    nativeCurrency: { name: "Ether", symbol: "ETH", decimals: 18 },
    rpcUrls: { default: { http: [params.config.rpcUrl] } },
  });
  return {
    publicClient: params.publicClient ?? createPublicClient({ chain, transport }),
    walletClient:
      params.walletClient ??
      createWalletClient({ account: privateKeyToAccount(privateKey), chain, transport }),
  };
}

/**
 * Logs, at start, the pools whose on-chain custodian key is not this node's: their deliveries
 * would otherwise fail one by one with no sign of why. A chain read failure does not stop the start
 * (the check runs again on every `GET /health`).
 */
async function warnOfKeyMismatch(keyCheck: CustodianKeyCheck, logger: Logger): Promise<void> {
  try {
    const mismatch = await keyCheck.mismatch();
    if (mismatch !== undefined) {
      logger.warn(`CUSTODIAN KEY MISMATCH: ${mismatch.message}`, {
        pools: mismatch.pools.join(","),
      });
    }
  } catch (error) {
    logger.warn("could not compare the custodian key with the pools' keys", {
      problem: (error as Error).message,
    });
  }
}

/** The delivery worker's structured fields as flat log fields (objects as JSON). */
function logFields(fields: Record<string, unknown>): LogFields {
  const flat: LogFields = {};
  for (const [key, value] of Object.entries(fields)) {
    flat[key] =
      value === null || typeof value === "object"
        ? JSON.stringify(value, (_, v: unknown) => (typeof v === "bigint" ? v.toString() : v))
        : (value as LogFields[string]);
  }
  return flat;
}

function storageOptions(config: DatabankConfig) {
  return config.storage.backend === "helia"
    ? { backend: "helia" as const, dataDir: config.storage.dataDir, listen: config.storage.listen }
    : { backend: "kubo" as const, url: config.storage.url, headers: config.storage.headers };
}

function listen(app: Hono, hostname: string, port: number): Promise<ServerType> {
  return new Promise((resolve, reject) => {
    const server = serve({ fetch: app.fetch, hostname, port }, () => resolve(server));
    server.once("error", reject);
  });
}

function closeServer(server: ServerType): Promise<void> {
  return new Promise((resolve) => {
    // Idle keep-alive sockets would hold close() open; in-flight requests finish first.
    if ("closeIdleConnections" in server) server.closeIdleConnections();
    server.close(() => resolve());
  });
}
