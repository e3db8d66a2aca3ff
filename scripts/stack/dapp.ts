/** Serving the built dApp beside the local stack (filled in when frontend/ lands). */

/** What the dApp reads from /config.json at startup. */
export interface DappRuntimeConfig {
  chainId: number;
  rpcUrl: string;
  databank: string;
  stablecoin?: string;
  nodeUrl: string;
  explorerUrl?: string;
  walletConnectProjectId?: string;
  devAccounts: boolean;
}

/** Serves the dApp, or resolves to undefined when it has not been built. */
export async function startLocalDapp(_options: {
  host: string;
  port: number;
  runtimeConfig: DappRuntimeConfig;
}): Promise<{ url: string; stop(): Promise<void> } | undefined> {
  return undefined;
}
