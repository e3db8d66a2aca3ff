/**
 * Delivery at scale: from a purchase to the buyer holding every record decrypted (written out as
 * JSON Lines and CSV), for pools of 1,000, 10,000 and 100,000 active contributions, on an
 * in-process Hardhat network with an in-memory Helia store — the path before issue 10 beside the
 * current one, measured in the same run on the same pool:
 *
 * - old: the worker HPKE-opens every record's envelope for every delivery (key custody off), and
 *   the buyer opens records one by one, collecting them all before writing the files;
 * - new: the worker takes each data key from the key custody (kept at rest under the KEK; no
 *   envelope fetched, no HPKE), and the buyer streams records, 4 in flight (see BUYER_CONCURRENCY),
 *   straight to the files.
 *   The keys are kept at acceptance, as the node does (service/custodian/acceptedKeys.ts): setup
 *   unwraps each envelope's key once with the custodian's key, as the acceptance check does, and
 *   keeps it. The first delivery is measured on its own row (it should cost what a later one
 *   does); records accepted before keys were kept at acceptance pay one HPKE open each at their
 *   first delivery instead (the lazy fallback, tested in test/ts/delivery/keyCustody.test.ts).
 *
 * The chain is real but set up with a shortcut (setup time is reported, not part of any figure):
 * the envelopes are real (sealed to the custodian and a contributor, stored in Helia), but instead
 * of one relayed consent per contribution, a small batch contract compiled here with solc-js
 * (BenchBatch, not part of the project's contracts) submits a few hundred contributions per
 * transaction (`submitContribution`, the batch contract being the contributor), and the custodian
 * accepts them a few hundred per transaction (`acceptContribution`) through EIP-7702: the
 * custodian's own account delegates to the batch contract's code and calls itself, so the
 * Databank sees the custodian as the sender. The events and state the delivery reads
 * (`ContributionSubmitted`, `ConsentGranted`, the pool's counts) are the same as with relays.
 *
 * Run alone: `npm run bench:delivery` (set DATABANK_BENCH_DELIVERY_COUNTS, e.g. "1000,10000", to
 * measure some sizes only); writes bench/delivery.txt.
 */
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { DatabaseSync } from "node:sqlite";
import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
import { network } from "hardhat";
import solc from "solc";
import {
  createWalletClient,
  custom,
  parseEther,
  type Abi,
  type Hex,
  type PublicClient,
} from "viem";
import { generatePrivateKey, privateKeyToAccount } from "viem/accounts";
import { createDatabankClient, type DatabankClient } from "../../lib/contracts/client.js";
import { generateKeyPair, sealEnvelope, toHex32, unwrapDataKey } from "../../lib/crypto/index.js";
import {
  openDelivery,
  streamDelivery,
  toCsv,
  toJsonLines,
  type OpenDeliveryParameters,
} from "../../lib/delivery/index.js";
import { createHeliaStore, type HeliaContentStore } from "../../lib/storage/index.js";
import { createAcceptedKeys } from "../../service/custodian/acceptedKeys.js";
import {
  createDeliveryWorker,
  createKeyCustody,
  type CustodianDatabankClient,
  type KeyCustody,
} from "../../service/custodian/delivery.js";
import { openDatabase } from "../../service/db.js";
import { silentLogger } from "../../service/log.js";
import { writeDeliveryFiles } from "../deliveryFiles.js";
import { deployDatabankWithViem, testPoolParams } from "../stack/deploy.js";
import { printTable } from "./table.js";
import type { BenchRow } from "./types.js";

const SUITE = "delivery";
const PRICE = parseEther("1");
/** Record counts measured by default. */
export const DELIVERY_COUNTS = [1_000, 10_000, 100_000] as const;
/** Envelopes sealed and stored concurrently per round. */
const SEAL_ROUND = 1_000;
/** Contributions submitted per transaction (~150k gas each, under the 16.7M per-transaction cap). */
const SUBMITS_PER_TX = 80;
/** Contributions accepted per transaction (~90k gas each). */
const ACCEPTS_PER_TX = 150;
const BATCH_GAS = 16_000_000n;
/**
 * Records the new buyer fetches and decrypts at once. The bench reads from an in-process,
 * in-memory store, where the work is CPU on one thread and more reads in flight only add
 * contention (50,000 Helia reads: about 1.4 s at 4 in flight, 2.5 s at 32); a buyer reading from
 * a node over HTTP keeps the default of 32 (lib/delivery DEFAULT_OPEN_CONCURRENCY) to hide latency.
 */
const BUYER_CONCURRENCY = 4;

/**
 * A full garbage collection, run before each measured phase: setting up 100,000 contributions
 * leaves hundreds of MiB of garbage behind (sealed envelopes, transactions, receipts), which the
 * first phase measured would otherwise pay to collect. A node's deliveries do not follow such a
 * setup. (`--expose-gc` set at run time, so `npm run bench:delivery` needs no flag.)
 */
setFlagsFromString("--expose-gc");
const settleHeap = runInNewContext("gc") as () => void;

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
  function submitAll(IDatabankBench databank, uint32 poolId, string[] calldata cids) external {
    for (uint256 i = 0; i < cids.length; ++i) databank.submitContribution(poolId, cids[i], 0, 1);
  }
  function acceptRange(IDatabankBench databank, uint256 first, uint256 count) external {
    for (uint256 i = 0; i < count; ++i) databank.acceptContribution(first + i);
  }
}`;

/** Options of {@link benchDelivery}. */
export interface BenchDeliveryOptions {
  /** Record counts to measure; default {@link DELIVERY_COUNTS}. */
  counts?: readonly number[];
  /** Progress lines (setup takes minutes at 100,000). */
  progress?: (line: string) => void;
}

/** Measures both paths at each count. */
export async function benchDelivery(options: BenchDeliveryOptions = {}): Promise<BenchRow[]> {
  const counts = options.counts ?? DELIVERY_COUNTS;
  const batch = compileBatch();
  const rows: BenchRow[] = [];
  for (const count of counts) {
    rows.push(...(await measureAt(count, batch, options.progress ?? (() => undefined))));
  }
  return rows;
}

/** The rows as the table `npm run bench` prints. */
export function printDeliveryTable(rows: readonly BenchRow[]): void {
  printTable(
    "Delivery: purchase to buyer-decrypted, old path (HPKE per record per delivery, sequential buyer) beside new (keys kept at acceptance, streamed buyer, 4 in flight); in-process Hardhat + in-memory Helia; memory = peak during the phase, process-wide",
    ["operation", "size", "value", "unit"],
    rows.map((row) => [row.operation, row.size ?? "", String(row.value), row.unit]),
  );
}

interface CompiledBatch {
  abi: Abi;
  bytecode: Hex;
}

function compileBatch(): CompiledBatch {
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

function sizeLabel(count: number): string {
  return `${count.toLocaleString("en-US")} records`;
}

async function measureAt(
  count: number,
  batch: CompiledBatch,
  progress: (line: string) => void,
): Promise<BenchRow[]> {
  const store = await createHeliaStore();
  const dir = await mkdtemp(join(tmpdir(), "databank-bench-delivery-"));
  const databases: DatabaseSync[] = [];
  const openDb = (name: string) => {
    // As the node opens its database (WAL, synchronous commits): batches are durable steps.
    const db = openDatabase(join(dir, `${name}.sqlite`));
    databases.push(db);
    return db;
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
    const custodianAccount = privateKeyToAccount(generatePrivateKey());
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
    await mined(
      await createDatabankClient({
        publicClient,
        walletClient: curator,
        address,
      }).contract.write.createPool([
        testPoolParams({
          custodian: custodianAccount.address,
          custodianKey: toHex32(custodianKeys.publicKey),
          price: PRICE,
        }),
      ]),
    );
    const poolId = await custodian.contract.read.poolCount();
    const chainId = await publicClient.getChainId();

    // ---- setup (shortcut described in the module comment)
    const newDb = openDb("new");
    const custody = createKeyCustody({ db: newDb, custodianPrivateKey: custodianKeys.privateKey });
    const acceptedKeys = createAcceptedKeys({
      custody,
      chainId,
      databank: address,
      logger: silentLogger,
    });
    // Setup keeps 100,000 keys one acceptance at a time: without a disk sync per key while it
    // does (as the node's one-per-transaction acceptances would spread out over time); the
    // measured phases run with the node's settings again.
    newDb.exec("PRAGMA synchronous = NORMAL");
    const setupStarted = performance.now();
    const deployHash = await owner.deployContract({ abi: batch.abi, bytecode: batch.bytecode });
    const batchAddress = (await publicClient.waitForTransactionReceipt({ hash: deployHash }))
      .contractAddress!;
    const authorization = await custodianWallet.signAuthorization({
      account: custodianAccount,
      contractAddress: batchAddress,
      executor: "self",
    });
    await mined(
      await custodianWallet.sendTransaction({
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
            plaintext: new TextEncoder().encode(JSON.stringify(benchRecord(start + offset))),
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
            args: [address, poolId, cids.slice(offset, offset + SUBMITS_PER_TX)],
            gas: BATCH_GAS,
          }),
        );
      }
      if (end % 10_000 === 0 || end === count) {
        progress(`delivery bench: ${end}/${count} contributions sealed, stored and submitted`);
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
          chain: null,
        }),
      );
    }
    await Promise.all(accepted);
    newDb.exec("PRAGMA synchronous = FULL");
    const active = (await custodian.contract.read.getPool([poolId])).recordsActive;
    if (active !== count) throw new Error(`setup joined ${active} contributions, not ${count}`);
    const setupSeconds = (performance.now() - setupStarted) / 1000;
    progress(`delivery bench: ${count} contributions active (setup ${setupSeconds.toFixed(0)} s)`);

    const asBuyer = createDatabankClient({ publicClient, walletClient: buyerWallet, address });
    const reader = createDatabankClient({ publicClient, address });
    const buy = async () => {
      const keys = generateKeyPair();
      const receipt = await publicClient.waitForTransactionReceipt({
        hash: await asBuyer.contract.write.purchase([poolId, PRICE, toHex32(keys.publicKey)], {
          value: PRICE,
        }),
      });
      return { purchase: asBuyer.purchaseFromEvent(receipt), keys };
    };
    const workerOn = (db: DatabaseSync, keys: { keepDataKeys: boolean; keyCustody?: KeyCustody }) =>
      createDeliveryWorker({
        db,
        databank: custodian,
        store,
        custodianAddress: custodianAccount.address,
        custodianPrivateKey: custodianKeys.privateKey,
        fromBlock,
        ...keys,
      });
    const size = sizeLabel(count);
    const rows: BenchRow[] = [
      { suite: SUITE, operation: "setup (seal + store + submit/accept + keys kept)", size, value: round(setupSeconds), unit: "s" },
    ];

    // ---- new path: the first delivery (keys kept at acceptance), then the steady state
    const fresh = workerOn(newDb, { keepDataKeys: true, keyCustody: custody });
    {
      const { purchase } = await buy();
      settleHeap();
      const started = performance.now();
      await fresh.deliverPending();
      await expectDelivered(fresh, purchase.id);
      rows.push({ suite: SUITE, operation: "new: first delivery (keys kept at acceptance)", size, value: seconds(started), unit: "s" });
    }
    {
      const { purchase, keys } = await buy();
      settleHeap();
      const memory = sampleMemory();
      const started = performance.now();
      await fresh.deliverPending();
      const status = await expectDelivered(fresh, purchase.id);
      const fulfilled = performance.now();
      const open = await openParams(reader, fromBlock, store, purchase.id, keys.privateKey, status);
      const written = await writeDeliveryFiles({
        records: streamDelivery({ ...open, concurrency: BUYER_CONCURRENCY }),
        jsonlPath: join(dir, "new.jsonl"),
        csvPath: join(dir, "new.csv"),
      });
      const decrypted = performance.now();
      const peak = memory.stop();
      if (written.count !== count) throw new Error(`the buyer opened ${written.count}, not ${count}`);
      rows.push(...phaseRows("new", size, started, fulfilled, decrypted, peak));
    }

    // ---- old path: HPKE per record per delivery, sequential buyer collecting everything
    {
      const old = workerOn(openDb("old"), { keepDataKeys: false });
      const { purchase, keys } = await buy();
      settleHeap();
      const memory = sampleMemory();
      const started = performance.now();
      await old.deliverPending();
      const status = await expectDelivered(old, purchase.id);
      const fulfilled = performance.now();
      const open = await openParams(reader, fromBlock, store, purchase.id, keys.privateKey, status);
      const records = await openDelivery({ ...open, concurrency: 1 });
      await writeFile(join(dir, "old.jsonl"), toJsonLines(records));
      await writeFile(join(dir, "old.csv"), toCsv(records).text);
      const decrypted = performance.now();
      const peak = memory.stop();
      if (records.length !== count) throw new Error(`the buyer opened ${records.length}, not ${count}`);
      rows.push(...phaseRows("old", size, started, fulfilled, decrypted, peak));
    }
    return rows;
  } finally {
    for (const db of databases) if (db.isOpen) db.close();
    await store.stop();
    await rm(dir, { recursive: true, force: true });
  }
}

async function expectDelivered(
  worker: ReturnType<typeof createDeliveryWorker>,
  purchaseId: bigint,
) {
  const status = await worker.status(purchaseId);
  if (status?.status !== "delivered" || status.deliveryKey === undefined) {
    throw new Error(`purchase ${purchaseId} not delivered: ${status?.error}`);
  }
  return status;
}

/** What the buyer needs, from the chain's events and the store (as the buyer CLI does). */
async function openParams(
  databank: DatabankClient,
  fromBlock: bigint,
  store: HeliaContentStore,
  purchaseId: bigint,
  buyerPrivateKey: Uint8Array,
  status: { deliveryKey?: string },
): Promise<OpenDeliveryParameters> {
  const [created] = await databank.contract.getEvents.PurchaseCreated({ purchaseId }, { fromBlock });
  const [fulfilled] = await databank.contract.getEvents.PurchaseFulfilled(
    { purchaseId },
    { fromBlock },
  );
  return {
    manifest: await store.get(fulfilled!.args.deliveryCid!),
    expected: {
      recordsRoot: fulfilled!.args.recordsRoot!,
      recordCount: fulfilled!.args.recordCount!,
      buyerKey: created!.args.buyerKey!,
      deliveryCid: fulfilled!.args.deliveryCid!,
    },
    fetchContent: (cid) => store.get(cid),
    buyerPrivateKey,
    deliveryKey: status.deliveryKey,
  };
}

type Peak = ReturnType<ReturnType<typeof sampleMemory>["stop"]>;

function phaseRows(
  path: "old" | "new",
  size: string,
  started: number,
  fulfilled: number,
  decrypted: number,
  peak: Peak,
): BenchRow[] {
  const row = (operation: string, value: number, unit: string): BenchRow => ({
    suite: SUITE,
    operation: `${path}: ${operation}`,
    size,
    value,
    unit,
  });
  return [
    row("purchase -> fulfilled (worker)", round((fulfilled - started) / 1000), "s"),
    row("fulfilled -> buyer decrypted + files written", round((decrypted - fulfilled) / 1000), "s"),
    row("purchase -> buyer decrypted (end to end)", round((decrypted - started) / 1000), "s"),
    row("JS heap peak (above phase start)", mib(peak.heapUsed - peak.baseline.heapUsed), "MiB"),
    row("RSS peak (process, incl. chain)", mib(peak.rss), "MiB"),
  ];
}

/** Samples RSS and heap every 50 ms until stopped; returns the peaks and the starting values. */
function sampleMemory() {
  const baseline = process.memoryUsage();
  let rss = baseline.rss;
  let heapUsed = baseline.heapUsed;
  const timer = setInterval(() => {
    const now = process.memoryUsage();
    rss = Math.max(rss, now.rss);
    heapUsed = Math.max(heapUsed, now.heapUsed);
  }, 50);
  return {
    stop() {
      clearInterval(timer);
      const now = process.memoryUsage();
      return { baseline, rss: Math.max(rss, now.rss), heapUsed: Math.max(heapUsed, now.heapUsed) };
    },
  };
}

function benchRecord(index: number) {
  return {
    name: `Contributor ${index}`,
    email: `contributor${index}@example.org`,
    skills: ["typescript", "solidity", "sql"].slice(0, 1 + (index % 3)),
    years: index % 40,
  };
}

function seconds(since: number): number {
  return round((performance.now() - since) / 1000);
}

function mib(bytes: number): number {
  return round(bytes / 1024 / 1024);
}

function round(value: number): number {
  return Math.round(value * 100) / 100;
}

if (process.argv.some((arg) => arg.endsWith(join("bench", "delivery.ts")))) {
  const counts =
    process.env.DATABANK_BENCH_DELIVERY_COUNTS?.split(",").map(Number) ?? DELIVERY_COUNTS;
  const rows = await benchDelivery({ counts, progress: (line) => console.log(line) });
  printDeliveryTable(rows);
  const text = rows
    .map((r) => `${r.operation.padEnd(62)} ${(r.size ?? "").padEnd(16)} ${String(r.value).padStart(10)} ${r.unit}`)
    .join("\n");
  await writeFile(join("bench", "delivery.txt"), `${text}\n`);
}
