/**
 * The connected account's balance of a pool's token and whether it can pay `amount` (see
 * logic/funds.ts), for the Buy and Fund buttons.
 */
import { zeroAddress, type Address } from "viem";
import { fundsProblem } from "../logic/funds";
import { useTokenInfo } from "./useChainData";
import { useDatabank } from "./useDatabank";
import { useTokenBalance } from "./useTokenBalance";

/**
 * @param tokenAddress - the pool's payment token (address(0) for the native coin)
 * @param amount - what the action would pay, in base units; undefined when not yet typed
 */
export function useFundsCheck(tokenAddress: Address, amount: bigint | undefined) {
  const { account } = useDatabank();
  const { data: token } = useTokenInfo(tokenAddress);
  const { data: balance } = useTokenBalance(tokenAddress, account);
  const { data: nativeBalance } = useTokenBalance(zeroAddress, account);
  const problem =
    token && amount !== undefined
      ? fundsProblem({ amount, token, balance, nativeBalance })
      : undefined;
  return { token, balance, problem };
}
