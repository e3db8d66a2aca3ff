/**
 * End to end, on real parts only: a `hardhat node` chain, the contracts deployed through Ignition,
 * the data bank node in its own process with its embedded Helia store, and clients using nothing
 * but the chain's JSON-RPC, the node's HTTP API and the shared library.
 */
import { expect } from "chai";
import { parseEther, parseEventLogs, type Hex } from "viem";
import { runAudit } from "../../../lib/audit/index.js";
import { createNodeApiClient } from "../../../lib/api/index.js";
import { databankAbi, dataCommitment } from "../../../lib/contracts/index.js";
import {
  runDemoScenario,
  type DemoReporter,
  type DemoResult,
} from "../../../scripts/demo/scenario.js";
import { startE2EStack, type E2EStack } from "./stack.js";

const quiet: DemoReporter = { step() {}, progress() {}, info() {} };
const PRICE = parseEther("1");
const BOUNTY = parseEther("0.001");

describe("end to end: the demo scenario against the real node, Helia and chain", function () {
  this.timeout(300_000);
  let stack: E2EStack;
  let result: DemoResult;

  before(async function () {
    stack = await startE2EStack();
    result = await runDemoScenario(stack.demoEnvironment(), quiet, {
      price: PRICE,
      bounty: BOUNTY,
    });
  });
  after(async () => stack?.stop());

  it("accepts 25 gasless contributions and rejects the schema breaker and the duplicate with their reasons", () => {
    expect(result.contributors).to.have.length(25);
    expect(new Set(result.contributors.map((c) => c.contributionId)).size).to.equal(25);
    const [schema, duplicate] = result.rejections;
    expect(schema?.reason).to.equal("SchemaMismatch");
    expect(schema?.fieldErrors.map((f) => f.path)).to.include("/yearsOfExperience");
    expect(duplicate?.reason).to.equal("Duplicate");
  });

  it("lets the first buyer decrypt exactly the 25 resumes contributed", () => {
    const [first] = result.purchases;
    const decrypted = first!.records.map((r) => JSON.parse(new TextDecoder().decode(r.plaintext)));
    const contributed = result.contributors.map((c) => c.resume);
    expect(decrypted).to.have.deep.members(contributed);
    expect(first!.records.map((r) => r.tokenId)).to.have.members(
      result.contributors.map((c) => c.contributionId),
    );
  });

  it("delivers 23 records to the second buyer, none of them revoked", () => {
    const second = result.purchases[1]!;
    const revoked = result.contributors.filter((c) => c.revoked).map((c) => c.contributionId);
    expect(revoked).to.have.length(2);
    expect(second.records).to.have.length(23);
    for (const record of second.records) expect(revoked).to.not.include(record.tokenId);
  });

  it("pays every party exactly its share: what was paid in is what was claimed, to the wei", async () => {
    const fulfilled = await stack.publicClient.getContractEvents({
      abi: databankAbi,
      address: stack.deployment.databank,
      eventName: "PurchaseFulfilled",
      fromBlock: 0n,
    });
    expect(fulfilled.map((e) => e.args.recordCount)).to.deep.equal([25, 23]);
    const [first, second] = fulfilled.map((e) => e.args);
    for (const [index, contributor] of result.contributors.entries()) {
      // Every contributor joined before the first sale; the first two revoked before the second.
      const expected =
        BOUNTY + first!.perContribution! + (index < 2 ? 0n : second!.perContribution!);
      expect(contributor.claimed, `contributor ${index + 1}`).to.equal(expected);
    }
    expect(result.claimed.curator).to.equal(first!.curatorAmount! + second!.curatorAmount!);
    expect(result.claimed.treasury).to.equal(first!.platformAmount! + second!.platformAmount!);
    const balance = await stack.publicClient.getBalance({ address: stack.deployment.databank });
    const carried = BigInt(second!.carry!); // the undivided remainder waits for the next sale
    expect(balance).to.equal(carried);
  });

  it("has the first buyer attest the two erasures it owed", () => {
    expect(result.erasureAttested.owedBefore).to.equal(2);
    expect(result.erasureAttested.owedAfter).to.equal(0);
  });

  it("commits on-chain the Merkle root of exactly the records delivered", async () => {
    const { recordsRoot } = await import("../../../lib/contracts/recordsMerkle.js");
    const logs = await stack.publicClient.getContractEvents({
      abi: databankAbi,
      address: stack.deployment.databank,
      eventName: "PurchaseFulfilled",
      fromBlock: 0n,
    });
    for (const [index, purchase] of result.purchases.entries()) {
      const root = recordsRoot(
        purchase.records.map((r) => ({
          tokenId: r.tokenId,
          dataCommitment: dataCommitment(r.dataCid),
        })),
      );
      expect(logs[index]!.args.recordsRoot).to.equal(root as Hex);
    }
  });

  it("counts each fulfilment once in the chain's history", async () => {
    const receipts = await stack.publicClient.getContractEvents({
      abi: databankAbi,
      address: stack.deployment.databank,
      fromBlock: 0n,
    });
    const fulfilled = parseEventLogs({
      abi: databankAbi,
      eventName: "PurchaseFulfilled",
      logs: receipts,
    });
    expect(new Set(fulfilled.map((e) => e.args.purchaseId)).size).to.equal(fulfilled.length);
  });

  it("passes every audit check, rebuilt from the chain's events and the node's manifests", async () => {
    const api = createNodeApiClient({ baseUrl: stack.node.url });
    const report = await runAudit({
      client: stack.publicClient,
      databank: stack.deployment.databank,
      fetchContent: (cid) => api.getContent(cid),
    });
    expect(report.checks.map((c) => `${c.status} ${c.title}`)).to.have.length(7);
    for (const check of report.checks) expect(check.status, check.message).to.equal("PASS");
  });
});
