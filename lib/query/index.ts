/**
 * Public API of lib/query: differentially private aggregate queries over a pool's records.
 *
 * 1. {@link checkQuery}: a query document against the pool's record schema and query policy,
 *    before paying (CLI, dApp) and before answering (custodian).
 * 2. {@link answerQuery}: the noisy answer (JSON and CSV) over the records in memory.
 *
 * See docs/queries.md for the format and the guarantee.
 */
export * from "./csv.js";
export * from "./epsilon.js";
export * from "./errors.js";
export * from "./execute.js";
export * from "./format.js";
export * from "./noise.js";
export * from "./policy.js";
export * from "./poolPolicy.js";
export * from "./sealedAnswer.js";
export * from "./validate.js";
