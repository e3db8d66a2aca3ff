/** The production build of the dApp, as `npm run dapp:build` makes it, for browser tests. */
import { build } from "vite";

/** Builds frontend/ into frontend/dist with production React, whatever mocha's NODE_ENV. */
export async function buildDappForTests(): Promise<void> {
  const previous = process.env.NODE_ENV;
  process.env.NODE_ENV = "production";
  try {
    await build({ configFile: "frontend/vite.config.ts", logLevel: "warn", mode: "production" });
  } finally {
    if (previous === undefined) delete process.env.NODE_ENV;
    else process.env.NODE_ENV = previous;
  }
}
