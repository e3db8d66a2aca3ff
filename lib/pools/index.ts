/** Public API of lib/pools: what describes a pool beyond its on-chain terms. */
export * from "./profile.js";
