/**
 * Public API of lib/passbook: a contributor's passbook from on-chain events alone (built on the
 * audit's replay), its schema, and its renderings. Browser-safe (no node: imports).
 */
export * from "./options.js";
export * from "./passbook.js";
export * from "./render.js";
export * from "./schema.js";
