/**
 * The custodian's transactions for a query purchase, `fulfillQuery` and `rejectPurchase`, sent as
 * the delivery worker sends `fulfill` (service/custodian/delivery/fulfil.ts): simulated first (a
 * revert comes back decoded, nothing sent), under the delivery gas ceiling, and with a nonce
 * reserved in SQLite before sending, so that a resend after a crash reuses it and at most one
 * transaction for the purchase can ever be mined.
 */
import { encodeFunctionData, type Hex, type PublicClient } from "viem";
import { databankAbi } from "../../../lib/contracts/abis.js";
import {
  decodeDatabankError,
  type DatabankError,
  type Purchase,
} from "../../../lib/contracts/client.js";
import { gasWithinCeiling } from "../../chain.js";
import { tooCostly, type CustodianDatabankClient } from "../delivery/context.js";
import type { QueryRow, QueryStore } from "./store.js";

/** What `fulfillQuery` records. */
export interface QueryFulfilment {
  answerCid: string;
  recordsRoot: Hex;
  recordCount: number;
  statisticsSeen: number;
  /** micro-ε. */
  epsilonSpent: number;
}

/** The call to send: `fulfillQuery` with the answer, or `rejectPurchase` with a reason. */
export type QueryCall =
  { kind: "fulfil"; fulfilment: QueryFulfilment } | { kind: "reject"; reason: string };

/** What came of a send. */
export type SendOutcome =
  /** Mined successfully. */
  | { sent: true; hash: Hex }
  /** The simulation reverted: nothing was sent. */
  | { sent: false; revert: DatabankError };

/** Parameters of {@link createQueryTransactions}. */
export interface QueryTransactionsParams {
  /** Databank client with the custodian's wallet. */
  databank: CustodianDatabankClient;
  /** Where the reserved nonce and the hash are recorded. */
  store: QueryStore;
  /** Gas ceiling (DATABANK_DELIVERY_GAS_LIMIT). */
  gasLimit: bigint;
  /** Test hook awaited once the transaction is sent and its hash stored. */
  onSent?: (row: QueryRow, hash: Hex) => Promise<void>;
}

/** Sends a purchase's transaction. */
export interface QueryTransactions {
  /**
   * Simulates, checks the gas, reserves the nonce, sends and waits for the receipt. Call under the
   * node's transaction queue.
   *
   * @throws the simulation's error when it is not a Databank revert; Error when mined reverted.
   */
  send(row: QueryRow, call: QueryCall): Promise<SendOutcome>;
}

/** The `Purchase` struct of a stored query purchase. */
export function purchaseOf(row: QueryRow): Purchase {
  return {
    id: row.purchaseId,
    poolId: row.poolId,
    buyer: row.buyer,
    amount: row.amount,
    deadline: row.deadline,
    erasureMark: row.statisticsMark,
    epsilon: row.epsilon,
  };
}

/** Creates the transaction sender of one query worker. */
export function createQueryTransactions(params: QueryTransactionsParams): QueryTransactions {
  const { databank, store, gasLimit } = params;
  const publicClient = databank.publicClient as PublicClient;
  const walletClient = databank.walletClient;

  async function send(row: QueryRow, call: QueryCall): Promise<SendOutcome> {
    const purchase = purchaseOf(row);
    // Encoded once, so the simulation, the estimate and the transaction send the very same bytes.
    const data =
      call.kind === "fulfil"
        ? encodeFunctionData({
            abi: databankAbi,
            functionName: "fulfillQuery",
            args: [
              purchase,
              call.fulfilment.answerCid,
              call.fulfilment.recordsRoot,
              call.fulfilment.recordCount,
              call.fulfilment.statisticsSeen,
              call.fulfilment.epsilonSpent,
            ],
          })
        : encodeFunctionData({
            abi: databankAbi,
            functionName: "rejectPurchase",
            args: [purchase, call.reason],
          });
    const request = { account: walletClient.account, to: databank.address, data } as const;
    try {
      await publicClient.call(request);
    } catch (error) {
      const revert = decodeDatabankError(error);
      if (revert !== undefined) return { sent: false, revert };
      throw error;
    }
    const what =
      call.kind === "fulfil"
        ? `answering query purchase ${row.purchaseId}`
        : `rejecting purchase ${row.purchaseId}`;
    const gas = await gasWithinCeiling({
      limit: gasLimit,
      estimate: () => publicClient.estimateGas(request),
      simulateAtLimit: () => publicClient.call({ ...request, gas: gasLimit }),
      message: tooCostly(what),
    });

    // Reserve the nonce before sending: if we die before recording the hash, the resend reuses
    // it, so at most one of the two transactions can ever be mined.
    const account = walletClient.account.address;
    const mined = await publicClient.getTransactionCount({ address: account, blockTag: "latest" });
    const nonce =
      row.txNonce !== undefined && row.txNonce >= mined
        ? row.txNonce
        : await publicClient.getTransactionCount({ address: account, blockTag: "pending" });
    store.update(row.purchaseId, { txNonce: nonce });

    const hash = await walletClient.sendTransaction({
      ...request,
      chain: walletClient.chain ?? null,
      nonce,
      gas,
    });
    store.update(row.purchaseId, { txHash: hash });
    await params.onSent?.(row, hash);
    const receipt = await publicClient.waitForTransactionReceipt({ hash });
    if (receipt.status !== "success") {
      store.update(row.purchaseId, { txHash: null, txNonce: null });
      throw new Error(`transaction ${hash} for purchase ${row.purchaseId} reverted`);
    }
    return { sent: true, hash };
  }

  return { send };
}
