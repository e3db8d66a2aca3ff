/**
 * Opening a question's answer in the browser, as `npm run query` does: the node releases the
 * answer's key, sealed to the buyer, once `fulfillQuery` is final; the answer's CID must be the one
 * the chain recorded; the envelope is fetched by CID (re-hashed), opened with the buyer's
 * wallet-derived key (lib/query/sealedAnswer.ts), and its ε must be the ε the chain spent.
 * Loaded on demand: it brings the crypto code.
 */
import type { Address, WalletClient } from "viem";
import type { AnswerBundle } from "../../../lib/query/sealedAnswer.js";
import type { QueryPurchaseView } from "../hooks/useMyQueries";
import { formatEpsilonText } from "../logic/privacy";
import { nodeApi } from "../node/nodeApi";
import { encryptionKeyOf } from "./encryptionKey";

/** How long to wait for the node to release the answer's key. */
const KEY_WAIT_MS = 120_000;
const POLL_MS = 1_000;

/** Arguments of {@link openQueryAnswer}. */
export interface OpenQueryAnswerParams {
  /** An answered question (its `answerCid` and `epsilonSpent` from `QueryAnswered`). */
  purchase: QueryPurchaseView;
  nodeUrl: string;
  chainId: number;
  databank: Address;
  walletClient: WalletClient;
  account: Address;
  /** Called with what is happening, for the UI. */
  onProgress(detail: string): void;
}

/** The verified, decrypted answer. @throws Error saying what failed verification */
export async function openQueryAnswer(params: OpenQueryAnswerParams): Promise<AnswerBundle> {
  const { purchase, onProgress } = params;
  if (purchase.answerCid === undefined || purchase.epsilonSpent === undefined) {
    throw new Error(`question ${purchase.id} has no answer on-chain yet`);
  }
  onProgress("Sign the message that derives your encryption key…");
  const key = await encryptionKeyOf(params.walletClient, params.account);
  const [api, { openAnswer }] = await Promise.all([
    nodeApi(params.nodeUrl),
    import("../../../lib/query/sealedAnswer.js"),
  ]);
  onProgress(
    "Waiting for the custodian to release the answer's key (once its transaction is final)…",
  );
  const giveUpAt = Date.now() + KEY_WAIT_MS;
  let status = await api.answerStatus(purchase.id);
  while (status.answerKey === undefined) {
    if (Date.now() > giveUpAt) {
      throw new Error(
        `the node has not released the answer's key after ${KEY_WAIT_MS / 1000} s (status "${status.status}"); try again later`,
      );
    }
    await new Promise((done) => setTimeout(done, POLL_MS));
    status = await api.answerStatus(purchase.id);
  }
  if (status.answerCid !== purchase.answerCid) {
    throw new Error(
      `the node's answer ${status.answerCid ?? "(none)"} is not the one recorded on-chain (${purchase.answerCid})`,
    );
  }
  onProgress("Fetching, verifying and decrypting the answer…");
  const bundle = await openAnswer({
    envelope: await api.getContent(purchase.answerCid),
    answerCid: purchase.answerCid,
    sealedKey: status.answerKey,
    buyerPrivateKey: key.privateKey,
    binding: {
      chainId: params.chainId,
      databank: params.databank,
      purchaseId: purchase.id,
      poolId: purchase.poolId,
      buyer: params.account,
    },
  });
  if (BigInt(bundle.answer.epsilonMicro) !== BigInt(purchase.epsilonSpent)) {
    throw new Error(
      `the answer says it spent ${bundle.answer.epsilon} ε but the chain recorded ${formatEpsilonText(purchase.epsilonSpent)}`,
    );
  }
  return bundle;
}
