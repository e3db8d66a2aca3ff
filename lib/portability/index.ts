/** Public API of lib/portability: export bundles (GDPR art. 20) and their import elsewhere. */
export * from "./bundle.js";
export * from "./exportBundle.js";
export * from "./importBundle.js";
