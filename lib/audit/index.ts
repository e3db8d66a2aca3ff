/**
 * Public API of lib/audit: rebuild a Databank's payouts from its events and check its invariants.
 * Browser-safe (no node: imports), so the dApp's auditor page can run the same audit. A long-lived
 * reader keeps a `createReplayCache()` and passes it as `cache` so that each replay reads only the
 * blocks since the last one (lib/audit/replayCache.ts); the CLIs read the whole history each run.
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
export * from "./replayCache.js";
export * from "./report.js";
