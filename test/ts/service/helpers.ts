/** A real chain (Hardhat, in-process), a Databank, and a real node (Helia, SQLite, HTTP) for the service tests. */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { readFileSync } from "node:fs";
import { network } from "hardhat";
import {
  bytesToHex,
  createWalletClient,
  custom,
  parseEther,
  parseEventLogs,
  zeroAddress,
  type Address,
  type Hex,
} from "viem";
import { generatePrivateKey, privateKeyToAccount, type PrivateKeyAccount } from "viem/accounts";
import { loadConfig, type Environment } from "../../../lib/config/index.js";
import {
  createDatabankClient,
  databankAbi,
  type ConsentRequest,
} from "../../../lib/contracts/index.js";
import {
  generateKeyPair,
  openWithDataKey,
  sealEnvelope,
  toHex32,
  type EnvelopeBinding,
} from "../../../lib/crypto/index.js";
import type { ContentStore } from "../../../lib/storage/index.js";
import { startDatabankNode, type DatabankNode, type NodeHooks } from "../../../service/node.js";
import { formatLogLine, type Logger } from "../../../service/log.js";
import { deployDatabankWithViem } from "../../../scripts/stack/deploy.js";

export const resumeSchema = JSON.parse(
  readFileSync(
    new URL("../../../lib/custodian/schemas/resume.schema.json", import.meta.url),
    "utf8",
  ),
) as object;

export const TERMS = "You consent to the analysis of your resume for hiring research.";

/** A valid record of the resume schema; `n` makes it unique. */
export function resume(n: number) {
  return {
    title: `Engineer ${n}`,
    yearsOfExperience: n % 60,
    skills: ["TypeScript", "Solidity"],
    city: "Lisbon",
    education: "master",
  };
}

/** A fresh Hardhat chain with the Databank deployed. */
export async function deployChain() {
  const connection = await network.create();
  const { viem } = connection;
  const publicClient = await viem.getPublicClient();
  const [owner, treasury, curator, funder] = await viem.getWalletClients();
  const { databank } = await deployDatabankWithViem(viem, {
    owner: owner.account.address,
    treasury: treasury.account.address,
  });
  const reader = createDatabankClient({ publicClient, address: databank.address });
  const asCurator = createDatabankClient({
    publicClient,
    walletClient: curator,
    address: databank.address,
  });

  /** A wallet client on this chain for a local key (signs itself, like the node's). */
  function localWallet(account: PrivateKeyAccount) {
    return createWalletClient({
      account,
      chain: publicClient.chain,
      transport: custom(connection.provider),
      pollingInterval: 50,
    });
  }

  /** Sends `ether` from a funded Hardhat account. */
  async function fund(address: Address, ether = "10") {
    await publicClient.waitForTransactionReceipt({
      hash: await funder.sendTransaction({ to: address, value: parseEther(ether) }),
    });
  }

  return {
    connection,
    viem,
    publicClient,
    databank,
    reader,
    asCurator,
    curator,
    localWallet,
    fund,
  };
}

export type Chain = Awaited<ReturnType<typeof deployChain>>;

/** The custodian's secrets as environment variables (generated per node). */
export function custodianEnv() {
  const privateKey = generatePrivateKey();
  const x25519 = generateKeyPair();
  const fingerprintKey = bytesToHex(crypto.getRandomValues(new Uint8Array(32)));
  return {
    env: {
      DATABANK_CUSTODIAN_PRIVATE_KEY: privateKey,
      DATABANK_CUSTODIAN_X25519_KEY: toHex32(x25519.privateKey),
      DATABANK_CUSTODIAN_FINGERPRINT_KEY: fingerprintKey,
    },
    secrets: [privateKey, toHex32(x25519.privateKey), fingerprintKey] as string[],
  };
}

/** Log lines captured from a node, for assertions (e.g. no secret is ever logged). */
export function captureLogs(): { logger: Logger; lines: string[] } {
  const lines: string[] = [];
  return {
    lines,
    logger: {
      debug: (message, fields) => lines.push(formatLogLine("debug", message, fields)),
      info: (message, fields) => lines.push(formatLogLine("info", message, fields)),
      warn: (message, fields) => lines.push(formatLogLine("warn", message, fields)),
      error: (message, fields) => lines.push(formatLogLine("error", message, fields)),
    },
  };
}

/** Options of {@link startNode}. */
export interface TestNodeOptions {
  env?: Environment;
  /** Reuse a data directory (restart tests); default a fresh temp dir. */
  dataDir?: string;
  /** Reuse the custodian's secrets (restart tests). */
  custodian?: ReturnType<typeof custodianEnv>;
  hooks?: NodeHooks;
  /** Builds the node's content store (default: the node's own Helia store under its data dir). */
  store?: (dataDir: string) => Promise<ContentStore>;
}

/** A node started on a free port with a fresh funded custodian; `cleanup` stops it and deletes its data. */
export async function startNode(chain: Chain, options: TestNodeOptions = {}) {
  const dataDir = options.dataDir ?? (await mkdtemp(join(tmpdir(), "databank-node-")));
  const custodian = options.custodian ?? custodianEnv();
  const logs = captureLogs();
  const config = loadConfig({
    env: {
      DATABANK_DATA_DIR: dataDir,
      DATABANK_NODE_PORT: "0",
      DATABANK_ADDRESS: chain.databank.address,
      DATABANK_POLL_INTERVAL_MS: "50",
      ...custodian.env,
      ...options.env,
    },
    requireCustodian: true,
  });
  const account = privateKeyToAccount(custodian.env.DATABANK_CUSTODIAN_PRIVATE_KEY as Hex);
  await chain.fund(account.address, "100");
  const node = await startDatabankNode({
    config,
    publicClient: chain.publicClient,
    walletClient: chain.localWallet(account),
    store: options.store === undefined ? undefined : await options.store(dataDir),
    hooks: { logger: logs.logger, startWorkers: false, ...options.hooks },
  });
  return {
    node,
    config,
    dataDir,
    custodian,
    logs: logs.lines,
    async cleanup(keepData = false) {
      await node.stop();
      if (!keepData) await rm(dataDir, { recursive: true, force: true });
    },
  };
}

export type TestNode = Awaited<ReturnType<typeof startNode>>;

/** Stores the resume schema and terms in the node and opens a pool it custodies; returns the pool id. */
export async function createPool(
  chain: Chain,
  node: DatabankNode,
  overrides: { custodian?: Address; custodianKey?: Hex; bountyPerContribution?: bigint } = {},
): Promise<number> {
  const schemaCid = await node.store.put(new TextEncoder().encode(JSON.stringify(resumeSchema)));
  const termsCid = await node.store.put(new TextEncoder().encode(TERMS));
  await chain.publicClient.waitForTransactionReceipt({
    hash: await chain.asCurator.contract.write.createPool([
      {
        paymentToken: zeroAddress,
        price: parseEther("1"),
        contributorShareBps: 7_000,
        minContributors: 1,
        maxContributors: 0,
        bountyPerContribution: overrides.bountyPerContribution ?? 0n,
        deliveryWindow: 86_400,
        purposes: 3,
        custodian: overrides.custodian ?? node.address,
        custodianKey: overrides.custodianKey ?? node.custodianPublicKey,
        schemaCid,
        termsCid,
        products: 1,
        queryPrice: 0n,
        epsilonBudget: 0,
        maxEpsilonPerQuery: 0,
      },
    ]),
  });
  return Number(await chain.reader.contract.read.poolCount());
}

/** A contributor: an EVM key (no ETH) and an X25519 key pair. */
export function newContributor() {
  return { account: privateKeyToAccount(generatePrivateKey()), keys: generateKeyPair() };
}

export type Contributor = ReturnType<typeof newContributor>;

/** `submitContribution` from `contributor` (funded first: it pays) with `scope`; returns the pending id. */
export async function submitOnChain(
  chain: Chain,
  contributor: Contributor,
  poolId: number,
  dataCid: string,
  /** The consent's scope (CONSENT_SCOPE bits); default 1, records. */
  scope = 1,
): Promise<bigint> {
  await chain.fund(contributor.account.address, "1");
  const client = createDatabankClient({
    publicClient: chain.publicClient,
    walletClient: chain.localWallet(contributor.account),
    address: chain.databank.address,
  });
  const receipt = await chain.publicClient.waitForTransactionReceipt({
    hash: await client.contract.write.submitContribution([poolId, dataCid, 0, scope]),
  });
  const [event] = parseEventLogs({
    abi: databankAbi,
    eventName: "ContributionSubmitted",
    logs: receipt.logs,
  });
  return event!.args.contributionId;
}

/**
 * Seals `record` (JSON) to `node`'s custodian key and the contributor, bound (as a dApp would) to
 * the node's chain and Databank, `poolId` and the contributor's address; `bindTo` overrides any of
 * these, to build envelopes bound elsewhere.
 */
export async function seal(
  node: DatabankNode,
  contributor: Contributor,
  record: unknown,
  poolId: number,
  bindTo: Partial<EnvelopeBinding> = {},
): Promise<Uint8Array> {
  return sealEnvelope({
    plaintext: new TextEncoder().encode(JSON.stringify(record)),
    recipients: [
      { role: "custodian", publicKey: hexToBytes32(node.custodianPublicKey) },
      { role: "contributor", publicKey: contributor.keys.publicKey },
    ],
    contentType: "application/json",
    binding: {
      chainId: await node.databank.publicClient.getChainId(),
      databank: node.databank.address,
      poolId,
      contributor: contributor.account.address,
      ...bindTo,
    },
  });
}

function hexToBytes32(hex: Hex): Uint8Array {
  return Uint8Array.from(hex.slice(2).match(/../g)!, (byte) => parseInt(byte, 16));
}

/** A consent request and the contributor's signature over it (current nonce, or `nonce`). */
export async function signConsent(
  chain: Chain,
  contributor: Contributor,
  poolId: number,
  dataCid: string,
  options: { deadline?: bigint; expiresAt?: number } = {},
) {
  const request: ConsentRequest = {
    contributor: contributor.account.address,
    poolId,
    dataCid,
    expiresAt: options.expiresAt ?? 0,
    deadline: options.deadline ?? BigInt(Math.floor(Date.now() / 1000) + 3_600),
    scope: 1,
  };
  const signature = await contributor.account.signTypedData(
    await chain.reader.consentTypedData(request),
  );
  return { request, signature };
}

/** JSON body of a relay request (ids and times as decimal strings). */
export function relayBody(signed: Awaited<ReturnType<typeof signConsent>>) {
  return {
    request: {
      ...signed.request,
      poolId: Number(signed.request.poolId),
      expiresAt: Number(signed.request.expiresAt),
      deadline: signed.request.deadline.toString(),
    },
    signature: signed.signature,
  };
}

/** A parsed JSON answer of the node (loosely typed: tests assert on it). */
export interface JsonAnswer {
  status: number;
  headers: Headers;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- assertions read arbitrary fields
  body: any;
}

/** Every response body the helpers received, so a test can check no secret ever leaked. */
export const responseTexts: string[] = [];

async function answer(response: Response): Promise<JsonAnswer> {
  const text = await response.text();
  responseTexts.push(text);
  return { status: response.status, headers: response.headers, body: JSON.parse(text) };
}

/** POSTs JSON (or a raw string) and returns status and parsed body. */
export async function postJson(
  url: string,
  body: unknown,
  headers: Record<string, string> = {},
): Promise<JsonAnswer> {
  return answer(
    await fetch(url, {
      method: "POST",
      headers: { "Content-Type": "application/json", ...headers },
      body: typeof body === "string" ? body : JSON.stringify(body),
    }),
  );
}

/** GETs and returns status and parsed JSON body. */
export async function getJson(url: string): Promise<JsonAnswer> {
  return answer(await fetch(url));
}

/** Uploads bytes to the node; returns the CID. */
export async function upload(node: DatabankNode, bytes: Uint8Array): Promise<string> {
  const response = await fetch(`${node.url}/v1/content`, {
    method: "POST",
    body: bytes as Uint8Array<ArrayBuffer>,
  });
  const { cid } = (await answer(response)).body as { cid: string };
  return cid;
}

/** Asserts that no secret (with or without 0x) appears in any of `texts`. */
export function expectNoSecrets(texts: readonly string[], secrets: readonly string[]): void {
  for (const secret of secrets) {
    const bare = secret.replace(/^0x/, "").toLowerCase();
    for (const text of texts) {
      if (text.toLowerCase().includes(bare)) {
        throw new Error(`a secret appeared in: ${text.slice(0, 200)}`);
      }
    }
  }
}

/**
 * Whether the node's key custody holds the record's data key, kept at acceptance: it is read with
 * an envelope loader that fails (so no HPKE open can stand in for it) and must decrypt the
 * record's envelope. False when no key is kept.
 */
export async function keptKeyOpens(
  chain: Chain,
  node: DatabankNode,
  record: { poolId: number; tokenId: bigint; dataCid: string },
): Promise<boolean> {
  const custody = node.delivery.keyCustody;
  if (!custody.has(record.tokenId)) return false;
  const dataKey = await custody.dataKey(
    { chainId: await chain.publicClient.getChainId(), databank: chain.databank.address, ...record },
    async () => {
      throw new Error("the key was not kept: the custody had to open the envelope");
    },
  );
  await openWithDataKey(await node.store.get(record.dataCid), dataKey);
  return true;
}
