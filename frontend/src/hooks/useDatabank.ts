/** The Databank contract client of the connected wallet (read-only before connecting). */
import { useMemo } from "react";
import { useConnection, usePublicClient, useWalletClient } from "wagmi";
import type { Address, PublicClient, WalletClient } from "viem";
import { createDatabankClient } from "../../../lib/contracts/client.js";
import { useRuntime } from "../runtime";

export interface DatabankHandle {
  address: Address;
  publicClient: PublicClient;
  /** The connected wallet, on the right chain; undefined otherwise. */
  walletClient: WalletClient | undefined;
  /** The connected account (even on a wrong chain). */
  account: Address | undefined;
  /** Reads and (with a wallet) simulates as the wallet's account. */
  client: ReturnType<typeof createDatabankClient>;
  /** First block to read events from. */
  fromBlock: bigint;
}

export function useDatabank(): DatabankHandle {
  const { runtime } = useRuntime();
  // Reads always go to the deployment's chain, whatever chain the wallet is on.
  const publicClient = usePublicClient({ chainId: runtime.chainId }) as PublicClient;
  const { data: walletClient } = useWalletClient({ chainId: runtime.chainId });
  const { address: account } = useConnection();
  return useMemo(
    () => ({
      address: runtime.databank,
      publicClient,
      walletClient: walletClient as WalletClient | undefined,
      account,
      client: createDatabankClient({ publicClient, address: runtime.databank }),
      fromBlock: BigInt(runtime.startBlock ?? 0),
    }),
    [runtime, publicClient, walletClient, account],
  );
}
