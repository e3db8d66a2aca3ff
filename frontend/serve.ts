/**
 * Serves the built dApp (frontend/dist, from `npm run dapp:build`) and its runtime /config.json
 * over node:http, so `npm start` and the end-to-end tests run one build against any deployment.
 * Only static files: unknown paths without an extension fall back to index.html.
 */
import { createReadStream } from "node:fs";
import { stat } from "node:fs/promises";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { extname, join, normalize, resolve, sep } from "node:path";
import { fileURLToPath } from "node:url";

/** The dApp's runtime configuration, as `frontend/src/logic/runtimeConfig.ts` reads it. */
export interface DappRuntimeConfig {
  chainId: number;
  rpcUrl: string;
  databank: string;
  stablecoin?: string;
  nodeUrl: string;
  explorerUrl?: string;
  walletConnectProjectId?: string;
  devAccounts: boolean;
  startBlock?: number;
}

/** Options of {@link startDappServer}. */
export interface StartDappServerOptions {
  /** Interface to listen on, e.g. "127.0.0.1". */
  host: string;
  /** Port to listen on; 0 picks a free one. */
  port: number;
  /** Served as /config.json. */
  runtimeConfig: DappRuntimeConfig;
  /** The built app; defaults to frontend/dist. */
  distDir?: string;
}

/** A running dApp server. */
export interface DappServer {
  /** Base URL, e.g. http://127.0.0.1:5173/ */
  url: string;
  /** Stops listening and closes open connections. */
  stop(): Promise<void>;
}

const DEFAULT_DIST_DIR = fileURLToPath(new URL("./dist", import.meta.url));

const CONTENT_TYPES: Record<string, string> = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".json": "application/json; charset=utf-8",
  ".svg": "image/svg+xml",
  ".png": "image/png",
  ".ico": "image/x-icon",
  ".wasm": "application/wasm",
  ".map": "application/json; charset=utf-8",
};

async function isFile(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isFile();
  } catch {
    return false;
  }
}

/**
 * Starts the dApp server.
 *
 * @throws Error when the app has not been built (run `npm run dapp:build`).
 */
export async function startDappServer(options: StartDappServerOptions): Promise<DappServer> {
  const distDir = resolve(options.distDir ?? DEFAULT_DIST_DIR);
  const indexHtml = join(distDir, "index.html");
  if (!(await isFile(indexHtml))) {
    throw new Error(`the dApp is not built (no ${indexHtml}): run \`npm run dapp:build\``);
  }
  const configBody = JSON.stringify(options.runtimeConfig);

  async function handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    if (request.method !== "GET" && request.method !== "HEAD") {
      response.writeHead(405, { allow: "GET, HEAD" }).end();
      return;
    }
    const pathname = decodeURIComponent(new URL(request.url ?? "/", "http://x").pathname);
    if (pathname === "/config.json") {
      response.writeHead(200, {
        "content-type": CONTENT_TYPES[".json"],
        "cache-control": "no-store",
      });
      response.end(request.method === "HEAD" ? undefined : configBody);
      return;
    }
    // normalize() folds "..", and the prefix check keeps every request inside distDir.
    const candidate = normalize(join(distDir, pathname));
    const inside = candidate === distDir || candidate.startsWith(distDir + sep);
    let file = inside && (await isFile(candidate)) ? candidate : undefined;
    if (!file && inside && extname(pathname) === "") file = indexHtml;
    if (!file) {
      response.writeHead(404, { "content-type": "text/plain; charset=utf-8" }).end("not found");
      return;
    }
    const immutable = file.includes(`${sep}assets${sep}`);
    response.writeHead(200, {
      "content-type": CONTENT_TYPES[extname(file)] ?? "application/octet-stream",
      "cache-control": immutable ? "public, max-age=31536000, immutable" : "no-cache",
      "x-content-type-options": "nosniff",
    });
    if (request.method === "HEAD") {
      response.end();
      return;
    }
    createReadStream(file).pipe(response);
  }

  const server = createServer((request, response) => {
    handle(request, response).catch(() => {
      if (!response.headersSent) response.writeHead(500);
      response.end();
    });
  });
  await new Promise<void>((resolveListen, rejectListen) => {
    server.once("error", rejectListen);
    server.listen(options.port, options.host, () => {
      server.off("error", rejectListen);
      resolveListen();
    });
  });
  const { port } = server.address() as AddressInfo;
  const host = options.host.includes(":") ? `[${options.host}]` : options.host;
  return {
    url: `http://${host}:${port}/`,
    stop: () =>
      new Promise<void>((resolveStop, rejectStop) => {
        server.close((error) => (error ? rejectStop(error) : resolveStop()));
        server.closeAllConnections();
      }),
  };
}
