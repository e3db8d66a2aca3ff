/**
 * Public API of lib/audit: rebuild a Databank's payouts from its events and check its invariants.
 * Browser-safe (no node: imports), so the dApp's auditor page can run the same audit.
 */
export * from "./audit.js";
export * from "./caveats.js";
export * from "./checks.js";
export * from "./errors.js";
export * from "./explorer.js";
export * from "./ledger.js";
export * from "./logs.js";
export * from "./manifest.js";
export * from "./money.js";
export * from "./options.js";
export * from "./replay.js";
export * from "./report.js";
