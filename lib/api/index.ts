/** Public API of lib/api: the data bank node's HTTP client and the schemas of its API. */
export * from "./client.js";
export * from "./deliveryStream.js";
export * from "./schemas.js";
