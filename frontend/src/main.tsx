/**
 * Start-up: read ./config.json (the deployment), build the wagmi config for it, render the app.
 * A broken or missing config is shown as a readable message, not a blank page.
 */
import { QueryClient, QueryClientProvider } from "@tanstack/react-query";
import { StrictMode } from "react";
import { createRoot } from "react-dom/client";
import { WagmiProvider } from "wagmi";
import { App } from "./App";
import { parseRuntimeConfig } from "./logic/runtimeConfig";
import { RuntimeProvider } from "./runtime";
import "./styles.css";
import { createWagmiConfig } from "./wagmi";

const root = createRoot(document.getElementById("root")!);

async function start(): Promise<void> {
  const response = await fetch("./config.json", { cache: "no-store" });
  if (!response.ok) throw new Error(`config.json could not be loaded (HTTP ${response.status})`);
  const runtime = parseRuntimeConfig(await response.json());
  const { config, devWallet } = await createWagmiConfig(runtime);
  const queryClient = new QueryClient({
    defaultOptions: { queries: { staleTime: 2_000, retry: 1, refetchOnWindowFocus: false } },
  });
  root.render(
    <StrictMode>
      <WagmiProvider config={config}>
        <QueryClientProvider client={queryClient}>
          <RuntimeProvider runtime={runtime} devWallet={devWallet}>
            <App />
          </RuntimeProvider>
        </QueryClientProvider>
      </WagmiProvider>
    </StrictMode>,
  );
}

start().catch((error: unknown) => {
  root.render(
    <main className="boot-error" role="alert">
      <h1>Databank could not start</h1>
      <p>{error instanceof Error ? error.message : String(error)}</p>
    </main>,
  );
});
