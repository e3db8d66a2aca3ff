/**
 * The external libraries Databank links to. Each carries one responsibility out of Databank's
 * 24 KiB code limit, runs by DELEGATECALL on Databank's storage, and is deployed once beside it.
 * Every deployment path (Ignition, the local stack, the test fixtures) links exactly these.
 */
export const DATABANK_LIBRARIES = [
  "PoolRegistry",
  "BountyBudget",
  "QuerySales",
  "EscrowReturns",
  "ErasureLedger",
  "ContributionShares",
] as const;

/** The name of one of Databank's external libraries. */
export type DatabankLibrary = (typeof DATABANK_LIBRARIES)[number];
