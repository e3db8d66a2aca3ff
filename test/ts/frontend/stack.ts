/**
 * Browser side of the dApp's end-to-end tests: Debian's chromium through playwright-core with a
 * fresh profile, and wallet clients over the local node's unlocked accounts. The chain, the
 * contracts and the data bank node come from the project's e2e stack (test/ts/e2e/stack.ts).
 */
import { mkdir, mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createWalletClient, http, type Address, type WalletClient } from "viem";
import { hardhat } from "viem/chains";
import { chromium, type BrowserContext } from "playwright-core";

export const CHROMIUM_PATH = "/usr/bin/chromium";
export const SCREENSHOT_DIR = "test-output/screenshots";

/** A wallet client sending from one of the local node's unlocked accounts. */
export function unlockedWallet(rpcUrl: string, account: Address): WalletClient {
  const chain = { ...hardhat, rpcUrls: { default: { http: [rpcUrl] } } };
  return createWalletClient({ chain, account, transport: http(rpcUrl) });
}

/** The local node's unlocked accounts, in order (what the dApp's dev wallet offers). */
export function unlockedAccounts(rpcUrl: string): Promise<Address[]> {
  return createWalletClient({ chain: hardhat, transport: http(rpcUrl) }).getAddresses();
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
    acceptDownloads: true,
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
