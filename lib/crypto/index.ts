/** Public API of lib/crypto: the record envelope, wallet-derived X25519 keys and the delivery key. */
export * from "./envelope.js";
export * from "./keys.js";
export { EnvelopeError, KeyError, type EnvelopeErrorCode, type KeyErrorCode } from "./errors.js";
export * from "./deliveryKey.js";
