/**
 * End to end, on real parts only: a `hardhat node` chain, the contracts deployed through Ignition,
 * the data bank node in its own process with its embedded Helia store, and clients using nothing
 * but the chain's JSON-RPC, the node's HTTP API and the shared library.
 */
import { expect } from "chai";
import { parseEther, parseEventLogs, type Hex } from "viem";
import { runAudit } from "../../../lib/audit/index.js";
import { createNodeApiClient } from "../../../lib/api/index.js";
import { formatTokenAmount } from "../../../lib/audit/money.js";
import { CONSENT_SCOPE, databankAbi, dataCommitment } from "../../../lib/contracts/index.js";
import { summarise } from "../../../scripts/demo/report.js";
import {
  runDemoScenario,
  type DemoReporter,
  type DemoResult,
} from "../../../scripts/demo/scenario.js";
import { startE2EStack, type E2EStack } from "./stack.js";

const quiet: DemoReporter = { step() {}, progress() {}, info() {} };
const PRICE = parseEther("1");
const QUERY_PRICE = parseEther("0.5");
const BOUNTY = parseEther("0.001");

describe("end to end: the demo scenario against the real node, Helia and chain", function () {
  this.timeout(300_000);
  let stack: E2EStack;
  let result: DemoResult;

  before(async function () {
    stack = await startE2EStack();
    result = await runDemoScenario(stack.demoEnvironment(), quiet, {
      price: PRICE,
      queryPrice: QUERY_PRICE,
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

  it("lets the first buyer decrypt exactly the 20 resumes whose consent allows copies, none of the statistics-only ones", () => {
    const [first] = result.purchases;
    const decrypted = first!.records.map((r) => JSON.parse(new TextDecoder().decode(r.plaintext)));
    const allowingRecords = result.contributors.filter((c) => c.scope & CONSENT_SCOPE.records);
    expect(allowingRecords).to.have.length(20);
    expect(decrypted).to.have.deep.members(allowingRecords.map((c) => c.resume));
    expect(first!.records.map((r) => r.tokenId)).to.have.members(
      allowingRecords.map((c) => c.contributionId),
    );
  });

  it("leaves the statistics-only contributions out of every record delivery manifest", async () => {
    const api = createNodeApiClient({ baseUrl: stack.node.url });
    const statisticsOnly = result.contributors
      .filter((c) => c.scope === CONSENT_SCOPE.statistics)
      .map((c) => c.contributionId.toString());
    expect(statisticsOnly).to.have.length(5);
    for (const purchase of result.purchases) {
      const manifest = JSON.parse(
        new TextDecoder().decode(await api.getContent(purchase.deliveryCid)),
      ) as { records: { tokenId: string }[] };
      const listed = manifest.records.map((r) => r.tokenId);
      expect(listed).to.have.length(purchase.records.length);
      for (const id of statisticsOnly) expect(listed).to.not.include(id);
    }
  });

  it("answers the analyst's query over exactly the 20 contributions allowing statistics (statistics-only ones included), ε 0.5 of the pool's 3", async () => {
    const { query } = result;
    const allowingStatistics = result.contributors.filter(
      (c) => c.scope & CONSENT_SCOPE.statistics,
    );
    expect(query.recordsUsed).to.have.members(allowingStatistics.map((c) => c.contributionId));
    for (const c of result.contributors.filter((c) => c.scope === CONSENT_SCOPE.statistics)) {
      expect(query.recordsUsed).to.include(c.contributionId);
    }
    const [answered] = await stack.publicClient.getContractEvents({
      abi: databankAbi,
      address: stack.deployment.databank,
      eventName: "QueryAnswered",
      fromBlock: 0n,
    });
    expect(answered!.args.purchaseId).to.equal(query.purchaseId);
    expect(answered!.args.recordCount).to.equal(20);
    expect(answered!.args.epsilonSpent).to.equal(500_000);
    expect(query.epsilonSpent).to.equal(500_000n);
    const pool = await stack.publicClient.readContract({
      abi: databankAbi,
      address: stack.deployment.databank,
      functionName: "getPool",
      args: [result.poolId],
    });
    expect(pool.epsilonBudget).to.equal(3_000_000);
    expect(pool.epsilonSpent).to.equal(500_000);
    expect(query.epsilonBudget - query.epsilonSpent).to.equal(query.epsilonRemaining);
    expect(query.epsilonRemaining).to.equal(2_500_000n);
    expect(query.answer.groupBy[0]!.field).to.equal("education");
    expect(query.answer.rows.length + query.answer.withheldGroups).to.equal(
      query.answer.groupBy[0]!.groups.length,
    );
    expect(query.csv.split("\r\n")[0]).to.equal("education,count,mean_years");
    for (const c of allowingStatistics) {
      const loss = await stack.publicClient.readContract({
        abi: databankAbi,
        address: stack.deployment.databank,
        functionName: "privacyLoss",
        args: [c.contributionId],
      });
      expect(loss).to.equal(500_000);
    }
  });

  it("delivers 18 records to the second buyer, none of them revoked or statistics-only", () => {
    const second = result.purchases[1]!;
    const excluded = result.contributors
      .filter((c) => c.revoked || c.scope === CONSENT_SCOPE.statistics)
      .map((c) => c.contributionId);
    expect(excluded).to.have.length(7);
    expect(second.records).to.have.length(18);
    for (const record of second.records) expect(excluded).to.not.include(record.tokenId);
  });

  it("pays every party exactly its share of each product: what was paid in is what was claimed, to the wei", async () => {
    const fulfilled = await stack.publicClient.getContractEvents({
      abi: databankAbi,
      address: stack.deployment.databank,
      eventName: "PurchaseFulfilled",
      fromBlock: 0n,
    });
    expect(fulfilled.map((e) => e.args.recordCount)).to.deep.equal([20, 18]);
    const [first, second] = fulfilled.map((e) => e.args);
    const [answered] = await stack.publicClient.getContractEvents({
      abi: databankAbi,
      address: stack.deployment.databank,
      eventName: "QueryAnswered",
      fromBlock: 0n,
    });
    const perQuery = answered!.args.perContribution!;
    expect(perQuery > 0n).to.equal(true);
    for (const [index, contributor] of result.contributors.entries()) {
      // Every contributor joined before the first sale and the query; the first two (both
      // products) revoked before the second sale.
      const records = contributor.scope & CONSENT_SCOPE.records;
      const expectedRecords = records
        ? first!.perContribution! + (index < 2 ? 0n : second!.perContribution!)
        : 0n;
      const expectedQueries = contributor.scope & CONSENT_SCOPE.statistics ? perQuery : 0n;
      expect(contributor.earned, `contributor ${index + 1}`).to.deep.equal({
        bounty: BOUNTY,
        records: expectedRecords,
        queries: expectedQueries,
      });
      expect(contributor.claimed, `contributor ${index + 1}`).to.equal(
        BOUNTY + expectedRecords + expectedQueries,
      );
      if (contributor.scope === CONSENT_SCOPE.statistics) {
        // Statistics only: paid by the query alone, never by a record sale.
        expect(contributor.claimed - BOUNTY).to.equal(perQuery);
      }
    }
    // QueryAnswered carries no split: the query's curator and platform shares are the pool's rates
    // applied to its price (the contract's RevenueSplit.split).
    const pool = await stack.publicClient.readContract({
      abi: databankAbi,
      address: stack.deployment.databank,
      functionName: "getPool",
      args: [result.poolId],
    });
    const queryPlatform = (QUERY_PRICE * BigInt(pool.platformFeeBps)) / 10_000n;
    const queryCurator =
      QUERY_PRICE - queryPlatform - ((QUERY_PRICE - queryPlatform) * 7_000n) / 10_000n;
    expect(result.claimed.curator).to.equal(
      first!.curatorAmount! + second!.curatorAmount! + queryCurator,
    );
    expect(result.claimed.treasury).to.equal(
      first!.platformAmount! + second!.platformAmount! + queryPlatform,
    );
    const balance = await stack.publicClient.getBalance({ address: stack.deployment.databank });
    // The undivided remainders wait for the next sale of each product.
    expect(balance).to.equal(BigInt(second!.carry!) + BigInt(answered!.args.carry!));
  });

  it("prints a summary with the answer table, the ε used and left, and each contributor's pay per product in token units", () => {
    const text = summarise(result);
    expect(text).to.match(/\n {2}education +count +mean_years\n/);
    expect(text).to.include("ε used by this answer: 0.5; the pool's privacy budget: 2.5 of 3 left");
    expect(text).to.include("→ 20 of the pool's 25 records decrypted");
    expect(text).to.include("→ an answer over 20 records, no record copied");
    const statisticsOnly = result.contributors.find((c) => c.scope === CONSENT_SCOPE.statistics)!;
    const row = text.split("\n").find((line) => line.includes(statisticsOnly.address.slice(-4)))!;
    expect(row).to.include("statistics only");
    expect(row).to.include(formatTokenAmount(statisticsOnly.earned.queries, result.units));
    expect(row).to.match(/statistics only +0 ETH /);
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
