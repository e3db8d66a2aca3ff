/**
 * `npm run deploy -- --network <name> [--dry-run] [--verify] [--parameters <file>]`: deploys the
 * whole system with Hardhat Ignition (`ignition/modules/Databank.ts`) to any network of
 * hardhat.config.ts, with the parameters of `ignition/parameters/<name>.json`.
 *
 * Every run first rehearses the deployment on an in-process simulated chain and prints the plan
 * (contracts, constructor parameters, code sizes, gas). `--dry-run` stops there: nothing is sent,
 * no RPC URL or key is needed. Otherwise Ignition deploys (and with `--verify` verifies on
 * Etherscan, Blockscout and Sourcify) and records the addresses under
 * `ignition/deployments/chain-<id>/`, where the library, the node and the dApp find them.
 */
import { spawnSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { isAddress, type Address } from "viem";
import DatabankModule from "../ignition/modules/Databank.js";
import { parseCli, runCli, UsageError } from "./cli.js";
import { hardhatCli } from "./stack/localChain.js";

const LOCAL_NETWORKS = new Set(["localhost", "default", "hardhatMainnet"]);
/** EIP-170: the largest runtime code a chain accepts. */
const MAX_RUNTIME_CODE_BYTES = 24_576;
const MAX_PLATFORM_FEE_BPS = 1_000;

/** The module's parameters, as in ignition/parameters/<network>.json. */
interface DeployParameters {
  owner?: Address;
  treasury?: Address;
  platformFeeBps?: number;
}

runCli("deploy", async () => {
  const args = parseCli({
    network: { type: "string" },
    parameters: { type: "string" },
    "dry-run": { type: "boolean", default: false },
    verify: { type: "boolean", default: false },
  });
  const hre = (await import("hardhat")).default;
  const networkName = args.network;
  if (networkName === undefined || !(networkName in hre.config.networks)) {
    throw new UsageError(
      `--network must be one of: ${Object.keys(hre.config.networks).join(", ")} (add others to hardhat.config.ts)`,
    );
  }
  const local = LOCAL_NETWORKS.has(networkName);
  const parametersFile = args.parameters ?? `ignition/parameters/${networkName}.json`;
  const parameters = readParameters(parametersFile, local);
  const networkConfig = hre.config.networks[networkName]!;
  const chainId = "chainId" in networkConfig ? networkConfig.chainId : undefined;

  console.log(
    `Deployment plan for network "${networkName}"${chainId ? ` (chain id ${chainId})` : ""}`,
  );
  console.log(`  module      ignition/modules/Databank.ts`);
  console.log(`  parameters  ${existsSync(parametersFile) ? parametersFile : "(defaults)"}`);
  console.log(`  owner       ${parameters.owner ?? "(the deployer)"}`);
  console.log(`  treasury    ${parameters.treasury ?? "(the deployer)"}`);
  console.log(`  fee         ${(parameters.platformFeeBps ?? 250) / 100}% of every sale`);
  console.log("");
  console.log("Rehearsal on a simulated chain:");
  const rows = await rehearse(hre, parameters);
  for (const row of rows) {
    console.log(
      `  ${row.contract.padEnd(24)} runtime ${String(row.runtimeBytes).padStart(6)} bytes  deploy gas ${row.gas.toLocaleString("en-US")}`,
    );
    if (row.runtimeBytes > MAX_RUNTIME_CODE_BYTES) {
      throw new Error(`${row.contract} is over the ${MAX_RUNTIME_CODE_BYTES}-byte code limit`);
    }
  }
  const total = rows.reduce((sum, row) => sum + row.gas, 0n);
  console.log(
    `  ${"total".padEnd(24)} ${" ".repeat(21)}deploy gas ${total.toLocaleString("en-US")}`,
  );

  const command = [
    "ignition",
    "deploy",
    "ignition/modules/Databank.ts",
    "--network",
    networkName,
    ...(existsSync(parametersFile) ? ["--parameters", parametersFile] : []),
    ...(args.verify ? ["--verify"] : []),
  ];
  if (args["dry-run"]) {
    console.log(`\nDry run: nothing was sent. To deploy: npx hardhat ${command.join(" ")}`);
    return 0;
  }
  const result = spawnSync(process.execPath, [hardhatCli(), ...command], { stdio: "inherit" });
  return result.status ?? 1;
});

function readParameters(file: string, local: boolean): DeployParameters {
  if (!existsSync(file)) {
    if (local) return {};
    throw new UsageError(
      `${file} is missing: copy ignition/parameters/sepolia.json and set owner and treasury`,
    );
  }
  let parsed: { Databank?: DeployParameters };
  try {
    parsed = JSON.parse(readFileSync(file, "utf8")) as { Databank?: DeployParameters };
  } catch (error) {
    throw new UsageError(`${file} is not JSON (${(error as Error).message})`);
  }
  const parameters = parsed.Databank ?? {};
  for (const key of ["owner", "treasury"] as const) {
    const value = parameters[key];
    if (value === undefined) {
      if (!local)
        throw new UsageError(`${file}: set Databank.${key} (the deployer would get it otherwise)`);
      continue;
    }
    if (!isAddress(value) || BigInt(value) <= 0xffffn) {
      throw new UsageError(
        `${file}: Databank.${key} is "${value}", not a real address; set it before deploying`,
      );
    }
  }
  const fee = parameters.platformFeeBps;
  if (fee !== undefined && (!Number.isInteger(fee) || fee < 0 || fee > MAX_PLATFORM_FEE_BPS)) {
    throw new UsageError(
      `${file}: Databank.platformFeeBps must be 0…${MAX_PLATFORM_FEE_BPS}, got ${fee}`,
    );
  }
  return parameters;
}

interface RehearsalRow {
  contract: string;
  runtimeBytes: number;
  gas: bigint;
}

/** Deploys the module on an in-process simulated chain and measures each contract. */
async function rehearse(
  hre: typeof import("hardhat").default,
  parameters: DeployParameters,
): Promise<RehearsalRow[]> {
  const connection = await hre.network.create();
  try {
    const result = await connection.ignition.deploy(DatabankModule, {
      parameters: { Databank: { ...parameters } },
    });
    const publicClient = await connection.viem.getPublicClient();
    const rows: RehearsalRow[] = [];
    const latest = await publicClient.getBlockNumber();
    const receipts = [];
    for (let block = 1n; block <= latest; block++) {
      const { transactions } = await publicClient.getBlock({ blockNumber: block });
      for (const hash of transactions)
        receipts.push(await publicClient.getTransactionReceipt({ hash }));
    }
    for (const [name, contract] of Object.entries(result)) {
      const code = (await publicClient.getCode({ address: contract.address })) ?? "0x";
      const receipt = receipts.find(
        (r) => r.contractAddress?.toLowerCase() === contract.address.toLowerCase(),
      );
      rows.push({
        contract: name,
        runtimeBytes: (code.length - 2) / 2,
        gas: receipt?.gasUsed ?? 0n,
      });
    }
    return rows;
  } finally {
    await connection.close();
  }
}
