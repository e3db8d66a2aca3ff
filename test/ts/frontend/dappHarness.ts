/**
 * The shared setting of a dApp end-to-end suite: Chromium with a fresh profile, the dApp built as
 * `npm run dapp:build` builds it, the whole local stack (test/ts/e2e/stack.ts), the built dApp served
 * on a free loopback port against it with the dev wallet, one page, a screenshot of the page when a
 * test fails, and everything stopped after the suite. Call `useDappHarness()` inside `describe`.
 */
import { after, afterEach, before } from "mocha";
import type { Page } from "playwright-core";
import { build } from "vite";
import { startDappServer, type DappServer } from "../../../frontend/serve.js";
import { startE2EStack, type E2EStack } from "../e2e/stack.js";
import { launchBrowser, SCREENSHOT_DIR } from "./stack.js";

/** How long a page waits for what it expects. */
export const UI_TIMEOUT = 30_000;

/** What a suite's tests use, ready once its `before` hooks ran. */
export interface DappHarness {
  stack: E2EStack;
  dapp: DappServer;
  page: Page;
  /** Saves a full-page screenshot under test-output/screenshots. */
  shot(name: string): Promise<Buffer>;
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

/** Registers the suite's hooks; the returned function gives the harness inside tests. */
export function useDappHarness(): () => DappHarness {
  let harness: DappHarness | undefined;
  let browser: Awaited<ReturnType<typeof launchBrowser>> | undefined;
  let stack: E2EStack | undefined;
  let dapp: DappServer | undefined;

  before(async function () {
    // First, so that a browser which cannot start fails the suite at once, saying what to do.
    browser = await launchBrowser();
    await buildDapp();
    stack = await startE2EStack();
    dapp = await startDappServer({
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
    const page = await browser.context.newPage();
    page.setDefaultTimeout(UI_TIMEOUT);
    harness = {
      stack,
      dapp,
      page,
      shot: (name) => page.screenshot({ path: `${SCREENSHOT_DIR}/${name}.png`, fullPage: true }),
    };
  });

  afterEach(async function () {
    if (this.currentTest?.state === "failed" && harness) {
      const name = this.currentTest.title.replace(/\W+/g, "-");
      await harness.shot(`FAILED-${name}`);
    }
  });

  after(async () => {
    await browser?.close();
    await dapp?.stop();
    await stack?.stop();
  });

  return () => {
    if (!harness) throw new Error("the dApp harness is used before its before hook ran");
    return harness;
  };
}
