/**
 * `npm start`: a local Hardhat chain on 127.0.0.1 with Databank deployed through its Ignition
 * module. Ctrl-C stops everything. (The data bank node and the dApp join this in later issues.)
 */
import { spawn, type ChildProcess } from "node:child_process";
import { createPublicClient, http } from "viem";
import { hardhat } from "viem/chains";

const HOST = "127.0.0.1";
const PORT = Number(process.env.DATABANK_CHAIN_PORT ?? 8545);
const RPC_URL = `http://${HOST}:${PORT}`;

function run(args: string[], inherit: boolean): ChildProcess {
  return spawn(process.execPath, ["node_modules/hardhat/dist/src/cli.js", ...args], {
    stdio: inherit ? "inherit" : ["ignore", "pipe", "inherit"],
  });
}

async function waitForChain(): Promise<void> {
  const client = createPublicClient({ chain: hardhat, transport: http(RPC_URL) });
  for (let attempt = 0; attempt < 120; attempt++) {
    try {
      await client.getChainId();
      return;
    } catch {
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
  }
  throw new Error(`the local chain did not answer at ${RPC_URL} within 60 s`);
}

const chain = run(["node", "--hostname", HOST, "--port", String(PORT)], false);
chain.stdout?.on("data", (chunk: Buffer) => process.stdout.write(chunk));
const stop = () => chain.kill("SIGTERM");
process.on("SIGINT", stop);
process.on("SIGTERM", stop);
chain.on("exit", (code) => process.exit(code ?? 0));

await waitForChain();
const deploy = run(
  ["ignition", "deploy", "ignition/modules/Databank.ts", "--network", "localhost", "--reset"],
  true,
);
deploy.on("exit", (code) => {
  if (code !== 0) {
    console.error("start: the deployment failed; see the output above");
    stop();
    return;
  }
  console.log(`\nDatabank is running: JSON-RPC ${RPC_URL} (chain id 31337).`);
  console.log("Deployed addresses: ignition/deployments/chain-31337/deployed_addresses.json");
  console.log("The funded demo accounts are listed above. Ctrl-C stops the chain.");
});
