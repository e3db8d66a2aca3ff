/**
 * Accessibility and the app shell in Chromium against the whole local stack (see ./e2e.test.ts for
 * the stack): axe-core finds no violation on any route (with and without a pool selected, before
 * and after connecting), the skip link, page titles, focus after connecting, the dev wallet's
 * roles, remembered account, balances and faucet, the auditor's scoping, and the phone width.
 * The demo scenario (3 contributors, 1 revocation, 2 buyers) fills the chain first.
 */
import { expect } from "chai";
import { createRequire } from "node:module";
import { before, describe, it } from "mocha";
import type { Page } from "playwright-core";
import { erc20Abi, parseEther } from "viem";
import type { DappServer } from "../../../frontend/serve.js";
import { runDemoScenario, type DemoResult } from "../../../scripts/demo/scenario.js";
import type { E2EStack } from "../e2e/stack.js";

import { formatAmount, NATIVE_TOKEN } from "../../../frontend/src/logic/format.js";
import { LOCAL_ROLES } from "../../../scripts/stack/accounts.js";
import { SCREENSHOT_DIR, unlockedAccounts } from "./stack.js";
import { useDappHarness } from "./dappHarness.js";

const AXE_PATH = createRequire(import.meta.url).resolve("axe-core/axe.min.js");

interface AxeViolation {
  id: string;
  help: string;
  nodes: { target: string[] }[];
}

describe("dApp accessibility and shell (chromium, full local stack)", function () {
  this.timeout(300_000);
  const harness = useDappHarness({ screenshotPrefix: "a11y-" });
  let stack: E2EStack;
  let dapp: DappServer;
  let page: Page;
  let demo: DemoResult;
  let lastTransaction: string;

  before(async function () {
    ({ stack, dapp, page } = harness());
    const quiet = { step() {}, progress() {}, info() {} };
    demo = await runDemoScenario(stack.demoEnvironment(), quiet, {
      contributors: 3,
      revocations: 1,
      price: parseEther("1"),
    });
    lastTransaction = (await stack.publicClient.getBlock()).transactions[0]!;
  });

  /** axe-core's violations on the current page, one line each (rule, help, elements). */
  async function axeViolations(): Promise<string[]> {
    await page.addScriptTag({ path: AXE_PATH });
    const violations = await page.evaluate(async () => {
      const axe = (window as unknown as { axe: { run(): Promise<{ violations: unknown[] }> } }).axe;
      return (await axe.run()).violations;
    });
    return (violations as AxeViolation[]).map(
      (violation) =>
        `${violation.id} (${violation.help}): ${violation.nodes.map((node) => node.target.join(" ")).join(", ")}`,
    );
  }

  /** Opens a route and waits until its page has settled (`ready` shown, network quiet). */
  async function openRoute(hash: string, ready: string): Promise<void> {
    await page.goto(`${dapp.url}${hash}`);
    await page.locator("main").getByText(ready).first().waitFor();
    await page.waitForLoadState("networkidle");
  }

  const shot = (name: string) => harness().shot(name);
  const devAccount = () => page.getByLabel("Dev account");

  /** Every route, with a text that shows once its data is there and the title it must have. */
  const routes = (connected: boolean) => {
    const contributor = demo.contributors.find((entry) => !entry.revoked)!.address;
    return [
      { hash: "#/contributor", ready: "Databank is an open marketplace", title: "My data bank" },
      {
        hash: "#/contributor?pool=1",
        ready: connected ? "Terms, in full" : "Connect a wallet",
        title: "My data bank · pool 1",
      },
      { hash: "#/buyer", ready: "Pools", title: "Buyer" },
      { hash: "#/buyer?pool=1", ready: "Back to all pools", title: "Buyer · pool 1" },
      { hash: "#/curator", ready: "Curator", title: "Curator" },
      { hash: "#/auditor", ready: "Every invariant holds", title: "Auditor" },
      { hash: "#/auditor?pool=1", ready: "Every invariant holds", title: "Auditor · pool 1" },
      {
        hash: `#/auditor?address=${contributor}`,
        ready: "Purchases that used records of",
        title: `Auditor · ${contributor.slice(0, 6)}…${contributor.slice(-4)}`,
      },
      {
        hash: `#/tx/${lastTransaction}`,
        ready: "Transaction",
        title: `Transaction ${lastTransaction.slice(0, 6)}…${lastTransaction.slice(-4)}`,
      },
    ];
  };

  /** Visits every route; returns the axe violations and wrong titles found, one line each. */
  async function auditEveryRoute(connected: boolean): Promise<string[]> {
    const found: string[] = [];
    for (const { hash, ready, title } of routes(connected)) {
      await openRoute(hash, ready);
      for (const line of await axeViolations()) found.push(`${hash}: ${line}`);
      const shown = await page.title();
      if (shown !== `${title} · Databank`) found.push(`${hash}: title "${shown}"`);
    }
    return found;
  }

  it("has no axe violation and a title of its own on every route, before connecting", async () => {
    const found = await auditEveryRoute(false);
    expect(found, found.join("\n")).to.deep.equal([]);
  });

  it("offers a skip link first, which moves the focus to the content", async () => {
    await openRoute("#/buyer", "Pools");
    await page.reload(); // a fresh load: the focus starts at the top of the document
    await page.locator("main").getByText("Pools").first().waitFor();
    await page.keyboard.press("Tab");
    const skip = page.getByRole("link", { name: "Skip to content" });
    expect(await skip.evaluate((element) => element === document.activeElement)).to.equal(true);
    await page.keyboard.press("Enter");
    expect(await page.evaluate(() => document.activeElement?.id)).to.equal("content");
    expect(page.url()).to.match(/#\/buyer$/); // the route did not change
  });

  it("offers no browser wallet without one, and the dev accounts with their demo roles", async () => {
    await openRoute("#/contributor", "Databank is an open marketplace");
    const connectButtons = await page.getByRole("button", { name: /^Connect:/ }).allTextContents();
    expect(connectButtons).to.deep.equal(["Connect: Local dev account"]);
    await page.getByRole("button", { name: "Connect: Local dev account" }).click();
    // The focus follows to the account that is now connected.
    await devAccount().waitFor();
    expect(await devAccount().evaluate((element) => element === document.activeElement)).to.equal(
      true,
    );
    const options = await devAccount().locator("option").allTextContents();
    expect(options[LOCAL_ROLES.curator]).to.match(/^#2 0x.*· curator$/);
    expect(options[LOCAL_ROLES.buyer]).to.match(/· buyer$/);
    expect(options[LOCAL_ROLES.custodian]).to.match(/· custodian \(the node\)$/);
    expect(options[7]).to.match(/· contributor$/);
  });

  it("remembers the chosen dev account across a reload", async () => {
    const accounts = await unlockedAccounts(stack.chain.rpcUrl);
    await devAccount().selectOption(accounts[LOCAL_ROLES.curator]!);
    await page.reload();
    await devAccount().waitFor();
    expect(await devAccount().inputValue()).to.equal(accounts[LOCAL_ROLES.curator]);
  });

  it("shows ETH and TUSD balances, and the faucet gives test stablecoin on the local chain", async () => {
    const accounts = await unlockedAccounts(stack.chain.rpcUrl);
    const member = accounts[9]!;
    await devAccount().selectOption(member);
    const balances = page.locator(".connect-bar .balances");
    await balances.filter({ hasText: "0 TUSD" }).waitFor();
    expect(await balances.textContent()).to.match(/Balances: (≈ )?[\d.]+ ETH · 0 TUSD/);
    await page.getByRole("button", { name: "Get 1000 TUSD" }).click();
    await page.getByRole("status").filter({ hasText: "confirmed" }).first().waitFor();
    await balances.filter({ hasText: "· 1000 TUSD" }).waitFor();
    const onChain = await stack.publicClient.readContract({
      abi: erc20Abi,
      address: stack.deployment.stablecoin,
      functionName: "balanceOf",
      args: [member],
    });
    expect(onChain).to.equal(1_000_000_000n); // 1000 TUSD of 6 decimals
    await shot("41-wallet-bar-faucet");
  });

  it("does not carry a transaction status over to another page", async () => {
    await page.getByRole("button", { name: "Get 1000 TUSD" }).click();
    const status = page.getByRole("status").filter({ hasText: "Faucet" });
    await status.filter({ hasText: "confirmed" }).waitFor();
    await page
      .getByRole("navigation", { name: "Roles" })
      .getByRole("link", { name: "Buyer" })
      .click();
    await page.getByRole("heading", { name: "Buyer", level: 1 }).waitFor();
    expect(await status.count()).to.equal(0);
    // Following a tab moves the focus to the new page's content.
    expect(await page.evaluate(() => document.activeElement?.id)).to.equal("content");
  });

  it("has no axe violation on any route once connected", async () => {
    const found = await auditEveryRoute(true);
    expect(found, found.join("\n")).to.deep.equal([]);
  });

  it("auditor: an address lists the purchases its records were in, in token units", async () => {
    const kept = demo.contributors.find((entry) => !entry.revoked)!;
    await openRoute(`#/auditor?address=${kept.address}`, "Purchases that used records of");
    const table = page.getByRole("region", { name: /Purchases that used records of/ });
    const rows = table.locator("tbody tr");
    // Both record sales and the analyst's query answer used this record (the demo's consents
    // allow both), oldest purchase first.
    const expected = [
      ...demo.purchases.map((purchase) => [purchase.purchaseId, "record sale"] as const),
      [demo.query.purchaseId, "query answer"] as const,
    ].sort(([a], [b]) => Number(a - b));
    const cells = async (column: number) =>
      rows.locator(`td:nth-child(${column})`).allTextContents();
    expect(await cells(1)).to.deep.equal(expected.map(([id]) => id.toString()));
    expect(await cells(2)).to.deep.equal(expected.map(([, kind]) => kind));
    for (const earned of await cells(6)) expect(earned).to.match(/^[\d.]+ ETH$/);
    // Invariant messages carry token units and human durations, never base units or seconds.
    const checks = (await page.getByRole("region", { name: "Invariants" }).textContent()) ?? "";
    expect(checks).to.match(/grace period 7 days/);
    expect(checks).to.not.match(/(?<![.\d])\d{7,}(?![.\d])/);
  });

  it("auditor: the chart has labelled axes and values; the pool filter scopes the page", async () => {
    await openRoute("#/auditor?pool=1", "Every invariant holds");
    const chart = page.getByRole("region", { name: "Revenue and payouts" });
    await chart.getByText("Delivered sales").waitFor();
    const labels = await chart.locator("svg text").allTextContents();
    expect(labels).to.include("0 ETH");
    expect(labels.filter((label) => / ETH$/.test(label)).length).to.be.greaterThan(2);
    // Every delivered sale of pool 1 in ETH: the two record sales and the query answer.
    const paidIn = demo.purchases.reduce(
      (sum, purchase) => sum + purchase.amount,
      demo.query.amount,
    );
    expect(await chart.locator("figcaption").textContent()).to.contain(
      `Paid in by buyers: ${formatAmount(paidIn, NATIVE_TOKEN)}`,
    );
    expect(labels).to.include(formatAmount(paidIn, NATIVE_TOKEN)); // the value axis' top
    await page
      .getByRole("heading", { name: /Entitlements and claims of this pool's accounts/ })
      .waitFor();
    const pools = await page
      .getByRole("region", { name: "Purchases and their split" })
      .locator("tbody tr td:nth-child(2)")
      .allTextContents();
    expect(new Set(pools)).to.deep.equal(new Set(["1"]));
    await shot("42-auditor-chart");
  });

  it("auditor: a failed submit shows an error summary that takes the focus", async () => {
    await openRoute("#/auditor", "Every invariant holds");
    await page.getByLabel("Pool id (empty: every pool)").fill("pool one");
    await page.getByRole("button", { name: "Audit" }).click();
    const summary = page.getByRole("alert").filter({ hasText: "There is a problem" });
    await summary.waitFor();
    expect(await summary.evaluate((element) => element === document.activeElement)).to.equal(true);
    await summary.getByRole("link", { name: /whole number/ }).click();
    expect(await page.evaluate(() => document.activeElement?.id)).to.equal("audit-pool");
    const describedBy = await page
      .getByLabel("Pool id (empty: every pool)")
      .getAttribute("aria-describedby");
    expect(await page.locator(`#${describedBy}`).textContent()).to.match(/whole number/);
    expect(await axeViolations()).to.deep.equal([]);
  });

  it("curator: a failed submit shows a summary whose lines lead to the fields, terms included", async () => {
    await openRoute("#/curator", "Open a pool");
    // The token is known once its symbol is in the labels: only then are amounts checked.
    await page.getByLabel("Bounty per contribution (ETH)").waitFor();
    await page.getByRole("button", { name: "Create pool" }).click(); // no name, no terms
    const summary = page.getByRole("alert").filter({ hasText: "There is a problem" });
    await summary.waitFor();
    expect(await summary.evaluate((element) => element === document.activeElement)).to.equal(true);
    const termsLink = summary.getByRole("link", { name: /consent terms in full/ });
    expect(await termsLink.getAttribute("href")).to.equal("#pool-terms");
    await termsLink.click();
    expect(await page.evaluate(() => document.activeElement?.id)).to.equal("pool-terms");
    const terms = page.getByLabel("Consent terms (shown in full to contributors)");
    expect(await terms.getAttribute("aria-invalid")).to.equal("true");
    const describedBy = await terms.getAttribute("aria-describedby");
    expect(await page.locator(`#${describedBy}`).textContent()).to.match(/consent terms in full/);
    expect(await summary.getByRole("link", { name: /^Pool name/ }).count()).to.equal(0);
    expect(await axeViolations()).to.deep.equal([]);
  });

  it("contributor: a failed submit shows a summary whose lines lead to the record's fields", async () => {
    await openRoute("#/contributor?pool=1", "Terms, in full");
    await page.getByLabel("I have read the terms and consent to them.").check();
    await page.getByRole("button", { name: "Encrypt and contribute" }).click(); // an empty record
    const summary = page.getByRole("alert").filter({ hasText: "There is a problem" });
    await summary.waitFor();
    expect(await summary.evaluate((element) => element === document.activeElement)).to.equal(true);
    const first = summary.getByRole("link").first();
    expect(await first.textContent()).to.match(/: Required\.$/);
    const fieldId = (await first.getAttribute("href"))!.slice(1);
    await first.click();
    expect(await page.evaluate(() => document.activeElement?.id)).to.equal(fieldId);
    const describedBy = await page.locator(`[id="${fieldId}"]`).getAttribute("aria-describedby");
    expect(describedBy?.split(" ")).to.include(`${fieldId}-problem`);
    expect(await axeViolations()).to.deep.equal([]);
  });

  it("at 390 px: every tab is reachable, the header is short, nothing overflows", async () => {
    await page.setViewportSize({ width: 390, height: 844 });
    try {
      await openRoute("#/contributor", "Databank is an open marketplace");
      await page.reload(); // no transaction status left in the header from the faucet test
      await page.locator(".connect-bar .balances").filter({ hasText: "TUSD" }).waitFor();
      await page.getByRole("heading", { name: "Pools open to contributions" }).waitFor();
      // Under test-output like every other shot; docs/screenshots holds the copy the README shows.
      await page.screenshot({ path: `${SCREENSHOT_DIR}/40-phone-width.png` });
      const header = await page.locator(".app-header").boundingBox();
      expect(header!.height, "header height").to.be.at.most(130);
      for (const name of ["My data bank", "Buyer", "Curator", "Auditor"]) {
        const tab = page.getByRole("navigation", { name: "Roles" }).getByRole("link", { name });
        await tab.click();
        const box = await tab.boundingBox();
        expect(box!.x + box!.width, `${name} tab within the screen`).to.be.at.most(390);
      }
      for (const { hash, ready } of routes(true)) {
        await openRoute(hash, ready);
        const width = await page.evaluate(() => document.documentElement.scrollWidth);
        expect(width, `${hash} scroll width`).to.be.at.most(390);
      }
    } finally {
      await page.setViewportSize({ width: 1100, height: 900 });
    }
  });
});
