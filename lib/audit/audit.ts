/**
 * `runAudit`: reads a Databank's events, replays them, reads the few facts the invariants compare
 * against at the audited block (token balances, symbols and decimals, `erasuresOwed`,
 * `privacyLoss`, block times), fetches the delivery manifests through a caller-supplied content
 * source, and returns the report, with what it could not verify.
 */
import { erc20Abi, getAddress, zeroAddress, type Address, type PublicClient } from "viem";
import { databankAbi } from "../contracts/abis.js";
import { auditCaveats } from "./caveats.js";
import {
  checkBalance,
  checkCredits,
  checkErasures,
  checkManifests,
  checkPrivacyBudget,
  checkProducts,
  checkRecordCounts,
  expectedHoldings,
  type AuditScope,
  type FindingFormatter,
  type ManifestOutcome,
} from "./checks.js";
import { AuditError, shortMessage } from "./errors.js";
import { txUrlBuilder } from "./explorer.js";
import {
  accountKey,
  allowsStatistics,
  earnedDividends,
  findingAmount,
  findingText,
  findingWords,
  replayedPrivacyLoss,
  unsettledDividends,
  type Ledger,
  type PurchaseLedger,
  type TxRef,
} from "./ledger.js";
import type { LogProgress } from "./logs.js";
import {
  contributionsByPool,
  manifestProblems,
  parseManifest,
  queryRecordsProblems,
} from "./manifest.js";
import { readTokenUnits } from "./money.js";
import { blockClock, replayDatabank } from "./replay.js";
import type { ReplayCache } from "./replayCache.js";
import type {
  AccountRow,
  AuditReport,
  BalanceRow,
  ContributionRow,
  ErasureRow,
  PrivacyBudgetRow,
  PrivacyLossRow,
  PurchaseRow,
  TxLink,
} from "./report.js";

/** Fetches content by CID (e.g. the data bank node's `GET /v1/content/{cid}`). */
export type FetchContent = (cid: string) => Promise<Uint8Array>;

/** Default grace period before an unattested erasure request counts as overdue: 7 days. */
export const DEFAULT_ERASURE_GRACE_SECONDS = 7 * 24 * 3600;

/** The chain calls the audit makes (a viem public client has them all). */
export type AuditChainClient = Pick<
  PublicClient,
  | "getChainId"
  | "getBlockNumber"
  | "getBlock"
  | "getBalance"
  | "getCode"
  | "getLogs"
  | "readContract"
>;

/** Parameters of {@link runAudit}. */
export interface RunAuditParameters {
  /** Chain access. */
  client: AuditChainClient;
  /** The Databank contract. */
  databank: Address;
  /** First block read. Default 0. */
  fromBlock?: bigint;
  /** The audited block. Default: the latest. */
  toBlock?: bigint;
  /** Restrict the tables and the checks of pools to one pool... */
  poolId?: number;
  /** ...or to the pools and rows an account takes part in. The balance check stays contract-wide per token. */
  address?: Address;
  /** Blocks per `eth_getLogs` request (halved on "too many results"). Default 10,000. */
  blockRange?: bigint;
  /** Attempts per log range before giving up. Default 5. */
  attempts?: number;
  /** First retry delay, doubled each time. Default 250 ms. */
  backoffMs?: number;
  /**
   * Fetches delivery manifests; without it the manifest check is SKIPPED. With it, a fulfilled
   * purchase whose manifest it cannot fetch fails the check.
   */
  fetchContent?: FetchContent;
  /** Manifests fetched at once. Default 8. */
  manifestConcurrency?: number;
  /**
   * Also compare the replay with the contract's own `pendingEarnings` and `creditOf` at the audited
   * block (one call per contribution and account in scope): catches a contract whose storage
   * credits differ from what its events say, before anyone claims. Default true.
   */
  crossCheckViews?: boolean;
  /** Contract reads made at once for the cross-check. Default 16. */
  readConcurrency?: number;
  /** Seconds a buyer has to attest an erasure before it counts as overdue. Default 7 days. */
  erasureGraceSeconds?: number;
  /** Explorer override (see {@link txUrlBuilder}). */
  explorerUrl?: string;
  /** Progress of the log scan. */
  onProgress?: (progress: LogProgress) => void;
  /** Events and block times of earlier replays (the dApp's); see `createReplayCache`. None: all read. */
  cache?: ReplayCache;
}

/** The audited pool does not exist. */
export class UnknownPoolError extends AuditError {
  override name = "UnknownPoolError";

  /**
   * @param poolId - the pool asked for
   * @param poolCount - pools that exist (ids 1..poolCount)
   */
  constructor(
    readonly poolId: number,
    readonly poolCount: number,
  ) {
    super(
      `pool ${poolId} does not exist at the audited block (${poolCount} pools): check --pool and --from-block`,
    );
  }
}

/** Audits a Databank deployment from its events; see the module comment. */
export async function runAudit(parameters: RunAuditParameters): Promise<AuditReport> {
  const { client } = parameters;
  const { chainId, databank, fromBlock, block, blockTimestamp, ledger } =
    await replayDatabank(parameters);
  const scope = scopeOf(ledger, parameters.poolId, parameters.address);
  const txUrl = txUrlBuilder(chainId, parameters.explorerUrl);
  const link = (ref: TxRef | undefined): TxLink | undefined =>
    ref ? { hash: ref.transactionHash, url: txUrl(ref.transactionHash) } : undefined;
  // Amounts in findings are shown in their token's units, read below with the balances (the
  // checks, which call this, run after that).
  const balances: BalanceRow[] = [];
  const unitsOf = (token: Address) => balances.find((row) => row.token === token);
  const format: FindingFormatter = (finding) => {
    const text = findingText(finding.message, unitsOf);
    return finding.tx
      ? `${text} [tx ${txUrl(finding.tx.transactionHash) ?? finding.tx.transactionHash}]`
      : text;
  };

  const tokens = new Set<Address>();
  for (const pool of ledger.pools.values()) {
    if (scope.poolIds.has(pool.id)) tokens.add(pool.paymentToken);
  }
  for (const token of tokens) {
    const balance =
      token === zeroAddress
        ? await client.getBalance({ address: databank, blockNumber: block })
        : await client.readContract({
            abi: erc20Abi,
            address: token,
            functionName: "balanceOf",
            args: [databank],
            blockNumber: block,
          });
    const units = await readTokenUnits(client, token, chainId, block);
    balances.push(expectedHoldings(ledger, token, balance, units));
  }

  if (parameters.crossCheckViews ?? true) {
    await crossCheckViews(
      client,
      databank,
      ledger,
      scope,
      tokens,
      block,
      parameters.readConcurrency ?? 16,
    );
  }

  const erasures = await erasureRows(
    client,
    blockClock(client, parameters.cache),
    databank,
    ledger,
    scope,
    parameters.address,
    block,
    blockTimestamp,
    parameters.erasureGraceSeconds ?? DEFAULT_ERASURE_GRACE_SECONDS,
    parameters.readConcurrency ?? 16,
  );
  const privacyLosses = await privacyLossRows(
    client,
    databank,
    ledger,
    scope,
    block,
    parameters.readConcurrency ?? 16,
  );
  // Only record sales have a delivery manifest; a query's answer is sealed to its buyer.
  const fulfilled = [...ledger.purchases.values()].filter(
    (sale) => sale.fulfilment && sale.product === "records" && scope.poolIds.has(sale.poolId),
  );
  const manifests = parameters.fetchContent
    ? await verifyManifests(
        fulfilled,
        ledger,
        parameters.fetchContent,
        { chainId, databank },
        parameters.manifestConcurrency ?? 8,
      )
    : undefined;

  // A query's records used are checked from the events alone: count and root against the set.
  const poolContributions = contributionsByPool(ledger);
  const answers: ManifestOutcome[] = [...ledger.purchases.values()]
    .filter((sale) => sale.fulfilment && sale.product === "query" && scope.poolIds.has(sale.poolId))
    .map((purchase) => ({
      purchase,
      kind: "verified",
      problems: queryRecordsProblems(purchase, ledger, { poolContributions }),
    }));

  const checks = [
    checkBalance(ledger, balances, scope, format),
    checkCredits(ledger, scope, format, unitsOf),
    checkRecordCounts(ledger, scope, format),
    checkManifests(ledger, manifests, format, scope, answers),
    checkErasures(
      ledger,
      erasures,
      parameters.erasureGraceSeconds ?? DEFAULT_ERASURE_GRACE_SECONDS,
      scope,
      format,
    ),
    checkPrivacyBudget(ledger, privacyLosses, scope, format),
    checkProducts(ledger, balances, scope, format),
  ];
  return {
    chainId,
    databank,
    fromBlock,
    block,
    blockTimestamp,
    scope: { poolId: parameters.poolId, address: scope.address },
    eventCount: ledger.eventCount,
    checks,
    ...rows(ledger, scope, link),
    erasures,
    privacyBudgets: privacyBudgetRows(ledger, scope),
    balances,
    unverifiable: auditCaveats(
      [...ledger.pools.values()].filter((pool) => scope.poolIds.has(pool.id)),
    ),
    passed: checks.every((check) => check.status !== "FAIL"),
  };
}

interface ResolvedScope extends AuditScope {
  address?: Address;
}

/** The pools in scope: one pool, the pools an account takes part in, or all. */
function scopeOf(ledger: Ledger, poolId?: number, address?: Address): ResolvedScope {
  if (poolId !== undefined) {
    if (!ledger.pools.has(poolId)) throw new UnknownPoolError(poolId, ledger.pools.size);
    return { poolIds: new Set([poolId]) };
  }
  if (address === undefined) return { poolIds: new Set(ledger.pools.keys()) };
  const account = getAddress(address);
  const poolIds = new Set<number>();
  for (const pool of ledger.pools.values()) {
    if (pool.curator === account || pool.custodian === account) poolIds.add(pool.id);
  }
  for (const contribution of ledger.contributions.values()) {
    if (contribution.contributor === account) poolIds.add(contribution.poolId);
  }
  for (const sale of ledger.purchases.values()) {
    if (sale.buyer === account) poolIds.add(sale.poolId);
  }
  if (ledger.treasury === account) for (const id of ledger.pools.keys()) poolIds.add(id);
  return { poolIds, address: account };
}

/** The report's tables, restricted to the scope. */
function rows(
  ledger: Ledger,
  scope: ResolvedScope,
  link: (ref: TxRef | undefined) => TxLink | undefined,
): Pick<AuditReport, "purchases" | "contributions" | "accounts"> {
  const account = scope.address;
  const runsPool = (poolId: number) => {
    const pool = ledger.pools.get(poolId);
    return account !== undefined && (pool?.curator === account || pool?.custodian === account);
  };
  const purchases: PurchaseRow[] = [];
  for (const sale of ledger.purchases.values()) {
    if (!scope.poolIds.has(sale.poolId)) continue;
    if (account && sale.buyer !== account && !runsPool(sale.poolId)) continue;
    const f = sale.fulfilment;
    purchases.push({
      id: sale.id,
      poolId: sale.poolId,
      buyer: sale.buyer,
      token: sale.paymentToken,
      product: sale.product,
      status: sale.status,
      amount: sale.amount,
      epsilon: sale.epsilon,
      epsilonSpent: f?.epsilonSpent,
      rejectReason: sale.rejectReason,
      platform: f?.platform,
      curator: f?.curator,
      contributors: f?.contributors,
      perContribution: f?.perContribution,
      carry: f?.carry,
      recordCount: f?.recordCount,
      activeCount: f?.activeCount,
      deliveryCid: f?.deliveryCid,
      created: link(sale.created)!,
      settled: link(f?.tx ?? sale.refunded),
    });
  }
  const contributions: ContributionRow[] = [];
  const dividendsOf = new Map<string, bigint>();
  for (const contribution of ledger.contributions.values()) {
    const earned = earnedDividends(ledger, contribution);
    const token = ledger.pools.get(contribution.poolId)?.paymentToken ?? zeroAddress;
    const key = accountKey(contribution.contributor, token);
    dividendsOf.set(key, (dividendsOf.get(key) ?? 0n) + earned);
    if (!scope.poolIds.has(contribution.poolId)) continue;
    if (account && contribution.contributor !== account && !runsPool(contribution.poolId)) continue;
    contributions.push({
      id: contribution.id,
      poolId: contribution.poolId,
      contributor: contribution.contributor,
      status: contribution.status,
      scope: contribution.scope,
      expired: contribution.expired,
      privacyLoss: replayedPrivacyLoss(ledger, contribution),
      bounty: contribution.bounty,
      earned,
      settled: contribution.settled,
      unsettled: unsettledDividends(ledger, contribution),
      granted: link(contribution.granted),
      revoked: link(contribution.revoked),
    });
  }
  const related = relatedAccounts(ledger, scope);
  const accounts: AccountRow[] = [];
  // A contributor that was never credited (no bounty, nothing settled) has dividends only.
  const entries = new Map(ledger.accounts);
  for (const key of dividendsOf.keys()) {
    if (entries.has(key)) continue;
    const [account, token] = key.split(":") as [Address, Address];
    entries.set(key, {
      account,
      token,
      bounties: 0n,
      saleCredits: 0n,
      settledDividends: 0n,
      credit: 0n,
      withdrawn: 0n,
      refunded: 0n,
      rejectedCredits: 0n,
      withdrawals: [],
    });
  }
  for (const entry of entries.values()) {
    if (!related.has(entry.account)) continue;
    const dividends = dividendsOf.get(`${entry.account}:${entry.token}`) ?? 0n;
    // Settled dividends are already in the credit history; count each dividend once, as earned.
    const entitled = entry.bounties + entry.saleCredits + entry.rejectedCredits + dividends;
    accounts.push({
      account: entry.account,
      token: entry.token,
      bounties: entry.bounties,
      saleCredits: entry.saleCredits,
      dividends,
      entitled,
      withdrawn: entry.withdrawn,
      unclaimed: entitled - entry.withdrawn,
      refunded: entry.refunded,
      rejectedCredits: entry.rejectedCredits,
    });
  }
  return { purchases, contributions, accounts };
}

/** Accounts with a stake in the pools in scope (or the one account asked for). */
function relatedAccounts(ledger: Ledger, scope: ResolvedScope): Set<Address> {
  if (scope.address) return new Set([scope.address]);
  const related = new Set<Address>([ledger.treasury]);
  for (const pool of ledger.pools.values())
    if (scope.poolIds.has(pool.id)) related.add(pool.curator);
  for (const contribution of ledger.contributions.values()) {
    if (scope.poolIds.has(contribution.poolId)) related.add(contribution.contributor);
  }
  for (const sale of ledger.purchases.values()) {
    if (scope.poolIds.has(sale.poolId)) related.add(sale.buyer);
  }
  return related;
}

/** Runs `task` over `items`, at most `concurrency` at a time. */
async function forEachConcurrently<T>(
  items: readonly T[],
  concurrency: number,
  task: (item: T) => Promise<void>,
): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < items.length) await task(items[next++]!);
  };
  await Promise.all(
    Array.from({ length: Math.max(1, Math.min(concurrency, items.length)) }, worker),
  );
}

/**
 * Compares the replay with the contract's views at the audited block: each active contribution's
 * unsettled dividends with `pendingEarnings`, each account's credit with `creditOf`. A difference is
 * a finding of the credits (dividends) or balance (credits) check.
 */
async function crossCheckViews(
  client: AuditChainClient,
  databank: Address,
  ledger: Ledger,
  scope: ResolvedScope,
  tokens: Set<Address>,
  block: bigint,
  concurrency: number,
): Promise<void> {
  const active = [...ledger.contributions.values()].filter(
    (contribution) => contribution.status === "active" && scope.poolIds.has(contribution.poolId),
  );
  await forEachConcurrently(active, concurrency, async (contribution) => {
    const onChain = await client.readContract({
      abi: databankAbi,
      address: databank,
      functionName: "pendingEarnings",
      args: [contribution.id],
      blockNumber: block,
    });
    const replayed = unsettledDividends(ledger, contribution);
    if (onChain !== replayed) {
      const token = ledger.pools.get(contribution.poolId)?.paymentToken ?? zeroAddress;
      ledger.findings.push({
        check: "credits",
        poolId: contribution.poolId,
        message: findingWords`contribution #${contribution.id}: the events leave it ${findingAmount(replayed, token)} unsettled, the contract's pendingEarnings says ${findingAmount(onChain, token)}`,
      });
    }
  });
  const accounts = [...ledger.accounts.values()].filter((entry) => tokens.has(entry.token));
  await forEachConcurrently(accounts, concurrency, async (entry) => {
    const onChain = await client.readContract({
      abi: databankAbi,
      address: databank,
      functionName: "creditOf",
      args: [entry.account, entry.token],
      blockNumber: block,
    });
    if (onChain !== entry.credit) {
      ledger.findings.push({
        check: "balance",
        message: findingWords`${entry.account}: the events leave it a credit of ${findingAmount(entry.credit, entry.token)}, the contract's creditOf says ${findingAmount(onChain, entry.token)}`,
      });
    }
  });
}

/** The privacy budget of each pool in scope that sells queries, replayed. */
function privacyBudgetRows(ledger: Ledger, scope: ResolvedScope): PrivacyBudgetRow[] {
  const rows: PrivacyBudgetRow[] = [];
  for (const pool of ledger.pools.values()) {
    if (!scope.poolIds.has(pool.id) || !allowsStatistics(pool.products)) continue;
    let answers = 0;
    for (const sale of ledger.purchases.values()) {
      if (sale.poolId === pool.id && sale.product === "query" && sale.fulfilment) answers += 1;
    }
    rows.push({
      poolId: pool.id,
      budget: pool.epsilonBudget,
      maxPerQuery: pool.maxEpsilonPerQuery,
      spent: pool.epsilonSpent,
      remaining: Math.max(pool.epsilonBudget - pool.epsilonSpent, 0),
      answers,
    });
  }
  return rows;
}

/**
 * Each contribution in scope whose consent allows statistics and that became active: its privacy
 * loss replayed from the events, and the contract's `privacyLoss` at the audited block. (A
 * records-only consent's loss is 0 by definition; it is not read.)
 */
async function privacyLossRows(
  client: AuditChainClient,
  databank: Address,
  ledger: Ledger,
  scope: ResolvedScope,
  block: bigint,
  concurrency: number,
): Promise<PrivacyLossRow[]> {
  const contributions = [...ledger.contributions.values()].filter(
    (contribution) =>
      scope.poolIds.has(contribution.poolId) &&
      allowsStatistics(contribution.scope) &&
      (contribution.status === "active" || contribution.status === "revoked"),
  );
  const rows: PrivacyLossRow[] = [];
  await forEachConcurrently(contributions, concurrency, async (contribution) => {
    const onChain = await client.readContract({
      abi: databankAbi,
      address: databank,
      functionName: "privacyLoss",
      args: [contribution.id],
      blockNumber: block,
    });
    rows.push({
      contributionId: contribution.id,
      poolId: contribution.poolId,
      replayed: replayedPrivacyLoss(ledger, contribution),
      onChain: Number(onChain),
    });
  });
  rows.sort((x, y) => (x.contributionId < y.contributionId ? -1 : 1));
  return rows;
}

/** Each delivered buyer's erasures owed, replayed and read from `erasuresOwed`, with the oldest request's age. */
async function erasureRows(
  client: AuditChainClient,
  timestampOf: (blockNumber: bigint) => Promise<number>,
  databank: Address,
  ledger: Ledger,
  scope: ResolvedScope,
  address: Address | undefined,
  block: bigint,
  blockTimestamp: number,
  graceSeconds: number,
  concurrency: number,
): Promise<ErasureRow[]> {
  const buyers = [...ledger.buyerErasures.values()].filter(
    (erasure) =>
      scope.poolIds.has(erasure.poolId) && (!address || erasure.buyer === getAddress(address)),
  );
  const result: ErasureRow[] = [];
  await forEachConcurrently(buyers, concurrency, async (erasure) => {
    const pool = ledger.pools.get(erasure.poolId)!;
    const attested = Math.max(erasure.attestedUpTo, erasure.owedFrom);
    const owed = Math.max(pool.erasureCount - attested, 0);
    const owedOnChain = await client.readContract({
      abi: databankAbi,
      address: databank,
      functionName: "erasuresOwed",
      args: [erasure.poolId, erasure.buyer],
      blockNumber: block,
    });
    let oldestRequestedAt: number | undefined;
    if (owed > 0) {
      const request = pool.erasureRequests[attested];
      if (request) oldestRequestedAt = await timestampOf(request.tx.blockNumber);
    }
    result.push({
      poolId: erasure.poolId,
      buyer: erasure.buyer,
      requested: pool.erasureCount,
      attestedUpTo: attested,
      owed,
      owedOnChain: Number(owedOnChain),
      oldestRequestedAt,
      overdue:
        owed > 0 &&
        oldestRequestedAt !== undefined &&
        blockTimestamp - oldestRequestedAt > graceSeconds,
    });
  });
  result.sort((x, y) => x.poolId - y.poolId || (x.buyer < y.buyer ? -1 : 1));
  return result;
}

/** Fetches and checks the manifest of every fulfilled purchase, a few at a time. */
async function verifyManifests(
  purchases: PurchaseLedger[],
  ledger: Ledger,
  fetchContent: FetchContent,
  context: { chainId: number; databank: Address },
  concurrency: number,
): Promise<ManifestOutcome[]> {
  const outcomes: ManifestOutcome[] = new Array(purchases.length);
  const poolContributions = contributionsByPool(ledger);
  const cache = new Map<string, Promise<Uint8Array>>();
  let next = 0;
  const worker = async () => {
    while (next < purchases.length) {
      const index = next++;
      const purchase = purchases[index]!;
      const cid = purchase.fulfilment!.deliveryCid;
      let bytes: Uint8Array;
      try {
        let pending = cache.get(cid);
        if (!pending) {
          pending = fetchContent(cid);
          cache.set(cid, pending);
        }
        bytes = await pending;
      } catch (error) {
        outcomes[index] = { purchase, kind: "unavailable", reason: shortMessage(error) };
        continue;
      }
      let problems: string[];
      try {
        problems = manifestProblems(parseManifest(bytes), purchase, ledger, {
          ...context,
          poolContributions,
        });
      } catch (error) {
        problems = [shortMessage(error)];
      }
      outcomes[index] = { purchase, kind: "verified", problems };
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, concurrency) }, worker));
  return outcomes;
}
