/**
 * The curator's "create a pool" form, checked and turned into `createPool` parameters (except the
 * custodian and the document CIDs, which come from the node).
 */
import { CONSENT_SCOPE, type ConsentScopeBits } from "../../../lib/contracts/client.js";
import {
  MAX_POOL_DESCRIPTION,
  MAX_POOL_NAME,
  parsePoolProfile,
  POOL_CATEGORIES,
  PoolProfileError,
  type PoolCategory,
  type PoolProfile,
} from "../../../lib/pools/profile.js";
import { checkAmount, type TokenInfo } from "./format.js";
import { formatEpsilonText, parseEpsilonInput } from "./privacy.js";
import { parsePercentToBps } from "./split.js";

/** What a pool sells, as the form's choice. */
export type ProductsChoice = "records" | "queries" | "both";

/** The CONSENT_SCOPE bits of each choice (what `createPool` takes as `products`). */
export const PRODUCTS_BITS: Record<ProductsChoice, ConsentScopeBits> = {
  records: CONSENT_SCOPE.records,
  queries: CONSENT_SCOPE.statistics,
  both: CONSENT_SCOPE.both,
};

/** The form's raw values (what the inputs hold). */
export interface PoolFormValues {
  products: ProductsChoice;
  /** Price of a record sale (ignored when the pool sells no records). */
  price: string;
  /** Price of a query (ignored when the pool sells no queries). */
  queryPrice: string;
  /** Total ε all queries may ever spend, as typed ("5"). */
  epsilonBudget: string;
  /** Most ε one query may spend, as typed ("1"). */
  maxEpsilonPerQuery: string;
  /** "native" or the stablecoin's address. */
  token: string;
  contributorSharePercent: string;
  minContributors: string;
  maxContributors: string;
  bounty: string;
  deliveryWindowHours: string;
  purposes: number;
  terms: string;
}

/** The pool's profile as typed: what lists show instead of "Pool N" (lib/pools/profile.ts). */
export interface PoolProfileFormValues {
  name: string;
  description: string;
  /** One of POOL_CATEGORIES' keys, or "" before the curator chose. */
  category: PoolCategory | "";
}

export const EMPTY_POOL_PROFILE: PoolProfileFormValues = {
  name: "",
  description: "",
  category: "",
};

/** The categories in the order the form offers them, with their words. */
export const CATEGORY_CHOICES = Object.entries(POOL_CATEGORIES) as [PoolCategory, string][];

export { MAX_POOL_DESCRIPTION, MAX_POOL_NAME };

/**
 * The profile, checked by the same rules as every reader (parsePoolProfile), or one sentence per
 * field to fix (keyed "name", "description", "category").
 */
export function poolProfileFromForm(
  values: PoolProfileFormValues,
): { ok: true; profile: PoolProfile } | { ok: false; problems: Record<string, string> } {
  const problems: Record<string, string> = {};
  // parsePoolProfile stops at the first issue: check each field alone so all are named at once.
  const valid: PoolProfile = {
    name: "Pool",
    description: "A valid description.",
    category: "other",
  };
  for (const field of ["name", "description", "category"] as const) {
    try {
      parsePoolProfile({ ...valid, [field]: values[field] });
    } catch (error) {
      const message = (error as PoolProfileError).message.replace(/^pool profile: \w+: /, "");
      problems[field] = message.charAt(0).toUpperCase() + message.slice(1) + ".";
    }
  }
  if (Object.keys(problems).length > 0) return { ok: false, problems };
  return { ok: true, profile: parsePoolProfile(values) };
}

/** The checked values, in the contract's units. */
export interface PoolFormParams {
  products: ConsentScopeBits;
  /** 0 when the pool sells no records (the contract requires it). */
  price: bigint;
  /** 0 when the pool sells no queries. */
  queryPrice: bigint;
  /** micro-ε; 0 when the pool sells no queries. */
  epsilonBudget: number;
  /** micro-ε; 0 when the pool sells no queries. */
  maxEpsilonPerQuery: number;
  contributorShareBps: number;
  minContributors: number;
  maxContributors: number;
  bountyPerContribution: bigint;
  deliveryWindow: number;
  purposes: number;
}

const MAX_UINT96 = (1n << 96n) - 1n;
/** ε is stored on-chain as a uint32 of micro-ε. */
const MAX_MICRO_EPSILON = 0xffffffffn;
const MIN_WINDOW_HOURS = 1;
const MAX_WINDOW_HOURS = 30 * 24;

export const DEFAULT_POOL_FORM: PoolFormValues = {
  products: "records",
  price: "0.1",
  queryPrice: "0.05",
  epsilonBudget: "10",
  maxEpsilonPerQuery: "1",
  token: "native",
  contributorSharePercent: "70",
  minContributors: "1",
  maxContributors: "0",
  bounty: "0",
  deliveryWindowHours: "24",
  purposes: 1 | 2,
  terms: "",
};

function wholeNumber(text: string): number | undefined {
  return /^\s*\d{1,10}\s*$/.test(text) ? Number(text) : undefined;
}

/**
 * The parameters, or one sentence per problem (keyed by input name).
 *
 * @param token - the payment token's symbol and decimals (amounts are typed in its units)
 */
export function poolParamsFromForm(
  values: PoolFormValues,
  token: Pick<TokenInfo, "symbol" | "decimals">,
): { ok: true; params: PoolFormParams } | { ok: false; problems: Record<string, string> } {
  const problems: Record<string, string> = {};
  const products = PRODUCTS_BITS[values.products];
  const sellsRecords = (products & CONSENT_SCOPE.records) !== 0;
  const sellsQueries = (products & CONSENT_SCOPE.statistics) !== 0;
  const price = sellsRecords ? amountOf(values.price, token, "price", problems) : 0n;
  const queries = sellsQueries ? queryTerms(values, token, problems) : undefined;
  const share = parsePercentToBps(values.contributorSharePercent);
  if (share === undefined) problems.contributorSharePercent = "Enter a percentage from 0 to 100.";
  const min = wholeNumber(values.minContributors);
  const max = wholeNumber(values.maxContributors);
  if (min === undefined || min < 1 || min > 0xffffffff) {
    problems.minContributors = "At least 1 contributor (k-anonymity).";
  }
  if (max === undefined || max > 0xffffffff)
    problems.maxContributors = "Enter 0 (no cap) or a cap.";
  else if (max !== 0 && min !== undefined && max < min) {
    problems.maxContributors = "The cap must be at least the minimum.";
  }
  const bounty = amountOf(values.bounty, token, "bounty", problems, true);
  const hours = Number(values.deliveryWindowHours);
  if (!Number.isFinite(hours) || hours < MIN_WINDOW_HOURS || hours > MAX_WINDOW_HOURS) {
    problems.deliveryWindowHours = `Between ${MIN_WINDOW_HOURS} hour and ${MAX_WINDOW_HOURS / 24} days.`;
  }
  if (values.purposes === 0) problems.purposes = "Pick at least one purpose.";
  if (values.terms.trim().length < 20) {
    problems.terms = "Write the consent terms in full (at least a few sentences).";
  }
  if (Object.keys(problems).length > 0) return { ok: false, problems };
  return {
    ok: true,
    params: {
      products,
      price: price!,
      queryPrice: queries?.queryPrice ?? 0n,
      epsilonBudget: queries?.epsilonBudget ?? 0,
      maxEpsilonPerQuery: queries?.maxEpsilonPerQuery ?? 0,
      contributorShareBps: share!,
      minContributors: min!,
      maxContributors: max!,
      bountyPerContribution: bounty!,
      deliveryWindow: Math.round(hours * 3600),
      purposes: values.purposes,
    },
  };
}

/** An amount of the form (a uint96 on-chain), or undefined with its problem under `key`. */
function amountOf(
  text: string,
  token: Pick<TokenInfo, "symbol" | "decimals">,
  key: string,
  problems: Record<string, string>,
  allowZero = false,
): bigint | undefined {
  const checked = checkAmount(text, token, { max: MAX_UINT96, allowZero });
  if (checked.ok) return checked.value;
  problems[key] = checked.problem;
  return undefined;
}

/** The query price and privacy budget, checked; problems are added to `problems`. */
function queryTerms(
  values: PoolFormValues,
  token: Pick<TokenInfo, "symbol" | "decimals">,
  problems: Record<string, string>,
): { queryPrice: bigint; epsilonBudget: number; maxEpsilonPerQuery: number } | undefined {
  const queryPrice = amountOf(values.queryPrice, token, "queryPrice", problems);
  const budget = parseEpsilonInput(values.epsilonBudget);
  if (budget === undefined || budget > MAX_MICRO_EPSILON) {
    problems.epsilonBudget = `Enter the pool's total ε, above 0 and at most ${formatEpsilonText(MAX_MICRO_EPSILON)}, with at most 6 decimals (e.g. 10).`;
  }
  const perQuery = parseEpsilonInput(values.maxEpsilonPerQuery);
  if (perQuery === undefined) {
    problems.maxEpsilonPerQuery =
      "Enter the most ε one question may spend, above 0 with at most 6 decimals (e.g. 1).";
  } else if (budget !== undefined && perQuery > budget) {
    problems.maxEpsilonPerQuery = `One question may not spend more than the whole budget: ${formatEpsilonText(perQuery)} is above the total of ${formatEpsilonText(budget)}.`;
  }
  if (queryPrice === undefined || budget === undefined || perQuery === undefined) return undefined;
  return {
    queryPrice,
    epsilonBudget: Number(budget),
    maxEpsilonPerQuery: Number(perQuery),
  };
}

/** A new price more than this many times the current one, or less than its inverse, asks first. */
export const LARGE_PRICE_FACTOR = 2n;

/**
 * Whether changing a price from `current` to `next` is large enough to ask "are you sure?" (a
 * slip of the decimal point, "25" for "2.5", is the usual cause). Doubling or halving does not ask.
 */
export function isLargePriceChange(current: bigint, next: bigint): boolean {
  if (current === 0n) return false;
  return next > current * LARGE_PRICE_FACTOR || next * LARGE_PRICE_FACTOR < current;
}

/**
 * How much of its own bounty funding a curator may withdraw now: its unspent funding, but never
 * budget already promised to pending submissions (as the contract's BountyBudget.withdraw).
 */
export function withdrawableBounty(pool: { curatorBounty: bigint; bountyBudget: bigint }): bigint {
  return pool.curatorBounty < pool.bountyBudget ? pool.curatorBounty : pool.bountyBudget;
}
