/** Public API of lib/custodian: the checks a pool custodian runs before accepting a contribution. */
export * from "./acceptance.js";
export * from "./binding.js";
