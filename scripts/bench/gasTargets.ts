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
  "claim (1 contribution)": 60_000,
  contributeRelayed: 200_000,
  // What garbage submitted directly on-chain costs the custodian to reject (its sender pays
  // submitContribution, about 127k).
  rejectContribution: 40_000,
};

/**
 * Targets an issue set that the contracts do not meet yet: printed beside the figures so the gap
 * stays in sight, not asserted (the snapshot still catches any growth). Each says what it waits for.
 */
export const GAS_GOALS: Record<string, { gas: number; waitingFor: string }> = {
  "purchaseQuery+fulfillQuery": {
    gas: 140_000,
    waitingFor:
      "the query path runs in the QuerySales library (two cold DELEGATECALLs, about 7,000 gas) until Databank has the code room to take it inline",
  },
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
