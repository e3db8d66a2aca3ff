/**
 * A real Databank on an in-process Hardhat network plus a real (in-memory) Helia store, with the
 * actors of a delivery: a curator's pool whose custodian has an X25519 key, contributors who seal
 * records and join through relayed consents, buyers who pay and open their delivery.
 */
import { DatabaseSync } from "node:sqlite";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { network } from "hardhat";
import {
  createWalletClient,
  custom,
  decodeFunctionData,
  parseEther,
  parseEventLogs,
  zeroAddress,
  type Address,
  type Hex,
} from "viem";
import { generatePrivateKey, privateKeyToAccount, type PrivateKeyAccount } from "viem/accounts";
import { databankAbi } from "../../../lib/contracts/abis.js";
import {
  consentRequestArgs,
  createDatabankClient,
  type Purchase,
} from "../../../lib/contracts/client.js";
import {
  generateKeyPair,
  sealEnvelope,
  toHex32,
  type X25519KeyPair,
} from "../../../lib/crypto/index.js";
import { openDelivery, type DeliveredRecord } from "../../../lib/delivery/index.js";
import type { ContentStore } from "../../../lib/storage/types.js";
import { createHeliaStore, type HeliaContentStore } from "../../../lib/storage/index.js";
import {
  createDeliveryWorker,
  type DeliveryWorker,
  type DeliveryWorkerDeps,
} from "../../../service/custodian/delivery.js";
import { jsonBytes, sampleRecord } from "./helpers.js";
import { deployDatabankWithViem } from "../../../scripts/stack/deploy.js";

export const PRICE = parseEther("1");
export const DELIVERY_WINDOW = 86_400;

/** One contribution made in the fixture. */
export interface Contribution {
  tokenId: bigint;
  dataCid: string;
  plaintext: Uint8Array;
  contributor: PrivateKeyAccount;
  /** The contributor's own X25519 key pair: its entry in the envelope opens with it. */
  contributorKeys: X25519KeyPair;
}

/** Options of {@link createChainFixture}. */
export interface ChainFixtureOptions {
  /** The pool's k-anonymity threshold; default 1. */
  minContributors?: number;
}

/** Deploys a Databank and opens one pool custodied by a fresh X25519 key. */
export async function createChainFixture(store: ContentStore, options: ChainFixtureOptions = {}) {
  const connection = await network.create();
  const { viem, networkHelpers } = connection;
  const publicClient = await viem.getPublicClient();
  const testClient = await viem.getTestClient();
  const [owner, treasury, curator, custodianWallet, ...buyers] = await viem.getWalletClients();
  const { databank: deployed } = await deployDatabankWithViem(viem, {
    owner: owner.account.address,
    treasury: treasury.account.address,
  });
  const address = deployed.address;
  const deployBlock = await publicClient.getBlockNumber();
  const custodianKeys = generateKeyPair();
  const custodian = createDatabankClient({ publicClient, walletClient: custodianWallet, address });
  const reader = createDatabankClient({ publicClient, address });
  const contributions: Contribution[] = [];

  async function createPool(custodianAddress: Address = custodianWallet.account.address) {
    const asCurator = createDatabankClient({ publicClient, walletClient: curator, address });
    await publicClient.waitForTransactionReceipt({
      hash: await asCurator.contract.write.createPool([
        {
          paymentToken: zeroAddress,
          price: PRICE,
          contributorShareBps: 7_000,
          minContributors: options.minContributors ?? 1,
          maxContributors: 0,
          bountyPerContribution: 0n,
          deliveryWindow: DELIVERY_WINDOW,
          purposes: 3,
          custodian: custodianAddress,
          custodianKey: toHex32(custodianKeys.publicKey),
          schemaCid: "bafkreischema",
          termsCid: "bafkreiterms",
          products: 1,
          queryPrice: 0n,
          epsilonBudget: 0,
          maxEpsilonPerQuery: 0,
        },
      ]),
    });
    return reader.contract.read.poolCount();
  }

  const poolId = await createPool();

  /** Seals a record to the custodian and the contributor, stores it and relays its consent. */
  async function contribute(
    index: number,
    opts: {
      poolId?: number;
      expiresAt?: number;
      sealTo?: X25519KeyPair;
      relayer?: typeof custodian;
    } = {},
  ): Promise<Contribution> {
    const relayer = opts.relayer ?? custodian;
    const contributor = privateKeyToAccount(generatePrivateKey());
    const plaintext = jsonBytes(sampleRecord(index));
    const contributorKeys = generateKeyPair();
    const envelope = await sealEnvelope({
      plaintext,
      contentType: "application/json",
      recipients: [
        { role: "custodian", publicKey: (opts.sealTo ?? custodianKeys).publicKey },
        { role: "contributor", publicKey: contributorKeys.publicKey },
      ],
      binding: {
        chainId: await publicClient.getChainId(),
        databank: address,
        poolId: opts.poolId ?? poolId,
        contributor: contributor.address,
      },
    });
    const dataCid = await store.put(envelope);
    const request = {
      contributor: contributor.address,
      poolId: opts.poolId ?? poolId,
      dataCid,
      expiresAt: opts.expiresAt ?? 0,
      deadline: 2n ** 40n,
      scope: 1,
    };
    const signature = await contributor.signTypedData(await relayer.consentTypedData(request));
    const receipt = await publicClient.waitForTransactionReceipt({
      hash: await relayer.contract.write.contributeWithSignature([
        consentRequestArgs(request),
        signature,
      ]),
    });
    const [granted] = parseEventLogs({
      abi: databankAbi,
      eventName: "ConsentGranted",
      logs: receipt.logs,
    });
    const contribution = {
      tokenId: granted!.args.contributionId,
      dataCid,
      plaintext,
      contributor,
      contributorKeys,
    };
    contributions.push(contribution);
    return contribution;
  }

  /** The contributor revokes its consent from its own wallet. */
  async function revoke(contribution: Contribution): Promise<void> {
    await testClient.setBalance({
      address: contribution.contributor.address,
      value: parseEther("1"),
    });
    const wallet = createWalletClient({
      account: contribution.contributor,
      chain: publicClient.chain,
      transport: custom(connection.provider),
    });
    const hash = await wallet.writeContract({
      address,
      abi: databankAbi,
      functionName: "revokeConsent",
      args: [contribution.tokenId],
    });
    await publicClient.waitForTransactionReceipt({ hash });
  }

  /** A buyer (wallet `index`) pays for the pool with a fresh X25519 key. */
  async function buy(
    index = 0,
    pool = poolId,
  ): Promise<{ purchase: Purchase; keys: X25519KeyPair }> {
    const keys = generateKeyPair();
    const asBuyer = createDatabankClient({ publicClient, walletClient: buyers[index]!, address });
    const receipt = await publicClient.waitForTransactionReceipt({
      hash: await asBuyer.contract.write.purchase([pool, PRICE, toHex32(keys.publicKey)], {
        value: PRICE,
      }),
    });
    return { purchase: asBuyer.purchaseFromEvent(receipt), keys };
  }

  /** A local wallet (funded here) pays for the pool with its own X25519 public key. */
  async function buyAs(account: PrivateKeyAccount, buyerKey: Hex): Promise<Purchase> {
    await testClient.setBalance({ address: account.address, value: parseEther("10") });
    const wallet = createWalletClient({
      account,
      chain: publicClient.chain,
      transport: custom(connection.provider),
    });
    const asBuyer = createDatabankClient({ publicClient, walletClient: wallet, address });
    const receipt = await publicClient.waitForTransactionReceipt({
      hash: await asBuyer.contract.write.purchase([poolId, PRICE, buyerKey], { value: PRICE }),
    });
    return asBuyer.purchaseFromEvent(receipt);
  }

  /**
   * Opens a fulfilled purchase as its buyer would, from the chain's events and the store, with the
   * delivery key `node` released (`deliveryKey` of its status, asked when a v2 manifest needs it).
   */
  async function openAsBuyer(
    purchaseId: bigint,
    keys: X25519KeyPair,
    node: Pick<DeliveryWorker, "status">,
  ): Promise<DeliveredRecord[]> {
    const [created] = await reader.contract.getEvents.PurchaseCreated(
      { purchaseId },
      { fromBlock: deployBlock },
    );
    const [fulfilled] = await reader.contract.getEvents.PurchaseFulfilled(
      { purchaseId },
      { fromBlock: deployBlock },
    );
    if (fulfilled === undefined) throw new Error(`purchase ${purchaseId} is not fulfilled`);
    return openDelivery({
      manifest: await store.get(fulfilled.args.deliveryCid!),
      expected: {
        recordsRoot: fulfilled.args.recordsRoot!,
        recordCount: fulfilled.args.recordCount!,
        buyerKey: created!.args.buyerKey!,
        purchaseId,
        databank: address,
        chainId: await publicClient.getChainId(),
      },
      fetchContent: (cid) => store.get(cid),
      buyerPrivateKey: keys.privateKey,
      deliveryKey: async () => (await node.status(purchaseId))?.deliveryKey,
    });
  }

  /** Every `fulfill` transaction the custodian sent: purchase id and receipt status. */
  async function fulfilTransactions(): Promise<
    { purchaseId: bigint; status: string; hash: Hex }[]
  > {
    const latest = await publicClient.getBlockNumber();
    const sent: { purchaseId: bigint; status: string; hash: Hex }[] = [];
    for (let n = deployBlock; n <= latest; n++) {
      const block = await publicClient.getBlock({ blockNumber: n, includeTransactions: true });
      for (const tx of block.transactions) {
        if (tx.from.toLowerCase() !== custodianWallet.account.address.toLowerCase()) continue;
        if (tx.to?.toLowerCase() !== address.toLowerCase()) continue;
        const call = decodeFunctionData({ abi: databankAbi, data: tx.input });
        if (call.functionName !== "fulfill") continue;
        const receipt = await publicClient.getTransactionReceipt({ hash: tx.hash });
        sent.push({
          purchaseId: (call.args[0] as Purchase).id,
          status: receipt.status,
          hash: tx.hash,
        });
      }
    }
    return sent;
  }

  /** `PurchaseFulfilled` events of a purchase. */
  async function fulfilledEvents(purchaseId: bigint) {
    return reader.contract.getEvents.PurchaseFulfilled({ purchaseId }, { fromBlock: deployBlock });
  }

  /** A worker on `db` with the custodian's keys; `overrides` replace any dependency. */
  function worker(db: DatabaseSync, overrides: Partial<DeliveryWorkerDeps> = {}): DeliveryWorker {
    return createDeliveryWorker({
      db,
      databank: custodian,
      store,
      custodianAddress: custodianWallet.account.address,
      custodianPrivateKey: custodianKeys.privateKey,
      pollIntervalMs: 50,
      fromBlock: deployBlock,
      ...overrides,
    });
  }

  /** A Databank client sending from another wallet (index into the buyers' wallets). */
  function clientOf(index: number) {
    return createDatabankClient({ publicClient, walletClient: buyers[index]!, address });
  }

  return {
    connection,
    clientOf,
    viem,
    networkHelpers,
    publicClient,
    testClient,
    address,
    deployBlock,
    poolId,
    custodianKeys,
    custodian,
    reader,
    contributions,
    createPool,
    contribute,
    revoke,
    buy,
    buyAs,
    openAsBuyer,
    fulfilTransactions,
    fulfilledEvents,
    worker,
  };
}

export type ChainFixture = Awaited<ReturnType<typeof createChainFixture>>;

/** A temporary directory for SQLite files, removed by `dispose`. */
export async function tempDir(): Promise<{ path: string; dispose: () => Promise<void> }> {
  const path = await mkdtemp(join(tmpdir(), "databank-delivery-"));
  return { path, dispose: () => rm(path, { recursive: true, force: true }) };
}

/** Plaintexts by token id, to compare deliveries. */
export function plaintextsById(records: readonly { tokenId: bigint; plaintext: Uint8Array }[]) {
  return new Map(
    records.map((r) => [r.tokenId.toString(), Buffer.from(r.plaintext).toString("hex")]),
  );
}

/**
 * What a delivery test suite shares: a Helia store, a temporary directory and the SQLite databases
 * opened in it, created before its tests and closed and removed after them. Call inside `describe`.
 * @param prefix - names the suite's database files (`<prefix>-<n>.sqlite`).
 */
export function useDeliveryTestEnv(prefix: string) {
  let store: HeliaContentStore | undefined;
  let dir: Awaited<ReturnType<typeof tempDir>> | undefined;
  const databases: DatabaseSync[] = [];
  let counter = 0;
  before(async () => {
    store = await createHeliaStore();
    dir = await tempDir();
  });
  after(async () => {
    for (const db of databases) if (db.isOpen) db.close();
    await store?.stop();
    await dir?.dispose();
  });
  const env = {
    /** The suite's Helia store (in memory, on loopback). */
    get store(): HeliaContentStore {
      return store!;
    },
    /** A fresh database file path in the suite's directory. */
    dbPath: (): string => join(dir!.path, `${prefix}-${counter++}.sqlite`),
    /** Opens the database at `path` (a fresh one by default); it is closed after the suite. */
    openDb(path: string = env.dbPath()): DatabaseSync {
      const db = new DatabaseSync(path);
      databases.push(db);
      return db;
    },
  };
  return env;
}
