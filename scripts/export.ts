/**
 * `npm run export -- [--wallet <address>] [--out <file>] [--from-block <n>]`: a contributor's
 * export bundle (GDPR art. 20): its decrypted records, consent tokens with their terms, and every
 * payout with its transaction hash. The wallet key comes from DATABANK_WALLET_PRIVATE_KEY (it is
 * needed to derive the key that opens the records).
 */
import { writeFileSync } from "node:fs";
import { createNodeApiClient } from "../lib/api/index.js";
import { deriveWalletKeyPair } from "../lib/crypto/index.js";
import { buildExportBundle } from "../lib/portability/index.js";
import { connect, parseCli, runCli, UsageError, walletFromEnv } from "./cli.js";

function blockNumber(value: string): bigint {
  if (!/^[0-9]+$/.test(value))
    throw new UsageError(`--from-block must be a block number, not "${value}"`);
  return BigInt(value);
}

runCli("export", async () => {
  const args = parseCli({
    wallet: { type: "string" },
    out: { type: "string" },
    "from-block": { type: "string" },
  });
  const account = walletFromEnv("DATABANK_WALLET_PRIVATE_KEY");
  if (args.wallet !== undefined && args.wallet.toLowerCase() !== account.address.toLowerCase()) {
    throw new UsageError(
      `--wallet ${args.wallet} is not the wallet of DATABANK_WALLET_PRIVATE_KEY (${account.address})`,
    );
  }
  const { config, publicClient, databank } = await connect();
  const api = createNodeApiClient({ baseUrl: config.nodeUrl });
  const keys = await deriveWalletKeyPair(account);
  const bundle = await buildExportBundle({
    publicClient,
    databank,
    wallet: account.address,
    contributorPrivateKey: keys.privateKey,
    fetchContent: (cid) => api.getContent(cid),
    fromBlock:
      args["from-block"] === undefined ? config.startBlock : blockNumber(args["from-block"]),
    onProgress: (done, total) => process.stderr.write(`\rexport: ${done}/${total} contributions`),
  });
  process.stderr.write("\n");
  const json = `${JSON.stringify(bundle, null, 2)}\n`;
  if (args.out) {
    writeFileSync(args.out, json);
    console.error(
      `export: ${bundle.contributions.length} contributions and ${bundle.payouts.length} payouts written to ${args.out}`,
    );
  } else {
    process.stdout.write(json);
  }
});
