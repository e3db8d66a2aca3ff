/**
 * Links to transactions: the chain's block explorer from viem's chain definitions, or, on a local
 * chain, the dApp's own transaction page.
 */
import type { Hex } from "viem";
import * as chains from "viem/chains";

/** Hardhat's and Anvil's chain id. */
export const LOCAL_CHAIN_ID = 31337;

/** Base of the dApp's transaction links on a local chain (the Vite dev server). */
export const DEFAULT_LOCAL_EXPLORER = "http://127.0.0.1:5173/#";

/** Builds the URL of a transaction, or returns undefined when the chain has no known explorer. */
export type TxUrlBuilder = (hash: Hex) => string | undefined;

/** The default block explorer of a chain id from viem's chain definitions, if any. */
export function chainExplorerUrl(chainId: number): string | undefined {
  for (const chain of Object.values(chains) as { id?: number; blockExplorers?: unknown }[]) {
    if (chain.id !== chainId) continue;
    const explorers = chain.blockExplorers as { default?: { url?: string } } | undefined;
    if (explorers?.default?.url) return explorers.default.url;
  }
  return undefined;
}

/**
 * A transaction link builder for `chainId`.
 *
 * @param explorerUrl - overrides the explorer: a base URL (`/tx/<hash>` is appended) or a template
 *   containing `{hash}`. Without it: viem's explorer for the chain, or the dApp link form
 *   `http://127.0.0.1:5173/#/tx/<hash>` on the local chain (31337).
 */
export function txUrlBuilder(chainId: number, explorerUrl?: string): TxUrlBuilder {
  const base =
    explorerUrl ??
    (chainId === LOCAL_CHAIN_ID ? DEFAULT_LOCAL_EXPLORER : chainExplorerUrl(chainId));
  if (!base) return () => undefined;
  if (base.includes("{hash}")) return (hash) => base.replaceAll("{hash}", hash);
  const trimmed = base.replace(/\/+$/, "");
  return (hash) => `${trimmed}/tx/${hash}`;
}
