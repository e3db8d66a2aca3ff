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
import { build } from "vite";
import { startDappServer, type DappServer } from "../../../frontend/serve.js";
import type { E2EStack } from "../e2e/stack.js";
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
  /** The consent terms, when to fill them too (the form is empty after each pool it opens). */
  terms?: string;
}

/**
 * Fills the profile part of the dApp's "Open a pool" form (name, description, category), and the
 * terms when given.
 */
export async function fillPoolProfile(page: Page, profile: PoolProfileInput): Promise<void> {
  if (profile.terms !== undefined) {
    await page.getByLabel("Consent terms (shown in full to contributors)").fill(profile.terms);
  }
  await page.getByLabel("Pool name", { exact: true }).fill(profile.name);
  await page.getByLabel("Short description", { exact: true }).fill(profile.description);
  await page.getByLabel("Category", { exact: true }).selectOption({ label: profile.category });
}

/** Picks an account in the dev wallet's account picker. */
export async function chooseDevAccount(page: Page, account: Address): Promise<void> {
  await page.getByLabel("Dev account").selectOption(account);
}

/** Waits until an action's status says "<label>: confirmed". */
export function waitForConfirmed(page: Page, label: string): Promise<void> {
  return page
    .getByRole("status")
    .filter({ hasText: `${label}: confirmed` })
    .first()
    .waitFor();
}

/** Saves a full-page screenshot of a failed test, named after it, for the one who reads the log. */
export async function screenshotFailure(
  page: Page | undefined,
  test: { state?: string; title: string } | undefined,
  prefix = "",
): Promise<void> {
  if (test?.state !== "failed" || !page) return;
  const name = test.title.replace(/\W+/g, "-");
  await page.screenshot({ path: `${SCREENSHOT_DIR}/FAILED-${prefix}${name}.png`, fullPage: true });
}

/** Builds the dApp as `npm run dapp:build` does (production React, whatever mocha's NODE_ENV). */
export async function buildDapp(): Promise<void> {
  const previous = process.env.NODE_ENV;
  process.env.NODE_ENV = "production";
  try {
    await build({ configFile: "frontend/vite.config.ts", logLevel: "warn", mode: "production" });
  } finally {
    if (previous === undefined) delete process.env.NODE_ENV;
    else process.env.NODE_ENV = previous;
  }
}

/** Serves the built dApp on a free loopback port, configured for the e2e stack's chain and node. */
export function serveDappFor(stack: E2EStack): Promise<DappServer> {
  return startDappServer({
    host: "127.0.0.1",
    port: 0,
    runtimeConfig: {
      chainId: 31337,
      rpcUrl: stack.chain.rpcUrl,
      databank: stack.deployment.databank,
      stablecoin: stack.deployment.stablecoin,
      nodeUrl: stack.node.url,
      devAccounts: true,
    },
  });
}
