import { createRequire } from "node:module";
import { defineConfig, configVariable } from "hardhat/config";
import hardhatEthers from "@nomicfoundation/hardhat-ethers";
import hardhatEthersChaiMatchers from "@nomicfoundation/hardhat-ethers-chai-matchers";
import hardhatIgnition from "@nomicfoundation/hardhat-ignition";
import hardhatIgnitionViem from "@nomicfoundation/hardhat-ignition-viem";
import hardhatKeystore from "@nomicfoundation/hardhat-keystore";
import hardhatMocha from "@nomicfoundation/hardhat-mocha";
import hardhatNetworkHelpers from "@nomicfoundation/hardhat-network-helpers";
import hardhatTypechain from "@nomicfoundation/hardhat-typechain";
import hardhatVerify from "@nomicfoundation/hardhat-verify";
import hardhatViem from "@nomicfoundation/hardhat-viem";

const require = createRequire(import.meta.url);

/** The compiler comes from the npm `solc` package so that builds never download anything. */
const SOLC_VERSION = "0.8.30";
const solcPackageVersion: string = require("solc/package.json").version;
if (solcPackageVersion !== SOLC_VERSION) {
  throw new Error(`npm solc is ${solcPackageVersion}, hardhat.config.ts expects ${SOLC_VERSION}`);
}

const SOLC_PATH = require.resolve("solc/soljson.js");

const COMPILER_SETTINGS = {
  // Cancun: transient storage for the reentrancy guard; supported by mainnet and every major L2.
  evmVersion: "cancun",
  // via-IR at 500 runs keeps Databank under the 24 KiB code limit (at 1,000 runs it is 2 KiB larger
  // since the query product) while every gas target still holds; see bench/gas-snapshot.json.
  optimizer: { enabled: true, runs: 500 },
  viaIR: true,
};

export default defineConfig({
  plugins: [
    hardhatEthers,
    hardhatEthersChaiMatchers,
    hardhatIgnition,
    hardhatIgnitionViem,
    hardhatKeystore,
    hardhatMocha,
    hardhatNetworkHelpers,
    hardhatTypechain,
    hardhatVerify,
    hardhatViem,
  ],
  solidity: {
    // The same settings for tests and deployments (Hardhat's "production" profile would otherwise
    // differ), so the gas measured is the gas paid and the bytecode tested is the bytecode deployed.
    profiles: {
      default: { version: SOLC_VERSION, path: SOLC_PATH, settings: COMPILER_SETTINGS },
      production: { version: SOLC_VERSION, path: SOLC_PATH, settings: COMPILER_SETTINGS },
    },
  },

  paths: {
    tests: {
      solidity: "test/solidity",
      mocha: "test/ts",
    },
  },
  test: {
    solidity: {
      fuzz: { runs: 256 },
      invariant: { runs: 64, depth: 64, failOnRevert: false },
    },
  },
  // Verification on every kind of explorer: Etherscan (API key from the keystore or env, read only
  // when verifying), Blockscout and Sourcify (no key needed).
  verify: {
    etherscan: { apiKey: configVariable("ETHERSCAN_API_KEY") },
    blockscout: { enabled: true },
    sourcify: { enabled: true },
  },
  networks: {
    hardhatMainnet: { type: "edr-simulated", chainType: "l1" },
    localhost: { type: "http", chainType: "l1", url: "http://127.0.0.1:8545" },
    sepolia: {
      type: "http",
      chainType: "l1",
      chainId: 11_155_111,
      url: configVariable("SEPOLIA_RPC_URL"),
      accounts: [configVariable("DEPLOYER_PRIVATE_KEY")],
    },
    baseSepolia: {
      type: "http",
      chainType: "op",
      chainId: 84_532,
      url: configVariable("BASE_SEPOLIA_RPC_URL"),
      accounts: [configVariable("DEPLOYER_PRIVATE_KEY")],
    },
    // Any other EVM chain: its JSON-RPC URL and chain id from the keystore or the environment.
    custom: {
      type: "http",
      chainType: "generic",
      url: configVariable("CUSTOM_RPC_URL"),
      accounts: [configVariable("DEPLOYER_PRIVATE_KEY")],
    },
  },
});
