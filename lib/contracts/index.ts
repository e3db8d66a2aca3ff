/** Public API of lib/contracts: the Databank client and the delivered-records Merkle tree. */
export * from "./client.js";
export * from "./recordsMerkle.js";
