/**
 * `npm run query -- --pool <id> --spec <query.json> [--epsilon <ε>] [--out <answer.csv>]
 *  [--check] [--node-url <url>] [--wait <seconds>]`
 *
 * Buys a differentially private answer to a query (docs/queries.md) as the wallet in
 * `DATABANK_BUYER_PRIVATE_KEY`:
 *
 * 1. Before paying: reads the pool's record schema by its on-chain CID, takes its query policy
 *    (`x-databank-query-policy`, capped by the on-chain per-query ε), checks the query against both,
 *    and prints the price (in token units), the ε it will spend and what is left of the pool's
 *    privacy budget. `--check` stops here.
 * 2. Uploads the query to the node and pays (`purchaseQuery`, with its CID and keccak256).
 * 3. Waits for the custodian: an answer, or a rejection (its reason is printed; the price was
 *    credited to the buyer, to withdraw with `claim`).
 * 4. Checks the answer against `QueryAnswered`, opens it with the key the node releases once the
 *    answer is final (lib/query/sealedAnswer.ts), prints it as a table and writes the CSV to --out.
 *
 * The steps are lib/query/buyer.ts's (`quoteQuery`, then `buyAnswer`), which the demo shares.
 *
 * Exit codes: 0 answered; 1 rejected, not answered in time, or failed verification; 2 bad input or
 * environment (one line saying what to fix).
 */
import { readFile, writeFile } from "node:fs/promises";
import { resolve } from "node:path";
import { parseArgs } from "node:util";
import { createWalletClient, http } from "viem";
import { createNodeApiClient } from "../lib/api/index.js";
import { ConfigError, loadConfig } from "../lib/config/index.js";
import { createDatabankClient } from "../lib/contracts/client.js";
import { deriveWalletKeyPair } from "../lib/crypto/keys.js";
import { formatEpsilon, parseEpsilon } from "../lib/query/index.js";
import {
  buyAnswer,
  quoteQuery,
  QueryPurchaseError,
  renderAnswerTable,
} from "../lib/query/buyer.js";
import { connect, nodeWaitOptions, UsageError, walletFromEnv } from "./cli.js";

const USAGE =
  "usage: npm run query -- --pool <id> --spec <query.json> [--epsilon <ε>] [--out <answer.csv>] [--check] [--node-url <url>] [--wait <seconds>]";

interface Options {
  poolId: number;
  specPath: string;
  /** micro-ε, when given on the command line. */
  epsilon: bigint | undefined;
  out: string | undefined;
  checkOnly: boolean;
  nodeUrl: string;
  waitMs: number;
}

/** Parses the command line. @throws UsageError with one line */
function parseQueryOptions(argv: string[], nodeUrl: string): Options {
  let values;
  try {
    ({ values } = parseArgs({
      args: argv,
      options: {
        pool: { type: "string" },
        spec: { type: "string" },
        epsilon: { type: "string" },
        out: { type: "string" },
        check: { type: "boolean", default: false },
        "node-url": { type: "string", default: nodeUrl },
        wait: { type: "string", default: "300" },
      },
      strict: true,
      allowPositionals: false,
    }));
  } catch (error) {
    throw new UsageError(`${(error as Error).message.split("\n")[0]} (${USAGE})`);
  }
  if (values.pool === undefined || !/^[1-9][0-9]{0,9}$/.test(values.pool)) {
    throw new UsageError(`--pool must be a pool id (a positive integer) (${USAGE})`);
  }
  if (Number(values.pool) > 2 ** 32 - 1) throw new UsageError("--pool is beyond any pool id");
  if (values.spec === undefined || values.spec.trim() === "") {
    throw new UsageError(`--spec must name the query's JSON file (${USAGE})`);
  }
  let epsilon: bigint | undefined;
  if (values.epsilon !== undefined) {
    try {
      epsilon = parseEpsilon(values.epsilon, "--epsilon");
    } catch (error) {
      throw new UsageError((error as Error).message);
    }
  }
  const node = nodeWaitOptions(values, nodeUrl);
  return {
    poolId: Number(values.pool),
    specPath: resolve(values.spec),
    epsilon,
    out: values.out === undefined ? undefined : resolve(values.out),
    checkOnly: values.check,
    nodeUrl: node.nodeUrl,
    waitMs: node.waitMs,
  };
}

async function readSpec(path: string): Promise<{ bytes: Uint8Array; query: unknown }> {
  let bytes: Uint8Array;
  try {
    bytes = await readFile(path);
  } catch (error) {
    throw new UsageError(`--spec: cannot read ${path} (${(error as NodeJS.ErrnoException).code})`);
  }
  try {
    return { bytes, query: JSON.parse(new TextDecoder().decode(bytes)) };
  } catch (error) {
    throw new UsageError(`--spec: ${path} is not JSON: ${(error as Error).message}`);
  }
}

async function run(argv: string[]): Promise<number> {
  const config = loadConfig();
  const options = parseQueryOptions(argv, config.nodeUrl);
  const { bytes, query } = await readSpec(options.specPath);
  const account = walletFromEnv("DATABANK_BUYER_PRIVATE_KEY");
  const { publicClient, databank: address } = await connect(config);
  const reader = createDatabankClient({ publicClient, address });
  const api = createNodeApiClient({ baseUrl: options.nodeUrl });

  // 1. The check, before any payment.
  const quote = await quoteQuery({
    reader,
    api,
    poolId: options.poolId,
    query,
    epsilon: options.epsilon,
  });
  const budget = BigInt(quote.pool.epsilonBudget);
  console.log(
    `pool ${options.poolId}: the query passes the pool's policy; price ${quote.price}, ε ${formatEpsilon(quote.epsilon)}; the pool's privacy budget has ${formatEpsilon(quote.remaining)} of ${formatEpsilon(budget)} ε left`,
  );
  if (options.checkOnly) return 0;

  // 2–4. Pay, wait, verify against the chain, open.
  const walletClient = createWalletClient({
    account,
    chain: publicClient.chain,
    transport: http(config.rpcUrl),
  });
  const result = await buyAnswer({
    quote,
    queryBytes: bytes,
    buyer: createDatabankClient({ publicClient, walletClient, address }),
    buyerKeys: await deriveWalletKeyPair(account),
    api,
    timeoutMs: options.waitMs,
    onPaid: (purchase) =>
      console.log(
        `purchase ${purchase.id}: paid ${quote.price}; waiting for the custodian's answer`,
      ),
  });
  if (result.kind === "rejected") {
    console.error(
      `purchase ${result.purchase.id}: the custodian rejected the query: ${result.reason}. The price (${quote.price}) was credited to you; withdraw it with claim.`,
    );
    return 1;
  }
  console.log(renderAnswerTable(result.bundle.csv));
  const after = await reader.contract.read.getPool([options.poolId]);
  console.log(
    `purchase ${result.purchase.id}: answered over ${result.recordCount} records with ε ${formatEpsilon(result.epsilonSpent)}; ${result.bundle.answer.withheldGroups} group(s) withheld below the noisy threshold; the pool has ${formatEpsilon(BigInt(after.epsilonBudget) - BigInt(after.epsilonSpent))} ε left`,
  );
  if (options.out !== undefined) {
    await writeFile(options.out, result.bundle.csv);
    console.log(`wrote ${options.out}`);
  }
  return 0;
}

try {
  process.exitCode = await run(process.argv.slice(2));
} catch (error) {
  const message = (error instanceof Error ? error.message : String(error)).split("\n")[0];
  console.error(`query: ${message}`);
  const fixable =
    error instanceof UsageError ||
    error instanceof ConfigError ||
    (error instanceof QueryPurchaseError && error.fixable);
  process.exitCode = fixable ? 2 : 1;
}
