/**
 * `npm run bench`: gas per operation against the contributor count, the comparison baselines,
 * the envelope's throughput, the delivery latency (purchase to buyer-decrypted) and memory, and
 * the audit tool's speed, the node's memory while serving concurrent downloads, the query
 * engine's compute, a query end to end (purchase to answer decrypted), and the dApp's bundle size.
 * Writes bench/gas-snapshot.json; the console output is also saved to bench/results.txt by the npm
 * script.
 */
import { network } from "hardhat";
import { benchAudit } from "./audit.js";
import { benchBundle } from "./bundle.js";
import { benchContentMemory } from "./contentMemory.js";
import { printBaselines } from "./baselines.js";
import { writeGasSnapshot } from "./databankGas.js";
import { benchDelivery, printDeliveryTable } from "./delivery.js";
import { benchEnvelope } from "./envelope.js";
import { benchQueryEngine, printQueryTable } from "./query.js";
import { benchQueryE2e, QUERY_E2E_TABLE_TITLE } from "./queryE2e.js";
import { printRows, printTable } from "./table.js";

// First, while the heap is small: the later benchmarks leave gigabytes of chain state behind, and
// the 50 MiB envelope figures halve in such a process.
const envelope = await benchEnvelope();
// Also early: its figures are the process's memory above a baseline.
const contentMemory = await benchContentMemory({ progress: (line) => console.log(line) });
// Also before the chain: its heap figure is the growth during one answer.
const query = await benchQueryEngine();

const { viem } = await network.create();
await writeGasSnapshot(viem);

await printBaselines();

printTable(
  "Envelope throughput (median; two recipients)",
  ["operation", "size", "value", "unit"],
  envelope.map((row) => [row.operation, row.size ?? "", row.value.toFixed(1), row.unit]),
);

printTable(
  "Content downloads: node memory while serving one 60 MiB object to N concurrent clients (streaming route vs the old buffering path)",
  ["operation", "size", "value", "unit"],
  contentMemory.map((row) => [row.operation, row.size ?? "", String(row.value), row.unit]),
);

await printQueryTable(query);

const delivery = await benchDelivery({ progress: (line) => console.log(line) });
printDeliveryTable(delivery);

const queryE2e = await benchQueryE2e({ progress: (line) => console.log(line) });
printRows(QUERY_E2E_TABLE_TITLE, queryE2e);

const audit = await benchAudit();
printTable(
  "Audit (npm run audit) on a generated history, in-process Hardhat network, manifests not fetched",
  ["operation", "size", "value", "unit"],
  audit.map((row) => [row.operation, row.size ?? "", String(row.value), row.unit]),
);

const bundle = benchBundle();
printTable(
  "dApp bundle (vite build; first-page budget 250 kB gzipped)",
  ["operation", "value", "unit"],
  bundle.map((row) => [row.operation, String(row.value), row.unit]),
);
