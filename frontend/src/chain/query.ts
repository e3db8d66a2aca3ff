/**
 * Buying an answer to a question (a query purchase), as `npm run query` does: the query document
 * is uploaded to the node (its CID and keccak256 go into the purchase), then `purchaseQuery` pays
 * into escrow, in ETH with the call or in the pool's token after an approval (queries have no
 * permit entry point). The answer is sealed to the buyer's wallet-derived encryption key.
 */
import { erc20Abi, keccak256, parseEventLogs, zeroAddress, type Hex } from "viem";
import { databankAbi } from "../../../lib/contracts/client.js";
import type { PoolView } from "../hooks/useChainData";
import type { TransactionContext } from "../hooks/useTransaction";
import { nodeApi } from "../node/nodeApi";
import { encryptionKeyOf } from "./encryptionKey";

/** Arguments of {@link askQuestion}. */
export interface AskQuestionParams {
  pool: PoolView;
  /** The Databank contract (the token approval's spender). */
  databank: Hex;
  nodeUrl: string;
  /** The query document's exact bytes: what is uploaded and hashed. */
  queryBytes: Uint8Array;
  /** The most ε the answer may spend, in micro-ε (checked with lib/query before). */
  epsilon: bigint;
}

/** Pays for one answer; resolves to the new purchase's id. */
export async function askQuestion(
  context: TransactionContext,
  params: AskQuestionParams,
): Promise<bigint> {
  const { account, walletClient, progress, writeDatabank, writeContract } = context;
  const { pool } = params;
  progress("Sign the message that derives your encryption key (free, no transaction)…");
  const { publicKeyHex: buyerKey } = await encryptionKeyOf(walletClient, account);
  progress("Publishing the question on the data bank node…");
  const api = await nodeApi(params.nodeUrl);
  const { cid: queryCid } = await api.uploadContent(params.queryBytes);
  const args = [
    pool.id,
    pool.queryPrice,
    buyerKey,
    Number(params.epsilon),
    queryCid,
    keccak256(params.queryBytes),
  ] as const;
  let receipt;
  if (pool.paymentToken === zeroAddress) {
    receipt = await writeDatabank("purchaseQuery", args, pool.queryPrice);
  } else {
    await writeContract({
      address: pool.paymentToken,
      abi: erc20Abi,
      functionName: "approve",
      args: [params.databank, pool.queryPrice],
    });
    receipt = await writeDatabank("purchaseQuery", args);
  }
  const [purchased] = parseEventLogs({
    abi: databankAbi,
    eventName: "QueryPurchased",
    logs: receipt.logs,
  });
  if (!purchased) throw new Error("The purchase transaction recorded no question.");
  return purchased.args.purchaseId;
}
