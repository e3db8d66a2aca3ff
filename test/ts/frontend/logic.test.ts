/** Unit tests of the dApp's pure logic (frontend/src/logic): no browser, no chain. */
import { expect } from "chai";
import { readFileSync } from "node:fs";
import { describe, it } from "mocha";
import {
  BaseError,
  ContractFunctionRevertedError,
  encodeErrorResult,
  recoverTypedDataAddress,
  UserRejectedRequestError,
  zeroAddress,
} from "viem";
import { generatePrivateKey, privateKeyToAccount } from "viem/accounts";
import { databankAbi } from "../../../lib/contracts/abis.js";
import { DatabankError } from "../../../lib/contracts/client.js";
import { moneySeries, polylinePoints } from "../../../frontend/src/logic/chartSeries.js";
import { claimPlan, contributionSummaries } from "../../../frontend/src/logic/contributions.js";
import { describeError } from "../../../frontend/src/logic/errors.js";
import { rejectionDetails } from "../../../frontend/src/node/nodeApi.js";
import {
  formatAmount,
  formatDuration,
  parseAmount,
  NATIVE_TOKEN,
} from "../../../frontend/src/logic/format.js";
import { permitTypedData } from "../../../frontend/src/logic/permit.js";
import { DEFAULT_POOL_FORM, poolParamsFromForm } from "../../../frontend/src/logic/poolForm.js";
import { answeredQueriesAsSales, poolSalesSummary } from "../../../frontend/src/logic/poolStats.js";
import { poolWarnings } from "../../../frontend/src/logic/poolWarnings.js";
import { purposesSentence } from "../../../frontend/src/logic/purposes.js";
import { hrefOf, parseRoute } from "../../../frontend/src/logic/route.js";
import {
  parseRuntimeConfig,
  RuntimeConfigError,
  transactionLink,
} from "../../../frontend/src/logic/runtimeConfig.js";
import {
  buildJsonSchema,
  builderProblems,
  emptyField,
  type BuilderField,
} from "../../../frontend/src/logic/schemaBuilder.js";
import {
  formFieldsFromSchema,
  recordFromForm,
  splitList,
} from "../../../frontend/src/logic/schemaForm.js";
import { formatBps, parsePercentToBps, splitPreview } from "../../../frontend/src/logic/split.js";
import {
  describeBudget,
  formatEpsilonText,
  parseEpsilonInput,
  privacyBudgetOf,
  scopeChoicesOf,
} from "../../../frontend/src/logic/privacy.js";
import {
  initialDraft,
  newAggregate,
  newFilter,
  newGroupBy,
  queryFromDraft,
  queryOptionsOf,
  type QueryDraft,
} from "../../../frontend/src/logic/queryBuilder.js";
import {
  answerSeries,
  answerTable,
  formatAnswerNumber,
  layoutBars,
} from "../../../frontend/src/logic/queryAnswer.js";
import {
  DEFAULT_MIN_NOISY_COUNT,
  defaultQueryPolicy,
  policyFromText,
  schemaWithPolicy,
} from "../../../frontend/src/logic/queryPolicyDraft.js";
import {
  answerQuery,
  assertQuery,
  checkQuery,
  queryPolicyOf,
  type QueryAnswer,
} from "../../../lib/query/index.js";
import { demoQueryPolicy } from "../../../scripts/demo/queryPolicy.js";
import { CITIES } from "../../../scripts/demo/resumes.js";

const resumeSchema: unknown = JSON.parse(
  readFileSync("lib/custodian/schemas/resume.schema.json", "utf8"),
);

describe("dApp logic", () => {
  describe("schema → form fields (the pool's resume schema)", () => {
    const fields = formFieldsFromSchema(resumeSchema);

    it("has one input per leaf property, nested ones included, in order", () => {
      expect(fields.map((field) => field.path.join("."))).to.deep.equal([
        "title",
        "yearsOfExperience",
        "skills",
        "city",
        "education",
        "salaryExpectation.amount",
        "salaryExpectation.currency",
      ]);
      const byId = Object.fromEntries(fields.map((field) => [field.id, field]));
      expect(byId["field-yearsOfExperience"]).to.include({
        kind: "integer",
        required: true,
        minimum: 0,
        maximum: 60,
        label: "Years of experience",
      });
      expect(byId["field-skills"]).to.include({ kind: "textList", minItems: 1, maxLength: 100 });
      expect(byId["field-education"]!.options).to.deep.equal([
        "none",
        "secondary",
        "bachelor",
        "master",
        "doctorate",
      ]);
      // salaryExpectation is optional: its fields form a group, required only once started.
      expect(byId["field-salaryExpectation-amount"]).to.include({
        group: "salaryExpectation",
        required: true,
        label: "Salary expectation: Amount",
      });
    });

    it("refuses schemas it cannot render", () => {
      expect(() => formFieldsFromSchema({ type: "string" })).to.throw(/record with fields/);
      expect(() =>
        formFieldsFromSchema({
          type: "object",
          properties: { x: { type: "array", items: { type: "object" } } },
        }),
      ).to.throw(/unsupported/);
    });
  });

  describe("form → record", () => {
    const fields = formFieldsFromSchema(resumeSchema);
    const filled = {
      "field-title": "  Backend engineer ",
      "field-yearsOfExperience": "7",
      "field-skills": "TypeScript, Solidity\nPostgres",
      "field-city": "Lyon",
      "field-education": "master",
    };

    it("parses numbers, splits lists, trims text, leaves an untouched optional group out", () => {
      const result = recordFromForm(fields, filled);
      expect(result).to.deep.equal({
        ok: true,
        record: {
          title: "Backend engineer",
          yearsOfExperience: 7,
          skills: ["TypeScript", "Solidity", "Postgres"],
          city: "Lyon",
          education: "master",
        },
      });
    });

    it("includes an optional group once started, and then requires all of it", () => {
      const started = recordFromForm(fields, {
        ...filled,
        "field-salaryExpectation-amount": "65000",
      });
      expect(started).to.deep.equal({
        ok: false,
        problems: [{ fieldId: "field-salaryExpectation-currency", message: "Required." }],
      });
      const complete = recordFromForm(fields, {
        ...filled,
        "field-salaryExpectation-amount": "65000",
        "field-salaryExpectation-currency": "EUR",
      });
      expect(complete.ok && complete.record.salaryExpectation).to.deep.equal({
        amount: 65000,
        currency: "EUR",
      });
    });

    it("reports each invalid field with a plain message", () => {
      const result = recordFromForm(fields, {
        ...filled,
        "field-title": "",
        "field-yearsOfExperience": "7.5",
        "field-education": "phd",
        "field-skills": " , ",
      });
      expect(result.ok).to.equal(false);
      expect(result.ok ? [] : result.problems).to.deep.equal([
        { fieldId: "field-title", message: "Required." },
        { fieldId: "field-yearsOfExperience", message: "Enter a whole number." },
        { fieldId: "field-skills", message: "At least 1 item(s), separated by commas or lines." },
        { fieldId: "field-education", message: "Pick one of the options." },
      ]);
      const outOfRange = recordFromForm(fields, { ...filled, "field-yearsOfExperience": "61" });
      expect(outOfRange.ok ? [] : outOfRange.problems).to.deep.equal([
        { fieldId: "field-yearsOfExperience", message: "At most 60." },
      ]);
    });

    it("splits lists on commas and new lines", () => {
      expect(splitList("a, b\n\nc ,")).to.deep.equal(["a", "b", "c"]);
    });
  });

  describe("schema builder → JSON Schema", () => {
    const fields: BuilderField[] = [
      { name: "title", title: "Job title", type: "text", required: true, options: [] },
      {
        name: "years",
        title: "",
        type: "integer",
        required: true,
        options: [],
        minimum: 0,
        maximum: 60,
      },
      { name: "remote", title: "Remote", type: "boolean", required: false, options: [] },
      {
        name: "level",
        title: "Level",
        type: "choice",
        required: true,
        options: ["junior", " senior ", ""],
      },
      { name: "skills", title: "Skills", type: "textList", required: true, options: [] },
    ];

    it("builds a closed object schema the form reads back", () => {
      const schema = buildJsonSchema("Resume", fields);
      expect(schema).to.deep.include({
        $schema: "https://json-schema.org/draft/2020-12/schema",
        type: "object",
        required: ["title", "years", "level", "skills"],
        additionalProperties: false,
      });
      const properties = schema.properties as Record<string, Record<string, unknown>>;
      expect(properties.years).to.deep.equal({
        title: "years",
        type: "integer",
        minimum: 0,
        maximum: 60,
      });
      expect(properties.level).to.deep.equal({ title: "Level", enum: ["junior", "senior"] });
      expect(properties.skills).to.include({ type: "array", minItems: 1 });
      const form = formFieldsFromSchema(schema);
      expect(form.map((field) => [field.id, field.kind, field.required])).to.deep.equal([
        ["field-title", "text", true],
        ["field-years", "integer", true],
        ["field-remote", "boolean", false],
        ["field-level", "choice", true],
        ["field-skills", "textList", true],
      ]);
    });

    it("explains what is wrong before building", () => {
      const bad: BuilderField[] = [
        { ...emptyField(0), name: "1st" },
        { ...emptyField(1), name: "a" },
        { ...emptyField(2), name: "a", type: "choice", options: ["only"] },
        { ...emptyField(3), name: "n", type: "number", minimum: 5, maximum: 1 },
      ];
      expect(builderProblems("", bad)).to.deep.equal([
        "Give the schema a title.",
        "Field 1: the name must start with a letter and use only letters, digits, _.",
        'Field 3: the name "a" is used twice.',
        "Field 3: a choice needs at least two options.",
        "Field 4: the minimum is above the maximum.",
      ]);
      expect(() => buildJsonSchema("x", [])).to.throw("Add at least one field.");
    });
  });

  describe("split preview", () => {
    it("matches the contract's arithmetic, carry included", () => {
      // 1 ETH, 2.5% fee, 70% to 3 contributors: 0.975 net, 0.6825 to contributors.
      const split = splitPreview({
        price: 10n ** 18n,
        platformFeeBps: 250,
        contributorShareBps: 7_000,
        activeCount: 3,
        carry: 2n,
      });
      expect(split.platform).to.equal(25n * 10n ** 15n);
      expect(split.contributors).to.equal(6825n * 10n ** 14n);
      expect(split.curator).to.equal(2925n * 10n ** 14n);
      expect(split.platform + split.curator + split.contributors).to.equal(split.total);
      expect(split.perContribution).to.equal((6825n * 10n ** 14n + 2n) / 3n);
      expect(split.perContribution * 3n + split.carry).to.equal(6825n * 10n ** 14n + 2n);
    });

    it("rounds down like Solidity and handles no contributor", () => {
      const split = splitPreview({
        price: 999n,
        platformFeeBps: 333,
        contributorShareBps: 5_001,
        activeCount: 0,
      });
      expect(split.platform).to.equal(33n); // 999 × 333 / 10⁴ = 33.26
      expect(split.contributors).to.equal(483n); // 966 × 5001 / 10⁴ = 483.09
      expect(split.curator).to.equal(483n);
      expect(split.perContribution).to.equal(0n);
      expect(split.carry).to.equal(483n);
    });

    it("formats and parses percentages", () => {
      expect(formatBps(250)).to.equal("2.5%");
      expect(formatBps(7_000)).to.equal("70%");
      expect(parsePercentToBps("12.5")).to.equal(1_250);
      expect(parsePercentToBps("100")).to.equal(10_000);
      expect(parsePercentToBps("100.01")).to.equal(undefined);
      expect(parsePercentToBps("-1")).to.equal(undefined);
    });
  });

  describe("pool form", () => {
    it("turns the curator's inputs into createPool units", () => {
      const result = poolParamsFromForm(
        {
          ...DEFAULT_POOL_FORM,
          price: "25.5",
          bounty: "1",
          deliveryWindowHours: "48",
          terms: "x".repeat(40),
        },
        { symbol: "TUSD", decimals: 6 },
      );
      expect(result).to.deep.equal({
        ok: true,
        params: {
          products: 1,
          price: 25_500_000n,
          queryPrice: 0n,
          epsilonBudget: 0,
          maxEpsilonPerQuery: 0,
          contributorShareBps: 7_000,
          minContributors: 1,
          maxContributors: 0,
          bountyPerContribution: 1_000_000n,
          deliveryWindow: 172_800,
          purposes: 3,
        },
      });
    });

    it("names every invalid input", () => {
      const result = poolParamsFromForm(
        {
          ...DEFAULT_POOL_FORM,
          price: "0.0000001",
          contributorSharePercent: "120",
          minContributors: "5",
          maxContributors: "2",
          deliveryWindowHours: "0.5",
          purposes: 0,
          terms: "short",
        },
        { symbol: "TUSD", decimals: 6 },
      );
      expect(result.ok ? [] : Object.keys(result.problems)).to.have.members([
        "price",
        "contributorSharePercent",
        "maxContributors",
        "deliveryWindowHours",
        "purposes",
        "terms",
      ]);
    });

    it("sells questions: the price per question and the privacy budget in micro-ε, no record price", () => {
      const result = poolParamsFromForm(
        {
          ...DEFAULT_POOL_FORM,
          products: "queries",
          price: "not a price: ignored, the pool sells no records",
          queryPrice: "2",
          epsilonBudget: "12.5",
          maxEpsilonPerQuery: "0.75",
          terms: "x".repeat(40),
        },
        { symbol: "TUSD", decimals: 6 },
      );
      expect(result.ok && result.params).to.include({
        products: 2,
        price: 0n,
        queryPrice: 2_000_000n,
        epsilonBudget: 12_500_000,
        maxEpsilonPerQuery: 750_000,
      });
      const both = poolParamsFromForm(
        { ...DEFAULT_POOL_FORM, products: "both", terms: "x".repeat(40) },
        { symbol: "ETH", decimals: 18 },
      );
      expect(both.ok && both.params).to.include({ products: 3, price: 10n ** 17n });
    });

    it("names the real problem of a privacy budget", () => {
      const problemsOf = (change: Partial<typeof DEFAULT_POOL_FORM>) => {
        const result = poolParamsFromForm(
          { ...DEFAULT_POOL_FORM, products: "both", terms: "x".repeat(40), ...change },
          { symbol: "TUSD", decimals: 6 },
        );
        return result.ok ? {} : result.problems;
      };
      expect(
        problemsOf({ maxEpsilonPerQuery: "3", epsilonBudget: "2" }).maxEpsilonPerQuery,
      ).to.equal(
        "One question may not spend more than the whole budget: 3 ε is above the total of 2 ε.",
      );
      expect(problemsOf({ epsilonBudget: "0" }).epsilonBudget).to.contain("above 0");
      expect(problemsOf({ epsilonBudget: "5000" }).epsilonBudget).to.contain(
        "at most 4294.967295 ε",
      );
      expect(problemsOf({ maxEpsilonPerQuery: "0.1234567" }).maxEpsilonPerQuery).to.contain(
        "at most 6 decimals",
      );
      expect(problemsOf({ queryPrice: "0" }).queryPrice).to.contain("above 0");
      // A pool selling records only ignores the question fields entirely.
      expect(
        poolParamsFromForm(
          { ...DEFAULT_POOL_FORM, epsilonBudget: "bad", queryPrice: "bad", terms: "x".repeat(40) },
          { symbol: "TUSD", decimals: 6 },
        ).ok,
      ).to.equal(true);
    });
  });

  describe("runtime config", () => {
    const valid = {
      chainId: 31337,
      rpcUrl: "http://127.0.0.1:8545/",
      databank: "0xe7f1725e7734ce288f8367e1bb143e90bb3f0512",
      nodeUrl: "http://127.0.0.1:8787",
      devAccounts: true,
    };

    it("normalises addresses and URLs", () => {
      const config = parseRuntimeConfig(valid);
      expect(config.databank).to.equal("0xe7f1725E7734CE288F8367e1Bb143E90bb3F0512");
      expect(config.rpcUrl).to.equal("http://127.0.0.1:8545");
      expect(config.stablecoin).to.equal(undefined);
      expect(transactionLink(config, "0xab")).to.equal("#/tx/0xab");
      expect(transactionLink({ explorerUrl: "https://scan.example" }, "0xab")).to.equal(
        "https://scan.example/tx/0xab",
      );
    });

    it("names the field to fix", () => {
      expect(() => parseRuntimeConfig({ ...valid, chainId: "1" })).to.throw(
        RuntimeConfigError,
        /chainId/,
      );
      expect(() => parseRuntimeConfig({ ...valid, databank: "0x12" })).to.throw(/databank/);
      expect(() => parseRuntimeConfig({ ...valid, nodeUrl: "ftp://x" })).to.throw(/nodeUrl/);
      expect(() => parseRuntimeConfig([])).to.throw(/object/);
    });
  });

  describe("routes", () => {
    it("parses tabs, parameters and transaction views", () => {
      const route = parseRoute("#/buyer?pool=3");
      expect(route.page).to.equal("buyer");
      expect(route.params.get("pool")).to.equal("3");
      const hash = `0x${"ab".repeat(32)}`;
      expect(parseRoute(`#/tx/${hash}`)).to.include({ page: "tx", hash });
      expect(parseRoute("#/nowhere").page).to.equal("contributor");
      expect(parseRoute("").page).to.equal("contributor");
      expect(hrefOf("auditor", { address: "0x1" })).to.equal("#/auditor?address=0x1");
    });
  });

  describe("amounts, durations, purposes, sales", () => {
    it("formats and parses amounts", () => {
      expect(formatAmount(1_500_000_000_000_000_000n, NATIVE_TOKEN)).to.equal("1.5 ETH");
      expect(formatAmount(1n, NATIVE_TOKEN)).to.equal("≈ 0 ETH");
      expect(formatAmount(25_000_000n, { symbol: "TUSD", decimals: 6 })).to.equal("25 TUSD");
      expect(parseAmount("0.1", 18)).to.equal(10n ** 17n);
      expect(parseAmount("1.1234567", 6)).to.equal(undefined);
      expect(parseAmount("abc", 6)).to.equal(undefined);
      expect(formatDuration(90_000)).to.equal("1 day 1 hour");
      expect(purposesSentence(1 | 2 | 16)).to.equal("analytics, recruitment and model training");
    });

    it("sums a pool's fulfilled sales", () => {
      const sale = {
        poolId: 1,
        buyer: "0xA",
        platformAmount: 1n,
        curatorAmount: 2n,
        contributorsAmount: 7n,
        perContribution: 3n,
        recordCount: 2,
      };
      const summary = poolSalesSummary(
        [sale, { ...sale, buyer: "0xa" }, { ...sale, poolId: 2 }],
        1,
      );
      expect(summary).to.deep.equal({
        sales: 2,
        revenue: 20n,
        curatorEarned: 4n,
        contributorsEarned: 14n,
        perContributionTotal: 6n,
        buyers: 1,
      });
    });
  });

  describe("pool warnings", () => {
    const curator = "0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC" as const;
    const custodian = "0x90F79bf6EB2c4f870365E785982E1f101E93b906" as const;

    it("flags a pool whose custodian is its curator, with the audit's explanation", () => {
      const warnings = poolWarnings({
        curator,
        custodian: curator.toLowerCase() as typeof curator,
      });
      expect(warnings.map((warning) => [warning.kind, warning.label])).to.deep.equal([
        ["custodian-is-curator", "custodian is the curator"],
      ]);
      expect(warnings[0]!.explanation).to.equal(
        "The custodian that delivers this pool's data is its curator: the account that delivers is also the one paid the curator share, and the contract has no dispute step: a delivery the buyer cannot decrypt cannot be detected from the chain; only the buyer can check decryption.",
      );
    });

    it("has no warning for a pool with its own custodian", () => {
      expect(poolWarnings({ curator, custodian })).to.deep.equal([]);
    });
  });

  describe("contributions and claims", () => {
    it("rebuilds statuses from events, newest first", () => {
      const submitted = [1n, 2n, 3n, 4n, 5n].map((contributionId) => ({
        contributionId,
        poolId: 1,
        dataCid: `cid${contributionId}`,
        expiresAt: 0,
        scope: 2,
        transactionHash: "0x",
      }));
      const summaries = contributionSummaries({
        submitted,
        granted: [1n, 2n, 4n].map((contributionId) => ({ contributionId, bounty: 5n })),
        revoked: [
          { contributionId: 2n, expired: false, settled: 7n },
          { contributionId: 4n, expired: true, settled: 0n },
        ],
        rejected: [{ contributionId: 3n, reason: 1 }],
      });
      expect(summaries.map((s) => [s.id, s.status])).to.deep.equal([
        [5n, "pending"],
        [4n, "expired"],
        [3n, "rejected"],
        [2n, "revoked"],
        [1n, "active"],
      ]);
      expect(summaries[3]).to.include({ settledOnEnd: 7n, bounty: 5n });
      expect(summaries[2]).to.include({ rejectionReason: 1 });
    });

    it("plans one claim per token with something to pay", () => {
      const eth = zeroAddress;
      const usd = "0x00000000000000000000000000000000000000aa" as const;
      const plan = claimPlan(
        [
          { id: 1n, token: eth, pending: 3n },
          { id: 2n, token: usd, pending: 0n },
          { id: 3n, token: eth, pending: 0n },
        ],
        [
          { token: eth, amount: 10n },
          { token: usd, amount: 0n },
        ],
      );
      expect(plan).to.deep.equal([{ token: eth, contributionIds: [1n, 3n], amount: 13n }]);
    });
  });

  describe("revenue chart series", () => {
    it("accumulates each sale's split from zero", () => {
      const series = moneySeries([
        { platform: 1n, curator: 2n, contributors: 7n },
        { platform: 2n, curator: 4n, contributors: 14n },
      ]);
      expect(series.map((point) => [point.sale, point.paidIn, point.toContributors])).to.deep.equal(
        [
          [0, 0n, 0n],
          [1, 10n, 7n],
          [2, 30n, 21n],
        ],
      );
    });

    it("scales amounts beyond float precision into the box, maximum at the top", () => {
      const wei = 10n ** 30n;
      expect(polylinePoints([0n, wei / 2n, wei], 100, 50)).to.equal("0.0,50.0 50.0,25.0 100.0,0.0");
      expect(polylinePoints([0n], 100, 50)).to.equal("0.0,50.0");
      expect(polylinePoints([0n, wei / 4n], 100, 50, wei)).to.equal("0.0,50.0 100.0,37.5");
    });
  });

  describe("errors in plain words", () => {
    it("decodes a Databank custom error, never shows revert data", () => {
      const data = encodeErrorResult({ abi: databankAbi, errorName: "PoolPaused", args: [4] });
      const reverted = new ContractFunctionRevertedError({
        abi: databankAbi,
        data,
        functionName: "purchase",
      });
      expect(describeError(new BaseError("call failed", { cause: reverted }))).to.equal(
        "Sales of pool 4 are paused.",
      );
      expect(describeError(new DatabankError("BelowThreshold", [1, 0, 3]))).to.equal(
        "This pool has 0 active contributors; sales need at least 3.",
      );
    });

    it("explains a missing wallet and a custodian's rejection", () => {
      const missing = Object.assign(new Error("Provider not found."), {
        name: "ProviderNotFoundError",
      });
      expect(describeError(missing)).to.match(/^No browser wallet was found/);
      const rejected = Object.assign(new Error("the record does not match the pool's schema"), {
        fieldErrors: [
          { path: "/yearsOfExperience", message: "must be <= 60" },
          { path: "/", message: "must NOT have additional properties" },
        ],
      });
      expect(rejectionDetails(rejected)).to.deep.equal([
        "/yearsOfExperience: must be <= 60",
        "record: must NOT have additional properties",
      ]);
      expect(rejectionDetails(new Error("x"))).to.deep.equal([]);
    });

    it("says when the user declined in the wallet", () => {
      const declined = new BaseError("x", { cause: new UserRejectedRequestError(new Error("no")) });
      expect(describeError(declined)).to.equal("You declined the request in your wallet.");
    });
  });

  describe("privacy: ε, budgets and consent scopes", () => {
    it("shows ε in ε, never in millionths, and reads what people type", () => {
      expect(formatEpsilonText(500_000n)).to.equal("0.5 ε");
      expect(formatEpsilonText(1_250_000)).to.equal("1.25 ε");
      expect(formatEpsilonText(0)).to.equal("0 ε");
      expect(parseEpsilonInput(" 0.25 ")).to.equal(250_000n);
      for (const bad of ["0", "-1", "abc", "0.1234567", ""]) {
        expect(parseEpsilonInput(bad), bad).to.equal(undefined);
      }
    });

    it("states what is left of a pool's budget, never below zero", () => {
      const budget = privacyBudgetOf({ epsilonBudget: 5_000_000, epsilonSpent: 1_500_000 });
      expect(budget).to.deep.equal({
        budget: 5_000_000n,
        spent: 1_500_000n,
        remaining: 3_500_000n,
      });
      expect(describeBudget(budget)).to.equal("3.5 ε of 5 ε left (1.5 ε spent)");
      expect(privacyBudgetOf({ epsilonBudget: 1, epsilonSpent: 2 }).remaining).to.equal(0n);
    });

    it("offers only the scopes a pool sells, the most private preselected", () => {
      const labels = (products: number) => scopeChoicesOf(products).choices.map((c) => c.scope);
      expect(labels(1)).to.deep.equal([1]);
      expect(labels(2)).to.deep.equal([2]);
      expect(labels(3)).to.deep.equal([2, 1, 3]);
      expect(scopeChoicesOf(3).preselected).to.equal(2);
      expect(scopeChoicesOf(1).preselected).to.equal(1);
      expect(scopeChoicesOf(3).choices[0]!.explanation).to.contain("never receive your record");
    });
  });

  describe("query builder (the demo pool's schema and policy)", () => {
    const schema = resumeSchema as object;
    const policy = demoQueryPolicy();
    const options = queryOptionsOf(schema, policy);
    const field = (path: string) => options.fields.find((candidate) => candidate.path === path)!;

    it("offers the policy's fields only, each for what the policy and its type allow", () => {
      expect(options.fields.map((f) => f.path)).to.deep.equal(Object.keys(policy.fields));
      expect(field("city")).to.include({
        kind: "categorical",
        canGroup: true,
        canAggregate: false,
      });
      expect(field("city").values).to.deep.equal([...CITIES]);
      expect(field("education").values).to.include("doctorate");
      expect(field("skills")).to.include({ kind: "array", canFilter: true, canGroup: false });
      expect(field("yearsOfExperience")).to.deep.include({
        kind: "number",
        canGroup: true,
        canAggregate: true,
        bounds: { lo: 0, hi: 60 },
      });
      // Free text without a public list of values cannot be grouped.
      expect(field("salaryExpectation.currency")).to.include({
        canGroup: false,
        canAggregate: false,
      });
      expect(options.kinds).to.deep.equal(["count", "sum", "mean", "histogram", "quantile"]);
      const countsOnly = queryOptionsOf(schema, { ...policy, aggregates: ["mean"] });
      expect(countsOnly.kinds).to.deep.equal(["count", "mean"]);
    });

    it("turns the builder's state into a query the pool's policy accepts, with its ε split", () => {
      const draft: QueryDraft = {
        ...initialDraft(policy.maxEpsilon),
        filters: [
          { ...newFilter(field("education")), values: ["master", "doctorate"] },
          { ...newFilter(field("yearsOfExperience")), min: "2" },
          { ...newFilter(field("skills")), text: "Rust" },
        ],
        groupBy: [newGroupBy(field("city"))],
        aggregates: [
          newAggregate("count", undefined),
          newAggregate("mean", field("yearsOfExperience")),
          { ...newAggregate("quantile", field("yearsOfExperience")), q: "0.25, 0.5" },
        ],
      };
      const built = queryFromDraft(options, draft);
      if (!built.ok) throw new Error(built.problem);
      expect(built.query).to.deep.equal({
        version: 1,
        epsilon: "0.5",
        filters: [
          { field: "education", op: "in", values: ["master", "doctorate"] },
          { field: "yearsOfExperience", op: "range", min: 2 },
          { field: "skills", op: "contains", value: "Rust" },
        ],
        groupBy: [{ field: "city" }],
        aggregates: [
          { kind: "count" },
          { kind: "mean", field: "yearsOfExperience", lo: 0, hi: 60 },
          {
            kind: "quantile",
            field: "yearsOfExperience",
            q: [0.25, 0.5],
            buckets: [0, 12, 24, 36, 48, 60],
          },
        ],
      });
      const checked = assertQuery({ query: built.query, recordSchema: schema, policy });
      expect(checked.epsilon).to.equal(500_000n);
      expect(checked.cells).to.equal(CITIES.length);
    });

    it("says what to fix in the builder, and leaves policy rules to lib/query's check", () => {
      const problemOf = (change: Partial<QueryDraft>) => {
        const result = queryFromDraft(options, { ...initialDraft("1"), ...change });
        return result.ok ? undefined : result.problem;
      };
      expect(problemOf({ aggregates: [] })).to.contain("at least one result");
      expect(problemOf({ filters: [newFilter(field("yearsOfExperience"))] })).to.equal(
        'Filter 1: give a minimum, a maximum or both for "yearsOfExperience"',
      );
      expect(problemOf({ filters: [newFilter(field("city"))] })).to.equal(
        'Filter 1: pick at least one value of "city"',
      );
      expect(
        problemOf({ groupBy: [{ ...newGroupBy(field("yearsOfExperience")), buckets: "0, ten" }] }),
      ).to.equal('Group 1: the buckets must be a number, not "ten"');
      expect(
        problemOf({ aggregates: [{ ...newAggregate("sum", field("yearsOfExperience")), hi: "" }] }),
      ).to.equal('Result 1: the upper bound must be a number, not ""');
      // Built, but beyond the policy: checkQuery names the problem.
      const tooWide = queryFromDraft(options, {
        ...initialDraft("1"),
        aggregates: [{ ...newAggregate("mean", field("yearsOfExperience")), hi: "100" }],
      });
      if (!tooWide.ok) throw new Error(tooWide.problem);
      const refused = checkQuery({ query: tooWide.query, recordSchema: schema, policy });
      expect(refused.ok ? undefined : refused.error.code).to.equal("BAD_BOUNDS");
      expect(initialDraft("0.2").epsilon).to.equal("0.2");
      expect(initialDraft("3").epsilon).to.equal("0.5");
    });
  });

  describe("curator's query policy", () => {
    const fields: BuilderField[] = [
      { name: "title", title: "Job title", type: "text", required: true, options: [] },
      {
        name: "years",
        title: "Years",
        type: "integer",
        required: true,
        options: [],
        minimum: 0,
        maximum: 60,
      },
      { name: "salary", title: "", type: "number", required: false, options: [] },
      { name: "skills", title: "", type: "textList", required: true, options: [] },
      { name: "level", title: "", type: "choice", required: true, options: ["junior", "senior"] },
      { name: "remote", title: "", type: "boolean", required: true, options: [] },
    ];
    const schema = buildJsonSchema("Resume", fields);

    it("defaults to a valid policy: free text filter-only, numbers clamped to their schema bounds", () => {
      const policy = defaultQueryPolicy(fields, "1");
      expect(policy.minNoisyCount).to.equal(DEFAULT_MIN_NOISY_COUNT);
      expect(policy.fields).to.deep.equal({
        title: { groupBy: false, aggregate: false },
        years: { bounds: { lo: 0, hi: 60 } },
        salary: { decimals: 2 },
        skills: { groupBy: false, aggregate: false },
        level: {},
        remote: {},
      });
      const checked = policyFromText(JSON.stringify(policy), schema, "0.5");
      expect(checked.ok && checked.policy.maxEpsilon).to.equal("0.5");
    });

    it("publishes it inside the schema, where buyers' tools read it back", () => {
      const published = schemaWithPolicy(schema, defaultQueryPolicy(fields, "1"));
      const policy = queryPolicyOf(published, { products: 3, maxEpsilonPerQuery: 700_000 });
      expect(policy.maxEpsilon).to.equal("0.7");
      const options = queryOptionsOf(published, policy);
      expect(options.fields.filter((f) => f.canGroup).map((f) => f.path)).to.deep.equal([
        "years",
        "salary",
        "level",
        "remote",
      ]);
      const built = queryFromDraft(options, {
        ...initialDraft(policy.maxEpsilon),
        groupBy: [newGroupBy(options.fields.find((f) => f.path === "level")!)],
      });
      if (!built.ok) throw new Error(built.problem);
      expect(checkQuery({ query: built.query, recordSchema: published, policy }).ok).to.equal(true);
    });

    it("names the real problem of an edited policy", () => {
      const problem = (text: string) => {
        const result = policyFromText(text, schema, "1");
        return result.ok ? undefined : result.problem;
      };
      expect(problem("{ nope")).to.match(/^The query policy is not JSON: /);
      expect(problem("[]")).to.equal("The query policy must be a JSON object.");
      expect(
        problem(JSON.stringify({ ...defaultQueryPolicy(fields, "1"), minNoisyCount: -1 })),
      ).to.contain("minNoisyCount");
      expect(
        problem(JSON.stringify({ ...defaultQueryPolicy(fields, "1"), fields: { age: {} } })),
      ).to.equal("The query policy names field(s) the record schema does not have: age.");
    });
  });

  describe("answered questions as sales", () => {
    it("splits each question's price by the pool's shares, as the contract does", () => {
      const sales = answeredQueriesAsSales(
        [
          { poolId: 3, buyer: "0xB", amount: 1_000n, perContribution: 341n, recordCount: 2 },
          { poolId: 3, buyer: "0xb", amount: 1_000n, perContribution: 341n, recordCount: 2 },
          { poolId: 9, buyer: "0xC", amount: 5n, perContribution: 1n, recordCount: 1 },
        ],
        // A whole pool view: its record price must not stand in for the question's.
        (poolId) =>
          poolId === 3
            ? { platformFeeBps: 250, contributorShareBps: 7_000, price: 999_999n }
            : undefined,
      );
      expect(sales).to.have.length(2); // pool 9 is unknown: left out, not guessed
      expect(sales[0]).to.include({
        platformAmount: 25n,
        contributorsAmount: 682n,
        curatorAmount: 293n,
      });
      expect(poolSalesSummary(sales, 3)).to.deep.equal({
        sales: 2,
        revenue: 2_000n,
        curatorEarned: 586n,
        contributorsEarned: 1_364n,
        perContributionTotal: 682n,
        buyers: 1,
      });
    });
  });

  describe("query answer → table and chart", () => {
    const noise = {
      distribution: "discrete Laplace",
      epsilon: "0.25",
      sensitivity: "1",
      scale: "4",
      unit: 1,
    } as const;
    const answer = {
      format: "databank-query-answer",
      version: 1,
      epsilon: "0.5",
      epsilonMicro: "500000",
      mechanism: { name: "", neighbours: "", sampler: "", composition: "" },
      minNoisyCount: 5,
      groupBy: [{ field: "city", groups: ["Paris", "Rome", "Oslo"] }],
      aggregates: [
        { name: "count", kind: "count", noise },
        { name: "mean_years", kind: "mean", field: "years", lo: 0, hi: 40, noise },
        {
          name: "median",
          kind: "quantile",
          field: "years",
          q: [0.5],
          bins: ["[0, 20)", "[20, 40]"],
          noise,
        },
      ],
      rows: [
        {
          group: { city: "Paris" },
          values: { count: 12, mean_years: 7.3333, median: { "0.5": 6.5 } },
        },
        {
          group: { city: "Rome" },
          values: { count: 9, mean_years: null, median: { "0.5": null } },
        },
      ],
      withheldGroups: 1,
    } as unknown as QueryAnswer;

    it("has the CSV's columns and shows numbers plainly, a dash where none could be derived", () => {
      expect(answerTable(answer)).to.deep.equal({
        columns: ["city", "count", "mean_years", "median[0.5]"],
        rows: [
          ["Paris", "12", "7.33", "6.50"],
          ["Rome", "9", "—", "—"],
        ],
      });
      expect(formatAnswerNumber(-3)).to.equal("-3");
    });

    it("charts the first aggregate asked for across groups, or one row's histogram bins", () => {
      expect(answerSeries(answer)).to.deep.equal({
        title: "mean_years by city",
        bars: [
          { label: "Paris", value: 7.3333 },
          { label: "Rome", value: 0 },
        ],
      });
      const histogram = {
        ...answer,
        groupBy: [],
        aggregates: [
          { name: "count", kind: "count", implicit: true, noise },
          {
            name: "histogram_level",
            kind: "histogram",
            field: "level",
            bins: ["junior", "senior"],
            noise,
          },
        ],
        rows: [{ group: {}, values: { count: 20, histogram_level: { junior: 12, senior: -1 } } }],
      } as unknown as QueryAnswer;
      expect(answerSeries(histogram)).to.deep.equal({
        title: "histogram_level",
        bars: [
          { label: "junior", value: 12 },
          { label: "senior", value: -1 },
        ],
      });
      expect(answerSeries({ ...answer, rows: [] })).to.equal(undefined);
    });

    it("lays bars out on a zero baseline, negative noisy values below it", () => {
      const { rects, baseline } = layoutBars(
        [
          { label: "a", value: 30 },
          { label: "b", value: -10 },
        ],
        200,
        100,
      );
      expect(baseline).to.equal(75);
      expect(rects[0]).to.include({ y: 0, height: 75, x: 15, width: 70 });
      expect(rects[1]).to.include({ y: 75, height: 25, x: 115 });
      expect(layoutBars([{ label: "z", value: 0 }], 100, 50).rects[0]!.height).to.equal(0);
    });

    it("renders a real engine answer: one table row per released group", async () => {
      const policy = { ...demoQueryPolicy(), minNoisyCount: 0 };
      const query = assertQuery({
        query: {
          version: 1,
          epsilon: "1",
          groupBy: [{ field: "education" }],
          aggregates: [
            { kind: "count" },
            { kind: "mean", field: "yearsOfExperience", lo: 0, hi: 60 },
          ],
        },
        recordSchema: resumeSchema as object,
        policy,
      });
      const records = Array.from({ length: 40 }, (_, index) => ({
        education: index % 2 === 0 ? "master" : "doctorate",
        yearsOfExperience: index,
      }));
      const { answer: real } = await answerQuery({ records, query });
      const table = answerTable(real);
      expect(table.columns).to.deep.equal(["education", "count", "mean_yearsOfExperience"]);
      expect(table.rows).to.have.length(real.rows.length);
      expect(table.rows.map((row) => row[0])).to.deep.equal(
        real.rows.map((row) => String(row.group.education)),
      );
      expect(answerSeries(real)!.bars).to.have.length(real.rows.length);
    });
  });

  describe("permit typed data", () => {
    it("is an EIP-2612 permit the owner's signature recovers", async () => {
      const owner = privateKeyToAccount(generatePrivateKey());
      const typedData = permitTypedData({
        name: "Test USD",
        version: "1",
        chainId: 31337,
        token: "0x5FbDB2315678afecb367f032d93F642f64180aa3",
        owner: owner.address,
        spender: zeroAddress,
        value: 25_000_000n,
        nonce: 0n,
        deadline: 1_900_000_000n,
      });
      const signature = await owner.signTypedData(typedData);
      expect(await recoverTypedDataAddress({ ...typedData, signature })).to.equal(owner.address);
    });
  });
});
