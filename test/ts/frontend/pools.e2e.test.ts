/**
 * End-to-end test of pools people can recognise and judge before paying (issue 12), in Chromium
 * against the whole local stack (Hardhat node, contracts through Ignition, the data bank node, the
 * built dApp), as e2e.test.ts: a curator opens a named pool, a buyer finds it by searching, reads
 * its preview (fields, records to receive, sales) and is told of a missing balance before
 * signing, and the curator withdraws bounty budget with each transaction reported.
 */
import { expect } from "chai";
import { before, describe, it } from "mocha";
import type { Page } from "playwright-core";
import { formatUnits, parseEventLogs, type Address } from "viem";
import { databankAbi } from "../../../lib/contracts/abis.js";
import { readPoolProfile } from "../../../lib/pools/profile.js";
import type { DappServer } from "../../../frontend/serve.js";
import { LOCAL_ROLES } from "../../../scripts/stack/accounts.js";
import type { E2EStack } from "../e2e/stack.js";
import { chooseDevAccount, fillPoolProfile, unlockedAccounts, waitForConfirmed } from "./stack.js";
import { useDappHarness } from "./dappHarness.js";

const TERMS = "Your resume is sold to recruiters as part of this pool. You can revoke at any time.";

describe("dApp pools end to end: names, search, preview, money (chromium, full local stack)", function () {
  this.timeout(300_000);
  const harness = useDappHarness({ screenshotPrefix: "pools-" });
  let stack: E2EStack;
  let dapp: DappServer;
  let page: Page;
  let curator: Address, member: Address, newcomer: Address;

  before(async function () {
    ({ stack, dapp, page } = harness());
    const accounts = await unlockedAccounts(stack.chain.rpcUrl);
    curator = accounts[LOCAL_ROLES.curator]!;
    member = accounts[6]!; // accounts no role of the stack uses
    newcomer = accounts[9]!; // holds ETH, never any TUSD
  });

  const useAccount = (account: Address) => chooseDevAccount(page, account);
  const confirmed = (label: string) => waitForConfirmed(page, label);
  const curatorCard = (poolId: number) =>
    page.getByRole("article", { name: new RegExp(`· pool ${poolId}\\b`) });

  it("curator: opens a named pool; the form resets; the card shows the name and buyers' badge", async () => {
    await page.goto(`${dapp.url}#/curator`);
    await page.getByRole("button", { name: "Connect: Local dev account" }).click();
    await useAccount(curator);
    // Validation names each profile field to fix before anything is uploaded or signed.
    await page.getByRole("button", { name: "Create pool" }).click();
    const nameProblem = "Give the pool a name of at least 3 characters.";
    await page.locator(".field-error").getByText(nameProblem).waitFor();
    await page.getByRole("alert").getByRole("link", { name: nameProblem }).waitFor();
    await fillPoolProfile(page, {
      name: "Software engineers in Guiyang",
      description: "Resumes of software engineers living in Guiyang, for recruiters.",
      category: "Work and resumes",
      terms: TERMS,
    });
    await page.getByLabel("Bounty per contribution (ETH)").fill("0.0000000000000000001");
    await page.getByRole("button", { name: "Create pool" }).click();
    await page
      .locator(".field-error")
      .getByText("Too many decimals: ETH has 18, this amount has 19.")
      .waitFor();
    await page.getByLabel("Bounty per contribution (ETH)").fill("0.01");
    await page.getByRole("button", { name: "Create pool" }).click();
    await page.getByText("Pool 1 is open.").waitFor();
    // A fresh form: the same pool is not one click away from being opened twice.
    expect(await page.getByLabel("Pool name").inputValue()).to.equal("");
    expect(
      await page.getByLabel("Consent terms (shown in full to contributors)").inputValue(),
    ).to.equal("");
    const card = curatorCard(1);
    await card.getByRole("heading", { name: /Software engineers in Guiyang · pool 1/ }).waitFor();
    await card.getByText("needs 1 more contributor", { exact: true }).waitFor();

    // The profile is in the schema document whose CID is on-chain.
    const [schemaCid] = await stack.publicClient.readContract({
      address: stack.deployment.databank,
      abi: databankAbi,
      functionName: "poolDocuments",
      args: [1],
    });
    const schema = (await (
      await fetch(`${stack.node.url}/v1/content/${schemaCid}`)
    ).json()) as unknown;
    expect(readPoolProfile(schema)).to.deep.include({ status: "valid" });

    await fillPoolProfile(page, {
      name: "Runners of Lyon",
      description: "Weekly running distances of amateur runners in Lyon.",
      category: "Health and fitness",
      terms: TERMS,
    });
    await page.getByLabel("Payment token").selectOption(stack.deployment.stablecoin);
    await page.getByLabel("Price per sale (TUSD)").fill("25");
    await page.getByRole("button", { name: "Create pool" }).click();
    await page.getByText("Pool 2 is open.").waitFor();
    await curatorCard(2)
      .getByRole("heading", { name: /Runners of Lyon · pool 2/ })
      .waitFor();
  });

  it("curator: funds the bounty; a large price change asks first", async () => {
    const card = curatorCard(1);
    await card.getByLabel("Add to bounty budget (ETH)").fill("0.05");
    await card.getByRole("button", { name: "Fund bounty" }).click();
    await confirmed("Fund bounty");
    await card.getByText(/the budget pays 5 more bounties/).waitFor();

    await card.getByLabel("New price (ETH)").fill("5");
    await card.getByRole("button", { name: "Change price" }).click();
    const ask = card.getByRole("alertdialog");
    await ask
      .getByText("That is a large change: from 0.1 ETH to 5 ETH. Change the price?")
      .waitFor();
    // The focus moves to the question when it opens, and back to the price when cancelled.
    expect(await page.evaluate(() => document.activeElement?.textContent)).to.equal(
      "Yes, change it to 5 ETH",
    );
    await ask.getByRole("button", { name: "Cancel" }).click();
    await ask.waitFor({ state: "detached" });
    expect(await page.evaluate(() => document.activeElement?.id)).to.equal("new-price-1");
    expect(
      (
        await stack.publicClient.readContract({
          address: stack.deployment.databank,
          abi: databankAbi,
          functionName: "getPool",
          args: [1],
        })
      ).price,
    ).to.equal(10n ** 17n);
  });

  it("contributor: joins the named pool (one record to sell)", async () => {
    await useAccount(member);
    await page.goto(`${dapp.url}#/contributor?pool=1`);
    await page.getByText("Terms, in full").waitFor();
    await page.getByLabel("Job title").fill("Backend engineer");
    await page.getByLabel("Years of experience").fill("7");
    await page.getByLabel("Skills").fill("Go, SQL");
    await page.getByLabel("City").fill("Guiyang");
    await page.getByLabel("Education").selectOption("master");
    await page.getByLabel("I have read the terms and consent to them.").check();
    await page.getByRole("button", { name: "Encrypt and contribute" }).click();
    await page.getByText(/Contribution \d+ is active/).waitFor();
  });

  it("buyer: the list shows the pools by name and finds one by search and order", async () => {
    await useAccount(newcomer);
    await page.goto(`${dapp.url}#/buyer`);
    const pools = page.getByRole("region", { name: "Pools", exact: true });
    await pools.getByRole("heading", { name: /Software engineers in Guiyang · pool 1/ }).waitFor();
    await pools.getByRole("heading", { name: /Runners of Lyon · pool 2/ }).waitFor();
    await pools.getByText("Resumes of software engineers living in Guiyang").waitFor();

    const search = page.getByLabel("Search pools (name, description, category)");
    await search.fill("guiyang");
    await pools.getByText("1 of 2 pools").waitFor();
    expect(await pools.getByRole("article").count()).to.equal(1);
    await search.fill("fitness"); // a category's words
    await pools.getByRole("heading", { name: /Runners of Lyon · pool 2/ }).waitFor();
    expect(await pools.getByRole("article").count()).to.equal(1);
    await search.fill("");
    await page.getByLabel("Sort by").selectOption("contributors");
    await pools.getByText("2 of 2 pools").waitFor();
    const first = pools.getByRole("article").first().getByRole("heading").first();
    expect(await first.textContent()).to.contain("Software engineers in Guiyang · pool 1");
    await harness().shot("30-buyer-pool-search");
  });

  it("buyer: a TUSD pool says Insufficient TUSD before anything is signed", async () => {
    await page.goto(`${dapp.url}#/buyer?pool=2`);
    await page
      .getByRole("alert")
      .filter({ hasText: "Insufficient TUSD: you have 0 TUSD, this needs 25 TUSD." })
      .waitFor();
    await page.getByText("Your balance: 0 TUSD").waitFor();
    expect(await page.getByRole("button", { name: "Buy", exact: true }).isDisabled()).to.equal(
      true,
    );
  });

  it("buyer: the preview shows fields, N records and sales, then the purchase", async () => {
    await page.goto(`${dapp.url}#/buyer?pool=1`);
    const fields = page.getByRole("table", { name: "Fields of each record" });
    const years = fields.getByRole("row", { name: /Years of experience/ });
    await years.getByText("whole number").waitFor();
    await years.getByText("0 to 60").waitFor();
    await fields
      .getByRole("row", { name: /Education/ })
      .getByText("one of: none, secondary, bachelor, master, doctorate")
      .waitFor();
    await page.getByText("You will receive 1 record:").waitFor();
    await page
      .getByRole("heading", { name: "Buy the data of Software engineers in Guiyang · pool 1" })
      .waitFor();
    await page.getByText("No delivered sale yet.").waitFor();
    await harness().shot("31-buyer-preview");

    await page.getByRole("button", { name: "Buy", exact: true }).click();
    await confirmed("Buy pool 1");
    await page.getByText(/Already purchased \(purchase \d+\)/).waitFor();
    const sales = page.getByRole("table", { name: "Sales of pool 1" });
    await sales.getByRole("row").nth(1).getByText("0.1 ETH").waitFor(); // delivered by the node
  });

  it("curator: withdraws bounty budget; each transaction is reported with its amount", async () => {
    await useAccount(curator);
    await page.goto(`${dapp.url}#/curator`);
    const card = curatorCard(1);
    // One bounty of 0.01 ETH went to the contribution: 0.04 ETH left, all of it the curator's.
    await card.getByText("You can withdraw up to 0.04 ETH (your unspent funding).").waitFor();
    await card.getByLabel("Withdraw from bounty budget (ETH)").fill("0.05");
    await card.getByRole("button", { name: "Withdraw bounty" }).click();
    await card.getByRole("alert").filter({ hasText: "Too large: at most 0.04 ETH." }).waitFor();
    await card.getByLabel("Withdraw from bounty budget (ETH)").fill("0.02");
    await card.getByRole("button", { name: "Withdraw bounty" }).click();
    await confirmed("Withdraw bounty budget");
    const status = card.getByRole("status").filter({ hasText: "Withdraw bounty budget" });
    await status.getByText("Moved 0.02 ETH from the bounty budget to your credit").waitFor();
    // The claim also pays the curator's share of the sale already credited to it.
    const withdrew = await status.getByText(/^Withdrew [\d.]+ ETH/).textContent();
    await card.getByText(/the budget pays 2 more bounties/).waitFor();
    await harness().shot("32-curator-withdraw-bounty");

    const withdrawn = await stack.publicClient.getContractEvents({
      address: stack.deployment.databank,
      abi: databankAbi,
      fromBlock: 0n,
      eventName: "Withdrawn",
      args: { account: curator },
    });
    const paid = parseEventLogs({ abi: databankAbi, logs: withdrawn, eventName: "Withdrawn" })
      .map((event) => event.args.amount)
      .reduce((total, amount) => total + amount, 0n);
    expect(paid).to.be.greaterThanOrEqual(2n * 10n ** 16n);
    expect(withdrew).to.contain(`Withdrew ${formatUnits(paid, 18)} ETH`);
  });

  it("transaction view: amounts in the pool's token, durations in words", async () => {
    const [created] = await stack.publicClient.getContractEvents({
      address: stack.deployment.databank,
      abi: databankAbi,
      fromBlock: 0n,
      eventName: "PoolCreated",
      args: { poolId: 2 },
    });
    await page.goto(`${dapp.url}#/tx/${created!.transactionHash}`);
    const params = page.getByRole("definition").filter({ hasText: "paymentToken" });
    await params.getByText(/price: 25 TUSD, .*deliveryWindow: 1 day/).waitFor();
    expect(await params.textContent()).to.contain("contributorShareBps: 70%");
    expect(await params.textContent()).to.not.contain("25000000");
  });
});
