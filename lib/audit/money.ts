/**
 * How the audit shows money: exact amounts in token units with the token's symbol ("1.5 TUSD",
 * "0.000000000000000001 ETH"), never raw base units, and never rounded: an auditor must see the
 * one wei a display would round away. The dApp's `formatAmount` rounds for reading at a glance;
 * this one is for findings.
 */
import { erc20Abi, formatUnits, zeroAddress, type Address } from "viem";
import * as chains from "viem/chains";
import type { AuditChainClient } from "./audit.js";

/** What it takes to show an amount of a token. */
export interface TokenUnits {
  /** Symbol shown after the amount ("ETH", "TUSD"). */
  symbol: string;
  /** Decimals of one token (18 for ETH, 6 for TUSD). */
  decimals: number;
}

/** The native coin of Ethereum and its L2s. */
export const ETH_UNITS: TokenUnits = { symbol: "ETH", decimals: 18 };

/** An exact amount in token units with the symbol: `1500000n` of a 6-decimal TUSD is "1.5 TUSD". */
export function formatTokenAmount(amount: bigint, units: TokenUnits): string {
  return `${formatUnits(amount, units.decimals)} ${units.symbol}`;
}

/** The native coin of a chain from viem's chain definitions; ETH when the chain is unknown. */
export function nativeUnits(chainId: number): TokenUnits {
  for (const chain of Object.values(chains) as {
    id?: number;
    nativeCurrency?: { symbol?: string; decimals?: number };
  }[]) {
    if (chain.id !== chainId || !chain.nativeCurrency?.symbol) continue;
    return {
      symbol: chain.nativeCurrency.symbol,
      decimals: chain.nativeCurrency.decimals ?? ETH_UNITS.decimals,
    };
  }
  return ETH_UNITS;
}

/**
 * Symbol and decimals of a payment token, read with ERC-20 `symbol()` and `decimals()` (the
 * chain's native coin for the zero address). Both are optional in ERC-20: without `symbol()` the
 * token's address stands for it; without `decimals()` amounts are shown in base units and say so,
 * rather than guessing a scale and misstating every figure.
 */
export async function readTokenUnits(
  client: Pick<AuditChainClient, "readContract">,
  token: Address,
  chainId: number,
  blockNumber?: bigint,
): Promise<TokenUnits> {
  if (token === zeroAddress) return nativeUnits(chainId);
  const [symbol, decimals] = await Promise.allSettled([
    client.readContract({ abi: erc20Abi, address: token, functionName: "symbol", blockNumber }),
    client.readContract({ abi: erc20Abi, address: token, functionName: "decimals", blockNumber }),
  ]);
  const name = symbol.status === "fulfilled" && symbol.value.trim() ? symbol.value : token;
  return decimals.status === "fulfilled"
    ? { symbol: name, decimals: decimals.value }
    : { symbol: `base units of ${name}`, decimals: 0 };
}
