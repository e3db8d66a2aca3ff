/**
 * DATABANK_CHAIN_PORT and DATABANK_NODE_PORT: `npm start` listens there, and every client (the
 * config loader, hence the CLIs; lib/audit's options) derives its default URLs from them, so that
 * nothing silently talks to 8545 when the stack runs elsewhere.
 */
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { expect } from "chai";
import { parseAuditArgs, UsageError } from "../../../../lib/audit/index.js";
import {
  chainPort,
  ConfigError,
  defaultNodeUrl,
  defaultRpcUrl,
  loadConfig,
  nodePort,
} from "../../../../lib/config/index.js";

function configError(run: () => unknown): ConfigError {
  try {
    run();
  } catch (error) {
    expect(error).to.be.instanceOf(ConfigError);
    return error as ConfigError;
  }
  throw new Error("expected a ConfigError");
}

describe("lib/config: local ports and the URLs derived from them", () => {
  const cwd = mkdtempSync(join(tmpdir(), "databank-ports-"));

  it("derives the JSON-RPC URL from DATABANK_CHAIN_PORT (8545 when unset or blank)", () => {
    expect(loadConfig({ env: {}, cwd }).rpcUrl).to.equal("http://127.0.0.1:8545");
    expect(loadConfig({ env: { DATABANK_CHAIN_PORT: " " }, cwd }).rpcUrl).to.equal(
      "http://127.0.0.1:8545",
    );
    expect(loadConfig({ env: { DATABANK_CHAIN_PORT: "9545" }, cwd }).rpcUrl).to.equal(
      "http://127.0.0.1:9545",
    );
    expect(defaultRpcUrl({ DATABANK_CHAIN_PORT: "9545" })).to.equal("http://127.0.0.1:9545");
    expect(chainPort({})).to.equal(8545);
  });

  it("derives the node URL from DATABANK_NODE_PORT (8787 when unset), on 127.0.0.1 for a wildcard host", () => {
    expect(loadConfig({ env: { DATABANK_NODE_PORT: "9787" }, cwd }).nodeUrl).to.equal(
      "http://127.0.0.1:9787",
    );
    expect(defaultNodeUrl({})).to.equal("http://127.0.0.1:8787");
    expect(defaultNodeUrl({ DATABANK_NODE_HOST: "0.0.0.0", DATABANK_NODE_PORT: "9787" })).to.equal(
      "http://127.0.0.1:9787",
    );
    expect(defaultNodeUrl({ DATABANK_NODE_HOST: "::1" })).to.equal("http://[::1]:8787");
    expect(nodePort({ DATABANK_NODE_PORT: "0" })).to.equal(0); // the node's listener: any port
  });

  it("reads the ports from the DATABANK_CONFIG file too, the environment winning", () => {
    const file = join(cwd, "ports.json");
    writeFileSync(file, JSON.stringify({ chainPort: 7545, nodePort: 7787 }));
    const fromFile = loadConfig({ env: { DATABANK_CONFIG: file }, cwd });
    expect(fromFile.rpcUrl).to.equal("http://127.0.0.1:7545");
    expect(fromFile.nodeUrl).to.equal("http://127.0.0.1:7787");
    const overridden = loadConfig({
      env: { DATABANK_CONFIG: file, DATABANK_CHAIN_PORT: "6545" },
      cwd,
    });
    expect(overridden.rpcUrl).to.equal("http://127.0.0.1:6545");
  });

  it("lets an explicit DATABANK_RPC_URL / DATABANK_NODE_URL win over the ports", () => {
    const config = loadConfig({
      env: {
        DATABANK_CHAIN_PORT: "9545",
        DATABANK_NODE_PORT: "9787",
        DATABANK_RPC_URL: "http://chain.example:1234",
        DATABANK_NODE_URL: "http://node.example:5678",
      },
      cwd,
    });
    expect(config.rpcUrl).to.equal("http://chain.example:1234");
    expect(config.nodeUrl).to.equal("http://node.example:5678");
    expect(config.node.port).to.equal(9787); // still where the node itself listens
  });

  it("rejects a bad port with one line naming the variable", () => {
    for (const value of ["http", "8545x", "-1", "65536", "1.5", "0x1f"]) {
      const error = configError(() => loadConfig({ env: { DATABANK_CHAIN_PORT: value }, cwd }));
      expect(error.variable).to.equal("DATABANK_CHAIN_PORT");
      expect(error.message).to.equal(
        `DATABANK_CHAIN_PORT: must be an integer from 1 to 65535 (a TCP port), got "${value}"`,
      );
    }
    expect(configError(() => chainPort({ DATABANK_CHAIN_PORT: "0" })).variable).to.equal(
      "DATABANK_CHAIN_PORT",
    );
    const node = configError(() => loadConfig({ env: { DATABANK_NODE_PORT: "87 87" }, cwd }));
    expect(node.message).to.equal(
      'DATABANK_NODE_PORT: must be an integer from 0 to 65535 (a TCP port), got "87 87"',
    );
    expect(node.message).to.not.include("\n");
  });

  it("gives lib/audit's options the same defaults (an explicit URL still wins)", () => {
    const env = { DATABANK_CHAIN_PORT: "9545", DATABANK_NODE_PORT: "9787" };
    const options = parseAuditArgs([], env);
    expect(options.rpcUrl).to.equal("http://127.0.0.1:9545");
    expect(options.nodeUrl).to.equal("http://127.0.0.1:9787");
    expect(parseAuditArgs([], {}).rpcUrl).to.equal("http://127.0.0.1:8545");
    expect(parseAuditArgs(["--rpc-url", "http://h:1"], env).rpcUrl).to.equal("http://h:1");
    expect(parseAuditArgs([], { ...env, DATABANK_NODE_URL: "http://n:2" }).nodeUrl).to.equal(
      "http://n:2",
    );
    expect(() => parseAuditArgs([], { DATABANK_CHAIN_PORT: "x" })).to.throw(
      UsageError,
      /^DATABANK_CHAIN_PORT: must be an integer/,
    );
  });
});
