/**
 * `npm run import -- --bundle <file> --pool <id>`: contributes the active records of an export
 * bundle to a pool of the deployment configured by DATABANK_RPC_URL / DATABANK_NODE_URL (another
 * data bank, possibly on another chain). Signs with DATABANK_WALLET_PRIVATE_KEY, gasless.
 * `--scope records|statistics|both` consents to that use in the target pool; by default each
 * record keeps the scope it had.
 */
import { readFileSync } from "node:fs";
import { createNodeApiClient } from "../lib/api/index.js";
import { createDatabankClient } from "../lib/contracts/index.js";
import { deriveWalletKeyPair, fromHex32 } from "../lib/crypto/index.js";
import {
  importBundle,
  parseExportBundle,
  SCOPE_NAMES,
  scopeBits,
} from "../lib/portability/index.js";
import { connect, parseCli, runCli, UsageError, walletFromEnv } from "./cli.js";

runCli("import", async () => {
  const args = parseCli({
    bundle: { type: "string" },
    pool: { type: "string" },
    scope: { type: "string" },
  });
  if (!args.bundle || !args.pool || !/^[0-9]+$/.test(args.pool)) {
    throw new UsageError(
      "usage: npm run import -- --bundle <export.json> --pool <pool id> [--scope records|statistics|both]",
    );
  }
  const scopeName = args.scope as (typeof SCOPE_NAMES)[number] | undefined;
  if (scopeName !== undefined && !SCOPE_NAMES.includes(scopeName)) {
    throw new UsageError(`--scope must be records, statistics or both, not "${args.scope}"`);
  }
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(args.bundle, "utf8"));
  } catch (error) {
    throw new UsageError(`cannot read ${args.bundle} as JSON (${(error as Error).message})`);
  }
  let bundle;
  try {
    bundle = parseExportBundle(raw);
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  const account = walletFromEnv("DATABANK_WALLET_PRIVATE_KEY");
  const { config, publicClient, databank } = await connect();
  const client = createDatabankClient({ publicClient, address: databank });
  const poolId = Number(args.pool);
  const pool = await client.contract.read.getPool([poolId]).catch(() => {
    throw new UsageError(`pool ${poolId} does not exist on ${databank}`);
  });
  if (account.address.toLowerCase() !== bundle.wallet.toLowerCase()) {
    throw new UsageError(
      `the bundle belongs to ${bundle.wallet}: set DATABANK_WALLET_PRIVATE_KEY to that wallet's key`,
    );
  }
  const keys = await deriveWalletKeyPair(account);
  const outcomes = await importBundle({
    bundle,
    api: createNodeApiClient({ baseUrl: config.nodeUrl }),
    databank: client,
    poolId,
    custodianPublicKey: fromHex32(pool.custodianKey),
    signer: account,
    contributorPublicKey: keys.publicKey,
    scope: scopeName === undefined ? undefined : scopeBits(scopeName),
    onProgress: (done, total) => process.stderr.write(`\rimport: ${done}/${total} records`),
  });
  process.stderr.write("\n");
  for (const outcome of outcomes) {
    console.log(
      outcome.ok
        ? `contribution ${outcome.from} → ${outcome.contributionId} (${outcome.dataCid})`
        : `contribution ${outcome.from} not imported: ${outcome.error}`,
    );
  }
  return outcomes.every((o) => o.ok) ? 0 : 1;
});
