/**
 * Audit throughput: how long `runAudit` (read every log, decode, replay, check) takes on a long
 * event history. The history is real: a BulkSaleDriver contract, custodian and buyer of one pool,
 * makes and fulfils hundreds of sales per transaction (two events each), so 100,000 events take a
 * few hundred transactions to generate on Hardhat's in-process network. Manifests are not fetched
 * (the manifest check is SKIPPED): the figure is the chain-reading and bookkeeping cost.
 * Run directly: `npx hardhat run scripts/bench/audit.ts` (`DATABANK_AUDIT_BENCH_EVENTS=n` for
 * another size, `DATABANK_AUDIT_BENCH_RPC_URL=http://127.0.0.1:8545` against a running node).
 */
import path from "node:path";
import { network } from "hardhat";
import {
  createPublicClient,
  http,
  keccak256,
  toHex,
  zeroAddress,
  type Address,
  type Log,
} from "viem";
import {
  buildLedger,
  decodeDatabankLogs,
  fetchDatabankLogs,
  runAudit,
} from "../../lib/audit/index.js";
import type { Viem } from "./baselines.js";
import type { BenchRow } from "./types.js";
import { deployDatabankWithViem } from "../stack/deploy.js";
import { testPoolParams } from "../stack/deploy.js";

const SUITE = "audit";
/** Events of the benchmark history (each sale is a PurchaseCreated and a PurchaseFulfilled). */
export const AUDIT_BENCH_EVENTS = 100_000;
/** Sales per transaction: about 12M gas, under the 16.7M per-transaction cap. */
const SALES_PER_TX = 100;
const CONTRIBUTIONS = 10;

/** Builds a Databank history of at least `events` events; returns the contract and first block. */
export async function buildAuditHistory(
  viem: Viem,
  events: number,
): Promise<{ databank: Address; fromBlock: bigint }> {
  const publicClient = await viem.getPublicClient();
  const [owner, treasury, curator, contributor] = await viem.getWalletClients();
  const fromBlock = (await publicClient.getBlockNumber()) + 1n;
  const { databank } = await deployDatabankWithViem(viem, {
    owner: owner!.account.address,
    treasury: treasury!.account.address,
  });
  const driver = await viem.deployContract("BulkSaleDriver", [databank.address]);
  const mined = async (hash: `0x${string}`) => {
    const receipt = await publicClient.waitForTransactionReceipt({ hash });
    if (receipt.status !== "success") throw new Error(`benchmark transaction ${hash} reverted`);
  };
  await mined(
    await databank.write.createPool(
      [
        testPoolParams({ custodian: driver.address, custodianKey: keccak256(toHex("bench custodian key")), price: 1_000_003n, schemaCid: "bafkreibenchschema", termsCid: "bafkreibenchterms" }),
      ],
      { account: curator!.account },
    ),
  );
  const poolId = 1;
  const ids: bigint[] = [];
  for (let i = 0; i < CONTRIBUTIONS; i++) {
    await mined(
      await databank.write.submitContribution([poolId, `bafkreibenchdata${i}`, 0, 1], {
        account: contributor!.account,
      }),
    );
    ids.push(BigInt(i + 1));
  }
  await mined(await driver.write.acceptAll([ids]));
  const sales = Math.ceil(events / 2);
  await mined(
    await owner!.sendTransaction({ to: driver.address, value: BigInt(sales) * 1_000_003n }),
  );
  const deliveryCid = "bafkreibenchdeliverymanifestbenchdeliverymanifestbenchdeliv";
  const root = keccak256(toHex("bench records root"));
  for (let sold = 0; sold < sales; sold += SALES_PER_TX) {
    const count = Math.min(SALES_PER_TX, sales - sold);
    await mined(await driver.write.sell([poolId, count, deliveryCid, root], { gas: 16_000_000n }));
  }
  // A claim and a revocation so that settlements and erasures are in the replay too.
  await mined(
    await databank.write.claim([zeroAddress, ids.slice(1)], { account: contributor!.account }),
  );
  await mined(await databank.write.revokeConsent([ids[0]!], { account: contributor!.account }));
  return { databank: databank.address, fromBlock };
}

const round = (value: number) => Math.round(value * 100) / 100;

/**
 * Measures the audit of an `events`-event history (default {@link AUDIT_BENCH_EVENTS}; median of
 * three runs): on a fresh in-process network, or through JSON-RPC over HTTP against a running
 * `hardhat node` at `rpcUrl` (what `npm run audit` does).
 */
export async function benchAudit(
  events: number = AUDIT_BENCH_EVENTS,
  rpcUrl?: string,
): Promise<BenchRow[]> {
  const connection = rpcUrl
    ? await network.create({ network: "localhost", override: { url: rpcUrl } })
    : await network.create();
  const helpers = connection.viem;
  const where = rpcUrl ? `, over HTTP (${rpcUrl})` : ", in-process network";
  // Over HTTP, read as the CLI does (viem's fetch transport), not through Hardhat's provider.
  const publicClient = rpcUrl
    ? createPublicClient({ transport: http(rpcUrl, { timeout: 120_000 }) })
    : await helpers.getPublicClient();
  const generationStart = performance.now();
  const history = await buildAuditHistory(helpers, events);
  const generationSeconds = (performance.now() - generationStart) / 1000;
  // The raw logs, read in ranges small enough for any transport, for the in-memory figure.
  const rawLogs: Log[] = [];
  const recorder = {
    getLogs: async (range: { address: Address; fromBlock: bigint; toBlock: bigint }) => {
      const logs = await publicClient.getLogs(range);
      rawLogs.push(...logs);
      return logs;
    },
  };
  const eventCount = (
    await fetchDatabankLogs({
      client: recorder,
      address: history.databank,
      fromBlock: history.fromBlock,
      toBlock: await publicClient.getBlockNumber(),
    })
  ).length;
  const size = `${eventCount.toLocaleString("en-US")} events`;

  const auditSeconds: number[] = [];
  for (let run = 0; run < 3; run++) {
    const start = performance.now();
    const report = await runAudit({
      client: publicClient,
      databank: history.databank,
      fromBlock: history.fromBlock,
    });
    auditSeconds.push((performance.now() - start) / 1000);
    if (!report.passed || report.eventCount !== eventCount) {
      throw new Error(`benchmark audit did not pass: ${JSON.stringify(report.checks)}`);
    }
  }
  auditSeconds.sort((a, b) => a - b);
  const median = auditSeconds[1]!;

  // The pure part: decoding and replaying logs already in memory.
  const replayStart = performance.now();
  buildLedger(decodeDatabankLogs(rawLogs));
  const replaySeconds = (performance.now() - replayStart) / 1000;

  return [
    {
      suite: SUITE,
      operation: `runAudit (getLogs + decode + replay + checks), median of 3${where}`,
      size,
      value: round(median),
      unit: "s",
    },
    {
      suite: SUITE,
      operation: `runAudit throughput${where}`,
      size,
      value: Math.round(eventCount / median),
      unit: "events/s",
    },
    {
      suite: SUITE,
      operation: "decode + replay only (logs in memory)",
      size,
      value: round(replaySeconds),
      unit: "s",
    },
    {
      suite: SUITE,
      operation: "history generation (BulkSaleDriver, not audited time)",
      size,
      value: round(generationSeconds),
      unit: "s",
    },
  ];
}

// `npx hardhat run scripts/bench/audit.ts` (Hardhat imports the script, so argv names it).
if (process.argv.some((argument) => argument.endsWith(path.join("bench", "audit.ts")))) {
  const events = Number(process.env.DATABANK_AUDIT_BENCH_EVENTS ?? AUDIT_BENCH_EVENTS);
  for (const row of await benchAudit(events, process.env.DATABANK_AUDIT_BENCH_RPC_URL)) {
    console.log(`${row.operation} [${row.size}]: ${row.value} ${row.unit}`);
  }
}
