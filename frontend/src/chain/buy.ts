/**
 * Buying a pool's data: ETH with the call; an ERC-20 with an EIP-2612 permit in one transaction
 * when the token supports it, else approve then purchase.
 */
import { erc20Abi, parseSignature, zeroAddress, type Hex, type TransactionReceipt } from "viem";
import type { TransactionContext } from "../hooks/useTransaction";
import type { PoolView } from "../hooks/useChainData";
import { permitTokenAbi, permitTypedData } from "../logic/permit";
import { encryptionKeyOf } from "./encryptionKey";

/** How long a permit signature stays valid. */
const PERMIT_LIFETIME_SECONDS = 3_600n;

/** The token's EIP-712 name and version, or undefined when it has no permit. */
async function permitDomain(context: TransactionContext, pool: PoolView) {
  try {
    const [, name, version] = await context.publicClient.readContract({
      address: pool.paymentToken,
      abi: permitTokenAbi,
      functionName: "eip712Domain",
    });
    await context.publicClient.readContract({
      address: pool.paymentToken,
      abi: permitTokenAbi,
      functionName: "nonces",
      args: [context.account],
    });
    return { name, version };
  } catch {
    return undefined;
  }
}

/** Buys one delivery of `pool` at its current price (the most the buyer accepts). */
export async function buyPool(
  context: TransactionContext,
  pool: PoolView,
  databank: Hex,
): Promise<TransactionReceipt> {
  const { account, walletClient, publicClient, progress, writeDatabank, writeContract } = context;
  progress("Sign the message that derives your encryption key (free, no transaction)…");
  const { publicKeyHex: buyerKey } = await encryptionKeyOf(walletClient, account);
  const maxPrice = pool.price;
  if (pool.paymentToken === zeroAddress) {
    return writeDatabank("purchase", [pool.id, maxPrice, buyerKey], maxPrice);
  }
  const domain = await permitDomain(context, pool);
  if (domain) {
    const nonce = await publicClient.readContract({
      address: pool.paymentToken,
      abi: permitTokenAbi,
      functionName: "nonces",
      args: [account],
    });
    const block = await publicClient.getBlock();
    const deadline = block.timestamp + PERMIT_LIFETIME_SECONDS;
    progress("Sign the payment permit in your wallet (free, no transaction)…");
    const signature = await walletClient.signTypedData({
      account,
      ...permitTypedData({
        ...domain,
        chainId: await publicClient.getChainId(),
        token: pool.paymentToken,
        owner: account,
        spender: databank,
        value: maxPrice,
        nonce,
        deadline,
      }),
    });
    const { r, s, v, yParity } = parseSignature(signature);
    const recovery = Number(v ?? BigInt(yParity + 27));
    return writeDatabank("purchaseWithPermit", [
      pool.id,
      maxPrice,
      buyerKey,
      deadline,
      recovery,
      r,
      s,
    ]);
  }
  await writeContract({
    address: pool.paymentToken,
    abi: erc20Abi,
    functionName: "approve",
    args: [databank, maxPrice],
  });
  return writeDatabank("purchase", [pool.id, maxPrice, buyerKey]);
}
