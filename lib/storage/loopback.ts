/**
 * Networking policy of the embedded node: it listens on and dials loopback addresses only.
 * Enforced twice: addresses are checked before use, and a libp2p connection gater refuses any
 * other dial or inbound connection, so even a peer advertising a public address (via identify)
 * cannot make the node leave the machine.
 */
import type { ConnectionGater, MultiaddrConnection } from "@libp2p/interface";
import { multiaddr } from "@multiformats/multiaddr";
import type { Multiaddr } from "@multiformats/multiaddr";
import { StorageUnavailableError } from "./types.js";

export const DEFAULT_LISTEN_ADDRESSES: readonly string[] = ["/ip4/127.0.0.1/tcp/0"];

export function isLoopbackMultiaddr(address: Multiaddr): boolean {
  const [first] = address.getComponents();
  if (first === undefined || first.value === undefined) {
    return false;
  }
  if (first.name === "ip4") {
    return first.value.startsWith("127.");
  }
  if (first.name === "ip6") {
    return first.value === "::1" || first.value === "0:0:0:0:0:0:0:1";
  }
  return false;
}

/** Parses a multiaddr that the embedded node may use, refusing anything off this machine. */
export function parseLoopbackMultiaddr(text: string, purpose: "listen on" | "dial"): Multiaddr {
  let address: Multiaddr;
  try {
    address = multiaddr(text);
  } catch (err) {
    throw new StorageUnavailableError(
      `cannot ${purpose} "${text}": not a multiaddr; use the form /ip4/127.0.0.1/tcp/<port>[/p2p/<peer id>]`,
      { cause: err },
    );
  }
  if (!isLoopbackMultiaddr(address)) {
    throw new StorageUnavailableError(
      `refusing to ${purpose} ${text}: the embedded node only uses loopback addresses (127.0.0.0/8, ::1); run the peer on this machine or use the kubo backend`,
    );
  }
  return address;
}

/** A connection gater that keeps every libp2p connection on loopback. */
export function loopbackOnlyConnectionGater(): ConnectionGater {
  return {
    denyDialMultiaddr: (address: Multiaddr): boolean => !isLoopbackMultiaddr(address),
    denyInboundConnection: (connection: MultiaddrConnection): boolean =>
      !isLoopbackMultiaddr(connection.remoteAddr),
  };
}
