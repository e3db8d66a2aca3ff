/**
 * The dApp as the browser tests run it: the production build (as `npm run dapp:build` makes it),
 * served by startDappServer against an end-to-end stack with the dev wallet on, and a full-page
 * screenshot of each failed test.
 */
import type { Context } from "mocha";
import type { BrowserContext, Page } from "playwright-core";
import { build } from "vite";
import { startDappServer, type DappServer } from "../../../frontend/serve.js";
import type { E2EStack } from "../e2e/stack.js";
import { SCREENSHOT_DIR } from "./stack.js";

/** Builds frontend/ into frontend/dist with production React, whatever mocha's NODE_ENV. */
export async function buildDappForTests(): Promise<void> {
  const previous = process.env.NODE_ENV;
  process.env.NODE_ENV = "production";
  try {
    await build({ configFile: "frontend/vite.config.ts", logLevel: "warn", mode: "production" });
  } finally {
    if (previous === undefined) delete process.env.NODE_ENV;
    else process.env.NODE_ENV = previous;
  }
}

/** Serves the built dApp on a free loopback port, configured for `stack` (local chain, dev wallet). */
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

/** For an afterEach hook: saves FAILED-<test title>.png when the test that just ran failed. */
export async function screenshotIfFailed(context: Context, page: Page | undefined): Promise<void> {
  if (context.currentTest?.state !== "failed" || !page) return;
  const name = context.currentTest.title.replace(/\W+/g, "-");
  await page.screenshot({ path: `${SCREENSHOT_DIR}/FAILED-${name}.png`, fullPage: true });
}

/** How long a browser test waits for the page by default (a loaded 2-core machine is slow). */
export const UI_TIMEOUT = 30_000;

/** A new tab of `context` with the tests' default timeout. */
export async function openDappPage(context: BrowserContext): Promise<Page> {
  const page = await context.newPage();
  page.setDefaultTimeout(UI_TIMEOUT);
  return page;
}

/** Stops what a browser test started, the browser first; parts that never started are skipped. */
export async function stopDappTest(parts: {
  browser?: { close(): Promise<void> };
  dapp?: DappServer;
  stack?: E2EStack;
}): Promise<void> {
  await parts.browser?.close();
  await parts.dapp?.stop();
  await parts.stack?.stop();
}
