/**
 * The shared setting of a dApp end-to-end suite, from ./stack.ts's parts: Chromium with a fresh
 * profile, the dApp built, the whole local stack (test/ts/e2e/stack.ts), the built dApp served
 * against it with the dev wallet, one page, a screenshot of the page when a test fails, and
 * everything stopped after the suite. Call `useDappHarness()` inside `describe`.
 */
import { after, afterEach, before } from "mocha";
import type { Page } from "playwright-core";
import type { DappServer } from "../../../frontend/serve.js";
import { startE2EStack, type E2EStack } from "../e2e/stack.js";
import {
  buildDapp,
  launchBrowser,
  SCREENSHOT_DIR,
  screenshotFailure,
  serveDappFor,
} from "./stack.js";

/** How long a page waits for what it expects. */
export const UI_TIMEOUT = 30_000;

/** What a suite's tests use, ready once its `before` hooks ran. */
export interface DappHarness {
  stack: E2EStack;
  dapp: DappServer;
  page: Page;
  /** The browser's context, to open more pages (e.g. a wallet's). */
  context: Awaited<ReturnType<typeof launchBrowser>>["context"];
  /** Saves a full-page screenshot under test-output/screenshots. */
  shot(name: string): Promise<Buffer>;
}

/** Options of {@link useDappHarness}. */
export interface DappHarnessOptions {
  /** Prefix of the screenshot names of failed tests (e.g. "pools-"), to tell suites apart. */
  screenshotPrefix?: string;
}

/**
 * Registers the suite's hooks (a suite's own `before` hooks, registered after, run once it is
 * ready); the returned function gives the harness inside tests and hooks.
 */
export function useDappHarness(options: DappHarnessOptions = {}): () => DappHarness {
  let harness: DappHarness | undefined;
  let browser: Awaited<ReturnType<typeof launchBrowser>> | undefined;
  let stack: E2EStack | undefined;
  let dapp: DappServer | undefined;

  before(async function () {
    // First, so that a browser which cannot start fails the suite at once, saying what to do.
    browser = await launchBrowser();
    await buildDapp();
    stack = await startE2EStack();
    dapp = await serveDappFor(stack);
    const page = await browser.context.newPage();
    page.setDefaultTimeout(UI_TIMEOUT);
    harness = {
      stack,
      dapp,
      page,
      context: browser.context,
      shot: (name) => page.screenshot({ path: `${SCREENSHOT_DIR}/${name}.png`, fullPage: true }),
    };
  });

  afterEach(async function () {
    await screenshotFailure(harness?.page, this.currentTest, options.screenshotPrefix);
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
