/**
 * The local stack the dApp's end-to-end tests drive, on the project's shared stack helpers
 * (scripts/stack: loopback Hardhat node on a free port, Ignition LocalDemo deployment), plus the
 * built dApp served by startDappServer and Debian's chromium through playwright-core.
 */
import { mkdir, mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  createPublicClient,
  createWalletClient,
  http,
  type Address,
  type PublicClient,
  type WalletClient,
} from "viem";
import { hardhat } from "viem/chains";
import { chromium, type BrowserContext } from "playwright-core";
import { deployLocalDemo, type LocalDeployment } from "../../../scripts/stack/deploy.js";
import { startLocalChain } from "../../../scripts/stack/localChain.js";
import { freePort } from "../../../scripts/stack/ports.js";

export const CHROMIUM_PATH = "/usr/bin/chromium";
export const SCREENSHOT_DIR = "test-output/screenshots";

export interface E2eChain {
  rpcUrl: string;
  publicClient: PublicClient;
  /** The node's unlocked accounts, in order (the dev wallet offers the same). */
  accounts: Address[];
  /** A wallet client sending from one of the node's unlocked accounts. */
  wallet(account: Address): WalletClient;
  deployment: LocalDeployment;
  stop(): Promise<void>;
}

/** A fresh local chain with the LocalDemo system (Databank + test stablecoin) deployed. */
export async function startE2eChain(): Promise<E2eChain> {
  const local = await startLocalChain({ port: await freePort() });
  try {
    const deployment = await deployLocalDemo({
      rpcUrl: local.rpcUrl,
      deploymentId: `e2e-dapp-${process.pid}`,
    });
    const chain = { ...hardhat, rpcUrls: { default: { http: [local.rpcUrl] } } };
    const publicClient = createPublicClient({
      chain,
      transport: http(local.rpcUrl),
      pollingInterval: 200,
    });
    const accounts = await createWalletClient({
      chain,
      transport: http(local.rpcUrl),
    }).getAddresses();
    return {
      rpcUrl: local.rpcUrl,
      publicClient: publicClient as PublicClient,
      accounts,
      wallet: (account) => createWalletClient({ chain, account, transport: http(local.rpcUrl) }),
      deployment,
      stop: async () => {
        await local.stop();
        await rm(deployment.deploymentDir, { recursive: true, force: true });
      },
    };
  } catch (error) {
    await local.stop();
    throw error;
  }
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
