/**
 * Runs a user action that sends transactions and tracks it for the UI: waiting for the wallet,
 * pending (with the hash), confirmed, or failed with a plain sentence (decoded custom error).
 * Every write is simulated first, so a revert is explained before anything is signed.
 *
 * A state belongs to the route it was started on: a component that stays mounted while the route
 * changes (the buyer's panel when #/buyer?pool=1 becomes ?pool=2) shows nothing of it elsewhere,
 * and shows it again on return.
 */
import { useQueryClient } from "@tanstack/react-query";
import { useCallback, useState } from "react";
import type {
  Abi,
  Address,
  ContractFunctionArgs,
  ContractFunctionName,
  Hex,
  PublicClient,
  TransactionReceipt,
  WalletClient,
} from "viem";
import { databankAbi, type DatabankAbi } from "../../../lib/contracts/client.js";
import { describeError, type ErrorWording } from "../logic/errors";
import { useDatabank } from "./useDatabank";

export type TransactionState =
  | { phase: "idle" }
  | { phase: "working"; label: string; detail: string }
  | { phase: "wallet"; label: string; detail: string }
  | { phase: "pending"; label: string; hash: Hex }
  | {
      phase: "confirmed";
      label: string;
      hash?: Hex;
      detail?: string;
      /** What each transaction did, when the action reported it (e.g. "Withdrew 0.5 ETH"). */
      steps?: TransactionStep[];
    }
  | { phase: "failed"; label: string; message: string; hash?: Hex };

type WriteFunction = ContractFunctionName<DatabankAbi, "nonpayable" | "payable">;

/** One transaction of an action and what it did, in plain words. */
export interface TransactionStep {
  hash: Hex;
  /** E.g. "Withdrew 0.5 ETH". */
  note: string;
}

/** What an action can do while it runs. */
export interface TransactionContext {
  account: Address;
  walletClient: WalletClient;
  publicClient: PublicClient;
  /** Shows progress of a step that is not a transaction (encrypting, uploading…). */
  progress(detail: string): void;
  /** Simulates, asks the wallet to send, and waits for the receipt of a Databank call. */
  writeDatabank<F extends WriteFunction>(
    functionName: F,
    args: ContractFunctionArgs<DatabankAbi, "nonpayable" | "payable", F>,
    value?: bigint,
  ): Promise<TransactionReceipt>;
  /**
   * Adds a line to the confirmation for the transaction just sent, e.g. "Withdrew 0.5 ETH", so an
   * action of several transactions reports each one.
   */
  reportStep(note: string): void;
  /** The same for another contract (e.g. an ERC-20 approve). */
  writeContract(call: {
    address: Address;
    abi: Abi;
    functionName: string;
    args: readonly unknown[];
  }): Promise<TransactionReceipt>;
}

export interface TransactionHandle {
  state: TransactionState;
  /**
   * Runs `action`; resolves to its result, or undefined when it failed (the state says why).
   *
   * @param wording - how a revert words amounts: the operation's token (errors.ts wordingFor)
   */
  run<T>(
    label: string,
    action: (context: TransactionContext) => Promise<T>,
    wording?: ErrorWording,
  ): Promise<T | undefined>;
  reset(): void;
  busy: boolean;
}

const IDLE: TransactionState = { phase: "idle" };

/** The route (location hash, with its parameters) a transaction state belongs to. */
function currentRoute(): string {
  return window.location.hash;
}

export function useTransaction(): TransactionHandle {
  const { address, publicClient, walletClient, account } = useDatabank();
  const queryClient = useQueryClient();
  const [tracked, setTracked] = useState<{ route: string; state: TransactionState }>({
    route: "",
    state: IDLE,
  });
  const state = tracked.route === currentRoute() ? tracked.state : IDLE;

  const run = useCallback(
    async <T>(
      label: string,
      action: (context: TransactionContext) => Promise<T>,
      wording?: ErrorWording,
    ) => {
      const route = currentRoute();
      const setState = (next: TransactionState) => setTracked({ route, state: next });
      let lastHash: Hex | undefined;
      const steps: TransactionStep[] = [];
      try {
        if (!walletClient || !account)
          throw new Error("Connect a wallet on the right network first.");
        const send = async (request: Parameters<WalletClient["writeContract"]>[0]) => {
          setState({ phase: "wallet", label, detail: "Confirm the transaction in your wallet…" });
          const hash = await walletClient.writeContract(request);
          lastHash = hash;
          setState({ phase: "pending", label, hash });
          const receipt = await publicClient.waitForTransactionReceipt({ hash });
          if (receipt.status !== "success") throw new Error("The transaction was reverted.");
          return receipt;
        };
        const context: TransactionContext = {
          account,
          walletClient,
          publicClient,
          progress: (detail) => setState({ phase: "working", label, detail }),
          reportStep(note) {
            if (lastHash) steps.push({ hash: lastHash, note });
          },
          async writeDatabank(functionName, args, value) {
            setState({ phase: "working", label, detail: "Checking the transaction…" });
            const { request } = await publicClient.simulateContract({
              abi: databankAbi,
              address,
              functionName,
              args,
              account,
              ...(value !== undefined ? { value } : {}),
            } as never);
            return send(request as never);
          },
          async writeContract(call) {
            setState({ phase: "working", label, detail: "Checking the transaction…" });
            const { request } = await publicClient.simulateContract({ ...call, account } as never);
            return send(request as never);
          },
        };
        const result = await action(context);
        setState({
          phase: "confirmed",
          label,
          hash: lastHash,
          ...(steps.length > 0 ? { steps } : {}),
        });
        await queryClient.invalidateQueries();
        return result;
      } catch (error) {
        setState({
          phase: "failed",
          label,
          message: describeError(error, wording),
          hash: lastHash,
        });
        return undefined;
      }
    },
    [address, publicClient, walletClient, account, queryClient],
  );

  const reset = useCallback(() => setTracked({ route: "", state: IDLE }), []);
  return {
    state,
    run,
    reset,
    busy: state.phase === "working" || state.phase === "wallet" || state.phase === "pending",
  };
}
