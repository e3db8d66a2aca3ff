/**
 * Vite build of the dApp. The app's root is frontend/, it imports the shared library from ../lib
 * (ABIs, error sentences, crypto), and it reads its deployment from ./config.json at run time, so
 * one build serves any chain (see frontend/serve.ts).
 */
import { existsSync, readFileSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { gzipSync } from "node:zlib";
import react from "@vitejs/plugin-react";
import { defineConfig, type Plugin } from "vite";
import { defaultNodeUrl, defaultRpcUrl } from "../lib/config/local.js";

const frontendDir = dirname(fileURLToPath(import.meta.url));
const repoRoot = resolve(frontendDir, "..");

/**
 * The first page may not exceed this many gzipped bytes: the entry chunk, the landing page's chunk,
 * their static imports and the CSS.
 */
const FIRST_PAGE_BUDGET_BYTES = 250 * 1024;

/** The page shown at "/" (the contributor's "My data bank"). */
const LANDING_PAGE_MODULE = "/src/pages/ContributorPage.tsx";

/**
 * Prints the gzipped size of what the browser loads before the first page renders, and fails
 * the build over budget: heavy code (crypto, charts) must stay behind dynamic imports.
 */
function firstPageSizeReport(): Plugin {
  return {
    name: "databank-first-page-size",
    apply: "build",
    generateBundle(_options, bundle) {
      const chunks = Object.values(bundle).filter((item) => item.type === "chunk");
      const entry = chunks.find((chunk) => chunk.isEntry);
      if (!entry) return;
      const firstPage = new Set<string>();
      const visit = (fileName: string) => {
        if (firstPage.has(fileName)) return;
        firstPage.add(fileName);
        const chunk = chunks.find((candidate) => candidate.fileName === fileName);
        chunk?.imports.forEach(visit);
      };
      visit(entry.fileName);
      // The landing route (#/contributor) renders right after start-up: count its page too.
      const landing = chunks.find((chunk) => chunk.facadeModuleId?.endsWith(LANDING_PAGE_MODULE));
      if (landing) visit(landing.fileName);
      for (const item of Object.values(bundle)) {
        if (item.type === "asset" && item.fileName.endsWith(".css")) firstPage.add(item.fileName);
      }
      let gzippedBytes = 0;
      let lazyGzippedBytes = 0;
      for (const item of Object.values(bundle)) {
        const source = item.type === "chunk" ? item.code : item.source;
        const size = gzipSync(typeof source === "string" ? source : Buffer.from(source)).length;
        if (firstPage.has(item.fileName)) gzippedBytes += size;
        else if (item.type === "chunk") lazyGzippedBytes += size;
      }
      const kB = (bytes: number) => (bytes / 1024).toFixed(1);
      console.log(
        `\ndApp first page: ${kB(gzippedBytes)} kB gzipped (budget ${kB(FIRST_PAGE_BUDGET_BYTES)} kB); ` +
          `lazily loaded chunks: ${kB(lazyGzippedBytes)} kB gzipped`,
      );
      if (gzippedBytes > FIRST_PAGE_BUDGET_BYTES || process.env.DAPP_SIZE_REPORT) {
        // Name the heaviest modules of the first page: what to move behind a dynamic import.
        const modules = chunks
          .filter((chunk) => firstPage.has(chunk.fileName))
          .flatMap((chunk) => Object.entries(chunk.modules))
          .sort(([, a], [, b]) => b.renderedLength - a.renderedLength)
          .slice(0, 25);
        for (const [id, info] of modules) {
          console.log(`  ${kB(info.renderedLength).padStart(8)} kB  ${id.replace(repoRoot, ".")}`);
        }
      }
      if (gzippedBytes > FIRST_PAGE_BUDGET_BYTES) {
        this.error(`the first page is ${kB(gzippedBytes)} kB gzipped, over the budget`);
      }
    },
  };
}

/**
 * `npm run dapp:dev` serves /config.json for the local chain of `npm start`: frontend/config.json
 * when present, else chain 31337 at 127.0.0.1:$DATABANK_CHAIN_PORT (8545) with the Ignition-deployed
 * Databank and the node at 127.0.0.1:$DATABANK_NODE_PORT (8787), as every CLI derives them.
 */
function devRuntimeConfig(): Plugin {
  return {
    name: "databank-dev-runtime-config",
    apply: "serve",
    configureServer(server) {
      server.middlewares.use("/config.json", (_request, response) => {
        const custom = resolve(frontendDir, "config.json");
        const deployed = resolve(
          repoRoot,
          "ignition/deployments/chain-31337/deployed_addresses.json",
        );
        const body = existsSync(custom)
          ? readFileSync(custom, "utf8")
          : JSON.stringify({
              chainId: 31337,
              rpcUrl: defaultRpcUrl(process.env),
              databank: existsSync(deployed)
                ? (JSON.parse(readFileSync(deployed, "utf8")) as Record<string, string>)[
                    "Databank#Databank"
                  ]
                : "0x0000000000000000000000000000000000000000",
              nodeUrl: defaultNodeUrl(process.env),
              devAccounts: true,
            });
        response.setHeader("content-type", "application/json");
        response.end(body);
      });
    },
  };
}

export default defineConfig({
  root: frontendDir,
  base: "./",
  plugins: [react(), devRuntimeConfig(), firstPageSizeReport()],
  server: { host: "127.0.0.1", fs: { allow: [repoRoot] } },
  // Scan only the app's entry for dependencies (not a previous build in frontend/dist).
  optimizeDeps: { entries: ["index.html"] },
  build: {
    outDir: resolve(frontendDir, "dist"),
    emptyOutDir: true,
    target: "es2022",
    chunkSizeWarningLimit: 1024,
    rollupOptions: {
      // WalletConnect's provider is an optional peer of wagmi that this repository does not ship:
      // leave the import to run time, where the connector reports it as unavailable.
      external: ["@walletconnect/ethereum-provider"],
    },
  },
});
