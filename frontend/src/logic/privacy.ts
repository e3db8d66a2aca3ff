/**
 * Privacy in plain words: ε (the contracts store millionths of it) as people read it, a pool's
 * privacy budget, and the consent scopes a contributor may choose within what a pool sells.
 */
import { formatEpsilon, parseEpsilon } from "../../../lib/query/epsilon.js";
import {
  CONSENT_SCOPE,
  mostPrivateScope,
  type ConsentScopeBits,
} from "../../../lib/contracts/client.js";

/** "0.5 ε" from micro-ε (on-chain units), never the raw millionths. */
export function formatEpsilonText(micro: bigint | number): string {
  return `${formatEpsilon(BigInt(micro))} ε`;
}

/** ε typed by a user ("0.5") in micro-ε, or undefined when it is not a positive ε with ≤ 6 decimals. */
export function parseEpsilonInput(text: string): bigint | undefined {
  try {
    return parseEpsilon(text.trim());
  } catch {
    return undefined;
  }
}

/** What a pool's privacy budget stands at, in micro-ε. */
export interface PrivacyBudget {
  /** The total all queries may ever spend (immutable). */
  budget: bigint;
  spent: bigint;
  /** budget − spent, never below 0. */
  remaining: bigint;
}

/** The pool's budget from its on-chain fields (micro-ε). */
export function privacyBudgetOf(pool: {
  epsilonBudget: number | bigint;
  epsilonSpent: number | bigint;
}): PrivacyBudget {
  const budget = BigInt(pool.epsilonBudget);
  const spent = BigInt(pool.epsilonSpent);
  return { budget, spent, remaining: budget > spent ? budget - spent : 0n };
}

/** "0.7 ε of 5 ε left (4.3 ε spent)". */
export function describeBudget(budget: PrivacyBudget): string {
  return `${formatEpsilonText(budget.remaining)} of ${formatEpsilonText(budget.budget)} left (${formatEpsilonText(budget.spent)} spent)`;
}

/** The products a pool sells, in words: "record sales and queries". */
export function describeProducts(products: number): string {
  const sold = [
    (products & CONSENT_SCOPE.records) !== 0 ? "record sales" : undefined,
    (products & CONSENT_SCOPE.statistics) !== 0 ? "queries (statistics)" : undefined,
  ].filter((item) => item !== undefined);
  return sold.length === 0 ? "nothing" : sold.join(" and ");
}

/** One consent scope a contributor can pick. */
export interface ScopeChoice {
  scope: ConsentScopeBits;
  label: string;
  /** What it means for the contributor, in plain words. */
  explanation: string;
}

const SCOPE_CHOICES: ScopeChoice[] = [
  {
    scope: CONSENT_SCOPE.statistics,
    label: "Statistics only",
    explanation:
      "Buyers never receive your record. It is only counted inside answers to questions (totals, averages, charts over many people), with noise added so that no answer reveals you; the privacy this can ever cost you is capped by the pool's public budget. You earn from every answered question.",
  },
  {
    scope: CONSENT_SCOPE.records,
    label: "Records",
    explanation:
      "Buyers receive a copy of your record (decrypted for them). You earn from every record sale; if you revoke, buyers must delete it and attest that on-chain.",
  },
  {
    scope: CONSENT_SCOPE.both,
    label: "Records and statistics",
    explanation:
      "Both: buyers may receive a copy of your record, and it is counted in answers to questions. You earn from both kinds of sale.",
  },
];

/**
 * The scopes a pool lets contributors choose (only what it sells), most private first, and the one
 * preselected: the most private.
 */
export function scopeChoicesOf(products: number): {
  choices: ScopeChoice[];
  preselected: ConsentScopeBits;
} {
  const choices = SCOPE_CHOICES.filter((choice) => (choice.scope & ~products) === 0);
  return { choices, preselected: mostPrivateScope(products) };
}
