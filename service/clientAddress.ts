/**
 * The address a request is counted against by the per-IP rate limits. Behind a reverse proxy every
 * request comes from the proxy's address, so one client's flood would lock everybody out; the
 * proxy's `X-Forwarded-For` names the real client, but anyone can write that header, so it is read
 * only when the socket peer is a proxy the operator listed (DATABANK_TRUSTED_PROXIES).
 */
import { isIP } from "node:net";
import { normalizeIp } from "../lib/config/index.js";

/** Parameters of {@link resolveClientAddress}. */
export interface ClientAddressParams {
  /** The socket peer's address, or undefined when unknown (an in-process request). */
  socketAddress: string | undefined;
  /** The `X-Forwarded-For` header (comma-separated, the nearest hop last), if any. */
  forwardedFor: string | undefined;
  /** Addresses of the trusted reverse proxies (normalised); empty: the header is never read. */
  trustedProxies: readonly string[];
}

/**
 * The client's address: the socket peer, unless that is a trusted proxy, in which case the
 * rightmost `X-Forwarded-For` entry that is not itself a trusted proxy (entries to its left were
 * written by the client or untrusted hops and could be forged). Returns "unknown" without a peer.
 */
export function resolveClientAddress(params: ClientAddressParams): string {
  if (params.socketAddress === undefined) return "unknown";
  const peer = normalizeIp(params.socketAddress);
  const trusted = new Set(params.trustedProxies);
  if (!trusted.has(peer) || params.forwardedFor === undefined) return peer;
  const hops = params.forwardedFor
    .split(",")
    .map(normalizeIp)
    .filter((hop) => hop !== "");
  for (let i = hops.length - 1; i >= 0; i--) {
    const hop = hops[i]!;
    if (trusted.has(hop)) continue;
    // A malformed entry means the chain cannot be trusted past here: count the proxy itself.
    return isIP(hop) === 0 ? peer : hop;
  }
  return peer;
}
