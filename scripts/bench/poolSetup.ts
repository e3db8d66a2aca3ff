/**
 * A pool of N active contributions, set up quickly for the benchmarks that measure a purchase over
 * it (scripts/bench/delivery.ts, scripts/bench/queryE2e.ts), on an in-process Hardhat network with
 * an in-memory Helia store.
 *
 * The chain is real but set up with a shortcut (setup time is reported, not part of any figure):
 * the envelopes are real (sealed to the custodian and a contributor, stored in Helia), but instead
 * of one relayed consent per contribution, a small batch contract compiled here with solc-js
 * (BenchBatch, not part of the project's contracts) submits a few hundred contributions per
 * transaction (`submitContribution`, the batch contract being the contributor), and the custodian
 * accepts them a few hundred per transaction (`acceptContribution`) through EIP-7702: the
 * custodian's own account delegates to the batch contract's code and calls itself, so the
 * Databank sees the custodian as the sender. The events and state the workers read
 * (`ContributionSubmitted`, `ConsentGranted`, the pool's counts) are the same as with relays.
 *
 * The keys are kept at acceptance, as the node does (service/custodian/acceptedKeys.ts): setup
 * unwraps each envelope's key once with the custodian's key, as the acceptance check does, and
 * keeps it in the key custody the returned database holds.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { DatabaseSync } from "node:sqlite";
import { network } from "hardhat";
import solc from "solc";
import {
  bytesToHex,
  createWalletClient,
  custom,
  parseEther,
  type Abi,
  type Account,
  type Chain,
  type Hex,
  type PublicClient,
  type Transport,
  type WalletClient,
} from "viem";
import { generatePrivateKey, privateKeyToAccount, type PrivateKeyAccount } from "viem/accounts";
import { createDatabankClient, type ConsentScopeBits } from "../../lib/contracts/client.js";
import {
  generateKeyPair,
  sealEnvelope,
  toHex32,
  unwrapDataKey,
  type X25519KeyPair,
} from "../../lib/crypto/index.js";
import { createHeliaStore, type HeliaContentStore } from "../../lib/storage/index.js";
import { createAcceptedKeys } from "../../service/custodian/acceptedKeys.js";
import {
  createKeyCustody,
  type CustodianDatabankClient,
  type KeyCustody,
} from "../../service/custodian/delivery.js";
import { loadConfig } from "../../lib/config/index.js";
import type { NodePublicClient } from "../../service/chain.js";
import { openDatabase } from "../../service/db.js";
import { startDatabankNode, type DatabankNode } from "../../service/node.js";
import { silentLogger } from "../../service/log.js";
import { deployDatabankWithViem, testPoolParams, type PoolParams } from "../stack/deploy.js";

/** Envelopes sealed and stored concurrently per round. */
const SEAL_ROUND = 1_000;
/** Contributions submitted per transaction (~150k gas each, under the 16.7M per-transaction cap). */
const SUBMITS_PER_TX = 80;
/** Contributions accepted per transaction (~90k gas each). */
const ACCEPTS_PER_TX = 150;
const BATCH_GAS = 16_000_000n;

const BATCH_SOURCE = `// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;
interface IDatabankBench {
  function submitContribution(uint32 poolId, string calldata dataCid, uint40 expiresAt, uint8 scope) external returns (uint256);
  function acceptContribution(uint256 contributionId) external;
}
/// Benchmark setup only: many contributions per transaction.
contract BenchBatch {
  /// The custodian's delegating transaction (EIP-7702) calls its own account with no data.
  fallback() external payable {}
  function submitAll(IDatabankBench databank, uint32 poolId, string[] calldata cids, uint8 scope) external {
    for (uint256 i = 0; i < cids.length; ++i) databank.submitContribution(poolId, cids[i], 0, scope);
  }
  function acceptRange(IDatabankBench databank, uint256 first, uint256 count) external {
    for (uint256 i = 0; i < count; ++i) databank.acceptContribution(first + i);
  }
}`;

/** The batch contract, compiled once per benchmark run. */
export interface CompiledBatch {
  abi: Abi;
  bytecode: Hex;
}

/** Compiles BenchBatch with solc-js. */
export function compileBatch(): CompiledBatch {
  const output = JSON.parse(
    solc.compile(
      JSON.stringify({
        language: "Solidity",
        sources: { "BenchBatch.sol": { content: BATCH_SOURCE } },
        settings: {
          optimizer: { enabled: true, runs: 200 },
          evmVersion: "cancun",
          outputSelection: { "*": { BenchBatch: ["abi", "evm.bytecode.object"] } },
        },
      }),
    ),
  );
  const errors = (output.errors ?? []).filter((e: { severity: string }) => e.severity === "error");
  if (errors.length > 0) throw new Error(`BenchBatch: ${errors[0].formattedMessage}`);
  const contract = output.contracts["BenchBatch.sol"].BenchBatch;
  return { abi: contract.abi, bytecode: `0x${contract.evm.bytecode.object}` };
}

/**
 * Runs `measure` at each count, in order, with one compiled batch contract (each count sets up
 * its own chain and pool).
 */
export async function measureEachCount<Row>(
  counts: readonly number[],
  measure: (count: number, batch: CompiledBatch) => Promise<Row[]>,
): Promise<Row[]> {
  const batch = compileBatch();
  const rows: Row[] = [];
  for (const count of counts) rows.push(...(await measure(count, batch)));
  return rows;
}

/** Options of {@link setupBenchPool}. */
export interface BenchPoolOptions {
  /** Active contributions to set up. */
  count: number;
  /** What every contribution's consent allows (within the pool's products). */
  scope: ConsentScopeBits;
  /** The `index`-th record (JSON), sealed as the contribution's data. */
  record: (index: number) => unknown;
  /** Pool parameters beyond the custodian and its key (see testPoolParams). */
  pool?: Partial<PoolParams>;
  /** A record schema to store and name as the pool's `schemaCid` (the query worker reads it). */
  schema?: object;
  /** Progress lines (setup takes minutes at 100,000). */
  progress: (line: string) => void;
  /** Prefix of the progress lines, e.g. "delivery bench". */
  label: string;
}

/** A pool of `count` active contributions, and everything a custodian worker and buyer need. */
export interface BenchPool {
  publicClient: PublicClient;
  /** The Hardhat network's EIP-1193 provider. */
  provider: Parameters<typeof custom>[0];
  /** The Databank. */
  address: Hex;
  /** Block before the pool (workers read events from here). */
  fromBlock: bigint;
  chainId: number;
  poolId: number;
  /** The custodian's account, its private key, and its Databank client. */
  custodianAccount: PrivateKeyAccount;
  custodianPrivateKey: Hex;
  custodian: CustodianDatabankClient;
  custodianKeys: X25519KeyPair;
  /** A funded buyer wallet (a Hardhat account). */
  buyerWallet: WalletClient<Transport, Chain, Account>;
  store: HeliaContentStore;
  /** The node database that holds the key custody (synchronous commits, as the node). */
  db: DatabaseSync;
  /** The records' data keys, kept at acceptance. */
  custody: KeyCustody;
  /** Opens another database in the bench's temporary directory (closed by `close`). */
  openDb(name: string): DatabaseSync;
  /** The temporary directory (removed by `close`). */
  dir: string;
  /** Setup time, seconds. */
  setupSeconds: number;
  /** Closes the databases and the store, removes the directory. */
  close(): Promise<void>;
}

/** Deploys a Databank, opens a pool and fills it with `count` active contributions. */
export async function setupBenchPool(
  batch: CompiledBatch,
  options: BenchPoolOptions,
): Promise<BenchPool> {
  const store = await createHeliaStore();
  const dir = await mkdtemp(join(tmpdir(), "databank-bench-pool-"));
  const databases: DatabaseSync[] = [];
  const openDb = (name: string) => {
    // As the node opens its database (WAL, synchronous commits): batches are durable steps.
    const db = openDatabase(join(dir, `${name}.sqlite`));
    databases.push(db);
    return db;
  };
  const close = async () => {
    for (const db of databases) if (db.isOpen) db.close();
    await store.stop();
    await rm(dir, { recursive: true, force: true });
  };
  try {
    const connection = await network.create();
    const { viem, networkHelpers } = connection;
    const publicClient = (await viem.getPublicClient()) as unknown as PublicClient;
    const [owner, treasury, curator, , buyerWallet] = await viem.getWalletClients();
    const { databank: deployed } = await deployDatabankWithViem(viem, {
      owner: owner.account.address,
      treasury: treasury.account.address,
    });
    const address = deployed.address;
    const fromBlock = await publicClient.getBlockNumber();
    const mined = async (hash: Hex) => {
      const receipt = await publicClient.waitForTransactionReceipt({ hash });
      if (receipt.status !== "success") throw new Error(`bench transaction ${hash} reverted`);
    };

    // The custodian: a local account (EIP-7702 needs its signature), funded.
    const custodianPrivateKey = generatePrivateKey();
    const custodianAccount = privateKeyToAccount(custodianPrivateKey);
    await networkHelpers.setBalance(custodianAccount.address, parseEther("1000"));
    const custodianWallet = createWalletClient({
      account: custodianAccount,
      chain: publicClient.chain,
      transport: custom(connection.provider),
    });
    const custodian = createDatabankClient({
      publicClient,
      walletClient: custodianWallet,
      address,
    }) as unknown as CustodianDatabankClient;
    const custodianKeys = generateKeyPair();
    const schemaCid = options.schema
      ? await store.put(new TextEncoder().encode(JSON.stringify(options.schema)))
      : undefined;
    await mined(
      await createDatabankClient({
        publicClient,
        walletClient: curator,
        address,
      }).contract.write.createPool([
        testPoolParams({
          custodian: custodianAccount.address,
          custodianKey: toHex32(custodianKeys.publicKey),
          ...options.pool,
          ...(schemaCid === undefined ? {} : { schemaCid }),
        }),
      ]),
    );
    const poolId = await custodian.contract.read.poolCount();
    const chainId = await publicClient.getChainId();

    const db = openDb("node");
    const custody = createKeyCustody({ db, custodianPrivateKey: custodianKeys.privateKey });
    const setupStarted = performance.now();
    await fillPool({
      batch,
      options,
      publicClient,
      owner,
      custodianWallet,
      custodian,
      custodianKeys,
      address,
      poolId,
      chainId,
      store,
      db,
      custody,
      mined,
    });
    const setupSeconds = (performance.now() - setupStarted) / 1000;
    options.progress(
      `${options.label}: ${options.count} contributions active (setup ${setupSeconds.toFixed(0)} s)`,
    );
    return {
      publicClient,
      provider: connection.provider,
      address,
      fromBlock,
      chainId,
      poolId,
      custodianAccount,
      custodianPrivateKey,
      custodian,
      custodianKeys,
      buyerWallet: buyerWallet as unknown as WalletClient<Transport, Chain, Account>,
      store,
      db,
      custody,
      openDb,
      dir,
      setupSeconds,
      close,
    };
  } catch (error) {
    await close();
    throw error;
  }
}

/** What {@link fillPool} works with. */
interface FillPoolParams {
  batch: CompiledBatch;
  options: BenchPoolOptions;
  publicClient: PublicClient;
  /** Deploys the batch contract and submits through it. */
  owner: WalletClient;
  custodianWallet: WalletClient;
  custodian: CustodianDatabankClient;
  custodianKeys: X25519KeyPair;
  address: Hex;
  poolId: number;
  chainId: number;
  store: HeliaContentStore;
  db: DatabaseSync;
  custody: KeyCustody;
  mined: (hash: Hex) => Promise<void>;
}

/** Seals and stores every record, submits and accepts them in batches, and keeps their keys. */
async function fillPool(params: FillPoolParams): Promise<void> {
  const { batch, options, publicClient, owner, custodianWallet, custodian, mined } = params;
  const { custodianKeys, address, poolId, chainId, store, db } = params;
  const { count } = options;
  const acceptedKeys = createAcceptedKeys({
    custody: params.custody,
    chainId,
    databank: address,
    logger: silentLogger,
  });
  // Setup keeps 100,000 keys one acceptance at a time: without a disk sync per key while it
  // does (as the node's one-per-transaction acceptances would spread out over time); the
  // measured phases run with the node's settings again.
  db.exec("PRAGMA synchronous = NORMAL");
  const custodianAccount = custodianWallet.account!;
  const deployHash = await owner.deployContract({
    abi: batch.abi,
    bytecode: batch.bytecode,
    account: owner.account!,
    chain: owner.chain,
  });
  const batchAddress = (await publicClient.waitForTransactionReceipt({ hash: deployHash }))
    .contractAddress!;
  const authorization = await custodianWallet.signAuthorization({
    account: custodianAccount as PrivateKeyAccount,
    contractAddress: batchAddress,
    executor: "self",
  });
  await mined(
    await custodianWallet.sendTransaction({
      account: custodianAccount,
      to: custodianAccount.address,
      authorizationList: [authorization],
      chain: null,
    }),
  );
  const firstId = (await custodian.contract.read.contributionCount()) + 1n;
  const accepted: Promise<void>[] = [];
  for (let start = 0; start < count; start += SEAL_ROUND) {
    const end = Math.min(count, start + SEAL_ROUND);
    const cids = await Promise.all(
      Array.from({ length: end - start }, async (_, offset) => {
        const envelope = await sealEnvelope({
          plaintext: new TextEncoder().encode(JSON.stringify(options.record(start + offset))),
          contentType: "application/json",
          recipients: [
            { role: "custodian", publicKey: custodianKeys.publicKey },
            { role: "contributor", publicKey: generateKeyPair().publicKey },
          ],
          binding: { chainId, databank: address, poolId, contributor: batchAddress },
        });
        const dataCid = await store.put(envelope);
        // What the acceptance check unwraps and the node then keeps (service/custodian/acceptedKeys.ts).
        const dataKey = await unwrapDataKey(envelope, custodianKeys.privateKey);
        const tokenId = firstId + BigInt(start + offset);
        accepted.push(acceptedKeys.keep({ poolId, tokenId, dataCid, dataKey }));
        return dataCid;
      }),
    );
    for (let offset = 0; offset < cids.length; offset += SUBMITS_PER_TX) {
      await mined(
        await owner.writeContract({
          address: batchAddress,
          abi: batch.abi,
          functionName: "submitAll",
          args: [address, poolId, cids.slice(offset, offset + SUBMITS_PER_TX), options.scope],
          gas: BATCH_GAS,
          account: owner.account!,
          chain: owner.chain,
        }),
      );
    }
    if (end % 10_000 === 0 || end === count) {
      options.progress(
        `${options.label}: ${end}/${count} contributions sealed, stored and submitted`,
      );
    }
  }
  for (let offset = 0; offset < count; offset += ACCEPTS_PER_TX) {
    await mined(
      await custodianWallet.writeContract({
        address: custodianAccount.address,
        abi: batch.abi,
        functionName: "acceptRange",
        args: [address, firstId + BigInt(offset), BigInt(Math.min(ACCEPTS_PER_TX, count - offset))],
        gas: BATCH_GAS,
        account: custodianAccount,
        chain: null,
      }),
    );
  }
  await Promise.all(accepted);
  db.exec("PRAGMA synchronous = FULL");
  const pool = await custodian.contract.read.getPool([poolId]);
  const active = options.scope & 1 ? pool.recordsActive : pool.statisticsActive;
  if (active !== count) throw new Error(`setup joined ${active} contributions, not ${count}`);
}


/** "1,000 records". */
export function sizeLabel(count: number): string {
  return `${count.toLocaleString("en-US")} records`;
}

/**
 * Starts the data bank node (service/node.ts) as the pool's custodian, on the pool's directory:
 * its database is the one setup kept the records' keys in, its store the pool's. Workers are not
 * started (the bench runs their passes); the HTTP API listens on 127.0.0.1 on a free port.
 */
export async function startBenchNode(pool: BenchPool): Promise<DatabankNode> {
  const config = loadConfig({
    env: {
      DATABANK_DATA_DIR: pool.dir,
      DATABANK_NODE_PORT: "0",
      DATABANK_ADDRESS: pool.address,
      DATABANK_GC_INTERVAL_MS: "0",
      DATABANK_CUSTODIAN_PRIVATE_KEY: pool.custodianPrivateKey,
      DATABANK_CUSTODIAN_X25519_KEY: toHex32(pool.custodianKeys.privateKey),
      DATABANK_CUSTODIAN_FINGERPRINT_KEY: bytesToHex(crypto.getRandomValues(new Uint8Array(32))),
    },
    requireCustodian: true,
  });
  return startDatabankNode({
    config,
    publicClient: pool.publicClient as unknown as NodePublicClient,
    walletClient: createWalletClient({
      account: pool.custodianAccount,
      chain: pool.publicClient.chain!,
      transport: custom(pool.provider),
    }),
    store: pool.store,
    hooks: { startWorkers: false, acceptanceFromBlock: pool.fromBlock },
  });
}
