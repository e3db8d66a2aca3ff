/**
 * Public API of lib/delivery: the delivery manifest v2 (and v1, read only) — build, encode, parse,
 * verify —, the buyer's side (verify, recover the keys, decrypt), waiting for the custodian to
 * release the delivery key, and the JSON Lines / CSV export. Browser-safe.
 */
export * from "./buyer.js";
export * from "./errors.js";
export * from "./export.js";
export * from "./manifest.js";
export * from "./release.js";
