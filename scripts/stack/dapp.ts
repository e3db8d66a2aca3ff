/** Serving the built dApp beside the local stack (frontend/serve.ts). */
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { startDappServer, type DappRuntimeConfig } from "../../frontend/serve.js";

export type { DappRuntimeConfig };

/** Serves the dApp, or resolves to undefined when it has not been built (`npm run dapp:build`). */
export async function startLocalDapp(options: {
  host: string;
  port: number;
  runtimeConfig: DappRuntimeConfig;
}): Promise<{ url: string; stop(): Promise<void> } | undefined> {
  const built = fileURLToPath(new URL("../../frontend/dist/index.html", import.meta.url));
  if (!existsSync(built)) return undefined;
  return startDappServer(options);
}
