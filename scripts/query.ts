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
 * Exit codes: 0 answered; 1 rejected, not answered in time, or failed verification; 2 bad input or
 * environment (one line saying what to fix).
 */
import { readFile, writeFile } from "node:fs/promises";
import { resolve } from "node:path";
import { parseArgs } from "node:util";
import { createWalletClient, erc20Abi, http, keccak256, zeroAddress, type Hex } from "viem";
import { createNodeApiClient, NodeApiError } from "../lib/api/index.js";
import { formatTokenAmount, readTokenUnits } from "../lib/audit/money.js";
import { ConfigError, loadConfig } from "../lib/config/index.js";
import {
  CONSENT_SCOPE,
  createDatabankClient,
  decodeDatabankError,
} from "../lib/contracts/client.js";
import { deriveWalletKeyPair, toHex32 } from "../lib/crypto/keys.js";
import {
  checkQuery,
  formatEpsilon,
  openAnswer,
  parseEpsilon,
  queryPolicyOf,
  isQueryError,
} from "../lib/query/index.js";
import { connect, UsageError, walletFromEnv } from "./cli.js";

const USAGE =
  "usage: npm run query -- --pool <id> --spec <query.json> [--epsilon <ε>] [--out <answer.csv>] [--check] [--node-url <url>] [--wait <seconds>]";

/** The answer did not come, or did not verify: exit 1. */
class QueryFailure extends Error {
  constructor(message: string) {
    super(message);
    this.name = "QueryFailure";
  }
}

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
  try {
    new URL(values["node-url"]);
  } catch {
    throw new UsageError(`--node-url must be a URL such as ${nodeUrl}`);
  }
  if (!/^[0-9]+$/.test(values.wait) || Number(values.wait) > 86_400) {
    throw new UsageError(`--wait takes whole seconds from 0 to 86400, not "${values.wait}"`);
  }
  return {
    poolId: Number(values.pool),
    specPath: resolve(values.spec),
    epsilon,
    out: values.out === undefined ? undefined : resolve(values.out),
    checkOnly: values.check,
    nodeUrl: values["node-url"],
    waitMs: Number(values.wait) * 1000,
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
  const chainId = publicClient.chain.id;
  const reader = createDatabankClient({ publicClient, address });
  const api = createNodeApiClient({ baseUrl: options.nodeUrl });

  let pool;
  try {
    pool = await reader.contract.read.getPool([options.poolId]);
  } catch (error) {
    if (decodeDatabankError(error)?.name === "UnknownPool") {
      throw new UsageError(`--pool: there is no pool ${options.poolId} on Databank ${address}`);
    }
    throw error;
  }
  if ((pool.products & CONSENT_SCOPE.statistics) === 0) {
    throw new UsageError(`--pool: pool ${options.poolId} does not sell queries`);
  }

  // 1. The check, before any payment.
  const [schemaCid] = await reader.contract.read.poolDocuments([options.poolId]);
  let schema: unknown;
  try {
    schema = JSON.parse(new TextDecoder().decode(await api.getContent(schemaCid)));
  } catch (error) {
    throw new QueryFailure(
      `cannot read the pool's record schema ${schemaCid} from ${options.nodeUrl}: ${(error as Error).message}`,
    );
  }
  let checked;
  try {
    const policy = queryPolicyOf(schema, pool);
    const result = checkQuery({
      query,
      recordSchema: schema as object,
      policy,
      epsilon: options.epsilon,
    });
    if (!result.ok) throw result.error;
    checked = result.query;
  } catch (error) {
    if (isQueryError(error))
      throw new UsageError(`the pool's policy refuses this query: ${error.message}`);
    throw error;
  }
  const epsilon = checked.epsilon;
  const remaining = BigInt(pool.epsilonBudget) - BigInt(pool.epsilonSpent);
  const units = await readTokenUnits(publicClient, pool.paymentToken, chainId);
  const price = formatTokenAmount(pool.queryPrice, units);
  console.log(
    `pool ${options.poolId}: the query passes the pool's policy; price ${price}, ε ${formatEpsilon(epsilon)}; the pool's privacy budget has ${formatEpsilon(remaining)} of ${formatEpsilon(BigInt(pool.epsilonBudget))} ε left`,
  );
  if (remaining < epsilon) {
    throw new UsageError(
      `the pool's privacy budget has only ${formatEpsilon(remaining < 0n ? 0n : remaining)} ε left, less than the ${formatEpsilon(epsilon)} ε this query would spend; ask for less with --epsilon`,
    );
  }
  if (options.checkOnly) return 0;

  // 2. Upload and pay.
  const { cid: queryCid } = await api.uploadContent(bytes);
  const keys = await deriveWalletKeyPair(account);
  const walletClient = createWalletClient({
    account,
    chain: publicClient.chain,
    transport: http(config.rpcUrl),
  });
  const buyer = createDatabankClient({ publicClient, walletClient, address });
  const native = pool.paymentToken === zeroAddress;
  if (!native) {
    const { request } = await publicClient.simulateContract({
      account,
      address: pool.paymentToken,
      abi: erc20Abi,
      functionName: "approve",
      args: [address, pool.queryPrice],
    });
    await publicClient.waitForTransactionReceipt({
      hash: await walletClient.writeContract(request),
    });
  }
  const args = [
    options.poolId,
    pool.queryPrice,
    toHex32(keys.publicKey),
    Number(epsilon),
    queryCid,
    keccak256(bytes),
  ] as const;
  let hash: Hex;
  try {
    await buyer.contract.simulate.purchaseQuery(args, native ? { value: pool.queryPrice } : {});
    hash = await buyer.contract.write.purchaseQuery(args, native ? { value: pool.queryPrice } : {});
  } catch (error) {
    const decoded = decodeDatabankError(error);
    if (decoded !== undefined)
      throw new QueryFailure(`the purchase was refused: ${decoded.message}`);
    throw error;
  }
  const receipt = await publicClient.waitForTransactionReceipt({ hash });
  const purchase = buyer.purchaseFromEvent(receipt);
  console.log(`purchase ${purchase.id}: paid ${price}; waiting for the custodian's answer`);

  // 3. Wait for the answer or a rejection.
  const giveUpAt = Date.now() + options.waitMs;
  let status;
  for (;;) {
    try {
      status = await api.answerStatus(purchase.id);
    } catch (error) {
      // 404 until the node has seen the purchase.
      if (!(error instanceof NodeApiError && error.status === 404)) throw error;
      status = undefined;
    }
    if (status?.status === "rejected") {
      console.error(
        `purchase ${purchase.id}: the custodian rejected the query: ${status.reason ?? "no reason given"}. The price (${price}) was credited to you; withdraw it with claim.`,
      );
      return 1;
    }
    if (status?.status === "refunded" || status?.status === "failed") {
      throw new QueryFailure(
        `purchase ${purchase.id} was not answered (${status.status}${status.reason === undefined ? "" : `: ${status.reason}`}); once its deadline passes, refund it`,
      );
    }
    if (status?.answerKey !== undefined) break;
    if (Date.now() >= giveUpAt) {
      throw new QueryFailure(
        `purchase ${purchase.id}: no answer after ${Math.round(options.waitMs / 1000)} s (node status "${status?.status ?? "unseen"}"); ask again later at ${options.nodeUrl}/v1/purchases/${purchase.id}/answer`,
      );
    }
    await new Promise((done) => setTimeout(done, 1_000));
  }

  // 4. Verify against the chain, open, print.
  const [answered] = await reader.contract.getEvents.QueryAnswered(
    { purchaseId: purchase.id },
    { fromBlock: receipt.blockNumber },
  );
  if (answered === undefined || answered.args.answerCid !== status.answerCid) {
    throw new QueryFailure(
      `purchase ${purchase.id}: the node's answer ${status.answerCid} is not the one recorded on-chain`,
    );
  }
  const { answerCid, epsilonSpent, recordCount } = answered.args;
  const bundle = await openAnswer({
    envelope: await api.getContent(answerCid!),
    answerCid: answerCid!,
    sealedKey: status.answerKey,
    buyerPrivateKey: keys.privateKey,
    binding: {
      chainId,
      databank: address,
      purchaseId: purchase.id,
      poolId: options.poolId,
      buyer: account.address,
    },
  });
  if (BigInt(bundle.answer.epsilonMicro) !== BigInt(epsilonSpent!) || epsilonSpent! > epsilon) {
    throw new QueryFailure(
      `purchase ${purchase.id}: the answer says it spent ${bundle.answer.epsilon} ε but the chain recorded ${formatEpsilon(BigInt(epsilonSpent!))} ε`,
    );
  }
  console.log(renderTable(bundle.csv));
  const after = await reader.contract.read.getPool([options.poolId]);
  console.log(
    `purchase ${purchase.id}: answered over ${recordCount} records with ε ${formatEpsilon(BigInt(epsilonSpent!))}; ${bundle.answer.withheldGroups} group(s) withheld below the noisy threshold; the pool has ${formatEpsilon(BigInt(after.epsilonBudget) - BigInt(after.epsilonSpent))} ε left`,
  );
  if (options.out !== undefined) {
    await writeFile(options.out, bundle.csv);
    console.log(`wrote ${options.out}`);
  }
  return 0;
}

/** The answer's CSV as an aligned text table. */
function renderTable(csv: string): string {
  const rows = parseCsv(csv);
  if (rows.length === 0) return "(no groups)";
  const widths = rows[0]!.map((_, column) =>
    Math.max(...rows.map((row) => (row[column] ?? "").length)),
  );
  const line = (row: string[]) =>
    row
      .map((cell, column) => cell.padEnd(widths[column]!))
      .join("  ")
      .trimEnd();
  const [header, ...body] = rows;
  return [line(header!), widths.map((w) => "-".repeat(w)).join("  "), ...body.map(line)].join("\n");
}

/** RFC 4180 as lib/query/csv.ts writes it: CRLF lines, quoted fields with doubled quotes. */
function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = "";
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const char = text[i]!;
    if (quoted) {
      if (char === '"' && text[i + 1] === '"') {
        field += '"';
        i++;
      } else if (char === '"') quoted = false;
      else field += char;
    } else if (char === '"') quoted = true;
    else if (char === ",") {
      row.push(field);
      field = "";
    } else if (char === "\n") {
      row.push(field.replace(/\r$/, ""));
      rows.push(row);
      row = [];
      field = "";
    } else field += char;
  }
  if (field !== "" || row.length > 0) rows.push([...row, field]);
  return rows;
}

try {
  process.exitCode = await run(process.argv.slice(2));
} catch (error) {
  const message = (error instanceof Error ? error.message : String(error)).split("\n")[0];
  console.error(`query: ${message}`);
  process.exitCode = error instanceof UsageError || error instanceof ConfigError ? 2 : 1;
}
