/**
 * What an account holds of a payment token (the native coin for address(0)), and of ETH for gas:
 * read before anyone signs, so a payment that cannot succeed says so first.
 */
import { useQuery } from "@tanstack/react-query";
import { erc20Abi, zeroAddress, type Address } from "viem";
import { useDatabank } from "./useDatabank";

/** `account`'s balance of `token` in base units; undefined while unknown. */
export function useTokenBalance(token: Address | undefined, account: Address | undefined) {
  const { publicClient } = useDatabank();
  return useQuery({
    // "chain" first: refreshed on every block, like every other chain read.
    queryKey: ["chain", "balance", token, account],
    enabled: token !== undefined && account !== undefined,
    queryFn: (): Promise<bigint> =>
      token === zeroAddress
        ? publicClient.getBalance({ address: account! })
        : publicClient.readContract({
            abi: erc20Abi,
            address: token!,
            functionName: "balanceOf",
            args: [account!],
          }),
  });
}
