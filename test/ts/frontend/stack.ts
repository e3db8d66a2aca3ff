/**
 * The local stack the dApp's end-to-end tests drive: a Hardhat node child process on a free
 * loopback port, Databank (and a permit stablecoin) deployed with viem from the compiled
 * artifacts, the built dApp served by startDappServer, and Debian's chromium through playwright-core.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { mkdir, mkdtemp, readFile, rm } from "node:fs/promises";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  createPublicClient,
  createWalletClient,
  getAddress,
  http,
  type Abi,
  type Address,
  type Hex,
  type PublicClient,
  type WalletClient,
} from "viem";
import { hardhat } from "viem/chains";
import { chromium, type BrowserContext } from "playwright-core";

export const CHROMIUM_PATH = "/usr/bin/chromium";
export const SCREENSHOT_DIR = "test-output/screenshots";

/** A free TCP port on 127.0.0.1. */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      const port = typeof address === "object" && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

export interface LocalChain {
  rpcUrl: string;
  publicClient: PublicClient;
  /** The node's unlocked accounts, in order. */
  accounts: Address[];
  /** A wallet client sending from one of the node's unlocked accounts. */
  wallet(account: Address): WalletClient;
  stop(): Promise<void>;
}

/** Starts `hardhat node` on a free port and waits until it answers. */
export async function startChain(): Promise<LocalChain> {
  const port = await freePort();
  const rpcUrl = `http://127.0.0.1:${port}`;
  const child: ChildProcess = spawn(
    process.execPath,
    [
      "node_modules/hardhat/dist/src/cli.js",
      "node",
      "--hostname",
      "127.0.0.1",
      "--port",
      String(port),
    ],
    { stdio: ["ignore", "ignore", "pipe"] },
  );
  let stderr = "";
  child.stderr?.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
  const chain = { ...hardhat, rpcUrls: { default: { http: [rpcUrl] } } };
  const publicClient = createPublicClient({ chain, transport: http(rpcUrl), pollingInterval: 200 });
  const stop = async () => {
    if (child.exitCode === null) {
      const exited = new Promise((resolve) => child.once("exit", resolve));
      child.kill("SIGTERM");
      await exited;
    }
  };
  for (let attempt = 0; ; attempt++) {
    try {
      await publicClient.getChainId();
      break;
    } catch {
      if (child.exitCode !== null || attempt > 240) {
        await stop();
        throw new Error(`hardhat node did not start on ${rpcUrl}: ${stderr}`);
      }
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
  }
  const accounts = await createWalletClient({ chain, transport: http(rpcUrl) }).getAddresses();
  return {
    rpcUrl,
    publicClient: publicClient as PublicClient,
    accounts: accounts as Address[],
    wallet: (account) => createWalletClient({ chain, account, transport: http(rpcUrl) }),
    stop,
  };
}

async function artifact(path: string): Promise<{ abi: Abi; bytecode: Hex }> {
  return JSON.parse(await readFile(`artifacts/contracts/${path}`, "utf8")) as {
    abi: Abi;
    bytecode: Hex;
  };
}

async function deploy(
  chain: LocalChain,
  from: Address,
  path: string,
  args: readonly unknown[] = [],
): Promise<Address> {
  const { abi, bytecode } = await artifact(path);
  const hash = await chain
    .wallet(from)
    .deployContract({ abi, bytecode, args, account: from, chain: undefined });
  const receipt = await chain.publicClient.waitForTransactionReceipt({ hash });
  if (!receipt.contractAddress) throw new Error(`deployment of ${path} failed`);
  return getAddress(receipt.contractAddress);
}

export interface Deployment {
  databank: Address;
  stablecoin: Address;
  /** Platform owner and treasury (account #0). */
  owner: Address;
}

/** Deploys the renderer, Databank (2.5% platform fee) and the test stablecoin from account #0. */
export async function deployDatabank(chain: LocalChain): Promise<Deployment> {
  const owner = chain.accounts[0]!;
  const renderer = await deploy(
    chain,
    owner,
    "ConsentReceiptRenderer.sol/ConsentReceiptRenderer.json",
  );
  const databank = await deploy(chain, owner, "Databank.sol/Databank.json", [
    owner,
    owner,
    250,
    renderer,
  ]);
  const stablecoin = await deploy(
    chain,
    owner,
    "test-helpers/TestStablecoin.sol/TestStablecoin.json",
  );
  return { databank, stablecoin, owner };
}

/** Chromium (Debian's) with a fresh profile. */
export async function launchBrowser(): Promise<{
  context: BrowserContext;
  close(): Promise<void>;
}> {
  const userDataDir = await mkdtemp(join(tmpdir(), "databank-e2e-"));
  const context = await chromium.launchPersistentContext(userDataDir, {
    executablePath: CHROMIUM_PATH,
    headless: true,
    args: [
      "--headless",
      "--no-sandbox",
      "--disable-gpu",
      "--disable-quic",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
    ],
    viewport: { width: 1100, height: 900 },
  });
  await mkdir(SCREENSHOT_DIR, { recursive: true });
  return {
    context,
    close: async () => {
      await context.close();
      await rm(userDataDir, { recursive: true, force: true });
    },
  };
}
