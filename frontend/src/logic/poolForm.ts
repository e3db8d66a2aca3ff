/**
 * The curator's "create a pool" form, checked and turned into `createPool` parameters (except the
 * custodian and the document CIDs, which come from the node).
 */
import { parseAmount } from "./format.js";
import { parsePercentToBps } from "./split.js";

/** The form's raw values (what the inputs hold). */
export interface PoolFormValues {
  price: string;
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
  price: bigint;
  contributorShareBps: number;
  minContributors: number;
  maxContributors: number;
  bountyPerContribution: bigint;
  deliveryWindow: number;
  purposes: number;
}

const MAX_UINT96 = (1n << 96n) - 1n;
const MIN_WINDOW_HOURS = 1;
const MAX_WINDOW_HOURS = 30 * 24;

export const DEFAULT_POOL_FORM: PoolFormValues = {
  price: "0.1",
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
  const price = parseAmount(values.price, tokenDecimals);
  if (price === undefined || price === 0n || price > MAX_UINT96) {
    problems.price = `Enter a price above 0 with at most ${tokenDecimals} decimals.`;
  }
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
      price: price!,
      contributorShareBps: share!,
      minContributors: min!,
      maxContributors: max!,
      bountyPerContribution: bounty!,
      deliveryWindow: Math.round(hours * 3600),
      purposes: values.purposes,
    },
  };
}
