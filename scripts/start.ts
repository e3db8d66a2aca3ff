/**
 * `npm start`: the whole Databank stack on this machine, with no external account or service:
 * a local Hardhat chain, the contracts deployed through Ignition, the data bank node (custodian)
 * with its embedded Helia store, and the dApp. Everything listens on 127.0.0.1. Ctrl-C stops it.
 *
 * Local mode is ephemeral: the chain starts empty, so the node's state under `.databank/local`
 * is cleared at every start.
 *
 * The chain is a child process that stops when this one dies, even by SIGKILL
 * (stack/exitWithParent.mjs); a port already taken (e.g. by a chain of an earlier run that was not
 * stopped this way) is named before anything starts.
 */
import { rmSync } from "node:fs";
import { join } from "node:path";
import { generateKeyPair, toHex32 } from "../lib/crypto/index.js";
import { chainPort, ConfigError, dappPort, loadConfig, nodePort } from "../lib/config/index.js";
import { createConsoleLogger } from "../service/log.js";
import { startDatabankNode } from "../service/node.js";
import { LOCAL_ROLES, localAccount, localPrivateKey } from "./stack/accounts.js";
import { deployLocalDemo } from "./stack/deploy.js";
import { startLocalChain } from "./stack/localChain.js";
import { startLocalDapp } from "./stack/dapp.js";
import { assertPortFree, PortInUseError } from "./stack/ports.js";

const HOST = "127.0.0.1";
const DATA_DIR = join(process.cwd(), ".databank", "local");

/** What to stop on exit, in start order (stopped in reverse). */
const stops: Array<() => Promise<void>> = [];

async function stopAll(code: number): Promise<never> {
  for (const stop of stops.reverse()) await stop().catch(() => {});
  process.exit(code);
}

async function main(): Promise<void> {
  process.once("SIGINT", () => void stopAll(0));
  process.once("SIGTERM", () => void stopAll(0));
  // The same rule as every CLI's default URLs (lib/config/local.ts), checked before starting anything.
  const ports = {
    chain: chainPort(process.env),
    node: nodePort(process.env), // read again by loadConfig below
    dapp: dappPort(process.env),
  };
  // Checked before anything starts, so a taken port fails fast and by name.
  await assertPortFree(HOST, ports.chain, "DATABANK_CHAIN_PORT");
  await assertPortFree(HOST, ports.node, "DATABANK_NODE_PORT");
  console.log(`start: local chain on ${HOST}:${ports.chain}…`);
  const chain = await startLocalChain({ host: HOST, port: ports.chain });
  stops.push(chain.stop);
  chain.process.once("exit", () => {
    console.error("start: the local chain stopped; stopping everything");
    void stopAll(1);
  });

  console.log("start: deploying the contracts with Ignition…");
  const deployment = await deployLocalDemo({ rpcUrl: chain.rpcUrl, deploymentId: "chain-31337" });

  rmSync(DATA_DIR, { recursive: true, force: true });
  const config = loadConfig({
    requireCustodian: true,
    env: {
      // Every local client is 127.0.0.1: the per-IP limit would only get in the demo's way.
      DATABANK_CLIENT_RATE_LIMIT: "100000",
      DATABANK_REQUEST_RATE_LIMIT: "100000",
      ...process.env,
      DATABANK_RPC_URL: chain.rpcUrl,
      DATABANK_ADDRESS: deployment.databank,
      DATABANK_DATA_DIR: DATA_DIR,
      DATABANK_STORAGE: "helia",
      DATABANK_CUSTODIAN_PRIVATE_KEY: localPrivateKey(LOCAL_ROLES.custodian),
      DATABANK_CUSTODIAN_X25519_KEY: toHex32(generateKeyPair().privateKey),
      DATABANK_CUSTODIAN_FINGERPRINT_KEY: toHex32(generateKeyPair().privateKey),
    },
  });
  const node = await startDatabankNode({ config, hooks: { logger: createConsoleLogger() } });
  stops.push(node.stop);

  const dapp = await startLocalDapp({
    host: HOST,
    port: ports.dapp,
    runtimeConfig: {
      chainId: 31337,
      rpcUrl: chain.rpcUrl,
      databank: deployment.databank,
      stablecoin: deployment.stablecoin,
      nodeUrl: node.url,
      devAccounts: true,
    },
  });
  if (dapp) stops.push(dapp.stop);

  const lines = [
    "",
    "Databank is running on this machine:",
    `  chain (JSON-RPC, chain id 31337)  ${chain.rpcUrl}`,
    `  data bank node (HTTP API)         ${node.url}   (OpenAPI: ${node.url}/openapi.json)`,
    `  dApp                              ${dapp ? dapp.url : "not built (npm run dapp:build)"}`,
    `  Databank contract                 ${deployment.databank}`,
    `  test stablecoin (TUSD)            ${deployment.stablecoin}`,
    "",
    "Funded demo accounts (public Hardhat test keys: never use them on a real network):",
  ];
  for (const [role, index] of Object.entries(LOCAL_ROLES)) {
    lines.push(
      `  ${role.padEnd(12)} #${index}  ${localAccount(index).address}  ${localPrivateKey(index)}`,
    );
  }
  lines.push(
    "  (each starts with 10,000 ETH; so do accounts #5–#19 of the same mnemonic)",
    "",
    "Try it: npm run demo   (in another terminal). Ctrl-C stops everything.",
  );
  console.log(lines.join("\n"));
}

main().catch(async (error: unknown) => {
  console.error(`start: ${error instanceof Error ? error.message : String(error)}`);
  if (error instanceof ConfigError || error instanceof PortInUseError) {
    await stopAll(2);
    return;
  }
  console.error(
    "start: is another npm start running? Ports can be moved with DATABANK_CHAIN_PORT, DATABANK_NODE_PORT and DATABANK_DAPP_PORT.",
  );
  await stopAll(1);
});
