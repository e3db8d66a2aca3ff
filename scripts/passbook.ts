/**
 * `npm run passbook -- --wallet <address> [--json|--csv]`: the command-line face of lib/passbook.
 * Options are the audit's (lib/passbook's parser builds on lib/audit's), with the project's config
 * loader for defaults and `connect` for the chain and the Databank address, as every CLI here.
 * Exit status: 0 printed, 2 bad input or an error that stops it (one line on stderr saying what
 * to fix), 1 an unexpected error.
 */
import { writeFile } from "node:fs/promises";
import { AuditError } from "../lib/audit/index.js";
import { loadConfig } from "../lib/config/index.js";
import {
  buildPassbook,
  parsePassbookArgs,
  passbookToCsv,
  passbookToText,
  PASSBOOK_USAGE,
} from "../lib/passbook/index.js";
import { connect, logProgressBar, runCli, UsageError } from "./cli.js";

/** The audit library's errors (bad flag, no contract at the address...) are the user's to fix. */
async function asUsage<T>(run: () => T | Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (error) {
    if (error instanceof AuditError) throw new UsageError(error.message);
    throw error;
  }
}

runCli("passbook", async () => {
  const config = loadConfig();
  const options = await asUsage(() => parsePassbookArgs(process.argv.slice(2), config));
  if (options.help) {
    process.stdout.write(`${PASSBOOK_USAGE}\n`);
    return 0;
  }
  const { publicClient, databank } = await connect({
    ...config,
    rpcUrl: options.rpcUrl,
    databankAddress: options.databank,
  });
  const bar = logProgressBar();
  const passbook = await asUsage(() =>
    buildPassbook({
      client: publicClient,
      databank,
      wallet: options.wallet!,
      fromBlock: options.fromBlock,
      toBlock: options.toBlock,
      blockRange: options.blockRange,
      erasureGraceSeconds: options.erasureGraceSeconds,
      explorerUrl: options.explorerUrl,
      onProgress: bar.update,
    }).finally(bar.done),
  );
  const rendered =
    options.format === "json"
      ? `${JSON.stringify(passbook, null, 2)}\n`
      : options.format === "csv"
        ? passbookToCsv(passbook)
        : passbookToText(passbook);
  if (options.out) {
    await writeFile(options.out, rendered);
    console.error(`passbook: written to ${options.out}`);
  } else {
    process.stdout.write(rendered);
  }
  return 0;
});
