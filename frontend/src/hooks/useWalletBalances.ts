/**
 * The connected account's balances: the native coin and, when the deployment has one, the test
 * stablecoin. Keyed under "chain" so <BlockRefresher> refreshes them on every block.
 */
import { useQuery } from "@tanstack/react-query";
import { erc20Abi, type Address } from "viem";
import { NATIVE_TOKEN, type TokenInfo } from "../logic/format";
import { useRuntime } from "../runtime";
import { useDatabank } from "./useDatabank";
import { useTokenInfo } from "./useChainData";

/** One balance with its token, ready for formatAmount. */
export interface TokenBalance {
  token: TokenInfo;
  amount: bigint;
}

/** The balances of `account` (native first); undefined while loading or without an account. */
export function useWalletBalances(account: Address | undefined) {
  const { runtime } = useRuntime();
  const { publicClient } = useDatabank();
  const { data: stablecoin } = useTokenInfo(runtime.stablecoin);
  return useQuery({
    queryKey: ["chain", "balances", account, stablecoin?.address],
    enabled:
      account !== undefined && (runtime.stablecoin === undefined || stablecoin !== undefined),
    queryFn: async (): Promise<TokenBalance[]> => {
      const native = await publicClient.getBalance({ address: account! });
      const balances: TokenBalance[] = [{ token: NATIVE_TOKEN, amount: native }];
      if (stablecoin) {
        const amount = await publicClient.readContract({
          abi: erc20Abi,
          address: stablecoin.address,
          functionName: "balanceOf",
          args: [account!],
        });
        balances.push({ token: stablecoin, amount });
      }
      return balances;
    },
  });
}
