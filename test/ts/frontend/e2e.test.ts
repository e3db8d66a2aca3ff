/**
 * End-to-end test of the dApp in Debian's chromium against a local stack: Hardhat node, Databank
 * deployed with viem, the built dApp served by startDappServer, and a stand-in for the data bank
 * node (content and custodian identity). The dev wallet (wagmi's mock connector over the node's
 * unlocked accounts) signs, so no extension is needed. Screenshots go to test-output/screenshots.
 */
import { expect } from "chai";
import { existsSync } from "node:fs";
import { after, before, describe, it } from "mocha";
import type { Page } from "playwright-core";
import { decodeFunctionData, parseEventLogs, type Address, type Hex } from "viem";
import { build } from "vite";
import { databankAbi } from "../../../lib/contracts/abis.js";
import { generateKeyPair, toHex32 } from "../../../lib/crypto/keys.js";
import { startDappServer, type DappServer } from "../../../frontend/serve.js";
import { startFakeNode, type FakeNode } from "./fakeNode.js";
import { LOCAL_ROLES } from "../../../scripts/stack/accounts.js";
import {
  CHROMIUM_PATH,
  launchBrowser,
  SCREENSHOT_DIR,
  startE2eChain,
  type E2eChain,
} from "./stack.js";

const UI_TIMEOUT = 30_000;

/** Builds the dApp as `npm run dapp:build` does (production React, whatever mocha's NODE_ENV). */
async function buildDapp(): Promise<void> {
  const previous = process.env.NODE_ENV;
  process.env.NODE_ENV = "production";
  try {
    await build({ configFile: "frontend/vite.config.ts", logLevel: "warn", mode: "production" });
  } finally {
    if (previous === undefined) delete process.env.NODE_ENV;
    else process.env.NODE_ENV = previous;
  }
}

describe("dApp end to end (chromium)", function () {
  this.timeout(300_000);
  let chain: E2eChain;
  let deployment: E2eChain["deployment"];
  let node: FakeNode;
  let dapp: DappServer;
  let browser: Awaited<ReturnType<typeof launchBrowser>>;
  let page: Page;
  let curator: Address, custodian: Address, contributor: Address, buyer: Address;
  const startedAt = Date.now();

  before(async function () {
    if (!existsSync(CHROMIUM_PATH)) {
      console.warn(`    skipped: no chromium at ${CHROMIUM_PATH} (apt-get install -y chromium)`);
      this.skip();
    }
    await buildDapp();
    chain = await startE2eChain();
    deployment = chain.deployment;
    // The roles of npm start's local accounts; contributors use accounts no role takes.
    curator = chain.accounts[LOCAL_ROLES.curator]!;
    custodian = chain.accounts[LOCAL_ROLES.custodian]!;
    buyer = chain.accounts[LOCAL_ROLES.buyer]!;
    contributor = chain.accounts[5]!;
    node = await startFakeNode({
      custodian: { address: custodian, publicKey: toHex32(generateKeyPair().publicKey) },
      relay: async ({ request, signature }) => {
        const hash = await send(custodian, "contributeWithSignature", [
          {
            contributor: request.contributor,
            poolId: Number(request.poolId),
            dataCid: request.dataCid,
            expiresAt: Number(request.expiresAt),
            deadline: BigInt(request.deadline),
          },
          signature,
        ]);
        const receipt = await chain.publicClient.getTransactionReceipt({ hash });
        const [granted] = parseEventLogs({
          abi: databankAbi,
          eventName: "ConsentGranted",
          logs: receipt.logs,
        });
        return { contributionId: granted!.args.contributionId.toString(), transactionHash: hash };
      },
    });
    dapp = await startDappServer({
      host: "127.0.0.1",
      port: 0,
      runtimeConfig: {
        chainId: 31337,
        rpcUrl: chain.rpcUrl,
        databank: deployment.databank,
        stablecoin: deployment.stablecoin,
        nodeUrl: node.url,
        devAccounts: true,
      },
    });
    browser = await launchBrowser();
    page = await browser.context.newPage();
    page.setDefaultTimeout(UI_TIMEOUT);
  });

  afterEach(async function () {
    if (this.currentTest?.state === "failed" && page) {
      const name = this.currentTest.title.replace(/\W+/g, "-");
      await page.screenshot({ path: `${SCREENSHOT_DIR}/FAILED-${name}.png`, fullPage: true });
    }
  });

  after(async () => {
    await browser?.close();
    await dapp?.stop();
    await node?.stop();
    await chain?.stop();
    console.log(`    e2e stack and browser run: ${((Date.now() - startedAt) / 1000).toFixed(1)} s`);
  });

  const shot = (name: string) =>
    page.screenshot({ path: `${SCREENSHOT_DIR}/${name}.png`, fullPage: true });
  const useAccount = (account: Address) => page.getByLabel("Dev account").selectOption(account);
  const openTab = (name: string) =>
    page.getByRole("navigation", { name: "Roles" }).getByRole("link", { name }).click();
  const confirmed = (label: string) =>
    page
      .getByRole("status")
      .filter({ hasText: `${label}: confirmed` })
      .first()
      .waitFor();

  async function send(from: Address, functionName: string, args: readonly unknown[]): Promise<Hex> {
    const hash = await chain.wallet(from).writeContract({
      address: deployment.databank,
      abi: databankAbi,
      functionName: functionName as never,
      args: args as never,
      account: from,
      chain: undefined,
    });
    const receipt = await chain.publicClient.waitForTransactionReceipt({ hash });
    expect(receipt.status).to.equal("success");
    return hash;
  }

  /** A contribution joined and accepted on-chain (the node's job, done here by the test). */
  async function joinPool(poolId: number, dataCid: string): Promise<bigint> {
    const hash = await send(contributor, "submitContribution", [poolId, dataCid, 0]);
    const receipt = await chain.publicClient.getTransactionReceipt({ hash });
    const [submitted] = parseEventLogs({
      abi: databankAbi,
      eventName: "ContributionSubmitted",
      logs: receipt.logs,
    });
    await send(custodian, "acceptContribution", [submitted!.args.contributionId]);
    return submitted!.args.contributionId;
  }

  it("connects the dev wallet and shows the role tabs", async () => {
    await page.goto(dapp.url);
    await page.getByRole("button", { name: "Connect: Local dev account" }).click();
    await useAccount(curator);
    await expect(await page.getByLabel("Dev account").inputValue()).to.equal(curator);
    await shot("01-connected");
  });

  it("curator: opens an ETH pool with a schema and terms, changes its price", async () => {
    await openTab("Curator");
    await page
      .getByLabel("Consent terms (shown in full to contributors)")
      .fill("Your resume is sold to recruiters as part of this pool. You can revoke at any time.");
    await page.getByRole("button", { name: "Create pool" }).click();
    await page.getByText("Pool 1 is open.").waitFor();
    const [schema, terms] = node.uploads.map((bytes) => new TextDecoder().decode(bytes));
    expect(JSON.parse(schema!)).to.include({ type: "object", additionalProperties: false });
    expect(terms).to.contain("revoke at any time");
    await shot("02-curator-pool-created");
    await page.getByLabel("New price (ETH)").fill("0.2");
    await page.getByRole("button", { name: "Change price" }).click();
    await confirmed("Change price");
    await page.getByText("0.2 ETH").first().waitFor();
  });

  it("curator: opens a stablecoin pool", async () => {
    await page.getByLabel("Payment token").selectOption(deployment.stablecoin);
    await page.getByLabel("Price per sale (TUSD)").fill("25");
    await page.getByRole("button", { name: "Create pool" }).click();
    await page.getByText("Pool 2 is open.").waitFor();
    await shot("03-curator-two-pools");
  });

  let firstContribution: bigint;
  it("buyer: sees the split, buys with ETH, follows delivery", async () => {
    firstContribution = await joinPool(
      1,
      "bafkreigh2akiscaildcqabsyg3dfr6chu3fgpregiymsck7e7aqa4s52zy",
    );
    await useAccount(buyer);
    await openTab("Buyer");
    await page.getByRole("link", { name: "Details and purchase of pool 1" }).click();
    const split = page.getByRole("table", { name: "Split of a purchase of pool 1" });
    await split.getByText("0.2 ETH").waitFor(); // total
    await split.getByText("0.005 ETH").waitFor(); // 2.5% platform fee
    await page.getByText("Your resume is sold to recruiters").waitFor(); // terms, CID-verified
    await shot("04-buyer-pool-details");
    await page.getByRole("button", { name: "Buy", exact: true }).click();
    await confirmed("Buy pool 1");
    const purchaseCard = page.getByRole("article", { name: "Purchase 1" });
    await purchaseCard.getByText("awaiting delivery").waitFor();

    // The custodian delivers (the node's job): the page follows the chain without reload.
    const events = await chain.publicClient.getContractEvents({
      address: deployment.databank,
      abi: databankAbi,
      fromBlock: 0n,
      eventName: "PurchaseCreated",
    });
    const { purchaseId, poolId, amount, deadline } = events[0]!.args;
    await send(custodian, "fulfill", [
      { id: purchaseId, poolId, buyer, amount, deadline },
      "bafkreidelivery",
      `0x${"ab".repeat(32)}`,
      1,
    ]);
    await purchaseCard.getByText("delivered", { exact: true }).waitFor();
    await shot("05-buyer-delivered");
  });

  it("buyer: attests the erasure of a revoked record", async () => {
    await send(contributor, "revokeConsent", [firstContribution]);
    await page.getByText("1 erasure request(s) owed").waitFor();
    await shot("07-buyer-erasure-owed");
    await page.getByLabel("I confirm I deleted these records.").check();
    await page.getByRole("button", { name: "Attest erasure" }).click();
    await page.getByText("1 erasure request(s) owed").waitFor({ state: "detached" });
  });

  // Distinctive values: none may appear in any request the page sends.
  const plaintext = {
    title: "Quantum plumber 8841",
    years: "13",
    skills: "Fortran-Ninja-77, Zebra-Juggling-42",
    city: "Zzyzx-Town-5521",
  };
  let member: Address;
  let memberContribution: bigint;

  it("contributor: encrypts in the browser, uploads only ciphertext, joins gaslessly", async () => {
    member = chain.accounts[6]!;
    await useAccount(member);
    await openTab("My data bank");
    await page.getByRole("link", { name: "Read the terms and contribute to pool 1" }).click();
    await page.getByText("Your resume is sold to recruiters").waitFor();
    await page.getByLabel("Job title").fill(plaintext.title);
    await page.getByLabel("Years of experience").fill(plaintext.years);
    await page.getByLabel("Skills").fill(plaintext.skills);
    await page.getByLabel("City").fill(plaintext.city);
    await page.getByLabel("Education").selectOption("doctorate");
    await page.getByLabel("I have read the terms and consent to them.").check();
    await shot("11-contributor-form");

    const bodies: { url: string; body: Buffer }[] = [];
    const capture = (request: import("playwright-core").Request) => {
      const body = request.postDataBuffer();
      if (body) bodies.push({ url: request.url(), body });
    };
    page.on("request", capture);
    const uploadsBefore = node.uploads.length;
    const balanceBefore = await chain.publicClient.getBalance({ address: member });
    await page.getByRole("button", { name: "Encrypt and contribute" }).click();
    await page.getByText(/Contribution \d+ is active/).waitFor();
    page.off("request", capture);
    await shot("12-contributor-joined");

    // Only ciphertext left the page: the envelope (magic "DBEV") and the signed consent.
    const sent = bodies.map(({ body }) => body.toString("latin1"));
    for (const value of [
      plaintext.title,
      plaintext.city,
      "Fortran-Ninja-77",
      "Zebra-Juggling-42",
    ]) {
      for (const body of sent) expect(body, `a request carried "${value}"`).to.not.contain(value);
    }
    // The capture saw the upload itself: the envelope's bytes, magic "DBEV" first.
    const upload = bodies.find(({ url }) => url.endsWith("/v1/content"));
    expect(upload?.body.subarray(0, 4).toString("latin1")).to.equal("DBEV");
    expect(bodies.some(({ url }) => url.endsWith("/v1/contributions/relay"))).to.equal(true);
    const envelope = node.uploads[uploadsBefore]!;
    expect(new TextDecoder().decode(envelope.subarray(0, 4))).to.equal("DBEV");
    // Gasless: the contributor's balance did not move.
    expect(await chain.publicClient.getBalance({ address: member })).to.equal(balanceBefore);
    const text = (await page.getByText(/Contribution \d+ is active/).textContent()) ?? "";
    memberContribution = BigInt(/Contribution (\d+)/.exec(text)![1]!);
  });

  it("contributor: sees the sale's earnings, claims all, exports, revokes", async () => {
    // A buyer buys pool 1 and the custodian delivers its one active record.
    await useAccount(buyer);
    await page.goto(`${dapp.url}#/buyer?pool=1`);
    await page.getByRole("button", { name: "Buy", exact: true }).click();
    await confirmed("Buy pool 1");
    const created = await chain.publicClient.getContractEvents({
      address: deployment.databank,
      abi: databankAbi,
      fromBlock: 0n,
      eventName: "PurchaseCreated",
      args: { poolId: 1 },
    });
    const { purchaseId, poolId, amount, deadline } = created[created.length - 1]!.args;
    await send(custodian, "fulfill", [
      { id: purchaseId, poolId, buyer, amount, deadline },
      "bafkreidelivery2",
      `0x${"cd".repeat(32)}`,
      1,
    ]);

    await useAccount(member);
    await page.goto(`${dapp.url}#/contributor`);
    const card = page.getByRole("article", { name: `Contribution ${memberContribution}` });
    await card.getByText("active: earning from every sale").waitFor();
    await card.getByText("0.1365 ETH").waitFor(); // 0.2 − 2.5% fee, 70% to the only contributor
    await shot("13-contributor-earnings");
    const balanceBefore = await chain.publicClient.getBalance({ address: member });
    await page.getByRole("button", { name: "Claim all" }).click();
    await confirmed("Claim earnings");
    expect(await chain.publicClient.getBalance({ address: member })).to.be.greaterThan(
      balanceBefore,
    );

    const downloadEvent = page.waitForEvent("download");
    await page.getByRole("button", { name: "Download export bundle" }).click();
    const download = await downloadEvent;
    const bundle = JSON.parse(
      await import("node:fs/promises").then(async (fs) =>
        fs.readFile((await download.path())!, "utf8"),
      ),
    ) as { contributions: { record?: unknown; contributionId: string }[] };
    expect(JSON.stringify(bundle)).to.contain(plaintext.title); // decrypted with the wallet's key
    expect(bundle.contributions.map((c) => c.contributionId)).to.include(
      memberContribution.toString(),
    );

    await card.getByRole("button", { name: "Revoke consent…" }).click();
    await card.getByText("Revoking ends your consent for good").waitFor();
    await shot("14-contributor-revoke-explained");
    await card.getByRole("button", { name: `Revoke consent ${memberContribution}` }).click();
    await card.getByText("consent revoked").waitFor();
  });

  it("buyer: pays a stablecoin pool with a permit (one transaction)", async () => {
    await joinPool(2, "bafkreihdwdcefgh4dqkjv67uzcmw7ojee6xedzdetojuzjevtenxquvyku");
    const mint = await chain.wallet(buyer).writeContract({
      address: deployment.stablecoin,
      abi: [
        {
          type: "function",
          name: "mint",
          stateMutability: "nonpayable",
          inputs: [
            { name: "to", type: "address" },
            { name: "amount", type: "uint256" },
          ],
          outputs: [],
        },
      ],
      functionName: "mint",
      args: [buyer, 100_000_000n],
      account: buyer,
      chain: undefined,
    });
    await chain.publicClient.waitForTransactionReceipt({ hash: mint });
    await page.goto(`${dapp.url}#/buyer?pool=2`); // same document: the wallet stays connected
    await useAccount(buyer);
    await page
      .getByRole("table", { name: "Split of a purchase of pool 2" })
      .getByText("25 TUSD", { exact: true })
      .waitFor();
    await page.getByRole("button", { name: "Buy", exact: true }).click();
    await confirmed("Buy pool 2");
    const transactions = await chain.publicClient.getContractEvents({
      address: deployment.databank,
      abi: databankAbi,
      fromBlock: 0n,
      eventName: "PurchaseCreated",
      args: { poolId: 2 },
    });
    const tx = await chain.publicClient.getTransaction({ hash: transactions[0]!.transactionHash });
    expect(decodeFunctionData({ abi: databankAbi, data: tx.input }).functionName).to.equal(
      "purchaseWithPermit",
    );
    await shot("08-buyer-permit-purchase");
  });

  // Last of the chain-state tests: it moves the chain's clock two days ahead of the wall clock.
  it("buyer: takes a refund when the delivery is overdue", async () => {
    await page.goto(`${dapp.url}#/buyer?pool=2`);
    await page.getByRole("button", { name: "Buy", exact: true }).click();
    await confirmed("Buy pool 2");
    const created = await chain.publicClient.getContractEvents({
      address: deployment.databank,
      abi: databankAbi,
      fromBlock: 0n,
      eventName: "PurchaseCreated",
    });
    const card = page.getByRole("article", {
      name: `Purchase ${created[created.length - 1]!.args.purchaseId}`,
    });
    await card.getByText("awaiting delivery").waitFor();
    await chain.publicClient.request({
      method: "evm_increaseTime" as never,
      params: [2 * 86_400] as never,
    });
    await chain.publicClient.request({ method: "evm_mine" as never });
    await card.getByRole("button", { name: "Take refund" }).click();
    await card.getByText("refunded", { exact: true }).waitFor();
    await shot("06-buyer-refunded");
  });

  it("shows a transaction in the dApp's own view and fits a phone screen", async () => {
    const [created] = await chain.publicClient.getContractEvents({
      address: deployment.databank,
      abi: databankAbi,
      fromBlock: 0n,
      eventName: "PoolCreated",
    });
    await page.goto(`${dapp.url}#/tx/${created!.transactionHash}`);
    await page.getByText("PoolCreated").waitFor();
    await shot("09-transaction-view");
    await page.setViewportSize({ width: 390, height: 844 });
    await page.goto(`${dapp.url}#/buyer`);
    await page.getByRole("heading", { name: "Pools" }).waitFor();
    const overflow = await page.evaluate(
      () => document.documentElement.scrollWidth > window.innerWidth,
    );
    expect(overflow, "no horizontal scrolling on a phone").to.equal(false);
    await shot("10-phone-buyer");
  });
});
