import type { GasSnapshot } from "./databankGas.js";

/** Where the committed gas snapshot lives. */
export const GAS_SNAPSHOT_PATH = "bench/gas-snapshot.json";
/** Contributor counts of the benchmark. */
export const CONTRIBUTOR_COUNTS = [10, 1_000, 10_000] as const;
/** An operation may cost at most this much more than its snapshot before `npm test` fails. */
export const GAS_TOLERANCE = 0.01;

/** The gas targets, checked at every contributor count. */
export const GAS_TARGETS: Record<string, number> = {
  "purchase+fulfill": 130_000,
  // Issue 11: a query's purchase and answer, flat in N like a record sale.
  "purchaseQuery+fulfillQuery": 140_000,
  "claim (1 contribution)": 60_000,
  contributeRelayed: 200_000,
  // What garbage submitted directly on-chain costs the custodian to reject (its sender pays
  // submitContribution, about 127k).
  rejectContribution: 40_000,
};

/** Lines describing every figure that rose more than the tolerance above the snapshot. */
export function gasRegressions(snapshot: GasSnapshot, measured: GasSnapshot): string[] {
  const problems: string[] = [];
  for (const [operation, byCount] of Object.entries(measured)) {
    for (const [count, gas] of Object.entries(byCount)) {
      const baseline = snapshot[operation]?.[count];
      if (baseline === undefined) {
        problems.push(`${operation} at N=${count}: not in ${GAS_SNAPSHOT_PATH}; run npm run bench`);
      } else if (gas > baseline * (1 + GAS_TOLERANCE)) {
        problems.push(`${operation} at N=${count}: ${gas} gas, snapshot ${baseline} (+${(((gas - baseline) / baseline) * 100).toFixed(2)}%)`);
      }
    }
  }
  return problems;
}
