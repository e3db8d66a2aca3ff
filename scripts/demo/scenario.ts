/**
 * The demo scenario of `npm run demo`, also run by the end-to-end test: a curator opens a
 * "Software engineers' resumes" pool (its profile: {@link DEMO_POOL_PROFILE}) selling both
 * products (record copies and differentially private queries, with an ε budget), 200 contributors
 * join gasless, each choosing what its consent allows (records, statistics only, or both: see
 * {@link demoScope}; of 200: 5, 5 and 190), two bad submissions are rejected, a buyer pays and
 * decrypts the 195 records whose consent allows copies (never the statistics-only ones), an analyst
 * buys an answer (count and mean years of experience by education, ε = 0.5) computed over the 195
 * contributions allowing statistics and paying exactly them, two contributors revoke, a second
 * buyer receives 193 records, every party claims (each contributor's claim checked against what
 * each product paid it), and the first buyer attests the erasures it owes.
 *
 * Why 200: differential privacy adds noise of the order of one person's influence, whatever the
 * group's size. With 39 people in each of the 5 education groups, every group clears the release
 * threshold and the mean years are off by about a year (see ./analystQuery.ts); with the 20 people
 * of a toy pool the answer was mostly noise.
 *
 * It only uses what any user has: the chain's JSON-RPC, the data bank node's HTTP API and the
 * shared library. Nothing here reaches into the node's internals.
 */
import { formatTokenAmount, nativeUnits, type TokenUnits } from "../../lib/audit/money.js";
import { recordsRoot } from "../../lib/contracts/recordsMerkle.js";
import { formatEpsilon, QUERY_POLICY_KEYWORD, type QueryAnswer } from "../../lib/query/index.js";
import { buyAnswer, quoteQuery } from "../../lib/query/buyer.js";
import { ANALYST_QUERY } from "./analystQuery.js";
import { demoPoolQueryPolicy } from "./queryPolicy.js";
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
  dataCommitment,
  type ConsentScopeBits,
  type DatabankClient,
  type Purchase,
} from "../../lib/contracts/index.js";
import { contribute } from "../../lib/contributor/contribute.js";
import { deriveWalletKeyPair, fromHex32, toHex32 } from "../../lib/crypto/index.js";
import {
  openDelivery,
  waitForDeliveryKey,
  type DeliveredRecord,
} from "../../lib/delivery/index.js";
import { mapLimit } from "../../lib/async/index.js";
import { withPoolProfile, type PoolProfile } from "../../lib/pools/profile.js";
import { demoPoolResume, type Resume } from "./resumes.js";

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
  /** Price per record sale in wei. */
  price?: bigint;
  /** Price per query in wei. */
  queryPrice?: bigint;
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

/** What each product paid one contribution, in wei. */
export interface DemoEarnings {
  bounty: bigint;
  /** Its share of record sales that delivered its record. */
  records: bigint;
  /** Its share of the queries whose answer used its record. */
  queries: bigint;
}

/** The analyst's query: its answer, verified against the chain, and what it cost. */
export interface DemoQuerySale {
  buyer: Address;
  purchaseId: bigint;
  amount: bigint;
  /** ε the answer spent (micro-ε), as `QueryAnswered` records it. */
  epsilonSpent: bigint;
  /** The pool's ε budget and what is left after the answer (micro-ε), read from the chain. */
  epsilonBudget: bigint;
  epsilonRemaining: bigint;
  /**
   * The contributions the answer was computed over (and paid): the ones allowing statistics that
   * were active, whose Merkle root the demo checked equals the root `QueryAnswered` commits.
   */
  recordsUsed: bigint[];
  /** What `QueryAnswered` credited each of them, in wei. */
  perContribution: bigint;
  answer: QueryAnswer;
  csv: string;
}

/** What the scenario did, for the summary and the test's assertions. */
export interface DemoResult {
  poolId: number;
  /** The pool's payment token (the chain's native coin). */
  units: TokenUnits;
  contributors: {
    address: Address;
    contributionId: bigint;
    resume: Resume;
    /** What its consent allows. */
    scope: ConsentScopeBits;
    dataCid: string;
    revoked: boolean;
    claimed: bigint;
    earned: DemoEarnings;
  }[];
  rejections: DemoRejection[];
  purchases: {
    buyer: Address;
    purchaseId: bigint;
    amount: bigint;
    records: DeliveredRecord[];
    deliveryCid: string;
  }[];
  query: DemoQuerySale;
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
  "You choose what your consent allows: copies of your record sold to buyers, use inside differentially private statistics only (no copy ever leaves the custodian), or both.",
  "You earn 70% of every sale of a product your consent allows, split equally among its active contributors, plus a bounty when you join.",
  "You may revoke at any time: you keep your earnings, later buyers do not receive your data, and every earlier buyer must erase it.",
].join("\n");
const PURPOSES_ANALYTICS_AND_RECRUITMENT = 0b11;

/** The demo pool's profile (docs/pool-profile.md): what lists show instead of "Pool N". */
export const DEMO_POOL_PROFILE: PoolProfile = {
  name: "Software engineers' resumes",
  description:
    "Resumes of software engineers (experience, skills, city, education, salary expectation), sold to recruiters as copies and to labour-market analysts as private statistics.",
  category: "employment",
};

/**
 * How many contributions or claims the demo has in flight at once. The node relays through one
 * transaction queue, but sealing, uploads and signatures of some contributions overlap the chain
 * work of others (the whole demo took 22.7 s with 16 and 25.5 s with 8, on a shared two-core
 * machine).
 */
const PARALLEL = 16;

type Wallet = WalletClient<Transport, Chain, Account>;

/** Clients and helpers shared by the steps of the scenario. */
export interface DemoActors {
  env: DemoEnvironment;
  api: NodeApiClient;
  /** Read-only contract client. */
  reader: DatabankClient;
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
  /** Also sell queries (default: record sales only). */
  queries?: {
    /** Price per query in wei. */
    price: bigint;
    /** The pool's total ε budget, micro-ε (immutable). */
    epsilonBudget: number;
    /** The most ε one query may spend, micro-ε. */
    maxEpsilonPerQuery: number;
  };
}

/** The curator uploads the schema and terms through the node and opens the pool; returns its id. */
export async function openResumePool(
  actors: DemoActors,
  options: ResumePoolOptions,
): Promise<number> {
  const { api, env, mined } = actors;
  const custodian = await api.custodian();
  // The pool's profile and query policy travel inside its record schema (docs/pool-profile.md,
  // docs/queries.md), so the schema the demo publishes carries both.
  const schema = withPoolProfile(
    {
      ...(JSON.parse(readFileSync(RESUME_SCHEMA_PATH, "utf8")) as object),
      [QUERY_POLICY_KEYWORD]: demoPoolQueryPolicy(),
    },
    DEMO_POOL_PROFILE,
  );
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
        products: options.queries ? CONSENT_SCOPE.both : CONSENT_SCOPE.records,
        queryPrice: options.queries?.price ?? 0n,
        epsilonBudget: options.queries?.epsilonBudget ?? 0,
        maxEpsilonPerQuery: options.queries?.maxEpsilonPerQuery ?? 0,
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
  scope: ConsentScopeBits = CONSENT_SCOPE.records,
): Promise<bigint> {
  return (await contributeWithScope(actors, poolId, person, record, scope)).contributionId;
}

/** {@link contributeRecord}, returning the contribution id and the data CID. */
async function contributeWithScope(
  actors: DemoActors,
  poolId: number,
  person: LocalAccount,
  record: unknown,
  scope: ConsentScopeBits,
): Promise<{ contributionId: bigint; dataCid: string }> {
  const pool = await actors.reader.contract.read.getPool([poolId]);
  const ownKey = await deriveWalletKeyPair(person);
  return contribute({
    api: actors.api,
    databank: actors.reader,
    signer: person,
    poolId,
    payload: { json: record },
    custodianPublicKey: fromHex32(pool.custodianKey),
    contributorPublicKey: ownKey.publicKey,
    scope,
  });
}

/**
 * What the `index`-th demo contributor's consent allows: in every 40, one statistics only and one
 * records only, the others both (of 200: 5, 5 and 190). The first two allow both (they revoke).
 */
export function demoScope(index: number): ConsentScopeBits {
  if (index % 40 === 39) return CONSENT_SCOPE.statistics;
  if (index % 40 === 19) return CONSENT_SCOPE.records;
  return CONSENT_SCOPE.both;
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
  const units = nativeUnits(actors.env.publicClient.chain.id);
  options.reporter?.info(
    `purchase #${purchase.id} paid ${formatTokenAmount(purchase.amount, units)} into escrow`,
  );
  return receiveDelivery(actors, buyerAccount, purchase, options);
}

/** Runs the scenario; throws with a one-line message when a step does not behave as expected. */
export async function runDemoScenario(
  env: DemoEnvironment,
  reporter: DemoReporter,
  options: DemoOptions = {},
): Promise<DemoResult> {
  const contributorCount = options.contributors ?? 200;
  const revocations = options.revocations ?? 2;
  const price = options.price ?? parseEther("1");
  const queryPrice = options.queryPrice ?? parseEther("0.5");
  const bounty = options.bounty ?? parseEther("0.001");
  const actors = demoActors(env);
  const { reader, mined } = actors;
  const units = nativeUnits(env.publicClient.chain.id);
  const money = (wei: bigint) => formatTokenAmount(wei, units);

  reporter.step(`Curator opens the pool “${DEMO_POOL_PROFILE.name}” selling records and queries`);
  const poolId = await openResumePool(actors, {
    price,
    bounty,
    minContributors: Math.min(10, contributorCount - revocations),
    fundedBounties: contributorCount,
    queries: { price: queryPrice, epsilonBudget: 3_000_000, maxEpsilonPerQuery: 1_000_000 },
  });
  reporter.info(`pool #${poolId}: ${DEMO_POOL_PROFILE.description}`);
  reporter.info(
    `prices: a copy of the records ${money(price)}, a query ${money(queryPrice)}; privacy budget ε 3 (at most 1 per query); 70% to contributors, bounty ${money(bounty)} each`,
  );

  reporter.step(
    `${contributorCount} contributors submit their resumes (gasless, encrypted before upload), each choosing what its consent allows`,
  );
  const { people, contributors } = await contributeAll(actors, poolId, contributorCount, reporter);
  const allowing = (bit: number) => contributors.filter((c) => (c.scope & bit) !== 0).length;
  reporter.info(
    `${allowing(CONSENT_SCOPE.records)} allow copies of their record, ${allowing(CONSENT_SCOPE.statistics)} allow statistics, ${contributors.filter((c) => c.scope === CONSENT_SCOPE.statistics).length} of them statistics only`,
  );

  reporter.step("Two more submissions are rejected by the custodian");
  const rejections = await rejectBadSubmissions(actors, poolId, contributorCount, reporter);

  reporter.step(
    "A buyer pays for a copy; the custodian delivers only the records whose consent allows it",
  );
  const purchases: DemoPurchase[] = [];
  purchases.push(await buyAndDecrypt(actors, poolId, env.accounts.buyer, { ...options, reporter }));
  expectCount("the first buyer", purchases[0]!.records.length, allowing(CONSENT_SCOPE.records));
  reporter.info(
    `${purchases[0]!.records.length} of the pool's ${contributorCount} records delivered: the statistics-only ones are not for sale`,
  );

  reporter.step(
    "An analyst buys an answer instead of a copy: count and mean years of experience by education, ε 0.5",
  );
  const query = await sellQuery(actors, poolId, contributors, { ...options, reporter });

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
  const stillAllowing = contributors.filter((c) => !c.revoked && c.scope & CONSENT_SCOPE.records);
  expectCount("the second buyer", purchases[1]!.records.length, stillAllowing.length);

  reporter.step("Contributors, curator and platform claim what they earned");
  await creditEarnings(actors, contributors, purchases, query, bounty);
  const claimed = await claimAll(actors, people, contributors, reporter);
  for (const [index, c] of contributors.entries()) {
    const owed = c.earned.bounty + c.earned.records + c.earned.queries;
    if (c.claimed !== owed) {
      throw new Error(
        `contributor ${index + 1} claimed ${money(c.claimed)}, but its bounty and the two products paid it ${money(owed)}`,
      );
    }
  }

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
    units,
    contributors,
    rejections,
    purchases,
    query,
    claimed,
    erasureAttested: {
      buyer: env.accounts.buyer.address,
      upToIndex: pool.erasureCount,
      owedBefore,
      owedAfter,
    },
  };
}

type DemoContributor = DemoResult["contributors"][number];

/**
 * Fresh contributors each contribute one resume ({@link demoPoolResume}) with the scope
 * {@link demoScope} gives them, {@link PARALLEL} at a time, as independent people would; the
 * result keeps their order.
 */
async function contributeAll(
  actors: DemoActors,
  poolId: number,
  count: number,
  reporter: DemoReporter,
): Promise<{ people: ContributorAccount[]; contributors: DemoContributor[] }> {
  const people = await newContributors(actors, count);
  let accepted = 0;
  const contributors = await mapLimit(
    [...people.keys()],
    PARALLEL,
    async (index): Promise<DemoContributor> => {
      const resume = demoPoolResume(index);
      const scope = demoScope(index);
      const { contributionId, dataCid } = await contributeWithScope(
        actors,
        poolId,
        people[index]!,
        resume,
        scope,
      );
      reporter.progress("contributions accepted", ++accepted, count);
      return {
        address: people[index]!.address,
        contributionId,
        resume,
        scope,
        dataCid,
        revoked: false,
        claimed: 0n,
        earned: { bounty: 0n, records: 0n, queries: 0n },
      };
    },
  );
  return { people, contributors };
}

/** A resume breaking the schema and a disguised duplicate, each refused with its reason. */
async function rejectBadSubmissions(
  actors: DemoActors,
  poolId: number,
  contributorCount: number,
  reporter: DemoReporter,
): Promise<DemoRejection[]> {
  const rejections: DemoRejection[] = [];
  const firstResume = demoPoolResume(0);
  const attempts: { label: string; record: unknown }[] = [
    {
      label: "a resume that breaks the schema",
      record: { ...demoPoolResume(contributorCount), yearsOfExperience: "ten" },
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
  return rejections;
}

/**
 * The analyst (a fresh wallet the funder pays for) buys {@link ANALYST_QUERY} the way
 * `npm run query` does (lib/query/buyer.ts): checked and priced before paying, then paid, answered,
 * verified against the chain and opened. The demo then checks that the answer's on-chain root is
 * that of exactly the active contributions allowing statistics.
 */
async function sellQuery(
  actors: DemoActors,
  poolId: number,
  contributors: readonly DemoContributor[],
  options: { deliveryTimeoutMs?: number; reporter: DemoReporter },
): Promise<DemoQuerySale> {
  const { reporter } = options;
  const quote = await quoteQuery({
    reader: actors.reader,
    api: actors.api,
    poolId,
    query: ANALYST_QUERY,
  });
  reporter.info(
    `the query passes the pool's policy: price ${quote.price}, ε ${formatEpsilon(quote.epsilon)} of the ${formatEpsilon(quote.remaining)} left`,
  );
  const [analyst] = await newContributors(actors, 1, quote.pool.queryPrice + parseEther("0.01"));
  const bought = await buyAnswer({
    quote,
    queryBytes: new TextEncoder().encode(JSON.stringify(ANALYST_QUERY)),
    buyer: actors.as(analyst!),
    buyerKeys: await deriveWalletKeyPair(analyst!),
    api: actors.api,
    timeoutMs: options.deliveryTimeoutMs ?? 120_000,
    intervalMs: 200,
    onPaid: (purchase) =>
      reporter.info(`query purchase #${purchase.id} paid ${quote.price} into escrow`),
  });
  if (bought.kind === "rejected") {
    throw new Error(`the custodian rejected the analyst's query: ${bought.reason}`);
  }
  const used = contributors.filter((c) => !c.revoked && c.scope & CONSENT_SCOPE.statistics);
  const root = recordsRoot(
    used.map((c) => ({ tokenId: c.contributionId, dataCommitment: dataCommitment(c.dataCid) })),
  );
  if (bought.recordCount !== used.length || root !== bought.recordsRoot) {
    throw new Error(
      `the answer's on-chain records (${bought.recordCount}, root ${bought.recordsRoot}) are not the ${used.length} active contributions allowing statistics`,
    );
  }
  const [answered] = await actors.reader.contract.getEvents.QueryAnswered(
    { purchaseId: bought.purchase.id },
    { fromBlock: 0n },
  );
  const pool = await actors.reader.contract.read.getPool([poolId]);
  reporter.info(
    `answered over ${bought.recordCount} records (the on-chain root is theirs), ε ${formatEpsilon(bought.epsilonSpent)} spent`,
  );
  return {
    buyer: bought.purchase.buyer,
    purchaseId: bought.purchase.id,
    amount: bought.purchase.amount,
    epsilonSpent: bought.epsilonSpent,
    epsilonBudget: BigInt(pool.epsilonBudget),
    epsilonRemaining: BigInt(pool.epsilonBudget) - BigInt(pool.epsilonSpent),
    recordsUsed: used.map((c) => c.contributionId),
    perContribution: answered!.args.perContribution!,
    answer: bought.bundle.answer,
    csv: bought.bundle.csv,
  };
}

/**
 * What each product paid each contribution, from the chain's events: a record sale's
 * `perContribution` for each record it delivered, the query's for each record it used, and the
 * bounty each accepted contribution received.
 */
async function creditEarnings(
  actors: DemoActors,
  contributors: DemoContributor[],
  purchases: readonly DemoPurchase[],
  query: DemoQuerySale,
  bounty: bigint,
): Promise<void> {
  const byId = new Map(contributors.map((c) => [c.contributionId, c]));
  for (const purchase of purchases) {
    const [fulfilled] = await actors.reader.contract.getEvents.PurchaseFulfilled(
      { purchaseId: purchase.purchaseId },
      { fromBlock: 0n },
    );
    for (const record of purchase.records) {
      byId.get(record.tokenId)!.earned.records += fulfilled!.args.perContribution!;
    }
  }
  for (const id of query.recordsUsed) byId.get(id)!.earned.queries += query.perContribution;
  for (const c of contributors) c.earned.bounty = bounty;
}

/** Every contributor, then the curator and the platform, claims; returns the last two's amounts. */
async function claimAll(
  actors: DemoActors,
  people: readonly LocalAccount[],
  contributors: DemoContributor[],
  reporter: DemoReporter,
): Promise<DemoResult["claimed"]> {
  const claim = async (account: LocalAccount, ids: bigint[]): Promise<bigint> => {
    const receipt = await actors.mined(
      await actors.as(account).contract.write.claim([zeroAddress, ids]),
    );
    const withdrawn = parseEventLogs({
      abi: databankAbi,
      eventName: "Withdrawn",
      logs: receipt.logs,
    });
    return withdrawn.reduce((sum, log) => sum + log.args.amount, 0n);
  };
  // Each contributor sends from its own wallet, so the claims can be in flight together.
  let done = 0;
  await mapLimit([...contributors.keys()], PARALLEL, async (index) => {
    const contributor = contributors[index]!;
    contributor.claimed = await claim(
      people[index]!,
      contributor.revoked ? [] : [contributor.contributionId],
    );
    reporter.progress("contributors claimed", ++done, contributors.length);
  });
  const { env } = actors;
  return {
    curator: await claim(env.accounts.curator, []),
    treasury: env.treasury ? await claim(env.treasury, []) : 0n,
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
