/** viem's chain list: large, so loaded only for a deployment on a chain other than Hardhat's. */
import * as chains from "viem/chains";
import type { Chain } from "viem";

/** viem's chain of this id, if it knows one. */
export function knownChain(chainId: number): Chain | undefined {
  return Object.values(chains as unknown as Record<string, unknown>).find(
    (candidate): candidate is Chain =>
      typeof candidate === "object" && (candidate as Chain | null)?.id === chainId,
  );
}
