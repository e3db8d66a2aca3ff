/**
 * The curator's "create a pool" form, checked and turned into `createPool` parameters (except the
 * custodian and the document CIDs, which come from the node).
 */
import { CONSENT_SCOPE, type ConsentScopeBits } from "../../../lib/contracts/client.js";
import { parseAmount } from "./format.js";
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

/** The parameters, or one sentence per problem (keyed by input name). */
export function poolParamsFromForm(
  values: PoolFormValues,
  tokenDecimals: number,
): { ok: true; params: PoolFormParams } | { ok: false; problems: Record<string, string> } {
  const problems: Record<string, string> = {};
  const products = PRODUCTS_BITS[values.products];
  const sellsRecords = (products & CONSENT_SCOPE.records) !== 0;
  const sellsQueries = (products & CONSENT_SCOPE.statistics) !== 0;
  const price = sellsRecords ? parseAmount(values.price, tokenDecimals) : 0n;
  if (sellsRecords && (price === undefined || price === 0n || price > MAX_UINT96)) {
    problems.price = `Enter a price above 0 with at most ${tokenDecimals} decimals.`;
  }
  const queries = sellsQueries ? queryTerms(values, tokenDecimals, problems) : undefined;
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
  const bounty = parseAmount(values.bounty, tokenDecimals);
  if (bounty === undefined || bounty > MAX_UINT96) problems.bounty = "Enter 0 or an amount.";
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

/** The query price and privacy budget, checked; problems are added to `problems`. */
function queryTerms(
  values: PoolFormValues,
  tokenDecimals: number,
  problems: Record<string, string>,
): { queryPrice: bigint; epsilonBudget: number; maxEpsilonPerQuery: number } | undefined {
  const queryPrice = parseAmount(values.queryPrice, tokenDecimals);
  if (queryPrice === undefined || queryPrice === 0n || queryPrice > MAX_UINT96) {
    problems.queryPrice = `Enter a price per question above 0 with at most ${tokenDecimals} decimals.`;
  }
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
