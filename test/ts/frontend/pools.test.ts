/**
 * Unit tests of the dApp's pool logic (issue 12): profiles in the create form, amounts checked
 * with the real problem named, pool names, search and order, the shared sale status, the funds
 * check before signing, reverts and transaction arguments in token units, the buyer's field
 * preview. Pure functions: no browser, no chain.
 */
import { expect } from "chai";
import { describe, it } from "mocha";
import {
  BaseError,
  ContractFunctionRevertedError,
  encodeErrorResult,
  InsufficientFundsError,
  InvalidParamsRpcError,
  zeroAddress,
} from "viem";
import { extraErrorsAbi } from "../../../lib/contracts/client.js";
import { readPoolProfile, withPoolProfile } from "../../../lib/pools/profile.js";
import { describeError, wordingFor } from "../../../frontend/src/logic/errors.js";
import { describeArg, eventToken } from "../../../frontend/src/logic/eventArgs.js";
import { fieldPreview } from "../../../frontend/src/logic/fieldPreview.js";
import { checkAmount, NATIVE_TOKEN, type TokenInfo } from "../../../frontend/src/logic/format.js";
import { fundsProblem } from "../../../frontend/src/logic/funds.js";
import {
  DEFAULT_POOL_FORM,
  EMPTY_POOL_PROFILE,
  isLargePriceChange,
  poolParamsFromForm,
  poolProfileFromForm,
  withdrawableBounty,
} from "../../../frontend/src/logic/poolForm.js";
import {
  poolNameText,
  searchPools,
  type ListedPool,
} from "../../../frontend/src/logic/poolList.js";
import { poolSaleStatus } from "../../../frontend/src/logic/poolWarnings.js";
import { formFieldsFromSchema } from "../../../frontend/src/logic/schemaForm.js";

const TUSD: TokenInfo = {
  address: "0x5FbDB2315678afecb367f032d93F642f64180aa3",
  symbol: "TUSD",
  decimals: 6,
  native: false,
};

describe("dApp pools: profiles, lists, money", () => {
  describe("pool profile in the create form", () => {
    it("names every field to fix, and a valid profile goes into the schema document", () => {
      const empty = poolProfileFromForm(EMPTY_POOL_PROFILE);
      expect(empty.ok ? {} : empty.problems).to.have.keys(["name", "description", "category"]);
      if (!empty.ok) expect(empty.problems.name).to.match(/^Give the pool a name of at least 3/);
      const valid = poolProfileFromForm({
        name: "  Software engineers in Guiyang ",
        description: "Resumes of software engineers, for recruiters.",
        category: "employment",
      });
      expect(valid.ok && valid.profile.name).to.equal("Software engineers in Guiyang");
      if (!valid.ok) throw new Error("expected a valid profile");
      const published = withPoolProfile({ type: "object", properties: {} }, valid.profile);
      expect(readPoolProfile(JSON.parse(JSON.stringify(published)))).to.deep.equal({
        status: "valid",
        profile: valid.profile,
      });
    });
  });

  describe("amounts typed by people", () => {
    it("names the real problem: not a number, too many decimals, zero, too large", () => {
      expect(checkAmount("abc", TUSD)).to.deep.equal({
        ok: false,
        problem: "Enter an amount in TUSD as a number, e.g. 1.5.",
      });
      expect(checkAmount("1.1234567", TUSD)).to.deep.equal({
        ok: false,
        problem: "Too many decimals: TUSD has 6, this amount has 7.",
      });
      expect(checkAmount("0", TUSD)).to.deep.include({ ok: false });
      expect(checkAmount("0", TUSD, { allowZero: true })).to.deep.equal({ ok: true, value: 0n });
      expect(checkAmount("11", TUSD, { max: 10_000_000n })).to.deep.equal({
        ok: false,
        problem: "Too large: at most 10 TUSD.",
      });
      expect(checkAmount(" 2.5 ", TUSD)).to.deep.equal({ ok: true, value: 2_500_000n });
    });

    it("the create form says a price is too large, not that it has too many decimals", () => {
      const problemsOf = (price: string) => {
        const result = poolParamsFromForm(
          { ...DEFAULT_POOL_FORM, price, terms: "x".repeat(40) },
          TUSD,
        );
        return result.ok ? "" : (result.problems.price ?? "");
      };
      expect(problemsOf("99999999999999999999999999")).to.match(/^Too large: at most \d+/);
      expect(problemsOf("0.0000001")).to.equal("Too many decimals: TUSD has 6, this amount has 7.");
      expect(problemsOf("0")).to.equal("Enter an amount above 0 TUSD.");
    });

    it("asks before a large price change only", () => {
      expect(isLargePriceChange(100n, 200n)).to.equal(false); // doubling
      expect(isLargePriceChange(100n, 50n)).to.equal(false); // halving
      expect(isLargePriceChange(100n, 201n)).to.equal(true);
      expect(isLargePriceChange(100n, 49n)).to.equal(true);
      expect(isLargePriceChange(2_500_000n, 25_000_000n)).to.equal(true); // "25" for "2.5"
    });

    it("lets the curator withdraw only its unspent funding still in the budget", () => {
      expect(withdrawableBounty({ curatorBounty: 5n, bountyBudget: 8n })).to.equal(5n);
      expect(withdrawableBounty({ curatorBounty: 5n, bountyBudget: 3n })).to.equal(3n);
    });
  });

  describe("pool lists", () => {
    const profile = (name: string, description: string, category: "employment" | "health") =>
      ({ status: "valid", profile: { name, description, category } }) as const;
    const pools: ListedPool[] = [
      {
        id: 3,
        token: zeroAddress,
        price: 5n,
        contributors: 1,
        earnings: 0n,
        profile: profile("Runners of Lyon", "Weekly running distances.", "health"),
      },
      {
        id: 2,
        token: TUSD.address,
        price: 1n,
        contributors: 9,
        earnings: 7n,
        profile: profile("Engineers in Guiyang", "Resumes for recruiters.", "employment"),
      },
      { id: 1, token: zeroAddress, price: 2n, contributors: 4, earnings: 9n, profile: undefined },
    ];
    const ids = (found: ListedPool[]) => found.map((pool) => pool.id);

    it("shows the name with the number, or Pool N without a profile", () => {
      expect(poolNameText(2, pools[1]!.profile)).to.equal("Engineers in Guiyang · pool 2");
      expect(poolNameText(1, undefined)).to.equal("Pool 1");
      expect(poolNameText(4, { status: "invalid", problem: "x" })).to.equal("Pool 4");
    });

    it("searches name, description and category words, any case", () => {
      expect(ids(searchPools(pools, "guiyang", "newest"))).to.deep.equal([2]);
      expect(ids(searchPools(pools, "RUNNING weekly", "newest"))).to.deep.equal([3]);
      expect(ids(searchPools(pools, "fitness", "newest"))).to.deep.equal([3]); // category words
      expect(ids(searchPools(pools, "employment", "newest"))).to.deep.equal([2]); // category key
      expect(ids(searchPools(pools, "pool 1", "newest"))).to.deep.equal([1]);
      expect(ids(searchPools(pools, "", "newest"))).to.deep.equal([3, 2, 1]);
      expect(ids(searchPools(pools, "nothing like it", "newest"))).to.deep.equal([]);
    });

    it("orders by price and earnings within each token, and by contributors", () => {
      expect(ids(searchPools(pools, "", "price"))).to.deep.equal([1, 3, 2]); // ETH first
      expect(ids(searchPools(pools, "", "earnings"))).to.deep.equal([1, 3, 2]);
      expect(ids(searchPools(pools, "", "contributors"))).to.deep.equal([2, 1, 3]);
      expect(ids(pools)).to.deep.equal([3, 2, 1]); // the input is not reordered
    });
  });

  describe("sale status: one wording for buyers and curators", () => {
    const base = { paused: false, products: 1, activeCount: 0, statisticsActive: 0 };
    it("says what buyers see", () => {
      expect(poolSaleStatus({ ...base, minContributors: 1 }).label).to.equal(
        "needs 1 more contributor",
      );
      expect(poolSaleStatus({ ...base, minContributors: 3 }).label).to.equal(
        "needs 3 more contributors",
      );
      expect(poolSaleStatus({ ...base, activeCount: 3, minContributors: 3 }).kind).to.equal(
        "on-sale",
      );
      expect(poolSaleStatus({ ...base, paused: true, minContributors: 3 }).label).to.equal(
        "sales paused",
      );
      // A pool selling questions counts its statistics contributions.
      expect(
        poolSaleStatus({ ...base, products: 2, statisticsActive: 2, minContributors: 2 }).kind,
      ).to.equal("on-sale");
    });
  });

  describe("funds checked before anyone signs", () => {
    it("says Insufficient TUSD or Insufficient ETH, in token units", () => {
      expect(
        fundsProblem({ amount: 5_000_000n, token: TUSD, balance: 0n, nativeBalance: 10n ** 18n }),
      ).to.equal("Insufficient TUSD: you have 0 TUSD, this needs 5 TUSD.");
      expect(
        fundsProblem({ amount: 5_000_000n, token: TUSD, balance: 6_000_000n, nativeBalance: 0n }),
      ).to.match(/^Insufficient ETH: you need some ETH for the network fee/);
      expect(
        fundsProblem({
          amount: 10n ** 17n,
          token: NATIVE_TOKEN,
          balance: 10n ** 16n,
          nativeBalance: 10n ** 16n,
        }),
      ).to.equal("Insufficient ETH: you have 0.01 ETH, this needs 0.1 ETH.");
      expect(
        fundsProblem({
          amount: 10n ** 17n,
          token: NATIVE_TOKEN,
          balance: 10n ** 18n,
          nativeBalance: 10n ** 18n,
        }),
      ).to.equal(undefined);
      expect(
        fundsProblem({ amount: 1n, token: TUSD, balance: undefined, nativeBalance: undefined }),
      ).to.equal(undefined); // unknown yet: nothing said
    });
  });

  describe("errors and transactions in the operation's token", () => {
    it("words a revert's amounts in the token, e.g. 5 TUSD, not base units", () => {
      const data = encodeErrorResult({
        abi: extraErrorsAbi,
        errorName: "ERC20InsufficientBalance",
        args: ["0x976EA74026E726554dB657fA54763abd0C3a0aa9", 0n, 5_000_000n],
      });
      const error = new BaseError("call failed", {
        cause: new ContractFunctionRevertedError({ abi: extraErrorsAbi, data, functionName: "x" }),
      });
      expect(describeError(error, wordingFor(TUSD))).to.equal(
        "0x976EA74026E726554dB657fA54763abd0C3a0aa9 has 0 TUSD of the payment token, less than the 5 TUSD needed.",
      );
      expect(describeError(error)).to.contain("5000000 base units");
    });

    it("says Insufficient ETH, not 'Missing or invalid parameters'", () => {
      const wrapped = new InvalidParamsRpcError(
        new Error("Sender doesn't have enough funds to send tx. The max upfront cost is: 1"),
      );
      expect(describeError(wrapped)).to.match(/^Insufficient ETH/);
      expect(describeError(new InsufficientFundsError())).to.match(/^Insufficient ETH/);
    });

    it("shows a transaction's arguments in token units, durations and percentages in words", () => {
      expect(describeArg("amount", 5_000_000n, TUSD)).to.equal("5 TUSD");
      expect(describeArg("amount", 5n, undefined)).to.equal("5 base units");
      expect(describeArg("deliveryWindow", 604_800, TUSD)).to.equal("7 days");
      expect(describeArg("contributorShareBps", 7_000, TUSD)).to.equal("70%");
      expect(describeArg("maxEpsilonPerQuery", 1_500_000, TUSD)).to.equal("1.5 ε");
      expect(describeArg("poolId", 3, TUSD)).to.equal("3");
      expect(describeArg("params", { price: 25_000_000n, deliveryWindow: 86_400 }, TUSD)).to.equal(
        "{ price: 25 TUSD, deliveryWindow: 1 day }",
      );
      expect(eventToken({ params: { paymentToken: TUSD.address } })).to.equal(TUSD.address);
      expect(eventToken({ token: zeroAddress })).to.equal(zeroAddress);
      expect(eventToken({ poolId: 1 })).to.equal(undefined);
    });
  });

  describe("buyer's preview of the fields", () => {
    it("gives each field's type, options and range, from the schema only", () => {
      const fields = formFieldsFromSchema({
        type: "object",
        required: ["years", "education"],
        properties: {
          years: { type: "integer", title: "Years of experience", minimum: 0, maximum: 60 },
          education: { enum: ["none", "bachelor"] },
          city: { type: "string", maxLength: 80 },
          skills: { type: "array", items: { type: "string" } },
        },
      }).map(fieldPreview);
      expect(fields).to.deep.equal([
        {
          label: "Years of experience",
          type: "whole number",
          constraint: "0 to 60",
          required: true,
        },
        {
          label: "Education",
          type: "one of a list",
          constraint: "one of: none, bachelor",
          required: true,
        },
        { label: "City", type: "text", constraint: "at most 80 characters", required: false },
        { label: "Skills", type: "list of text", constraint: "", required: false },
      ]);
    });
  });
});
