/**
 * End-to-end test of the dApp in Chromium (the one bundled in @sparticuz/chromium, or
 * DATABANK_CHROMIUM_PATH's; see ./browser.ts) against the whole local stack: a Hardhat node,
 * the contracts deployed through Ignition, the data bank node (its own process: relays consents,
 * checks records, delivers purchases) and the built dApp served by startDappServer. The dev wallet
 * (wagmi's mock connector over the node's unlocked accounts) signs, so no extension is needed.
 * Screenshots go to test-output/screenshots (and FAILED-*.png on a failure).
 */
import { expect } from "chai";
import { readFile } from "node:fs/promises";
import { after, before, describe, it } from "mocha";
import type { Page, Request } from "playwright-core";
import {
  decodeFunctionData,
  keccak256,
  parseEventLogs,
  zeroAddress,
  type Address,
  type Hex,
} from "viem";
import { databankAbi } from "../../../lib/contracts/abis.js";
import type { DappServer } from "../../../frontend/serve.js";
import { LOCAL_ROLES } from "../../../scripts/stack/accounts.js";
import type { E2EStack } from "../e2e/stack.js";
import { TEST_STABLECOIN_MINT_ABI } from "../../../frontend/src/logic/testStablecoin.js";
import {
  fillPoolProfile,
  chooseDevAccount,
  SCREENSHOT_DIR,
  unlockedAccounts,
  unlockedWallet,
  waitForConfirmed,
} from "./stack.js";
import { useDappHarness } from "./dappHarness.js";

/** A resume the pool's schema accepts; the values are distinctive so a leak would be found. */
interface Resume {
  title: string;
  years: string;
  skills: string;
  city: string;
}

describe("dApp end to end (chromium, full local stack)", function () {
  this.timeout(300_000);
  const harness = useDappHarness();
  let stack: E2EStack;
  let dapp: DappServer;
  let page: Page;
  let accounts: Address[];
  let curator: Address, buyer: Address, member: Address, secondMember: Address;
  let statisticsMember: Address;
  const startedAt = Date.now();

  before(async function () {
    ({ stack, dapp, page } = harness());
    accounts = await unlockedAccounts(stack.chain.rpcUrl);
    curator = accounts[LOCAL_ROLES.curator]!;
    buyer = accounts[LOCAL_ROLES.buyer]!;
    member = accounts[6]!; // accounts no role of the stack uses
    secondMember = accounts[7]!;
    statisticsMember = accounts[8]!;
  });

  after(() => {
    console.log(`    e2e stack and browser run: ${((Date.now() - startedAt) / 1000).toFixed(1)} s`);
  });

  const shot = (name: string) => harness().shot(name);
  const useAccount = (account: Address) => chooseDevAccount(page, account);
  const openTab = (name: string) =>
    page.getByRole("navigation", { name: "Roles" }).getByRole("link", { name }).click();
  const confirmed = (label: string) => waitForConfirmed(page, label);
  const purchasesOf = (poolId: number) =>
    stack.publicClient.getContractEvents({
      address: stack.deployment.databank,
      abi: databankAbi,
      fromBlock: 0n,
      eventName: "PurchaseCreated",
      args: { poolId },
    });

  /**
   * Fills and sends the contribution form of a pool; returns the new contribution id. `scope` is
   * the label of the use to choose, when not the preselected one.
   */
  async function contributeViaUi(poolId: number, resume: Resume, scope?: string): Promise<bigint> {
    await page.goto(`${dapp.url}#/contributor?pool=${poolId}`);
    await page.getByText("Terms, in full").waitFor();
    if (scope !== undefined) await page.getByLabel(scope, { exact: true }).check();
    await page.getByLabel("Job title").fill(resume.title);
    await page.getByLabel("Years of experience").fill(resume.years);
    await page.getByLabel("Skills").fill(resume.skills);
    await page.getByLabel("City").fill(resume.city);
    await page.getByLabel("Education").selectOption("doctorate");
    await page.getByLabel("I have read the terms and consent to them.").check();
    await page.getByRole("button", { name: "Encrypt and contribute" }).click();
    const done = page.getByText(/Contribution \d+ is active/);
    await done.waitFor();
    return BigInt(/Contribution (\d+)/.exec((await done.textContent()) ?? "")![1]!);
  }

  it("connects the dev wallet", async () => {
    await page.goto(dapp.url);
    await page.getByRole("button", { name: "Connect: Local dev account" }).click();
    await useAccount(curator);
    expect(await page.getByLabel("Dev account").inputValue()).to.equal(curator);
    await shot("01-connected");
  });

  it("curator: opens an ETH pool (schema and terms uploaded to the node), changes its price", async () => {
    await openTab("Curator");
    await fillPoolProfile(page, {
      name: "Resumes for recruiters",
      description: "Software engineers' resumes, sold to recruiters.",
      category: "Work and resumes",
      terms: "Your resume is sold to recruiters as part of this pool. You can revoke at any time.",
    });
    await page.getByRole("button", { name: "Create pool" }).click();
    await page.getByText("Pool 1 is open.").waitFor();
    await shot("02-curator-pool-created");
    await page.getByLabel("New price (ETH)").fill("0.2");
    await page.getByRole("button", { name: "Change price" }).click();
    await confirmed("Change price");
    await page.getByText("0.2 ETH").first().waitFor();
  });

  it("curator: opens a stablecoin pool", async () => {
    // The form was reset after pool 1: everything is typed again.
    await fillPoolProfile(page, {
      name: "Resumes paid in TUSD",
      description: "Software engineers' resumes, paid in the test stablecoin.",
      category: "Work and resumes",
      terms: "Your resume is sold to recruiters as part of this pool. You can revoke at any time.",
    });
    await page.getByLabel("Payment token").selectOption(stack.deployment.stablecoin);
    await page.getByLabel("Price per sale (TUSD)").fill("25");
    await page.getByRole("button", { name: "Create pool" }).click();
    await page.getByText("Pool 2 is open.").waitFor();
    await shot("03-curator-two-pools");

    // A payment the balance cannot cover is explained in token units before anything is signed
    // (the revert it would cause is worded the same way: test/ts/frontend/pools.test.ts).
    const card = page.getByRole("article", { name: /· pool 2\b/ });
    await card.getByLabel("Add to bounty budget (TUSD)").fill("5");
    await card.getByRole("button", { name: "Fund bounty" }).click();
    const failure = card.getByRole("alert").filter({ hasText: "Insufficient TUSD" });
    await failure.waitFor();
    const message = (await failure.textContent()) ?? "";
    expect(message).to.contain("this needs 5 TUSD");
    expect(message).to.not.match(/0x[0-9a-fA-F]{64,}/);
    await shot("03b-curator-decoded-error");
  });

  const resume: Resume = {
    title: "Quantum plumber 8841",
    years: "13",
    skills: "Fortran-Ninja-77, Zebra-Juggling-42",
    city: "Zzyzx-Town-5521",
  };
  let memberContribution: bigint;

  it("contributor: encrypts in the browser, sends no plaintext, joins gaslessly", async () => {
    await useAccount(member);
    await openTab("My data bank");
    await page.getByRole("link", { name: "Read the terms and contribute to pool 1" }).click();
    await page.getByText("Your resume is sold to recruiters").waitFor(); // CID-verified terms
    await shot("04-contributor-form");
    const bodies: { url: string; body: Buffer }[] = [];
    const capture = (request: Request) => {
      const body = request.postDataBuffer();
      if (body) bodies.push({ url: request.url(), body });
    };
    page.on("request", capture);
    const balanceBefore = await stack.publicClient.getBalance({ address: member });
    memberContribution = await contributeViaUi(1, resume);
    page.off("request", capture);
    await shot("05-contributor-joined");

    const sentValues = [resume.title, resume.city, "Fortran-Ninja-77", "Zebra-Juggling-42"];
    for (const { url, body } of bodies) {
      const text = body.toString("latin1");
      for (const value of sentValues) {
        expect(text, `the request to ${url} carried "${value}"`).to.not.contain(value);
      }
    }
    // The capture saw the upload itself (the envelope, magic "DBEV") and the signed consent.
    const upload = bodies.find(({ url }) => url.endsWith("/v1/content"));
    expect(upload?.body.subarray(0, 4).toString("latin1")).to.equal("DBEV");
    expect(bodies.some(({ url }) => url.endsWith("/v1/contributions/relay"))).to.equal(true);
    expect(await stack.publicClient.getBalance({ address: member })).to.equal(balanceBefore);
  });

  it("buyer: sees the split, buys with ETH, the node delivers, decrypts and downloads CSV", async () => {
    await useAccount(buyer);
    await page.goto(`${dapp.url}#/buyer?pool=1`);
    const split = page.getByRole("table", { name: "Split of a purchase of pool 1" });
    await split.getByText("0.2 ETH", { exact: true }).waitFor(); // total
    await split.getByText("0.005 ETH", { exact: true }).waitFor(); // 2.5% platform fee
    await shot("06-buyer-pool-details");
    await page.getByRole("button", { name: "Buy", exact: true }).click();
    await confirmed("Buy pool 1");
    const [purchase] = await purchasesOf(1);
    const card = page.getByRole("article", { name: `Purchase ${purchase!.args.purchaseId}` });
    await card.getByText("delivered", { exact: true }).waitFor(); // by the node, live
    const urls: string[] = [];
    const record = (request: Request) => urls.push(new URL(request.url()).pathname);
    page.on("request", record);
    await card.getByRole("button", { name: "Decrypt and download" }).click();
    await card.getByText("1 record(s) verified against the on-chain root").waitFor();
    page.off("request", record);
    // The browser read the envelope from the delivery stream (the @ipld/car browser build, the
    // node's CORS): the manifest is the only content fetched by CID.
    expect(urls).to.include(`/v1/purchases/${purchase!.args.purchaseId}/delivery/car`);
    expect(urls.filter((path) => path.startsWith("/v1/content/"))).to.have.length(1);
    await shot("07-buyer-decrypted");
    const downloadEvent = page.waitForEvent("download");
    await card.getByRole("button", { name: "Download CSV" }).click();
    const csv = await readFile((await (await downloadEvent).path())!, "utf8");
    expect(csv).to.contain(resume.title).and.to.contain(resume.city);
  });

  it("contributor: sees the earnings, claims all, exports, revokes", async () => {
    await useAccount(member);
    await page.goto(`${dapp.url}#/contributor`);
    const card = page.getByRole("article", { name: `Contribution ${memberContribution}` });
    await card.getByText("active: earning from every sale").waitFor();
    await card.getByText("0.1365 ETH").waitFor(); // 0.2 − 2.5% fee, 70% to the only contributor
    await shot("08-contributor-earnings");
    const balanceBefore = await stack.publicClient.getBalance({ address: member });
    await page.getByRole("button", { name: "Claim all" }).click();
    await confirmed("Claim earnings");
    expect(await stack.publicClient.getBalance({ address: member })).to.be.greaterThan(
      balanceBefore,
    );

    const downloadEvent = page.waitForEvent("download");
    await page.getByRole("button", { name: "Download export bundle" }).click();
    const bundle = await readFile((await (await downloadEvent).path())!, "utf8");
    expect(bundle).to.contain(resume.title); // decrypted with the wallet-derived key
    expect(bundle).to.contain(`"${memberContribution}"`);

    await card.getByRole("button", { name: "Revoke consent…" }).click();
    await card.getByText("Revoking ends your consent for good").waitFor();
    await shot("09-contributor-revoke-explained");
    await card.getByRole("button", { name: `Revoke consent ${memberContribution}` }).click();
    await card.getByText("consent revoked").waitFor();
  });

  it("buyer: attests the erasure of the revoked record", async () => {
    await useAccount(buyer);
    await page.goto(`${dapp.url}#/buyer`);
    await page.getByText("1 erasure request(s) owed").waitFor();
    await shot("10-buyer-erasure-owed");
    await page.getByLabel("I confirm I deleted these records.").check();
    await page.getByRole("button", { name: "Attest erasure" }).click();
    await page.getByText("1 erasure request(s) owed").waitFor({ state: "detached" });
  });

  it("buyer: pays a stablecoin pool with a permit, in one transaction", async () => {
    await useAccount(secondMember);
    await contributeViaUi(2, { ...resume, title: "Second resume 1234" });
    const mint = await unlockedWallet(stack.chain.rpcUrl, buyer).writeContract({
      address: stack.deployment.stablecoin,
      abi: TEST_STABLECOIN_MINT_ABI,
      functionName: "mint",
      args: [buyer, 100_000_000n],
      account: buyer,
      chain: undefined,
    });
    await stack.publicClient.waitForTransactionReceipt({ hash: mint });
    await useAccount(buyer);
    await page.goto(`${dapp.url}#/buyer?pool=2`);
    await page
      .getByRole("table", { name: "Split of a purchase of pool 2" })
      .getByText("25 TUSD", { exact: true })
      .waitFor();
    await page.getByRole("button", { name: "Buy", exact: true }).click();
    await confirmed("Buy pool 2");
    const [purchase] = await purchasesOf(2);
    const tx = await stack.publicClient.getTransaction({ hash: purchase!.transactionHash as Hex });
    expect(decodeFunctionData({ abi: databankAbi, data: tx.input }).functionName).to.equal(
      "purchaseWithPermit",
    );
    const card = page.getByRole("article", { name: `Purchase ${purchase!.args.purchaseId}` });
    await card.getByText("delivered", { exact: true }).waitFor();
    await shot("11-buyer-permit-purchase");
  });

  it("auditor: replays the events, every invariant holds, split and chart shown", async () => {
    await page.goto(`${dapp.url}#/auditor?pool=1`);
    const verdict = page.getByText(/invariant.*at block/);
    await verdict.waitFor();
    const checks = page.getByRole("region", { name: "Invariants" });
    expect(await checks.getByText("FAIL", { exact: true }).count()).to.equal(0);
    expect(await verdict.textContent()).to.contain("Every invariant holds");
    await page
      .getByRole("img", { name: /Cumulative revenue and payouts over 1 delivered sale/ })
      .waitFor();
    const purchases = page.getByRole("region", { name: "Purchases and their split" });
    await purchases.getByText("0.1365 ETH").waitFor(); // contributors' share of the sale
    await shot("12-auditor-pool-1");
  });

  // Data products: pool 3 sells record copies and questions (differentially private answers).
  it("curator: opens a pool selling records and questions, with a privacy budget and policy", async () => {
    await useAccount(curator);
    await openTab("Curator");
    await fillPoolProfile(page, {
      name: "Resumes and questions",
      description: "Resumes sold as records, or counted in private statistics.",
      category: "Work and resumes",
    });
    await page
      .getByLabel("Consent terms (shown in full to contributors)")
      .fill("Your resume is sold to recruiters, or counted in statistics, as you choose.");
    await page.getByLabel("Payment token").selectOption("native");
    await page.getByLabel("Products").selectOption("both");
    await page.getByLabel("Price per sale (ETH)").fill("0.2");
    await page.getByLabel("Price per question (ETH)").fill("0.05");
    await page.getByLabel("Privacy budget of the pool (total ε)").fill("20");
    await page.getByLabel("Most ε per question").fill("25");
    await page.getByRole("button", { name: "Create pool" }).click();
    await page
      .locator(".field-error")
      .getByText(
        "One question may not spend more than the whole budget: 25 ε is above the total of 20 ε.",
      )
      .waitFor();
    await page.getByLabel("Most ε per question").fill("8");
    // The default policy follows the schema's fields; this pool has a single contributor, so the
    // release threshold (a noisy count) is lowered to 0 for the test to see a row.
    const policyBox = page.getByLabel("Query policy (JSON, published inside the schema)");
    const policy = JSON.parse(await policyBox.inputValue()) as {
      fields: Record<string, unknown>;
    };
    expect(policy.fields.title).to.deep.equal({ groupBy: false, aggregate: false });
    expect(policy.fields.yearsOfExperience).to.deep.equal({ bounds: { lo: 0, hi: 60 } });
    await policyBox.fill(JSON.stringify({ ...policy, minNoisyCount: 0 }, null, 2));
    await page.getByRole("button", { name: "Create pool" }).click();
    await page.getByText("Pool 3 is open.").waitFor();
    const card = page.getByRole("article", { name: /· pool 3\b/ });
    await card.getByText("record sales and queries (statistics)").waitFor();
    await card.getByText("20 ε in all, 0 ε spent, 20 ε remaining").waitFor();
    await shot("20-curator-pool-selling-questions");
    const pool = await stack.publicClient.readContract({
      address: stack.deployment.databank,
      abi: databankAbi,
      functionName: "getPool",
      args: [3],
    });
    expect(pool).to.include({
      products: 3,
      queryPrice: 5n * 10n ** 16n,
      epsilonBudget: 20_000_000,
      maxEpsilonPerQuery: 8_000_000,
    });
  });

  let statisticsContribution: bigint;

  it("contributor: chooses statistics only, explained in plain words", async () => {
    await useAccount(statisticsMember);
    await page.goto(`${dapp.url}#/contributor?pool=3`);
    // The most private use the pool offers is preselected, and each is explained.
    expect(await page.getByLabel("Statistics only", { exact: true }).isChecked()).to.equal(true);
    await page.getByText("Buyers never receive your record.").waitFor();
    await shot("21-contributor-scope-choice");
    statisticsContribution = await contributeViaUi(
      3,
      { ...resume, title: "Statistics only 5150" },
      "Statistics only",
    );
    const [submitted] = await stack.publicClient.getContractEvents({
      address: stack.deployment.databank,
      abi: databankAbi,
      fromBlock: 0n,
      eventName: "ContributionSubmitted",
      args: { contributionId: statisticsContribution },
    });
    expect(submitted!.args.scope).to.equal(2);
    await page.goto(`${dapp.url}#/contributor`);
    const card = page.getByRole("article", { name: `Contribution ${statisticsContribution}` });
    await card.getByText("statistics only", { exact: true }).waitFor();
    await card.getByText(/^0 ε/).waitFor();
  });

  it("buyer: asks a question, sees price and ε before paying, pays, reads the answer", async () => {
    await useAccount(buyer);
    await page.goto(`${dapp.url}#/buyer?pool=3`);
    const ask = page.getByRole("region", { name: "Ask a question of pool 3" });
    await ask.getByRole("button", { name: "Add a grouping" }).click();
    await ask.getByLabel("Group 1").selectOption("education");
    // Checked before paying with lib/query, as the CLI does: beyond the pool's maximum ε…
    await ask.getByLabel("Privacy cost of the question (ε)").fill("9");
    await ask
      .getByText("the query asks for ε = 9, more than the pool's maximum of 8 per query")
      .waitFor();
    // Paying now sends nothing: a summary takes the focus, its line leads to the ε field.
    await ask.getByRole("button", { name: "Pay and ask" }).click();
    const summary = ask.getByRole("alert").filter({ hasText: "The question cannot be paid yet" });
    await summary.waitFor();
    expect(await summary.evaluate((element) => element === document.activeElement)).to.equal(true);
    await summary.getByRole("link", { name: /more than the pool's maximum/ }).click();
    expect(await page.evaluate(() => document.activeElement?.id)).to.equal("q-epsilon-3");
    // …then within it: the price and the ε are shown with the pool's remaining budget.
    await ask.getByLabel("Privacy cost of the question (ε)").fill("8");
    await summary.waitFor({ state: "detached" }); // stale once the question changes
    const before = ask.getByRole("definition").filter({ hasText: "0.05 ETH" });
    await before.waitFor();
    await ask.getByText("8 ε (count 8 ε)").waitFor();
    await ask.getByText("20 ε of 20 ε left (0 ε spent)").waitFor();
    await shot("22-buyer-question-checked");
    await ask.getByRole("button", { name: "Pay and ask" }).click();
    await confirmed("Ask pool 3");
    const paid = ask.getByText(/Question \d+ is paid/);
    const purchaseId = /Question (\d+)/.exec((await paid.textContent()) ?? "")![1]!;
    const card = page.getByRole("article", { name: `Question ${purchaseId}` });
    await card.getByText("answered", { exact: true }).waitFor(); // by the node's query worker
    await card.getByText("8 ε spent").waitFor();
    await card.getByRole("button", { name: "Show the answer" }).click();
    const table = card.getByRole("table", { name: `Answer table of question ${purchaseId}` });
    await table.waitFor();
    expect(await table.getByRole("columnheader").allTextContents()).to.deep.equal([
      "education",
      "count",
    ]);
    // The one contributor's group: its noisy count (scale 1/8) clears the threshold of 0.
    const row = table.getByRole("row").filter({ hasText: "doctorate" });
    const count = Number((await row.getByRole("cell").nth(1).textContent()) ?? "NaN");
    expect(count).to.be.within(-1, 3);
    await card.getByRole("img", { name: /Bar chart of count by education/ }).waitFor();
    await shot("23-buyer-answer");
    const [answered] = await stack.publicClient.getContractEvents({
      address: stack.deployment.databank,
      abi: databankAbi,
      fromBlock: 0n,
      eventName: "QueryAnswered",
      args: { purchaseId: BigInt(purchaseId) },
    });
    expect(answered!.args.epsilonSpent).to.equal(8_000_000);
  });

  it("buyer: a question the custodian's policy refuses shows its reason and the credit", async () => {
    // Bought outside the dApp (which would have refused it before paying), as another client
    // could: grouping by free text the policy keeps filter-only.
    const query = new TextEncoder().encode(
      JSON.stringify({
        version: 1,
        epsilon: "1",
        groupBy: [{ field: "title" }],
        aggregates: [{ kind: "count" }],
      }),
    );
    const upload = await fetch(`${stack.node.url}/v1/content`, {
      method: "POST",
      headers: { "content-type": "application/octet-stream" },
      body: query,
    });
    const { cid } = (await upload.json()) as { cid: string };
    const price = 5n * 10n ** 16n;
    const creditBefore = await stack.publicClient.readContract({
      address: stack.deployment.databank,
      abi: databankAbi,
      functionName: "creditOf",
      args: [buyer, zeroAddress],
    });
    const hash = await unlockedWallet(stack.chain.rpcUrl, buyer).writeContract({
      address: stack.deployment.databank,
      abi: databankAbi,
      functionName: "purchaseQuery",
      args: [3, price, `0x${"11".repeat(32)}`, 1_000_000, cid, keccak256(query)],
      value: price,
      account: buyer,
      chain: undefined,
    });
    const receipt = await stack.publicClient.waitForTransactionReceipt({ hash });
    const [purchased] = parseEventLogs({
      abi: databankAbi,
      eventName: "QueryPurchased",
      logs: receipt.logs,
    });
    await page.goto(`${dapp.url}#/buyer`);
    const card = page.getByRole("article", { name: `Question ${purchased!.args.purchaseId}` });
    await card.getByText("rejected, price credited", { exact: true }).waitFor();
    const reason = card.getByRole("definition").filter({ hasText: '"title"' });
    await reason.waitFor();
    await card.getByText("The price was credited back to you at once").waitFor();
    await shot("24a-buyer-question-rejected");
    const creditAfter = await stack.publicClient.readContract({
      address: stack.deployment.databank,
      abi: databankAbi,
      functionName: "creditOf",
      args: [buyer, zeroAddress],
    });
    expect(creditAfter - creditBefore).to.equal(price);
  });

  it("contributor: the card shows the privacy spent next to the earnings", async () => {
    await useAccount(statisticsMember);
    await page.goto(`${dapp.url}#/contributor`);
    const card = page.getByRole("article", { name: `Contribution ${statisticsContribution}` });
    await card.getByText(/^8 ε \(the pool can never spend more than 20 ε in all\)/).waitFor();
    await card.getByText("0.034125 ETH").waitFor(); // 0.05 − 2.5% fee, 70% to the only contributor
    await page
      .getByText(
        "Earned from questions by each contribution allowing statistics: 0.034125 ETH (1 answered)",
      )
      .waitFor();
    await shot("24-contributor-privacy-spent");
    const loss = await stack.publicClient.readContract({
      address: stack.deployment.databank,
      abi: databankAbi,
      functionName: "privacyLoss",
      args: [statisticsContribution],
    });
    expect(loss).to.equal(8_000_000);
  });

  it("curator: the pool card shows the ε spent and remaining, and the questions sold", async () => {
    await useAccount(curator);
    await openTab("Curator");
    const card = page.getByRole("article", { name: /· pool 3\b/ });
    await card
      .getByText("20 ε in all, 8 ε spent, 12 ε remaining; at most 8 ε per question")
      .waitFor();
    await card.getByText("1 answered for 1 buyer(s), 0.05 ETH").waitFor();
    await shot("25-curator-privacy-budget");
  });

  it("labels every input on every page", async () => {
    const pages: [string, string][] = [
      ["#/contributor", "Pools open to contributions"],
      ["#/contributor?pool=2", "Job title"],
      ["#/buyer?pool=2", "You pay (held in escrow until delivery)"],
      ["#/contributor?pool=3", "How buyers may use your record"],
      ["#/buyer?pool=3", "Privacy cost of the question (ε)"],
      ["#/curator", "Open a pool"],
      ["#/auditor", "Invariants"],
    ];
    const unlabelled: string[] = [];
    for (const [route, shown] of pages) {
      await page.goto(`${dapp.url}${route}`);
      await page.getByText(shown, { exact: true }).first().waitFor();
      const missing = await page.evaluate(() =>
        Array.from(document.querySelectorAll("input, select, textarea"))
          .filter((element) => {
            const control = element as HTMLInputElement;
            return (control.labels?.length ?? 0) === 0 && !control.getAttribute("aria-label");
          })
          .map((element) => element.outerHTML.slice(0, 80)),
      );
      unlabelled.push(...missing.map((html) => `${route}: ${html}`));
    }
    expect(unlabelled).to.deep.equal([]);
  });

  // Last of the chain-state tests: the node is stopped and the chain's clock moves two days on.
  it("buyer: takes a refund when the custodian misses the delivery deadline", async () => {
    await stack.node.stop();
    await useAccount(buyer);
    await page.goto(`${dapp.url}#/buyer?pool=2`);
    await page.getByRole("button", { name: "Buy", exact: true }).click();
    await confirmed("Buy pool 2");
    const purchases = await purchasesOf(2);
    const card = page.getByRole("article", {
      name: `Purchase ${purchases[purchases.length - 1]!.args.purchaseId}`,
    });
    await card.getByText("awaiting delivery").waitFor();
    await stack.publicClient.request({
      method: "evm_increaseTime" as never,
      params: [2 * 86_400] as never,
    });
    await stack.publicClient.request({ method: "evm_mine" as never });
    await card.getByRole("button", { name: "Take refund" }).click();
    await card.getByText("refunded", { exact: true }).waitFor();
    await shot("13-buyer-refunded");
  });

  it("injected wallet on the wrong network: one click switches it", async () => {
    // A minimal EIP-1193 wallet like MetaMask's, starting on chain 1: it answers chain and
    // account requests itself and forwards the rest to the local node.
    const walletPage = await harness().context.newPage();
    // The dev wallet remembers it was connected (same profile): this visitor has only MetaMask.
    await walletPage.addInitScript(`localStorage.removeItem("databank.devWallet");`);
    // A string, not a function: the test runner's transpiler would add helpers the page lacks.
    await walletPage.addInitScript(`{
      const rpcUrl = ${JSON.stringify(stack.chain.rpcUrl)};
      const account = ${JSON.stringify(curator)};
      const listeners = {};
      let chainId = "0x1";
      window.ethereum = {
        isMetaMask: true,
        on(event, listener) { (listeners[event] = listeners[event] || []).push(listener); },
        removeListener(event, listener) {
          listeners[event] = (listeners[event] || []).filter((item) => item !== listener);
        },
        async request({ method, params }) {
          if (method === "eth_chainId") return chainId;
          if (method === "eth_accounts" || method === "eth_requestAccounts") return [account];
          if (method === "wallet_requestPermissions" || method === "wallet_getPermissions") {
            return [{ parentCapability: "eth_accounts" }];
          }
          if (method === "wallet_switchEthereumChain") {
            chainId = params[0].chainId;
            for (const listener of listeners.chainChanged || []) listener(chainId);
            return null;
          }
          const response = await fetch(rpcUrl, {
            method: "POST",
            headers: { "content-type": "application/json" },
            body: JSON.stringify({ jsonrpc: "2.0", id: 1, method, params: params || [] }),
          });
          const body = await response.json();
          if (body.error) throw body.error;
          return body.result;
        },
      };
    }`);
    await walletPage.goto(`${dapp.url}#/buyer`);
    await walletPage.getByRole("button", { name: "Connect: Browser wallet (MetaMask)" }).click();
    const banner = walletPage.getByRole("alert").filter({ hasText: "Your wallet is on chain 1" });
    await banner.waitFor().catch(async (error: unknown) => {
      await walletPage.screenshot({
        path: `${SCREENSHOT_DIR}/FAILED-wallet-page.png`,
        fullPage: true,
      });
      throw error;
    });
    await walletPage.getByRole("heading", { name: "Pools" }).waitFor(); // reads still work
    await walletPage.screenshot({ path: `${SCREENSHOT_DIR}/16-wrong-network.png`, fullPage: true });
    await banner.getByRole("button", { name: "Switch network" }).click();
    await banner.waitFor({ state: "detached" });
    await walletPage.getByText(`${curator.slice(0, 6)}…`).waitFor();
    await walletPage.close();
  });

  it("shows a transaction in the dApp's own view and fits a phone screen", async () => {
    const [created] = await stack.publicClient.getContractEvents({
      address: stack.deployment.databank,
      abi: databankAbi,
      fromBlock: 0n,
      eventName: "PoolCreated",
    });
    await page.goto(`${dapp.url}#/tx/${created!.transactionHash}`);
    await page.getByText("PoolCreated").waitFor();
    await shot("14-transaction-view");
    await page.setViewportSize({ width: 390, height: 844 });
    await page.goto(`${dapp.url}#/contributor`);
    await page.getByRole("heading", { name: "Pools open to contributions" }).waitFor();
    const overflow = await page.evaluate(
      () => document.documentElement.scrollWidth > window.innerWidth,
    );
    expect(overflow, "no horizontal scrolling on a phone").to.equal(false);
    await shot("15-phone-my-data-bank");
  });
});
