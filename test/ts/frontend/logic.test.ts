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
import { poolSalesSummary } from "../../../frontend/src/logic/poolStats.js";
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
        6,
      );
      expect(result).to.deep.equal({
        ok: true,
        params: {
          price: 25_500_000n,
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
        6,
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
