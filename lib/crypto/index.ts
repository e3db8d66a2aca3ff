/** Public API of lib/crypto: the record envelope and wallet-derived X25519 keys. */
export * from "./envelope.js";
export * from "./keys.js";
export { EnvelopeError, KeyError, type EnvelopeErrorCode, type KeyErrorCode } from "./errors.js";
