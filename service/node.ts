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
  http,
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
import { createPoolDirectory } from "./custodian/pools.js";
import { AcceptanceRecords } from "./custodian/records.js";
import { openDatabase } from "./db.js";
import { silentLogger, type Logger } from "./log.js";
import { createTransactionQueue, type TransactionQueue } from "./transactions.js";

/** Optional behaviour of {@link startDatabankNode}. */
export interface NodeHooks {
  /** Where log lines go; default silent. `service/main.ts` passes a console logger. */
  logger?: Logger;
  /** First block the acceptance worker scans on a fresh database; default 0. */
  acceptanceFromBlock?: bigint;
  /** Delivery states for `GET /v1/purchases/{id}/delivery` until the delivery worker is wired in. */
  deliveries?: DeliveryStatusSource;
  /** Whether to start the acceptance worker; default true (tests drive it with `pollOnce`). */
  startWorkers?: boolean;
  /** Clock of the relay rate limiter (unix ms). */
  now?: () => number;
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
  /** The custodian's transaction queue: every transaction of this account goes through it. */
  exclusive: TransactionQueue["exclusive"];
  /** Stops the server, the workers, then closes the database and the store. */
  stop(): Promise<void>;
}

/** Delivery states before the delivery worker is wired in: every purchase is unknown. */
const noDeliveries: DeliveryStatusSource = { status: async () => undefined };

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
    const store = params.store ?? (await createContentStore(storageOptions(config)));
    cleanups.push(() => store.stop());
    const db = openDatabase(join(config.dataDir, "node.sqlite"));
    cleanups.push(() => db.close());

    const queue = createTransactionQueue();
    const records = new AcceptanceRecords(db);
    const pools = createPoolDirectory({ databank, store });
    const maxEnvelopeBytes = config.node.maxUploadBytes;
    const acceptance = createAcceptanceWorker({
      databank,
      records,
      pools,
      checker: createContributionChecker({
        store,
        pools,
        records,
        secrets,
        maxEnvelopeBytes,
        localOnly: false,
      }),
      exclusive: queue.exclusive,
      logger,
      pollIntervalMs: config.node.pollIntervalMs,
      fromBlock: hooks.acceptanceFromBlock,
    });
    cleanups.push(() => acceptance.stop());
    if (hooks.startWorkers !== false) acceptance.start();

    // ------------------------------------------------------------ delivery worker
    // INTEGRATION POINT: start the delivery worker here (service/custodian/delivery.ts,
    // `createDeliveryWorker`) with { databank, store, db, exclusive: queue.exclusive, secrets,
    // logger, pollIntervalMs }, push its stop() onto `cleanups`, and pass it as `deliveries`
    // to createApp below in place of `hooks.deliveries ?? noDeliveries`.
    const deliveries = hooks.deliveries ?? noDeliveries;
    // ------------------------------------------------------------

    const app = createApp({
      chainId,
      databank,
      custodianPublicKey: secrets.x25519PublicKey,
      store,
      pools,
      checker: createContributionChecker({
        store,
        pools,
        records,
        secrets,
        maxEnvelopeBytes,
        localOnly: true,
      }),
      records,
      exclusive: queue.exclusive,
      deliveries,
      logger,
      config: config.node,
      now: hooks.now,
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
  const transport = http(params.config.rpcUrl);
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

function storageOptions(config: DatabankConfig) {
  return config.storage.backend === "helia"
    ? { backend: "helia" as const, dataDir: config.storage.dataDir, listen: config.storage.listen }
    : { backend: "kubo" as const, url: config.storage.url };
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
