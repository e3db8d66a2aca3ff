/**
 * The real local stack for end-to-end tests: a `hardhat node` child process on a free loopback
 * port, the contracts deployed through Ignition, and the data bank node in its own process (so a
 * test can kill it), with fresh custodian keys and a temporary data directory.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createPublicClient, http, type Chain, type PublicClient, type Transport } from "viem";
import { hardhat } from "viem/chains";
import { generateKeyPair, toHex32 } from "../../../lib/crypto/index.js";
import {
  LOCAL_ROLES,
  localDemoAccounts,
  localPrivateKey,
} from "../../../scripts/stack/accounts.js";
import { deployLocalDemo, type LocalDeployment } from "../../../scripts/stack/deploy.js";
import { startLocalChain, type LocalChain } from "../../../scripts/stack/localChain.js";
import { startNodeProcess, type NodeProcess } from "../../../scripts/stack/nodeProcess.js";
import { freePort } from "../../../scripts/stack/ports.js";
import type { DemoEnvironment } from "../../../scripts/demo/scenario.js";

/** A running end-to-end stack. */
export interface E2EStack {
  chain: LocalChain;
  deployment: LocalDeployment;
  publicClient: PublicClient<Transport, Chain>;
  /** The node's environment (same data directory and keys on every restart). */
  nodeEnv: Record<string, string>;
  node: NodeProcess;
  /** Starts the node again (after a kill), with `extraEnv` for this run only. */
  restartNode(extraEnv?: Record<string, string>): Promise<NodeProcess>;
  demoEnvironment(): DemoEnvironment;
  stop(): Promise<void>;
}

/** Starts the stack; `nodeEnv` adds settings to the node's first run (e.g. a test pause point). */
export async function startE2EStack(firstRunEnv: Record<string, string> = {}): Promise<E2EStack> {
  const chain = await startLocalChain({ port: await freePort() });
  const dataDir = mkdtempSync(join(tmpdir(), "databank-e2e-"));
  let node: NodeProcess | undefined;
  let deployment: LocalDeployment | undefined;
  try {
    deployment = await deployLocalDemo({
      rpcUrl: chain.rpcUrl,
      deploymentId: `e2e-${process.pid}-${Date.now()}`,
    });
    const nodeEnv: Record<string, string> = {
      DATABANK_RPC_URL: chain.rpcUrl,
      DATABANK_ADDRESS: deployment.databank,
      DATABANK_DATA_DIR: dataDir,
      DATABANK_STORAGE: "helia",
      DATABANK_NODE_HOST: "127.0.0.1",
      DATABANK_NODE_PORT: String(await freePort()),
      DATABANK_POLL_INTERVAL_MS: "100",
      DATABANK_RELAY_RATE_LIMIT: "1000",
      DATABANK_CLIENT_RATE_LIMIT: "100000",
      DATABANK_REQUEST_RATE_LIMIT: "100000",
      DATABANK_CUSTODIAN_PRIVATE_KEY: localPrivateKey(LOCAL_ROLES.custodian),
      DATABANK_CUSTODIAN_X25519_KEY: toHex32(generateKeyPair().privateKey),
      DATABANK_CUSTODIAN_FINGERPRINT_KEY: toHex32(generateKeyPair().privateKey),
    };
    node = await startNodeProcess({ ...nodeEnv, ...firstRunEnv });
    const publicClient = createPublicClient({ chain: hardhat, transport: http(chain.rpcUrl) });
    const stack: E2EStack = {
      chain,
      deployment,
      publicClient,
      nodeEnv,
      node,
      async restartNode(extraEnv = {}) {
        await stack.node.kill();
        stack.node = await startNodeProcess({ ...nodeEnv, ...extraEnv });
        return stack.node;
      },
      demoEnvironment: () => ({
        publicClient,
        rpcUrl: chain.rpcUrl,
        nodeUrl: stack.node.url,
        databank: deployment!.databank,
        ...localDemoAccounts(),
      }),
      async stop() {
        await stack.node.stop();
        await chain.stop();
        rmSync(dataDir, { recursive: true, force: true });
        rmSync(deployment!.deploymentDir, { recursive: true, force: true });
      },
    };
    return stack;
  } catch (error) {
    await node?.stop();
    await chain.stop();
    rmSync(dataDir, { recursive: true, force: true });
    if (deployment) rmSync(deployment.deploymentDir, { recursive: true, force: true });
    throw error;
  }
}
