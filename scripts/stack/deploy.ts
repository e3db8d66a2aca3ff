/**
 * Deploys the local demo system (Databank + test stablecoin) through Hardhat Ignition onto a
 * running chain. Needs the Hardhat runtime (`hardhat run` or `hardhat test`).
 */
import { rmSync } from "node:fs";
import { join } from "node:path";
import { network } from "hardhat";
import type { HardhatViemHelpers } from "@nomicfoundation/hardhat-viem/types";
import { zeroAddress, type Address, type ContractFunctionArgs } from "viem";
import type { databankAbi } from "../../lib/contracts/index.js";
import { DATABANK_LIBRARIES, type DatabankLibrary } from "../../lib/contracts/libraries.js";
import LocalDemoModule from "../../ignition/modules/LocalDemo.js";
import { LOCAL_ROLES, localAccount } from "./accounts.js";

/** The addresses of a local deployment. */
export interface LocalDeployment {
  databank: Address;
  stablecoin: Address;
  renderer: Address;
  /** Where Ignition recorded it (ignition/deployments/<deploymentId>). */
  deploymentDir: string;
}

/** Options of {@link deployLocalDemo}. */
export interface DeployLocalDemoOptions {
  rpcUrl: string;
  /** Ignition deployment id; a fresh chain needs a fresh record, so an old one is removed first. */
  deploymentId: string;
  platformFeeBps?: number;
}

/** Deploys `ignition/modules/LocalDemo.ts` to the chain at `rpcUrl`. */
export async function deployLocalDemo(options: DeployLocalDemoOptions): Promise<LocalDeployment> {
  const deploymentDir = join(process.cwd(), "ignition", "deployments", options.deploymentId);
  // The chain is new, so a journal left by an earlier run describes contracts that no longer exist.
  rmSync(deploymentDir, { recursive: true, force: true });
  const connection = await network.create({
    network: "localhost",
    override: { url: options.rpcUrl },
  });
  try {
    const { databank, stablecoin, renderer } = await connection.ignition.deploy(LocalDemoModule, {
      deploymentId: options.deploymentId,
      parameters: {
        Databank: {
          owner: localAccount(LOCAL_ROLES.deployer).address,
          treasury: localAccount(LOCAL_ROLES.treasury).address,
          platformFeeBps: options.platformFeeBps ?? 250,
        },
      },
    });
    return {
      databank: databank.address,
      stablecoin: stablecoin.address,
      renderer: renderer.address,
      deploymentDir,
    };
  } finally {
    await connection.close();
  }
}

/**
 * Deploys the renderer and Databank with viem on a Hardhat connection: the quick path of tests and
 * benchmarks on an in-process chain (Ignition deploys everywhere else).
 */
export async function deployDatabankWithViem(
  viem: HardhatViemHelpers,
  params: { owner: Address; treasury: Address; platformFeeBps?: number },
) {
  const renderer = await viem.deployContract("ConsentReceiptRenderer");
  const databank = await viem.deployContract(
    "Databank",
    [params.owner, params.treasury, params.platformFeeBps ?? 250, renderer.address],
    { libraries: await databankLibraries(viem) },
  );
  return { renderer, databank };
}

/**
 * Deploys the external libraries Databank links to (lib/contracts/libraries.ts) and returns them
 * in the form `deployContract`'s `libraries` option takes.
 */
export async function databankLibraries(
  viem: HardhatViemHelpers,
): Promise<Record<DatabankLibrary, Address>> {
  const libraries: Partial<Record<DatabankLibrary, Address>> = {};
  for (const name of DATABANK_LIBRARIES)
    libraries[name] = (await viem.deployContract(name)).address;
  return libraries as Record<DatabankLibrary, Address>;
}

/** The `createPool` argument (`IDatabank.PoolParams`). */
export type PoolParams = ContractFunctionArgs<typeof databankAbi, "nonpayable", "createPool">[0];

/**
 * Pool parameters for tests and benchmarks: an ETH pool, 70% to contributors, at least one
 * contributor, no cap, no bounty, a one-day delivery window, analytics + recruitment purposes,
 * record sales only.
 */
export function testPoolParams(
  params: Pick<PoolParams, "custodian" | "custodianKey"> & Partial<PoolParams>,
): PoolParams {
  return {
    paymentToken: zeroAddress,
    price: 1_000_000n,
    contributorShareBps: 7_000,
    minContributors: 1,
    maxContributors: 0,
    bountyPerContribution: 0n,
    deliveryWindow: 86_400,
    purposes: 3,
    schemaCid: "bafkreischema",
    termsCid: "bafkreiterms",
    products: 1,
    queryPrice: 0n,
    epsilonBudget: 0,
    maxEpsilonPerQuery: 0,
    ...params,
  };
}
