/**
 * Envelope seal/open throughput. Run directly: `npx tsx scripts/bench/envelope.ts`.
 * MB/s means 10^6 plaintext bytes per second; each figure is the median of several timed runs
 * after one untimed warm-up run.
 */
import { pathToFileURL } from "node:url";
import {
  generateKeyPair,
  openEnvelope,
  sealEnvelope,
  type EnvelopeBinding,
  type EnvelopeRecipient,
} from "../../lib/crypto/index.js";
import type { BenchRow } from "./types.js";

const SUITE = "envelope";

interface RecordSize {
  label: string;
  bytes: number;
  iterations: number;
}

const RECORD_SIZES: RecordSize[] = [
  { label: "1 KiB", bytes: 1024, iterations: 51 },
  { label: "1 MiB", bytes: 1024 * 1024, iterations: 21 },
  { label: "50 MiB", bytes: 50 * 1024 * 1024, iterations: 5 },
];

/** Measures seal and open of 1 KiB, 1 MiB and 50 MiB records to a custodian and a contributor. */
export async function benchEnvelope(): Promise<BenchRow[]> {
  const custodian = generateKeyPair();
  const contributor = generateKeyPair();
  const recipients: EnvelopeRecipient[] = [
    { role: "custodian", publicKey: custodian.publicKey },
    { role: "contributor", publicKey: contributor.publicKey },
  ];
  // Any binding: its 52 bytes and the HPKE associated data cost the same whatever they hold.
  const binding: EnvelopeBinding = {
    chainId: 31337,
    databank: "0x5FbDB2315678afecb367f032d93F642f64180aa3",
    poolId: 1,
    contributor: "0x70997970C51812dc3A010C7d01b50e0d17dc79C8",
  };
  const rows: BenchRow[] = [];
  for (const size of RECORD_SIZES) {
    const plaintext = incompressibleBytes(size.bytes);
    const envelope = await sealEnvelope({ plaintext, recipients, binding });
    const sealSeconds = await medianSeconds(size.iterations, () =>
      sealEnvelope({ plaintext, recipients, binding }),
    );
    const openSeconds = await medianSeconds(size.iterations, () =>
      openEnvelope(envelope, contributor.privateKey),
    );
    rows.push(...rowsFor("seal", size, sealSeconds), ...rowsFor("open", size, openSeconds));
  }
  return rows;
}

function rowsFor(operation: string, size: RecordSize, seconds: number): BenchRow[] {
  return [
    {
      suite: SUITE,
      operation,
      size: size.label,
      value: round(size.bytes / 1e6 / seconds),
      unit: "MB/s",
    },
    { suite: SUITE, operation, size: size.label, value: round(seconds * 1000), unit: "ms" },
  ];
}

async function medianSeconds(iterations: number, run: () => Promise<unknown>): Promise<number> {
  await run();
  const samples: number[] = [];
  for (let iteration = 0; iteration < iterations; iteration++) {
    const start = performance.now();
    await run();
    samples.push((performance.now() - start) / 1000);
  }
  samples.sort((a, b) => a - b);
  return samples[Math.floor(samples.length / 2)]!;
}

/** Random content, so nothing downstream (e.g. compression) could flatter the figures. */
function incompressibleBytes(length: number): Uint8Array {
  const bytes = new Uint8Array(length);
  const maxPerCall = 65536;
  for (let offset = 0; offset < length; offset += maxPerCall) {
    globalThis.crypto.getRandomValues(bytes.subarray(offset, offset + maxPerCall));
  }
  return bytes;
}

function round(value: number): number {
  return Math.round(value * 100) / 100;
}

const isRunDirectly =
  process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href;
if (isRunDirectly) {
  console.table(await benchEnvelope());
}
