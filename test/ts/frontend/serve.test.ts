/** startDappServer: the built app, its runtime config.json, SPA fallback, nothing outside dist. */
import { expect } from "chai";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "mocha";
import { startDappServer, type DappServer } from "../../../frontend/serve.js";

describe("startDappServer", () => {
  let distDir: string;
  let server: DappServer;
  const runtimeConfig = {
    chainId: 31337,
    rpcUrl: "http://127.0.0.1:8545",
    databank: "0xe7f1725E7734CE288F8367e1Bb143E90bb3F0512",
    nodeUrl: "http://127.0.0.1:8787",
    devAccounts: true,
  };

  before(async () => {
    distDir = await mkdtemp(join(tmpdir(), "dapp-dist-"));
    await mkdir(join(distDir, "assets"));
    await writeFile(join(distDir, "index.html"), "<!doctype html><title>Databank</title>");
    await writeFile(join(distDir, "assets", "app.js"), "console.log(1)");
    server = await startDappServer({ host: "127.0.0.1", port: 0, runtimeConfig, distDir });
  });

  after(async () => {
    await server?.stop();
    await rm(distDir, { recursive: true, force: true });
  });

  it("serves the runtime config, uncached", async () => {
    const response = await fetch(new URL("config.json", server.url));
    expect(response.headers.get("cache-control")).to.equal("no-store");
    expect(await response.json()).to.deep.equal(runtimeConfig);
  });

  it("serves assets with their type and index.html for app routes", async () => {
    const asset = await fetch(new URL("assets/app.js", server.url));
    expect(asset.headers.get("content-type")).to.match(/^text\/javascript/);
    expect(asset.headers.get("cache-control")).to.contain("immutable");
    const route = await fetch(new URL("buyer", server.url));
    expect(await route.text()).to.contain("<title>Databank</title>");
  });

  it("answers 404 for missing files and paths outside dist", async () => {
    expect((await fetch(new URL("assets/missing.js", server.url))).status).to.equal(404);
    const escape = await fetch(`${server.url}..%2f..%2fetc%2fpasswd`);
    expect(escape.status).to.be.oneOf([404]);
  });

  it("refuses to start without a build", async () => {
    const empty = await mkdtemp(join(tmpdir(), "dapp-empty-"));
    try {
      await startDappServer({ host: "127.0.0.1", port: 0, runtimeConfig, distDir: empty });
      expect.fail("expected an error");
    } catch (error) {
      expect((error as Error).message).to.contain("npm run dapp:build");
    } finally {
      await rm(empty, { recursive: true, force: true });
    }
  });
});
