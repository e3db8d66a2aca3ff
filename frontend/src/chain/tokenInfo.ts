/** Symbol and decimals of a payment token, read from the chain (the native coin for address(0)). */
import { erc20Abi, zeroAddress, type Address, type PublicClient } from "viem";
import { NATIVE_TOKEN, type TokenInfo } from "../logic/format";

export async function readTokenInfo(
  publicClient: Pick<PublicClient, "readContract">,
  token: Address,
): Promise<TokenInfo> {
  if (token === zeroAddress) return NATIVE_TOKEN;
  const [symbol, decimals] = await Promise.all([
    publicClient.readContract({ abi: erc20Abi, address: token, functionName: "symbol" }),
    publicClient.readContract({ abi: erc20Abi, address: token, functionName: "decimals" }),
  ]);
  return { address: token, symbol, decimals, native: false };
}
