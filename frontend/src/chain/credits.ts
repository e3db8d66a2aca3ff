/** What the Databank credits an account in each token (`creditOf`): curator shares, refunds, bounty. */
import type { Address, PublicClient } from "viem";
import { databankAbi } from "../../../lib/contracts/client.js";

/** One token's credit, in base units. */
export interface TokenCredit {
  token: Address;
  amount: bigint;
}

/**
 * @param databank - the Databank's address
 * @param account - whose credits
 * @param tokens - the tokens to read (the native coin is address(0))
 */
export function readCredits(
  publicClient: Pick<PublicClient, "readContract">,
  databank: Address,
  account: Address,
  tokens: readonly Address[],
): Promise<TokenCredit[]> {
  return Promise.all(
    tokens.map(async (token) => ({
      token,
      amount: await publicClient.readContract({
        abi: databankAbi,
        address: databank,
        functionName: "creditOf",
        args: [account, token],
      }),
    })),
  );
}
