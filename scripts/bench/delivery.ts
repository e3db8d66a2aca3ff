/**
 * Delivery latency: from a purchase to the buyer holding every record decrypted, for pools of 10,
 * 1,000 and 10,000 active contributions, on an in-process Hardhat network with an in-memory Helia
 * store; and the memory of the process while the worker delivers the largest pool.
 *
 * Everything is real: each contribution is a sealed envelope stored in Helia and a relayed consent
 * (`contributeWithSignature`, one distinct signing wallet per contribution). To build 10,000 of
 * them in reasonable time the setup seals and stores envelopes concurrently in rounds, and sends
 * the relays with explicit nonces and gas (no estimate, no receipt wait) under automine, then checks
 * the pool's `activeCount`. (Turning automine off and mining full blocks was measured slower:
 * EDR's pending pool costs ~40 ms per transaction added, against ~6 ms per automined one.)
 *
 * Run alone: `npx hardhat run scripts/bench/delivery.ts` (set DATABANK_BENCH_DELIVERY_COUNTS,
 * e.g. "10,1000", to measure some sizes only).
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DatabaseSync } from "node:sqlite";
import { network } from "hardhat";
import { keccak256, parseEther, toHex } from "viem";
import { privateKeyToAccount } from "viem/accounts";
import { consentRequestArgs, consentTypedData, createDatabankClient } from "../../lib/contracts/client.js";
import { generateKeyPair, sealEnvelope, toHex32 } from "../../lib/crypto/index.js";
import { openDelivery } from "../../lib/delivery/index.js";
import { createHeliaStore } from "../../lib/storage/index.js";
import { createDeliveryWorker } from "../../service/custodian/delivery.js";
import type { BenchRow } from "./types.js";
import { deployDatabankWithViem } from "../stack/deploy.js";
import { testPoolParams } from "../stack/deploy.js";

const SUITE = "delivery";
const PRICE = parseEther("1");
/** Record counts measured by default. */
export const DELIVERY_COUNTS = [10, 1_000, 10_000] as const;
/** Envelopes sealed and stored concurrently before their relays are sent. */
const RELAYS_PER_ROUND = 500;
const RELAY_GAS = 300_000n;

/** Options of {@link benchDelivery}. */
export interface BenchDeliveryOptions {
  /** Record counts to measure; default {@link DELIVERY_COUNTS}. */
  counts?: readonly number[];
  /** Progress lines (setup can take minutes at 10,000). */
  progress?: (line: string) => void;
}

/** Measures delivery latency at each count, and memory at the largest. */
export async function benchDelivery(options: BenchDeliveryOptions = {}): Promise<BenchRow[]> {
  const counts = options.counts ?? DELIVERY_COUNTS;
  const largest = Math.max(...counts);
  const rows: BenchRow[] = [];
  for (const count of counts) {
    rows.push(...(await measureAt(count, count === largest, options.progress ?? (() => undefined))));
  }
  return rows;
}

function sizeLabel(count: number): string {
  return `${count.toLocaleString("en-US")} records`;
}

async function measureAt(
  count: number,
  withMemory: boolean,
  progress: (line: string) => void,
): Promise<BenchRow[]> {
  const store = await createHeliaStore();
  const dir = await mkdtemp(join(tmpdir(), "databank-bench-delivery-"));
  const db = new DatabaseSync(join(dir, "node.sqlite"));
  try {
    const { viem } = await network.create();
    const publicClient = await viem.getPublicClient();
    const [owner, treasury, curator, custodianWallet, buyerWallet] = await viem.getWalletClients();
    const { databank: deployed } = await deployDatabankWithViem(viem, {
      owner: owner.account.address,
      treasury: treasury.account.address,
    });
    const address = deployed.address;
    const fromBlock = await publicClient.getBlockNumber();
    const custodianKeys = generateKeyPair();
    const custodian = createDatabankClient({ publicClient, walletClient: custodianWallet, address });
    await publicClient.waitForTransactionReceipt({
      hash: await createDatabankClient({
        publicClient,
        walletClient: curator,
        address,
      }).contract.write.createPool([
        testPoolParams({ custodian: custodianWallet.account.address, custodianKey: toHex32(custodianKeys.publicKey), price: PRICE, schemaCid: "bafkreischema", termsCid: "bafkreiterms" }),
      ]),
    });
    const poolId = await custodian.contract.read.poolCount();
    const { termsDigest, purposes } = await custodian.contract.read.getPool([poolId]);
    const chainId = await publicClient.getChainId();

    // ---- setup: N sealed envelopes in Helia and N relayed consents, mined in rounds
    const setupStarted = performance.now();
    let nonce = await publicClient.getTransactionCount({
      address: custodianWallet.account.address,
      blockTag: "pending",
    });
    for (let start = 0; start < count; start += RELAYS_PER_ROUND) {
      const end = Math.min(count, start + RELAYS_PER_ROUND);
      const cids = await Promise.all(
        Array.from({ length: end - start }, async (_, offset) => {
          const index = start + offset;
          const envelope = await sealEnvelope({
            plaintext: new TextEncoder().encode(JSON.stringify(benchRecord(index))),
            contentType: "application/json",
            recipients: [
              { role: "custodian", publicKey: custodianKeys.publicKey },
              { role: "contributor", publicKey: generateKeyPair().publicKey },
            ],
            binding: {
              chainId,
              databank: address,
              poolId,
              contributor: privateKeyToAccount(keccak256(toHex(`bench delivery contributor ${index}`))).address,
            },
          });
          return store.put(envelope);
        }),
      );
      for (let index = start; index < end; index++) {
        const contributor = privateKeyToAccount(keccak256(toHex(`bench delivery contributor ${index}`)));
        const request = {
          contributor: contributor.address,
          poolId,
          dataCid: cids[index - start]!,
          expiresAt: 0,
          deadline: 2n ** 40n,
        };
        const signature = await contributor.signTypedData(
          consentTypedData({ chainId, databank: address, request, termsDigest, purposes, nonce: 0n }),
        );
        await custodianWallet.writeContract({
          address,
          abi: custodian.abi,
          functionName: "contributeWithSignature",
          args: [consentRequestArgs(request), signature],
          nonce: nonce++,
          gas: RELAY_GAS,
        });
      }
      if (end % 2_000 === 0 || end === count) progress(`delivery bench: ${end}/${count} contributions joined`);
    }
    const active = (await custodian.contract.read.getPool([poolId])).activeCount;
    if (active !== count) throw new Error(`setup joined ${active} contributions, not ${count}`);
    const setupSeconds = (performance.now() - setupStarted) / 1000;

    // ---- purchase → fulfilled → buyer decrypted
    const buyerKeys = generateKeyPair();
    const asBuyer = createDatabankClient({ publicClient, walletClient: buyerWallet, address });
    const purchased = performance.now();
    const receipt = await publicClient.waitForTransactionReceipt({
      hash: await asBuyer.contract.write.purchase([poolId, PRICE, toHex32(buyerKeys.publicKey)], {
        value: PRICE,
      }),
    });
    const purchase = asBuyer.purchaseFromEvent(receipt);
    const worker = createDeliveryWorker({
      db,
      databank: custodian,
      store,
      custodianAddress: custodianWallet.account.address,
      custodianPrivateKey: custodianKeys.privateKey,
      fromBlock,
    });
    const memory = withMemory ? sampleMemory() : undefined;
    await worker.deliverPending();
    const peak = memory?.stop();
    const fulfilledAt = performance.now();
    const status = await worker.status(purchase.id);
    if (status?.status !== "delivered") throw new Error(`purchase not delivered: ${status?.error}`);

    const [created] = await custodian.contract.getEvents.PurchaseCreated(
      { purchaseId: purchase.id },
      { fromBlock },
    );
    const [fulfilled] = await custodian.contract.getEvents.PurchaseFulfilled(
      { purchaseId: purchase.id },
      { fromBlock },
    );
    const records = await openDelivery({
      manifest: await store.get(fulfilled!.args.deliveryCid!),
      expected: {
        recordsRoot: fulfilled!.args.recordsRoot!,
        recordCount: fulfilled!.args.recordCount!,
        buyerKey: created!.args.buyerKey!,
        deliveryCid: fulfilled!.args.deliveryCid!,
      },
      fetchContent: (cid) => store.get(cid),
      buyerPrivateKey: buyerKeys.privateKey,
      // Released by the worker once fulfil has its confirmations (one, on this automining chain).
      deliveryKey: status.deliveryKey,
    });
    const decryptedAt = performance.now();
    if (records.length !== count) throw new Error(`the buyer opened ${records.length} records, not ${count}`);

    const size = sizeLabel(count);
    const rows: BenchRow[] = [
      { suite: SUITE, operation: "setup (seal + store + relay N contributions)", size, value: round(setupSeconds), unit: "s" },
      { suite: SUITE, operation: "purchase -> fulfilled (worker)", size, value: round((fulfilledAt - purchased) / 1000), unit: "s" },
      { suite: SUITE, operation: "fulfilled -> buyer decrypted", size, value: round((decryptedAt - fulfilledAt) / 1000), unit: "s" },
      { suite: SUITE, operation: "purchase -> buyer decrypted (end to end)", size, value: round((decryptedAt - purchased) / 1000), unit: "s" },
    ];
    if (peak !== undefined) {
      rows.push(
        { suite: SUITE, operation: "process RSS before the worker pass", size, value: mib(peak.baseline.rss), unit: "MiB" },
        { suite: SUITE, operation: "process RSS peak during the worker pass", size, value: mib(peak.rss), unit: "MiB" },
        { suite: SUITE, operation: "JS heap used before the worker pass", size, value: mib(peak.baseline.heapUsed), unit: "MiB" },
        { suite: SUITE, operation: "JS heap used peak during the worker pass", size, value: mib(peak.heapUsed), unit: "MiB" },
      );
    }
    return rows;
  } finally {
    db.close();
    await store.stop();
    await rm(dir, { recursive: true, force: true });
  }
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

function mib(bytes: number): number {
  return round(bytes / 1024 / 1024);
}

function round(value: number): number {
  return Math.round(value * 100) / 100;
}

if (process.argv.some((arg) => arg.endsWith("scripts/bench/delivery.ts"))) {
  const counts = process.env.DATABANK_BENCH_DELIVERY_COUNTS?.split(",").map(Number) ?? DELIVERY_COUNTS;
  const rows = await benchDelivery({ counts, progress: (line) => console.log(line) });
  for (const row of rows) {
    console.log(`${row.operation.padEnd(48)} ${(row.size ?? "").padEnd(16)} ${String(row.value).padStart(10)} ${row.unit}`);
  }
}
