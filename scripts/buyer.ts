/**
 * `npm run buyer -- --purchase <id> [--out <dir>] [--format csv,jsonl] [--node-url <url>]
 *  [--wait <seconds>]`
 *
 * Opens a delivered purchase as its buyer: reads `PurchaseCreated` and `PurchaseFulfilled`,
 * derives the buyer's X25519 key from its wallet's signature (lib/crypto/keys), fetches the
 * manifest and, for a v2 manifest, the delivery key the node releases once the delivery is final
 * (waiting up to `--wait` seconds, default 120, while it is not), then every envelope; verifies
 * everything (lib/delivery) and writes `<out>/purchase-<id>.jsonl` and `<out>/purchase-<id>.csv`.
 *
 * Environment: `DATABANK_BUYER_PRIVATE_KEY` (the buying wallet's key), plus the usual
 * configuration (lib/config: `DATABANK_RPC_URL`, `DATABANK_ADDRESS`, …).
 *
 * Exit codes: 0 done; 1 the delivery failed verification or decryption (or an unexpected error);
 * 2 bad input or environment (one line saying what to fix).
 */
import { mkdir } from "node:fs/promises";
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { createNodeApiClient, lazyEnvelopes } from "../lib/api/index.js";
import { ConfigError, loadConfig } from "../lib/config/index.js";
import { createDatabankClient } from "../lib/contracts/client.js";
import { deriveWalletKeyPair } from "../lib/crypto/keys.js";
import { DeliveryError, streamDelivery, waitForDeliveryKey } from "../lib/delivery/index.js";
import { readRevokedRecords, withoutRevoked } from "../lib/delivery/revoked.js";
import { connect, nodeWaitOptions, UsageError, walletFromEnv } from "./cli.js";
import { writeDeliveryFiles } from "./deliveryFiles.js";

const FORMATS = ["jsonl", "csv"] as const;
type Format = (typeof FORMATS)[number];

const USAGE =
  "usage: npm run buyer -- --purchase <id> [--out <dir>] [--format csv,jsonl] [--node-url <url>] [--wait <seconds>]";

interface Options {
  purchaseId: bigint;
  out: string;
  formats: Format[];
  nodeUrl: string;
  /** How long to wait for the node to release the delivery key, in ms. */
  waitMs: number;
}

function parseOptions(argv: string[], nodeUrl: string): Options {
  let values;
  try {
    ({ values } = parseArgs({
      args: argv,
      options: {
        purchase: { type: "string" },
        out: { type: "string", default: "." },
        format: { type: "string", default: "csv,jsonl" },
        "node-url": { type: "string", default: nodeUrl },
        wait: { type: "string", default: "120" },
      },
      strict: true,
    }));
  } catch (error) {
    throw new UsageError(`${(error as Error).message.split("\n")[0]} (${USAGE})`);
  }
  if (values.purchase === undefined || !/^[1-9][0-9]*$/.test(values.purchase)) {
    throw new UsageError(`--purchase must be a purchase id (a positive integer) (${USAGE})`);
  }
  const formats = values.format.split(",").map((f) => f.trim().toLowerCase());
  const unknown = formats.filter((f) => !(FORMATS as readonly string[]).includes(f));
  if (unknown.length > 0 || formats.length === 0) {
    throw new UsageError(`--format takes csv, jsonl or csv,jsonl, not "${values.format}"`);
  }
  const node = nodeWaitOptions(values, nodeUrl);
  return {
    waitMs: node.waitMs,
    purchaseId: BigInt(values.purchase),
    out: resolve(values.out),
    formats: [...new Set(formats)] as Format[],
    nodeUrl: node.nodeUrl,
  };
}

async function run(argv: string[]): Promise<void> {
  const config = loadConfig();
  const options = parseOptions(argv, config.nodeUrl);
  const account = walletFromEnv("DATABANK_BUYER_PRIVATE_KEY");
  const { publicClient, databank: address } = await connect(config);
  const chainId = publicClient.chain.id;
  const databank = createDatabankClient({ publicClient, address });
  const id = options.purchaseId;

  const [created] = await databank.contract.getEvents.PurchaseCreated(
    { purchaseId: id },
    { fromBlock: config.startBlock },
  );
  if (created === undefined) {
    throw new UsageError(`--purchase: there is no purchase ${id} on Databank ${address}`);
  }
  if (created.args.buyer!.toLowerCase() !== account.address.toLowerCase()) {
    throw new UsageError(
      `DATABANK_BUYER_PRIVATE_KEY: purchase ${id} was made by ${created.args.buyer}, not by ${account.address}`,
    );
  }
  const [fulfilled] = await databank.contract.getEvents.PurchaseFulfilled(
    { purchaseId: id },
    { fromBlock: created.blockNumber },
  );
  if (fulfilled === undefined) {
    const status = ["none", "pending", "fulfilled", "refunded"][
      await databank.contract.read.purchaseStatus([id])
    ];
    throw new UsageError(
      `--purchase: purchase ${id} is ${status}, not delivered yet; ask the node: ${options.nodeUrl}/v1/purchases/${id}/delivery`,
    );
  }

  const keys = await deriveWalletKeyPair(account);
  const api = createNodeApiClient({ baseUrl: options.nodeUrl });
  const fetchContent = (cid: string) => api.getContent(cid);
  const { deliveryCid, recordsRoot, recordCount } = fulfilled.args;

  let manifest: Uint8Array;
  try {
    manifest = await fetchContent(deliveryCid!);
  } catch (cause) {
    throw new DeliveryError(
      "FETCH_FAILED",
      `cannot fetch the manifest ${deliveryCid}: ${(cause as Error).message}`,
      { cause },
    );
  }
  const started = Date.now();
  let lastPrint = 0;
  let waitingShown = false;
  // A progress line is open (no newline yet): an error must start on a line of its own.
  let progressOpen = false;
  await mkdir(options.out, { recursive: true });
  const jsonlPath = options.formats.includes("jsonl")
    ? join(options.out, `purchase-${id}.jsonl`)
    : undefined;
  const csvPath = options.formats.includes("csv")
    ? join(options.out, `purchase-${id}.csv`)
    : undefined;
  // Streamed: each record is written out as it is decrypted, so memory stays bounded.
  // Records whose consent was revoked since the delivery are to be erased, not written out again.
  const revoked = await readRevokedRecords({
    client: publicClient,
    databank: address,
    poolId: created.args.poolId!,
    fromBlock: config.startBlock,
  });
  const leftOut: bigint[] = [];
  const delivered = streamDelivery({
    manifest,
    expected: {
      recordsRoot: recordsRoot!,
      recordCount: recordCount!,
      buyerKey: created.args.buyerKey!,
      purchaseId: id,
      databank: address,
      chainId,
      deliveryCid: deliveryCid!,
    },
    // One stream for every envelope; any it leaves out is fetched by CID.
    envelopes: lazyEnvelopes(
      (signal) => api.openDeliveryStream(id, signal),
      deliveryCid!,
      (reason) =>
        process.stderr.write(
          `purchase ${id}: the node does not stream this delivery (${reason}); fetching records one by one\n`,
        ),
    ),
    fetchContent,
    buyerPrivateKey: keys.privateKey,
    // Asked only for a v2 manifest: the node releases the key once `fulfill` is confirmed.
    deliveryKey: () =>
      waitForDeliveryKey({
        purchaseId: id,
        fetchStatus: () => api.deliveryStatus(id),
        timeoutMs: options.waitMs,
        onWaiting: () => {
          if (waitingShown) return;
          waitingShown = true;
          process.stderr.write(
            `purchase ${id}: waiting for the custodian to release the delivery key (the delivery is final once its fulfil transaction is confirmed)\n`,
          );
        },
      }),
    onProgress: ({ done, total }) => {
      const now = Date.now();
      if (done === total || now - lastPrint >= 250) {
        lastPrint = now;
        progressOpen = true;
        process.stderr.write(`\rpurchase ${id}: ${done}/${total} records verified and decrypted`);
      }
    },
  });
  const records = withoutRevoked(delivered, revoked, (record) => leftOut.push(record.tokenId));
  let written;
  try {
    written = await writeDeliveryFiles({ records, jsonlPath, csvPath });
  } finally {
    if (progressOpen) process.stderr.write("\n");
  }
  const paths = [jsonlPath, csvPath].filter((path) => path !== undefined);
  const skipped = csvPath === undefined ? [] : written.skipped;
  const skippedNote =
    skipped.length > 0
      ? `; ${skipped.length} record(s) not JSON objects left out of the CSV (in the JSON Lines file): token ${skipped.map((s) => s.tokenId).join(", ")}`
      : "";
  const seconds = ((Date.now() - started) / 1000).toFixed(1);
  const revokedNote =
    leftOut.length > 0
      ? `; ${leftOut.length} record(s) whose consent was revoked left out (contribution ${leftOut.join(", ")}): delete any copy and attest the erasure`
      : "";
  console.log(
    `purchase ${id}: ${written.count + leftOut.length} records verified against root ${recordsRoot} and decrypted in ${seconds} s; wrote ${paths.join(", ")}${skippedNote}${revokedNote}`,
  );
}

try {
  await run(process.argv.slice(2));
} catch (error) {
  const message = (error instanceof Error ? error.message : String(error)).split("\n")[0];
  if (error instanceof UsageError || error instanceof ConfigError) {
    console.error(`buyer: ${message}`);
    process.exitCode = 2;
  } else if (error instanceof DeliveryError) {
    console.error(`buyer: verification failed (${error.code}): ${message}`);
    process.exitCode = 1;
  } else {
    console.error(`buyer: ${message}`);
    process.exitCode = 1;
  }
}
