import { mkdtempSync, mkdirSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { inspect } from "node:util";
import { expect } from "chai";
import {
  ConfigError,
  CONFIG_DEFAULTS,
  loadConfig,
  resolveDatabankAddress,
} from "../../../../lib/config/index.js";

const CUSTODIAN_ENV = {
  DATABANK_CUSTODIAN_PRIVATE_KEY: `0x${"11".repeat(32)}`,
  DATABANK_CUSTODIAN_X25519_KEY: "22".repeat(32),
  DATABANK_CUSTODIAN_FINGERPRINT_KEY: `0x${"33".repeat(32)}`,
};

function configError(run: () => unknown): ConfigError {
  try {
    run();
  } catch (error) {
    expect(error).to.be.instanceOf(ConfigError);
    return error as ConfigError;
  }
  throw new Error("expected a ConfigError");
}

describe("lib/config", () => {
  const cwd = mkdtempSync(join(tmpdir(), "databank-config-"));

  it("applies the documented defaults to an empty environment", () => {
    const config = loadConfig({ env: {}, cwd });
    expect(config.rpcUrl).to.equal(CONFIG_DEFAULTS.rpcUrl);
    expect(config.dataDir).to.equal(join(cwd, ".databank"));
    expect(config.storage).to.deep.equal({
      backend: "helia",
      dataDir: join(cwd, ".databank", "ipfs"),
      listen: ["/ip4/127.0.0.1/tcp/0"],
    });
    expect(config.node.port).to.equal(8787);
    expect(config.node.host).to.equal("127.0.0.1");
    expect(config.custodian).to.equal(undefined);
    expect(config.nodeUrl).to.equal("http://127.0.0.1:8787");
    expect(config.startBlock).to.equal(0n);
    const custom = loadConfig({
      env: { DATABANK_NODE_PORT: "9999", DATABANK_START_BLOCK: "123" },
      cwd,
    });
    expect(custom.nodeUrl).to.equal("http://127.0.0.1:9999");
    expect(custom.startBlock).to.equal(123n);
  });

  it("reads the custodian keys and never prints them", () => {
    const config = loadConfig({ env: CUSTODIAN_ENV, cwd, requireCustodian: true });
    expect(config.custodian?.fingerprintKey.length).to.equal(32);
    expect(config.custodian?.x25519PublicKey.length).to.equal(32);
    const bigintAsText = (_: string, v: unknown) => (typeof v === "bigint" ? v.toString() : v);
    for (const text of [
      JSON.stringify(config, bigintAsText),
      inspect(config, { depth: 10 }),
      String(config.custodian),
    ]) {
      expect(text).to.not.include("1111");
      expect(text).to.not.include("2222");
      expect(text).to.not.include("3333");
    }
  });

  it("names the variable to fix for missing or malformed values", () => {
    expect(
      configError(() => loadConfig({ env: {}, cwd, requireCustodian: true })).variable,
    ).to.equal("DATABANK_CUSTODIAN_PRIVATE_KEY");
    expect(
      configError(() => loadConfig({ env: { DATABANK_NODE_PORT: "http" }, cwd })).message,
    ).to.match(/^DATABANK_NODE_PORT: must be an integer/);
    expect(
      configError(() => loadConfig({ env: { DATABANK_STORAGE: "kubo" }, cwd })).variable,
    ).to.equal("DATABANK_KUBO_URL");
    expect(
      configError(() =>
        loadConfig({ env: { ...CUSTODIAN_ENV, DATABANK_CUSTODIAN_FINGERPRINT_KEY: "abcd" }, cwd }),
      ).variable,
    ).to.equal("DATABANK_CUSTODIAN_FINGERPRINT_KEY");
  });

  it("reads the gas ceilings of the custodian's transactions; a bad one names its variable", () => {
    const defaults = loadConfig({ env: {}, cwd }).node;
    expect(defaults.relayGasLimit).to.equal(300_000);
    expect(defaults.acceptanceGasLimit).to.equal(150_000);
    expect(defaults.deliveryGasLimit).to.equal(200_000);
    const custom = loadConfig({
      env: {
        DATABANK_RELAY_GAS_LIMIT: "250000",
        DATABANK_ACCEPTANCE_GAS_LIMIT: "120000",
        DATABANK_DELIVERY_GAS_LIMIT: "180000",
      },
      cwd,
    }).node;
    expect(custom.relayGasLimit).to.equal(250_000);
    expect(custom.acceptanceGasLimit).to.equal(120_000);
    expect(custom.deliveryGasLimit).to.equal(180_000);
    for (const [variable, value] of [
      ["DATABANK_RELAY_GAS_LIMIT", "lots"],
      ["DATABANK_RELAY_GAS_LIMIT", "20000"],
      ["DATABANK_ACCEPTANCE_GAS_LIMIT", "-1"],
      ["DATABANK_DELIVERY_GAS_LIMIT", "1e12"],
    ] as const) {
      const error = configError(() => loadConfig({ env: { [variable]: value }, cwd }));
      expect(error.variable).to.equal(variable);
      expect(error.message).to.equal(
        `${variable}: must be an integer from 21000 to 100000000, got "${value}"`,
      );
      expect(error.message).to.not.include("\n");
    }
  });

  it("reads the garbage collection and download settings; a bad value names its variable and range", () => {
    const defaults = loadConfig({ env: {}, cwd }).node;
    expect(defaults.gcIntervalMs).to.equal(CONFIG_DEFAULTS.gcIntervalMs);
    expect(defaults.gcGraceSeconds).to.equal(CONFIG_DEFAULTS.gcGraceSeconds);
    expect(defaults.maxConcurrentDownloads).to.equal(CONFIG_DEFAULTS.maxConcurrentDownloads);
    const custom = loadConfig({
      env: {
        DATABANK_GC_INTERVAL_MS: "0",
        DATABANK_GC_GRACE_SECONDS: "3600",
        DATABANK_MAX_CONCURRENT_DOWNLOADS: "16",
      },
      cwd,
    }).node;
    expect(custom.gcIntervalMs).to.equal(0); // 0: no periodic rounds
    expect(custom.gcGraceSeconds).to.equal(3600);
    expect(custom.maxConcurrentDownloads).to.equal(16);
    for (const [variable, value, range] of [
      ["DATABANK_GC_INTERVAL_MS", "-1", "0 to 604800000"],
      ["DATABANK_GC_INTERVAL_MS", "hourly", "0 to 604800000"],
      ["DATABANK_GC_GRACE_SECONDS", "1.5", "0 to 31536000"],
      ["DATABANK_GC_GRACE_SECONDS", "31536001", "0 to 31536000"],
      ["DATABANK_MAX_CONCURRENT_DOWNLOADS", "0", "1 to 10000"],
      ["DATABANK_MAX_CONCURRENT_DOWNLOADS", "many", "1 to 10000"],
    ] as const) {
      const error = configError(() => loadConfig({ env: { [variable]: value }, cwd }));
      expect(error.variable).to.equal(variable);
      expect(error.message).to.equal(
        `${variable}: must be an integer from ${range}, got "${value}"`,
      );
    }
  });

  it("reads the confirmations a delivery needs before its key is released (default 1)", () => {
    expect(loadConfig({ env: {}, cwd }).node.deliveryConfirmations).to.equal(1);
    expect(
      loadConfig({ env: { DATABANK_DELIVERY_CONFIRMATIONS: "12" }, cwd }).node
        .deliveryConfirmations,
    ).to.equal(12);
    for (const value of ["0", "-1", "many"]) {
      const error = configError(() =>
        loadConfig({ env: { DATABANK_DELIVERY_CONFIRMATIONS: value }, cwd }),
      );
      expect(error.variable).to.equal("DATABANK_DELIVERY_CONFIRMATIONS");
      expect(error.message).to.not.include("\n");
    }
  });

  it("reads a JSON file named by DATABANK_CONFIG; environment variables win", () => {
    writeFileSync(
      join(cwd, "databank.json"),
      JSON.stringify({ nodePort: 9000, rpcUrl: "http://10.0.0.1:8545" }),
    );
    const config = loadConfig({
      env: { DATABANK_CONFIG: "databank.json", DATABANK_RPC_URL: "http://127.0.0.1:9545" },
      cwd,
    });
    expect(config.node.port).to.equal(9000);
    expect(config.rpcUrl).to.equal("http://127.0.0.1:9545");
  });

  it("resolves the Databank address from the Ignition deployment of the chain", () => {
    const config = loadConfig({ env: {}, cwd });
    expect(() => resolveDatabankAddress(config, 31337, cwd)).to.throw(
      ConfigError,
      /npm run deploy/,
    );
    const dir = join(cwd, "ignition", "deployments", "chain-31337");
    mkdirSync(dir, { recursive: true });
    const address = "0x5FbDB2315678afecb367f032d93F642f64180aa3";
    writeFileSync(
      join(dir, "deployed_addresses.json"),
      JSON.stringify({ "Databank#Databank": address.toLowerCase() }),
    );
    expect(resolveDatabankAddress(config, 31337, cwd)).to.equal(address);
  });
});
