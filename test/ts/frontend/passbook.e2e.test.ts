/**
 * The contributor's and the buyer's transparency in the dApp, in Chromium against the whole local
 * stack (Hardhat node, Ignition deployment, the data bank node, the built dApp): the passbook ("My
 * data bank") shows both buyers of a record, and its downloads are exactly what `npm run passbook`
 * prints against the same chain; a revocation and the first buyer's attestation show in it; the
 * buyer's erasure inbox lists what to delete and attests in one click; a re-download leaves the
 * revoked record out. The market is set up through the demo's steps (real contracts, real node);
 * the pages are used as a person would.
 */
import { expect } from "chai";
import { execFile } from "node:child_process";
import { readFile } from "node:fs/promises";
import { createRequire } from "node:module";
import { promisify } from "node:util";
import { before, describe, it } from "mocha";
import type { Download, Page } from "playwright-core";
import { parseEther, type Address } from "viem";
import {
  buyAndDecrypt,
  contributeRecord,
  demoActors,
  openResumePool,
  type DemoActors,
} from "../../../scripts/demo/scenario.js";
import { demoResume } from "../../../scripts/demo/resumes.js";
import { localAccount } from "../../../scripts/stack/accounts.js";
import type { E2EStack } from "../e2e/stack.js";
import type { DappServer } from "../../../frontend/serve.js";
import { useDappHarness } from "./dappHarness.js";
import { chooseDevAccount } from "./stack.js";
const run = promisify(execFile);
const AXE_SCRIPT = createRequire(import.meta.url).resolve("axe-core/axe.min.js");

/** The part of axe-core's results the checks read. */
interface AxeResults {
  violations: { id: string; nodes: { target: string[] }[] }[];
}

describe("dApp passbook and erasure inbox (chromium, full local stack)", function () {
  this.timeout(300_000);
  const harness = useDappHarness();
  let stack: E2EStack;
  let dapp: DappServer;
  let page: Page;
  let actors: DemoActors;
  let poolId: number;
  // Accounts no role of the stack uses: the dev wallet offers them.
  const member = localAccount(6);
  const neighbour = localAccount(7);
  let memberContribution: bigint;
  let purchases: { buyer: Address; purchaseId: bigint }[];

  before(async function () {
    ({ stack, dapp, page } = harness());
    actors = demoActors(stack.demoEnvironment());
    poolId = await openResumePool(actors, {
      price: parseEther("1"),
      bounty: parseEther("0.001"),
      minContributors: 2,
      fundedBounties: 2,
    });
    memberContribution = await contributeRecord(actors, poolId, member, demoResume(0));
    await contributeRecord(actors, poolId, neighbour, demoResume(1));
    // Two buyers each receive the member's record.
    purchases = [];
    for (const buyer of [actors.env.accounts.buyer, actors.env.accounts.secondBuyer]) {
      const delivered = await buyAndDecrypt(actors, poolId, buyer);
      expect(delivered.records.map((r) => r.tokenId)).to.include(memberContribution);
      purchases.push({ buyer: buyer.address, purchaseId: delivered.purchaseId });
    }
    await page.goto(dapp.url);
    await page.getByRole("button", { name: "Connect: Local dev account" }).click();
  });

  const shot = (name: string) => harness().shot(name);
  const useAccount = (account: Address) => chooseDevAccount(page, account);
  const entryOf = (contribution: bigint) =>
    page.getByRole("article", { name: `Passbook entry #${contribution}` });
  const downloaded = async (button: string): Promise<string> => {
    const event: Promise<Download> = page.waitForEvent("download");
    await page.getByRole("button", { name: button }).click();
    return readFile((await (await event).path())!, "utf8");
  };

  /** No accessibility violation (axe-core) inside the elements `selector` matches. */
  async function expectAccessible(selector: string): Promise<void> {
    await page.addScriptTag({ path: AXE_SCRIPT });
    const violations = await page.evaluate(async (include) => {
      const axe = (window as unknown as { axe: { run(context: unknown): Promise<AxeResults> } })
        .axe;
      const results = await axe.run({ include: [include] });
      return results.violations.map((v) => `${v.id}: ${v.nodes.map((n) => n.target).join(" ")}`);
    }, selector);
    expect(violations, violations.join("\n")).to.deep.equal([]);
  }

  /** What `npm run passbook` prints for `wallet` against the test's chain. */
  async function cliPassbook(wallet: Address, format: "--json" | "--csv"): Promise<string> {
    const { stdout } = await run(
      process.execPath,
      [
        "--import",
        "tsx",
        "scripts/passbook.ts",
        "--wallet",
        wallet,
        format,
        "--rpc-url",
        stack.chain.rpcUrl,
        "--databank",
        stack.deployment.databank,
        "--from-block",
        "0",
      ],
      { env: { ...process.env, DATABANK_START_BLOCK: "" } },
    );
    return stdout;
  }

  /** The dApp's JSON and CSV downloads equal the CLI's output (same chain, same block). */
  async function expectSameAsCli(wallet: Address): Promise<Record<string, unknown>> {
    const json = await downloaded("Download passbook (JSON)");
    const csv = await downloaded("Download statement (CSV)");
    const [cliJson, cliCsv] = await Promise.all([
      cliPassbook(wallet, "--json"),
      cliPassbook(wallet, "--csv"),
    ]);
    const passbook = JSON.parse(json) as Record<string, unknown>;
    expect(passbook).to.deep.equal(JSON.parse(cliJson));
    expect(csv).to.equal(cliCsv);
    return passbook;
  }

  it("contributor: the passbook shows both buyers of the record, the same as the CLI", async () => {
    await useAccount(member.address);
    await page.goto(`${dapp.url}#/contributor`);
    const entry = entryOf(memberContribution);
    for (const { buyer, purchaseId } of purchases) {
      const use = entry.getByRole("row").filter({ hasText: `#${purchaseId}` });
      await use.getByText(buyer).waitFor();
      await use.getByText("a copy of the record").waitFor();
      // 1 ETH − 2.5% fee, 70% to contributors, shared by the two records: 0.34125 ETH each.
      await use.getByText("0.34125 ETH").waitFor();
    }
    await entry.getByText("0.6835 ETH (claimed 0 ETH, unclaimed 0.6835 ETH)").waitFor();
    await page.getByText("Buyers holding a copy of your records now: 2").waitFor();
    await shot("30-passbook-two-buyers");
    const passbook = await expectSameAsCli(member.address);
    expect(passbook.buyersHoldingCopy).to.equal(2);

    const html = await downloaded("Download printable statement (HTML)");
    expect(html).to.match(/^<!doctype html>/);
    expect(html).to.contain("@media print");
    for (const { buyer, purchaseId } of purchases) {
      expect(html).to.contain(buyer).and.to.contain(`#${purchaseId}`);
    }
    expect(html).to.contain("0.6835 ETH").and.not.to.contain("683500000000000000");
  });

  it("contributor: revokes; the card says when consent ended and what it earned in all", async () => {
    const card = page.getByRole("article", {
      name: `Contribution ${memberContribution}`,
      exact: true,
    });
    await card.getByRole("button", { name: "Revoke consent…" }).click();
    await card.getByRole("button", { name: `Revoke consent ${memberContribution}` }).click();
    await card.getByText("consent revoked").waitFor();
    await card.getByText(/ended \d/).waitFor(); // the revocation's date, not a placeholder
    await card.getByText("0.6835 ETH").waitFor(); // earned in total: bounty + two sales
    expect(await card.textContent()).not.to.contain("until you revoke it");
    const erasure = entryOf(memberContribution).getByRole("list", {
      name: "Erasure by each buyer",
    });
    await erasure.getByText("due, not attested yet").nth(1).waitFor();
    await shot("31-passbook-revoked");
    await expectAccessible(".passbook");
  });

  it("buyer: the erasure inbox lists the record, its purchase and due date; attests in one click", async () => {
    const [first] = purchases;
    await useAccount(first!.buyer);
    await page.goto(`${dapp.url}#/buyer`);
    const inbox = page.getByRole("region", { name: /Erasure inbox/ });
    await inbox.getByText("1 erasure request(s) owed").waitFor();
    const row = inbox.getByRole("row").filter({ hasText: `#${memberContribution}` });
    await row.getByText(`purchase ${first!.purchaseId}`).waitFor();
    await row.getByText("to delete").waitFor();
    expect(await row.textContent()).to.match(/\d{4}/); // requested and due dates
    await shot("32-buyer-erasure-inbox");
    await inbox.getByLabel("I confirm I deleted these records.").check();
    await inbox.getByRole("button", { name: "Attest erasure" }).click();
    await inbox.getByText("all attested").waitFor();
    // The history stays: the request is still listed, now attested.
    await row.getByText("attested erased").waitFor();
    await expectAccessible(".erasure-inbox");
  });

  it("buyer: a re-download leaves the revoked record out", async () => {
    const [first] = purchases;
    const card = page.getByRole("article", { name: `Purchase ${first!.purchaseId}` });
    await card.getByRole("button", { name: "Decrypt and download" }).click();
    await card.getByText("2 record(s) verified against the on-chain root").waitFor();
    await card.getByText(`contribution ${memberContribution}) had their consent revoked`).waitFor();
    const event: Promise<Download> = page.waitForEvent("download");
    await card.getByRole("button", { name: "Download CSV" }).click();
    const csv = await readFile((await (await event).path())!, "utf8");
    const lines = csv.trim().split("\n");
    expect(lines).to.have.length(2); // the header and the neighbour's record
    expect(csv).to.contain(demoResume(1).city);
    expect(csv).not.to.contain(demoResume(0).city);
  });

  it("contributor: the passbook shows the first buyer's attestation, the second still due", async () => {
    await useAccount(member.address);
    await page.goto(`${dapp.url}#/contributor`);
    const erasure = entryOf(memberContribution).getByRole("list", {
      name: "Erasure by each buyer",
    });
    const [first, second] = purchases;
    await erasure
      .getByRole("listitem")
      .filter({ hasText: first!.buyer })
      .getByText("attested erased")
      .waitFor();
    await erasure
      .getByRole("listitem")
      .filter({ hasText: second!.buyer })
      .getByText("due, not attested yet")
      .waitFor();
    await page.getByText("Buyers holding a copy of your records now: 1").waitFor();
    const passbook = await expectSameAsCli(member.address);
    expect(passbook.buyersHoldingCopy).to.equal(1);
    await shot("33-passbook-attested");
  });

  it("contribute page: price, share and bounty by the consent box; a used-up bounty and an unknown pool said first", async () => {
    await page.goto(`${dapp.url}#/contributor?pool=${poolId}`);
    // Both funded bounties went to the two contributions: said before anyone types.
    await page
      .getByRole("note", { name: `Before you join pool ${poolId}` })
      .getByText("Its bounty budget is used up")
      .waitFor();
    const offer = page.getByRole("definition").filter({ hasText: "1 ETH" });
    await offer.first().waitFor();
    const facts = page.getByLabel("What you get");
    await facts.getByText("70% of each sale after the platform fee").waitFor();
    await facts.getByText("none left: the bounty budget is used up").waitFor();
    await shot("34-contribute-offer");
    await page.goto(`${dapp.url}#/contributor?pool=999`);
    await page.getByText("There is no pool 999 on this Databank.").waitFor();
  });

  it("empty states: a wallet with no contribution is shown the next step", async () => {
    await useAccount(localAccount(8).address);
    await page.goto(`${dapp.url}#/contributor`);
    await page.getByText("Nothing earned yet:").waitFor();
    await page.getByRole("link", { name: "pick a pool below" }).click();
    const heading = page.getByRole("heading", { name: "Pools open to contributions" });
    await page.waitForFunction(() => document.activeElement?.id === "open-pools-heading");
    expect(await heading.isVisible()).to.equal(true);
    expect(new URL(page.url()).hash).to.equal("#/contributor"); // the route stays
  });
});
