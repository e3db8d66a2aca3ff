/**
 * The demo scenario of `npm run demo`, also run by the end-to-end test: a curator opens a
 * "software engineer resumes" pool, 25 contributors join gasless, two bad submissions are rejected,
 * a buyer pays and decrypts 25 records, two contributors revoke, a second buyer receives 23, every
 * party claims, and the first buyer attests the erasures it owes.
 *
 * It only uses what any user has: the chain's JSON-RPC, the data bank node's HTTP API and the
 * shared library. Nothing here reaches into the node's internals.
 */
import { QUERY_POLICY_KEYWORD } from "../../lib/query/index.js";
import { demoQueryPolicy } from "./queryPolicy.js";
import { readFileSync } from "node:fs";
import {
  createWalletClient,
  http,
  parseEther,
  parseEventLogs,
  type Address,
  type Chain,
  type Hex,
  type PublicClient,
  type Transport,
  type WalletClient,
  type Account,
  type TransactionReceipt,
  zeroAddress,
} from "viem";
import { generatePrivateKey, privateKeyToAccount, type LocalAccount } from "viem/accounts";
import { createNodeApiClient, NodeApiError, type NodeApiClient } from "../../lib/api/index.js";
import {
  CONSENT_SCOPE,
  createDatabankClient,
  databankAbi,
  type Purchase,
} from "../../lib/contracts/index.js";
import { contribute } from "../../lib/contributor/contribute.js";
import { deriveWalletKeyPair, fromHex32, toHex32 } from "../../lib/crypto/index.js";
import {
  openDelivery,
  waitForDeliveryKey,
  type DeliveredRecord,
} from "../../lib/delivery/index.js";
import { demoResume, type Resume } from "./resumes.js";

/** Where the demo runs. */
export interface DemoEnvironment {
  publicClient: PublicClient<Transport, Chain>;
  rpcUrl: string;
  nodeUrl: string;
  databank: Address;
  /** Funded accounts playing the fixed roles. */
  accounts: {
    funder: LocalAccount;
    curator: LocalAccount;
    buyer: LocalAccount;
    secondBuyer: LocalAccount;
  };
  /** Treasury account, to claim the platform fee (optional: left unclaimed otherwise). */
  treasury?: LocalAccount;
}

/** Sizes and prices of the scenario. */
export interface DemoOptions {
  contributors?: number;
  revocations?: number;
  /** Price per sale in wei. */
  price?: bigint;
  /** Bounty per accepted contribution in wei. */
  bounty?: bigint;
  /** How long to wait for the custodian to deliver, ms. */
  deliveryTimeoutMs?: number;
}

/** How the scenario reports its progress. */
export interface DemoReporter {
  step(title: string): void;
  progress(label: string, done: number, total: number): void;
  info(line: string): void;
}

/** A rejected submission and what the custodian said. */
export interface DemoRejection {
  label: string;
  reason: string;
  message: string;
  fieldErrors: { path: string; message: string }[];
}

/** What the scenario did, for the summary and the test's assertions. */
export interface DemoResult {
  poolId: number;
  contributors: {
    address: Address;
    contributionId: bigint;
    resume: Resume;
    revoked: boolean;
    claimed: bigint;
  }[];
  rejections: DemoRejection[];
  purchases: {
    buyer: Address;
    purchaseId: bigint;
    amount: bigint;
    records: DeliveredRecord[];
    deliveryCid: string;
  }[];
  claimed: { curator: bigint; treasury: bigint };
  erasureAttested: { buyer: Address; upToIndex: number; owedBefore: number; owedAfter: number };
}

const RESUME_SCHEMA_PATH = new URL(
  "../../lib/custodian/schemas/resume.schema.json",
  import.meta.url,
);
const TERMS = [
  "Software engineer resumes: consent terms",
  "",
  "You share your resume (title, experience, skills, city, education, salary expectation) with buyers of this pool.",
  "Purposes: analytics and recruitment. Your data is encrypted; only buyers who paid receive its key.",
  "You earn 70% of every sale, split equally among the active contributors, plus a bounty when you join.",
  "You may revoke at any time: you keep your earnings, later buyers do not receive your data, and every earlier buyer must erase it.",
].join("\n");
const PURPOSES_ANALYTICS_AND_RECRUITMENT = 0b11;

type Wallet = WalletClient<Transport, Chain, Account>;

/** Clients and helpers shared by the steps of the scenario. */
export interface DemoActors {
  env: DemoEnvironment;
  api: NodeApiClient;
  /** Read-only contract client. */
  reader: ReturnType<typeof createDatabankClient>;
  /** The contract client acting as `account`. */
  as(account: LocalAccount): ReturnType<typeof createDatabankClient<Wallet>>;
  wallet(account: LocalAccount): Wallet;
  /** Waits for the receipt; throws when the transaction reverted. */
  mined(hash: Hex): Promise<TransactionReceipt>;
}

/** The clients every step uses. */
export function demoActors(env: DemoEnvironment): DemoActors {
  const chain = env.publicClient.chain;
  const wallet = (account: LocalAccount): Wallet =>
    createWalletClient({ account, chain, transport: http(env.rpcUrl) });
  return {
    env,
    api: createNodeApiClient({ baseUrl: env.nodeUrl }),
    reader: createDatabankClient({ publicClient: env.publicClient, address: env.databank }),
    as: (account) =>
      createDatabankClient({
        publicClient: env.publicClient,
        walletClient: wallet(account),
        address: env.databank,
      }),
    wallet,
    async mined(hash) {
      const receipt = await env.publicClient.waitForTransactionReceipt({ hash });
      if (receipt.status !== "success") throw new Error(`transaction ${hash} reverted`);
      return receipt;
    },
  };
}

/** Parameters of the resume pool. */
export interface ResumePoolOptions {
  price: bigint;
  bounty: bigint;
  minContributors: number;
  /** Contributions whose bounty the curator funds up front. */
  fundedBounties: number;
}

/** The curator uploads the schema and terms through the node and opens the pool; returns its id. */
export async function openResumePool(
  actors: DemoActors,
  options: ResumePoolOptions,
): Promise<number> {
  const { api, env, mined } = actors;
  const custodian = await api.custodian();
  // The pool's query policy travels inside its record schema (docs/queries.md), so the schema the
  // demo publishes carries the demo's policy for when the pool sells queries.
  const schema = {
    ...(JSON.parse(readFileSync(RESUME_SCHEMA_PATH, "utf8")) as object),
    [QUERY_POLICY_KEYWORD]: demoQueryPolicy(),
  };
  const schemaCid = (await api.uploadContent(new TextEncoder().encode(JSON.stringify(schema)))).cid;
  const termsCid = (await api.uploadContent(new TextEncoder().encode(TERMS))).cid;
  const curator = actors.as(env.accounts.curator);
  const receipt = await mined(
    await curator.contract.write.createPool([
      {
        paymentToken: zeroAddress,
        price: options.price,
        contributorShareBps: 7_000,
        minContributors: options.minContributors,
        maxContributors: 10_000,
        bountyPerContribution: options.bounty,
        deliveryWindow: 24 * 3600,
        purposes: PURPOSES_ANALYTICS_AND_RECRUITMENT,
        custodian: custodian.address,
        custodianKey: custodian.publicKey,
        schemaCid,
        termsCid,
        products: CONSENT_SCOPE.records,
        queryPrice: 0n,
        epsilonBudget: 0,
        maxEpsilonPerQuery: 0,
      },
    ]),
  );
  const [created] = parseEventLogs({
    abi: databankAbi,
    eventName: "PoolCreated",
    logs: receipt.logs,
  });
  const poolId = Number(created!.args.poolId);
  const budget = options.bounty * BigInt(options.fundedBounties);
  if (budget > 0n) {
    await mined(await curator.contract.write.fundBounty([poolId, budget], { value: budget }));
  }
  return poolId;
}

/** A contributor's wallet, with its key so that tests can hand it to the CLIs. */
export type ContributorAccount = LocalAccount & { privateKey: Hex };

/** Fresh contributor wallets, each sent `gas` wei (to claim and revoke later) by the funder. */
export async function newContributors(
  actors: DemoActors,
  count: number,
  gas = parseEther("0.01"),
): Promise<ContributorAccount[]> {
  const people = Array.from({ length: count }, () => {
    const privateKey = generatePrivateKey();
    return Object.assign(privateKeyToAccount(privateKey), { privateKey });
  });
  const funder = actors.wallet(actors.env.accounts.funder);
  // One after the other: an automining chain refuses a nonce that arrives ahead of its turn.
  const hashes: Hex[] = [];
  for (const person of people)
    hashes.push(await funder.sendTransaction({ to: person.address, value: gas }));
  await Promise.all(hashes.map(actors.mined));
  return people;
}

/** One gasless contribution of `record` by `person` (sealed, uploaded, signed, relayed). */
export async function contributeRecord(
  actors: DemoActors,
  poolId: number,
  person: LocalAccount,
  record: unknown,
): Promise<bigint> {
  const pool = await actors.reader.contract.read.getPool([poolId]);
  const ownKey = await deriveWalletKeyPair(person);
  const receipt = await contribute({
    api: actors.api,
    databank: actors.reader,
    signer: person,
    poolId,
    payload: { json: record },
    custodianPublicKey: fromHex32(pool.custodianKey),
    contributorPublicKey: ownKey.publicKey,
    scope: CONSENT_SCOPE.records,
  });
  return receipt.contributionId;
}

/** A completed purchase, as the buyer saw it. */
export type DemoPurchase = DemoResult["purchases"][number];

/** The buyer pays the pool's current price into escrow; returns the purchase. */
export async function purchaseAccess(
  actors: DemoActors,
  poolId: number,
  buyerAccount: LocalAccount,
): Promise<Purchase> {
  const buyer = actors.as(buyerAccount);
  const buyerKeys = await deriveWalletKeyPair(buyerAccount);
  const { price } = await actors.reader.contract.read.getPool([poolId]);
  const receipt = await actors.mined(
    await buyer.contract.write.purchase([poolId, price, toHex32(buyerKeys.publicKey)], {
      value: price,
    }),
  );
  return buyer.purchaseFromEvent(receipt);
}

/**
 * Waits for the custodian's delivery of `purchase`, then verifies and decrypts every record (root,
 * count and manifest CID are taken from the chain, not from the node).
 */
export async function receiveDelivery(
  actors: DemoActors,
  buyerAccount: LocalAccount,
  purchase: Purchase,
  options: { deliveryTimeoutMs?: number; reporter?: DemoReporter } = {},
): Promise<DemoPurchase> {
  const { api, env } = actors;
  const buyerKeys = await deriveWalletKeyPair(buyerAccount);
  const delivered = await waitForDelivery(env, api, purchase, options.deliveryTimeoutMs ?? 120_000);
  options.reporter?.info(
    `custodian delivered ${delivered.recordCount} records (manifest ${delivered.deliveryCid})`,
  );
  const manifest = await api.getContent(delivered.deliveryCid);
  const records = await openDelivery({
    manifest,
    expected: {
      recordsRoot: delivered.recordsRoot,
      recordCount: delivered.recordCount,
      buyerKey: toHex32(buyerKeys.publicKey),
      purchaseId: purchase.id,
      databank: env.databank,
      deliveryCid: delivered.deliveryCid,
    },
    fetchContent: (cid: string) => api.getContent(cid),
    buyerPrivateKey: buyerKeys.privateKey,
    deliveryKey: () =>
      waitForDeliveryKey({
        purchaseId: purchase.id,
        fetchStatus: () => api.deliveryStatus(purchase.id),
        timeoutMs: options.deliveryTimeoutMs ?? 120_000,
        intervalMs: 500,
      }),
    onProgress: ({ done, total }) => options.reporter?.progress("records decrypted", done, total),
  });
  return {
    buyer: buyerAccount.address,
    purchaseId: purchase.id,
    amount: purchase.amount,
    records,
    deliveryCid: delivered.deliveryCid,
  };
}

/** {@link purchaseAccess}, then {@link receiveDelivery}. */
export async function buyAndDecrypt(
  actors: DemoActors,
  poolId: number,
  buyerAccount: LocalAccount,
  options: { deliveryTimeoutMs?: number; reporter?: DemoReporter } = {},
): Promise<DemoPurchase> {
  const purchase = await purchaseAccess(actors, poolId, buyerAccount);
  options.reporter?.info(`purchase #${purchase.id} paid ${fmt(purchase.amount)} ETH into escrow`);
  return receiveDelivery(actors, buyerAccount, purchase, options);
}

/** Runs the scenario; throws with a one-line message when a step does not behave as expected. */
export async function runDemoScenario(
  env: DemoEnvironment,
  reporter: DemoReporter,
  options: DemoOptions = {},
): Promise<DemoResult> {
  const contributorCount = options.contributors ?? 25;
  const revocations = options.revocations ?? 2;
  const price = options.price ?? parseEther("1");
  const bounty = options.bounty ?? parseEther("0.001");
  const actors = demoActors(env);
  const { reader, mined } = actors;

  reporter.step("Curator opens a “software engineer resumes” pool");
  const poolId = await openResumePool(actors, {
    price,
    bounty,
    minContributors: Math.min(10, contributorCount - revocations),
    fundedBounties: contributorCount,
  });
  reporter.info(
    `pool #${poolId}: price ${fmt(price)} ETH, 70% to contributors, bounty ${fmt(bounty)} ETH each`,
  );

  reporter.step(
    `${contributorCount} contributors submit their resumes (gasless, encrypted before upload)`,
  );
  const people = await newContributors(actors, contributorCount);
  const contributors: DemoResult["contributors"] = [];
  for (const [index, person] of people.entries()) {
    const resume = demoResume(index);
    const contributionId = await contributeRecord(actors, poolId, person, resume);
    contributors.push({
      address: person.address,
      contributionId,
      resume,
      revoked: false,
      claimed: 0n,
    });
    reporter.progress("contributions accepted", index + 1, contributorCount);
  }

  reporter.step("Two more submissions are rejected by the custodian");
  const rejections: DemoRejection[] = [];
  const firstResume = demoResume(0);
  const attempts: { label: string; record: unknown }[] = [
    {
      label: "a resume that breaks the schema",
      record: { ...demoResume(contributorCount), yearsOfExperience: "ten" },
    },
    {
      label: "a copy of contributor 1's resume (case and spacing changed)",
      record: { ...firstResume, title: ` ${firstResume.title.toUpperCase()} ` },
    },
  ];
  for (const attempt of attempts) {
    const rejection = await expectRejection(actors, poolId, attempt.label, attempt.record);
    rejections.push(rejection);
    const fields = rejection.fieldErrors.map((f) => `${f.path}: ${f.message}`).join("; ");
    reporter.info(`rejected ${attempt.label}: ${rejection.reason}${fields ? ` (${fields})` : ""}`);
  }

  reporter.step("A buyer pays; the custodian delivers; the buyer decrypts");
  const purchases: DemoPurchase[] = [];
  purchases.push(await buyAndDecrypt(actors, poolId, env.accounts.buyer, { ...options, reporter }));
  expectCount("the first buyer", purchases[0]!.records.length, contributorCount);

  reporter.step(`${revocations} contributors revoke their consent`);
  for (const [index, contributor] of contributors.slice(0, revocations).entries()) {
    await mined(
      await actors.as(people[index]!).contract.write.revokeConsent([contributor.contributionId]),
    );
    contributor.revoked = true;
    reporter.info(
      `contribution #${contributor.contributionId} revoked; its earnings stay claimable`,
    );
  }

  reporter.step("A second buyer pays and receives only the consenting contributions");
  purchases.push(
    await buyAndDecrypt(actors, poolId, env.accounts.secondBuyer, { ...options, reporter }),
  );
  expectCount("the second buyer", purchases[1]!.records.length, contributorCount - revocations);

  reporter.step("Contributors, curator and platform claim what they earned");
  const claim = async (account: LocalAccount, ids: bigint[]): Promise<bigint> => {
    const receipt = await mined(await actors.as(account).contract.write.claim([zeroAddress, ids]));
    const withdrawn = parseEventLogs({
      abi: databankAbi,
      eventName: "Withdrawn",
      logs: receipt.logs,
    });
    return withdrawn.reduce((sum, log) => sum + log.args.amount, 0n);
  };
  for (const [index, contributor] of contributors.entries()) {
    contributor.claimed = await claim(
      people[index]!,
      contributor.revoked ? [] : [contributor.contributionId],
    );
    reporter.progress("contributors claimed", index + 1, contributors.length);
  }
  const claimed = {
    curator: await claim(env.accounts.curator, []),
    treasury: env.treasury ? await claim(env.treasury, []) : 0n,
  };

  reporter.step("The first buyer erases the revoked records and attests it on-chain");
  const owedBefore = Number(
    await reader.contract.read.erasuresOwed([poolId, env.accounts.buyer.address]),
  );
  const pool = await reader.contract.read.getPool([poolId]);
  await mined(
    await actors.as(env.accounts.buyer).contract.write.attestErasure([poolId, pool.erasureCount]),
  );
  const owedAfter = Number(
    await reader.contract.read.erasuresOwed([poolId, env.accounts.buyer.address]),
  );
  reporter.info(`erasures owed by the first buyer: ${owedBefore} before, ${owedAfter} after`);

  return {
    poolId,
    contributors,
    rejections,
    purchases,
    claimed,
    erasureAttested: {
      buyer: env.accounts.buyer.address,
      upToIndex: pool.erasureCount,
      owedBefore,
      owedAfter,
    },
  };
}

/** Submits `record` from a fresh wallet and returns the custodian's refusal; throws if it accepts. */
async function expectRejection(
  actors: DemoActors,
  poolId: number,
  label: string,
  record: unknown,
): Promise<DemoRejection> {
  try {
    await contributeRecord(actors, poolId, privateKeyToAccount(generatePrivateKey()), record);
  } catch (error) {
    if (!(error instanceof NodeApiError)) throw error;
    return {
      label,
      reason: error.reason ?? error.code,
      message: error.message,
      fieldErrors: error.fieldErrors ?? [],
    };
  }
  throw new Error(`the custodian accepted ${label}`);
}

function expectCount(who: string, actual: number, expected: number): void {
  if (actual !== expected)
    throw new Error(`${who} decrypted ${actual} records, expected ${expected}`);
}

/** Waits until the node reports the purchase delivered, then reads the delivery from the chain. */
async function waitForDelivery(
  env: DemoEnvironment,
  api: NodeApiClient,
  purchase: Purchase,
  timeoutMs: number,
): Promise<{ deliveryCid: string; recordsRoot: Hex; recordCount: number }> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const status = await api.deliveryStatus(purchase.id).catch((error: unknown) => {
      if (error instanceof NodeApiError && error.status === 404) return undefined;
      throw error;
    });
    if (status?.status === "failed")
      throw new Error(`delivery of purchase #${purchase.id} failed: ${status.error}`);
    if (status?.status === "delivered") break;
    if (Date.now() > deadline)
      throw new Error(`purchase #${purchase.id} was not delivered within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  // The buyer trusts the chain, not the node: root, count and manifest CID come from the event.
  const [fulfilled] = await env.publicClient.getContractEvents({
    abi: databankAbi,
    address: env.databank,
    eventName: "PurchaseFulfilled",
    args: { purchaseId: purchase.id },
    fromBlock: 0n,
  });
  if (!fulfilled)
    throw new Error(`the node reports purchase #${purchase.id} delivered, but the chain does not`);
  return {
    deliveryCid: fulfilled.args.deliveryCid!,
    recordsRoot: fulfilled.args.recordsRoot!,
    recordCount: Number(fulfilled.args.recordCount),
  };
}

/** Wei as ETH with up to 6 decimals. */
export function fmt(wei: bigint): string {
  const ether = Number(wei) / 1e18;
  return ether.toLocaleString("en-US", { maximumFractionDigits: 6 });
}
