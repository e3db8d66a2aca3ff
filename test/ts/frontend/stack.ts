/**
 * Browser side of the dApp's end-to-end tests: Chromium (see ./browser.ts) through playwright-core
 * with a fresh profile, and wallet clients over the local node's unlocked accounts. The chain, the
 * contracts and the data bank node come from the project's e2e stack (test/ts/e2e/stack.ts).
 */
import { mkdir, mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createWalletClient, http, type Address, type WalletClient } from "viem";
import { hardhat } from "viem/chains";
import type { BrowserContext, Page } from "playwright-core";
import { launchChromiumContext } from "./browser.js";

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

/**
 * Chromium with a fresh profile.
 *
 * @throws Error saying what to do when no browser starts.
 */
export async function launchBrowser(): Promise<{
  context: BrowserContext;
  close(): Promise<void>;
}> {
  const userDataDir = await mkdtemp(join(tmpdir(), "databank-e2e-"));
  let context: BrowserContext;
  try {
    context = await launchChromiumContext(userDataDir, {
      viewport: { width: 1100, height: 900 },
      acceptDownloads: true,
    });
  } catch (error) {
    await rm(userDataDir, { recursive: true, force: true });
    throw error;
  }
  await mkdir(SCREENSHOT_DIR, { recursive: true });
  return {
    context,
    close: async () => {
      await context.close();
      await rm(userDataDir, { recursive: true, force: true });
    },
  };
}

/** What the curator's create form asks to recognise a pool by. */
export interface PoolProfileInput {
  name: string;
  description: string;
  /** The category's words as the form's select shows them, e.g. "Work and resumes". */
  category: string;
}

/** Fills the profile part of the dApp's "Open a pool" form (name, description, category). */
export async function fillPoolProfile(page: Page, profile: PoolProfileInput): Promise<void> {
  await page.getByLabel("Pool name").fill(profile.name);
  await page.getByLabel("Short description").fill(profile.description);
  await page.getByLabel("Category").selectOption({ label: profile.category });
}
