/**
 * The dApp's one wagmi config, built from the runtime config: the deployment's chain, and the
 * connectors available there — an injected wallet (MetaMask), WalletConnect when a project id is
 * configured, and on a local chain the node's unlocked accounts through wagmi's mock connector.
 */
import { createConfig, http, injected, mock, type Config, type CreateConnectorFn } from "wagmi";
import { defineChain, getAddress, type Address, type Chain } from "viem";
import { hardhat } from "viem/chains";
import type { RuntimeConfig } from "./logic/runtimeConfig";
import { readDevWalletMemory, withPreferredFirst } from "./logic/devWallet";

/**
 * The chain of the deployment: viem's `hardhat` for 31337, else viem's chain of that id (loaded
 * lazily: the full list of chains is large), else a minimal chain; always with the configured RPC.
 */
export async function chainOf(config: RuntimeConfig): Promise<Chain> {
  const rpcUrls = { default: { http: [config.rpcUrl] } };
  if (config.chainId === hardhat.id) return { ...hardhat, rpcUrls };
  const { knownChain } = await import("./knownChains");
  const known = knownChain(config.chainId);
  if (known) return { ...known, rpcUrls };
  return defineChain({
    id: config.chainId,
    name: `Chain ${config.chainId}`,
    nativeCurrency: { name: "Ether", symbol: "ETH", decimals: 18 },
    rpcUrls,
  });
}

/**
 * The node's unlocked accounts (eth_accounts): a Hardhat node signs for them, so the dev wallet
 * needs no extension. Empty when the RPC lists none (a public RPC).
 */
export async function fetchDevAccounts(rpcUrl: string): Promise<Address[]> {
  const response = await fetch(rpcUrl, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ jsonrpc: "2.0", id: 1, method: "eth_accounts", params: [] }),
  });
  const body = (await response.json()) as { result?: Address[] };
  return (body.result ?? []).map((account) => getAddress(account));
}

/** The dev wallet's accounts; the selected account is kept first (what wagmi treats as current). */
export interface DevWallet {
  /** The node's order (account #0 first), for labels. */
  all: readonly Address[];
  /** Mutable: the mock connector's accounts, current first. */
  accounts: Address[];
}

/** What {@link createWagmiConfig} builds. */
export interface DatabankWagmi {
  config: Config;
  chain: Chain;
  /** Present in local mode. */
  devWallet?: DevWallet;
}

/**
 * The WalletConnect connector, only when its provider package can be loaded: wagmi imports it at
 * connect time, and this repository does not ship it (the build leaves it external), so a build
 * without it offers no WalletConnect button rather than one that fails.
 */
async function walletConnectConnector(projectId: string): Promise<CreateConnectorFn | undefined> {
  try {
    const providerPackage = "@walletconnect/ethereum-provider";
    await import(/* @vite-ignore */ providerPackage);
    const { walletConnect } = await import("wagmi/connectors/walletConnect");
    return walletConnect({ projectId, showQrModal: true });
  } catch {
    return undefined;
  }
}

/** True when the browser has an injected wallet (MetaMask or another EIP-1193 extension). */
function hasInjectedWallet(): boolean {
  return typeof window !== "undefined" && (window as { ethereum?: unknown }).ethereum != null;
}

/** localStorage, or undefined where it is unavailable (some private modes throw on access). */
export function browserStorage(): Storage | undefined {
  try {
    return window.localStorage;
  } catch {
    return undefined;
  }
}

/** Builds the wagmi config of a deployment. */
export async function createWagmiConfig(runtime: RuntimeConfig): Promise<DatabankWagmi> {
  const chain = await chainOf(runtime);
  // No button for a browser wallet the browser does not have: it could only fail.
  const connectors: CreateConnectorFn[] = hasInjectedWallet()
    ? [injected({ shimDisconnect: true })]
    : [];
  if (runtime.walletConnectProjectId) {
    const connector = await walletConnectConnector(runtime.walletConnectProjectId);
    if (connector) connectors.push(connector);
  }
  let devWallet: DevWallet | undefined;
  if (runtime.devAccounts) {
    const all = await fetchDevAccounts(runtime.rpcUrl).catch(() => []);
    if (all.length > 0) {
      // The account chosen on the last visit comes first (the current one), and a wallet that
      // was connected then reconnects on its own.
      const memory = readDevWalletMemory(browserStorage());
      const accounts = withPreferredFirst(all, memory.account);
      // The mock connector answers eth_accounts with this very array and forwards signing and
      // sending to the node, which holds the keys: reordering it switches the current account.
      devWallet = { all, accounts };
      connectors.push(
        mock({
          accounts: accounts as [Address, ...Address[]],
          features: { reconnect: true, defaultConnected: memory.connected },
        }),
      );
    }
  }
  const config = createConfig({
    chains: [chain],
    connectors,
    transports: { [chain.id]: http(runtime.rpcUrl) },
    pollingInterval: runtime.devAccounts ? 1_000 : 4_000,
  });
  return { config, chain, devWallet };
}
