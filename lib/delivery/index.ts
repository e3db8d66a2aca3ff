/**
 * Public API of lib/delivery: the delivery manifest v1 (build, encode, parse, verify), the buyer's
 * side (verify, unwrap, decrypt) and the JSON Lines / CSV export. Browser-safe.
 */
export * from "./buyer.js";
export * from "./errors.js";
export * from "./export.js";
export * from "./manifest.js";
