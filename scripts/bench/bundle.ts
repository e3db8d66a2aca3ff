/**
 * The dApp's bundle: builds it with Vite (the same config as `npm run dapp:build`) and reports the
 * gzipped size of the first page and of the chunks loaded lazily, as printed by the build's size
 * plugin (frontend/vite.config.ts), which also fails the build above the 250 kB budget.
 */
import { spawnSync } from "node:child_process";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import type { BenchRow } from "./types.js";

const require = createRequire(import.meta.url);
const SIZE_LINE = /dApp first page: ([\d.]+) kB gzipped .*lazily loaded chunks: ([\d.]+) kB gzipped/;

/** Builds the dApp and returns its gzipped sizes. */
export function benchBundle(): BenchRow[] {
  const vite = join(dirname(require.resolve("vite/package.json")), "bin", "vite.js");
  const started = Date.now();
  const build = spawnSync(process.execPath, [vite, "build", "--config", "frontend/vite.config.ts"], {
    encoding: "utf8",
  });
  const seconds = (Date.now() - started) / 1000;
  const match = SIZE_LINE.exec(build.stdout);
  if (build.status !== 0 || match === null) {
    throw new Error(`the dApp build failed or printed no size line:\n${build.stdout}\n${build.stderr}`);
  }
  return [
    { suite: "bundle", operation: "first page (entry + landing page + CSS), gzipped", value: Number(match[1]), unit: "kB" },
    { suite: "bundle", operation: "lazily loaded chunks (crypto, audit, chart…), gzipped", value: Number(match[2]), unit: "kB" },
    { suite: "bundle", operation: "vite build time", value: Number(seconds.toFixed(1)), unit: "s" },
  ];
}
