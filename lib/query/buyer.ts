/**
 * Buying a differentially private answer, the one way `npm run query` and `npm run demo` both do
 * it (docs/queries.md):
 *
 * 1. {@link quoteQuery}, before paying: read the pool's record schema by its on-chain CID, take its
 *    query policy (capped by the on-chain per-query ε), check the query against both, and state the
 *    price (in token units), the ε it will spend and what is left of the pool's privacy budget.
 * 2. {@link buyAnswer}: upload the query, pay (`purchaseQuery`, with its CID and keccak256), wait
 *    for the custodian's answer or rejection, check the answer against `QueryAnswered` and open it
 *    with the key the node releases once the answer is final (./sealedAnswer.ts).
 *
 * The buyer trusts the chain, not the node: the answer's CID, ε and record count are the event's.
 * Not exported from ./index.ts, which stays free of chain and node clients.
 */
import {
  erc20Abi,
  keccak256,
  zeroAddress,
  type Account,
  type Address,
  type Chain,
  type Hex,
  type Transport,
  type WalletClient,
} from "viem";
import type { NodeApiClient } from "../api/client.js";
import { NodeApiError } from "../api/client.js";
import { formatTokenAmount, readTokenUnits, type TokenUnits } from "../audit/money.js";
import {
  CONSENT_SCOPE,
  decodeDatabankError,
  type DatabankClient,
  type Purchase,
} from "../contracts/client.js";
import { toHex32 } from "../crypto/keys.js";
import { formatEpsilon } from "./epsilon.js";
import { isQueryError } from "./errors.js";
import { queryPolicyOf } from "./poolPolicy.js";
import { openAnswer, type AnswerBundle } from "./sealedAnswer.js";
import { checkQuery, type CheckedQuery } from "./validate.js";

/**
 * Why a query cannot be bought or its answer not trusted. `fixable` errors are the buyer's to fix
 * before paying (a CLI exits 2 on them): an unknown pool, one selling no queries, a query the
 * policy refuses, a budget with too little ε left. The others happen after paying or on the node's
 * side (exit 1).
 */
export class QueryPurchaseError extends Error {
  constructor(
    message: string,
    /** Whether the buyer can fix it by changing the pool, the query or its ε. */
    readonly fixable: boolean,
  ) {
    super(message);
    this.name = "QueryPurchaseError";
  }
}

/** The buyer's wallet: it signs the purchase (and, for a token, the approval). */
type BuyerWallet = WalletClient<Transport, Chain, Account>;

/** What {@link quoteQuery} reads from the chain: the pool as `getPool` returns it. */
type OnChainPool = Awaited<ReturnType<DatabankClient["contract"]["read"]["getPool"]>>;

/** A query checked against its pool, priced, before any payment. */
export interface QueryQuote {
  /** The pool asked. */
  poolId: number;
  /** The pool as read before paying. */
  pool: OnChainPool;
  /** The query, checked against the pool's record schema and query policy. */
  query: CheckedQuery;
  /** ε the query will spend, micro-ε. */
  epsilon: bigint;
  /** ε left in the pool's budget now, micro-ε. */
  remaining: bigint;
  /** The pool's payment token's symbol and decimals. */
  units: TokenUnits;
  /** The query price in token units with its symbol, e.g. "0.5 ETH". */
  price: string;
}

/** Arguments of {@link quoteQuery}. */
export interface QuoteQueryParams {
  /** Read-only contract client of the Databank. */
  reader: DatabankClient;
  /** The data bank node's API: the pool's schema is read through it. */
  api: Pick<NodeApiClient, "getContent">;
  /** The pool asked. */
  poolId: number;
  /** The query document (parsed JSON). */
  query: unknown;
  /** The ε to spend, micro-ε; default the document's own `epsilon`. */
  epsilon?: bigint;
}

/**
 * Checks a query against its pool and prices it, before any payment.
 *
 * @throws QueryPurchaseError, fixable when the pool is unknown or sells no queries, the policy
 *   refuses the query, or the budget has less ε left than the query would spend; not fixable when
 *   the pool's schema cannot be read from the node
 */
export async function quoteQuery(params: QuoteQueryParams): Promise<QueryQuote> {
  const { reader, api, poolId } = params;
  let pool: OnChainPool;
  try {
    pool = await reader.contract.read.getPool([poolId]);
  } catch (error) {
    if (decodeDatabankError(error)?.name === "UnknownPool") {
      throw new QueryPurchaseError(
        `there is no pool ${poolId} on Databank ${reader.address}`,
        true,
      );
    }
    throw error;
  }
  if ((pool.products & CONSENT_SCOPE.statistics) === 0) {
    throw new QueryPurchaseError(`pool ${poolId} does not sell queries`, true);
  }
  const [schemaCid] = await reader.contract.read.poolDocuments([poolId]);
  let schema: unknown;
  try {
    schema = JSON.parse(new TextDecoder().decode(await api.getContent(schemaCid)));
  } catch (error) {
    throw new QueryPurchaseError(
      `cannot read the pool's record schema ${schemaCid}: ${(error as Error).message}`,
      false,
    );
  }
  let query: CheckedQuery;
  try {
    const result = checkQuery({
      query: params.query,
      recordSchema: schema as object,
      policy: queryPolicyOf(schema, pool),
      epsilon: params.epsilon,
    });
    if (!result.ok) throw result.error;
    query = result.query;
  } catch (error) {
    if (isQueryError(error)) {
      throw new QueryPurchaseError(`the pool's policy refuses this query: ${error.message}`, true);
    }
    throw error;
  }
  const remaining = BigInt(pool.epsilonBudget) - BigInt(pool.epsilonSpent);
  if (remaining < query.epsilon) {
    throw new QueryPurchaseError(
      `the pool's privacy budget has only ${formatEpsilon(remaining < 0n ? 0n : remaining)} ε left, less than the ${formatEpsilon(query.epsilon)} ε this query would spend; ask for a smaller ε`,
      true,
    );
  }
  const chainId = await reader.publicClient.getChainId();
  const units = await readTokenUnits(reader.publicClient, pool.paymentToken, chainId);
  return {
    poolId,
    pool,
    query,
    epsilon: query.epsilon,
    remaining,
    units,
    price: formatTokenAmount(pool.queryPrice, units),
  };
}

/** Arguments of {@link buyAnswer}. */
export interface BuyAnswerParams {
  /** The quote the buyer accepted. */
  quote: QueryQuote;
  /** The query document's exact bytes (their keccak256 goes on-chain). */
  queryBytes: Uint8Array;
  /** The Databank client acting as the buyer (it pays and, for a token, approves). */
  buyer: DatabankClient<BuyerWallet>;
  /** The buyer's X25519 key pair (see deriveWalletKeyPair): the answer is sealed to it. */
  buyerKeys: { publicKey: Uint8Array; privateKey: Uint8Array };
  /** The data bank node's API. */
  api: Pick<NodeApiClient, "uploadContent" | "getContent" | "answerStatus">;
  /** How long to wait for the custodian after paying, ms. */
  timeoutMs: number;
  /** Pause between two looks at the node, ms; default 1,000. */
  intervalMs?: number;
  /** Called once the purchase is mined, before waiting. */
  onPaid?: (purchase: Purchase) => void;
}

/** An answer, verified against the chain and opened. */
export interface BoughtAnswer {
  kind: "answered";
  purchase: Purchase;
  /** The sealed answer's CID, as `QueryAnswered` records it. */
  answerCid: string;
  /** ε the answer spent, micro-ε (the event's, equal to the answer's own). */
  epsilonSpent: bigint;
  /** Records the answer was computed over (the event's). */
  recordCount: number;
  /** Merkle root of those records (the event's; lib/contracts/recordsMerkle.ts). */
  recordsRoot: Hex;
  /** The answer (JSON) and its CSV. */
  bundle: AnswerBundle;
}

/** A query the custodian refused: the price was credited to the buyer, to withdraw with `claim`. */
export interface RejectedQuery {
  kind: "rejected";
  purchase: Purchase;
  /** The custodian's reason, as it gave it. */
  reason: string;
}

/**
 * Pays for the quoted query, waits for the custodian, and verifies and opens its answer.
 *
 * @throws QueryPurchaseError (not fixable) when the contract refuses the purchase, the answer does
 *   not come in time, fails, or disagrees with the chain
 */
export async function buyAnswer(params: BuyAnswerParams): Promise<BoughtAnswer | RejectedQuery> {
  const { purchase, blockNumber } = await payForQuery(params);
  params.onPaid?.(purchase);
  const status = await waitForAnswer(params, purchase);
  if (status.status === "rejected") {
    return { kind: "rejected", purchase, reason: status.reason ?? "no reason given" };
  }
  return openVerifiedAnswer(params, { purchase, blockNumber }, status);
}

/** Uploads the query and pays for it; returns the purchase and the block it was mined in. */
async function payForQuery(
  params: BuyAnswerParams,
): Promise<{ purchase: Purchase; blockNumber: bigint }> {
  const { quote, buyer, queryBytes } = params;
  const { pool } = quote;
  const { cid: queryCid } = await params.api.uploadContent(queryBytes);
  const native = pool.paymentToken === zeroAddress;
  if (!native) await approve(buyer, pool.paymentToken, pool.queryPrice);
  const args = [
    quote.poolId,
    pool.queryPrice,
    toHex32(params.buyerKeys.publicKey),
    Number(quote.epsilon),
    queryCid,
    keccak256(queryBytes),
  ] as const;
  const value = native ? { value: pool.queryPrice } : {};
  let hash: Hex;
  try {
    await buyer.contract.simulate.purchaseQuery(args, value);
    hash = await buyer.contract.write.purchaseQuery(args, value);
  } catch (error) {
    const decoded = decodeDatabankError(error);
    if (decoded !== undefined) {
      throw new QueryPurchaseError(`the purchase was refused: ${decoded.message}`, false);
    }
    throw error;
  }
  const receipt = await buyer.publicClient.waitForTransactionReceipt({ hash });
  return { purchase: buyer.purchaseFromEvent(receipt), blockNumber: receipt.blockNumber };
}

/** Lets the Databank take `amount` of an ERC-20 `token` from the buyer. */
async function approve(
  buyer: DatabankClient<BuyerWallet>,
  token: Address,
  amount: bigint,
): Promise<void> {
  const wallet = buyer.walletClient;
  const { request } = await buyer.publicClient.simulateContract({
    account: wallet.account,
    address: token,
    abi: erc20Abi,
    functionName: "approve",
    args: [buyer.address, amount],
  });
  await buyer.publicClient.waitForTransactionReceipt({ hash: await wallet.writeContract(request) });
}

type AnswerStatus = Awaited<ReturnType<NodeApiClient["answerStatus"]>>;

/** The node's status once the answer's key is released, or once the query is rejected. */
async function waitForAnswer(params: BuyAnswerParams, purchase: Purchase): Promise<AnswerStatus> {
  const giveUpAt = Date.now() + params.timeoutMs;
  for (;;) {
    let status: AnswerStatus | undefined;
    try {
      status = await params.api.answerStatus(purchase.id);
    } catch (error) {
      // 404 until the node has seen the purchase.
      if (!(error instanceof NodeApiError && error.status === 404)) throw error;
    }
    if (status?.status === "rejected") return status;
    if (status?.status === "refunded" || status?.status === "failed") {
      throw new QueryPurchaseError(
        `purchase ${purchase.id} was not answered (${status.status}${status.reason === undefined ? "" : `: ${status.reason}`}); once its deadline passes, refund it`,
        false,
      );
    }
    if (status?.answerKey !== undefined) return status;
    if (Date.now() >= giveUpAt) {
      throw new QueryPurchaseError(
        `purchase ${purchase.id}: no answer after ${Math.round(params.timeoutMs / 1000)} s (node status "${status?.status ?? "unseen"}"); ask again later`,
        false,
      );
    }
    await new Promise((done) => setTimeout(done, params.intervalMs ?? 1_000));
  }
}

/** Checks the node's answer against `QueryAnswered`, then opens it with the released key. */
async function openVerifiedAnswer(
  params: BuyAnswerParams,
  paid: { purchase: Purchase; blockNumber: bigint },
  status: AnswerStatus,
): Promise<BoughtAnswer> {
  const { buyer, quote } = params;
  const { purchase } = paid;
  const [answered] = await buyer.contract.getEvents.QueryAnswered(
    { purchaseId: purchase.id },
    { fromBlock: paid.blockNumber },
  );
  if (answered === undefined || answered.args.answerCid !== status.answerCid) {
    throw new QueryPurchaseError(
      `purchase ${purchase.id}: the node's answer ${status.answerCid} is not the one recorded on-chain`,
      false,
    );
  }
  const answerCid = answered.args.answerCid!;
  const epsilonSpent = BigInt(answered.args.epsilonSpent!);
  const bundle = await openAnswer({
    envelope: await params.api.getContent(answerCid),
    answerCid,
    sealedKey: status.answerKey!,
    buyerPrivateKey: params.buyerKeys.privateKey,
    binding: {
      chainId: await buyer.publicClient.getChainId(),
      databank: buyer.address,
      purchaseId: purchase.id,
      poolId: quote.poolId,
      buyer: purchase.buyer,
    },
  });
  if (BigInt(bundle.answer.epsilonMicro) !== epsilonSpent || epsilonSpent > quote.epsilon) {
    throw new QueryPurchaseError(
      `purchase ${purchase.id}: the answer says it spent ${bundle.answer.epsilon} ε but the chain recorded ${formatEpsilon(epsilonSpent)} ε`,
      false,
    );
  }
  return {
    kind: "answered",
    purchase,
    answerCid,
    epsilonSpent,
    recordCount: Number(answered.args.recordCount),
    recordsRoot: answered.args.recordsRoot!,
    bundle,
  };
}

/** An answer's CSV as an aligned text table. */
export function renderAnswerTable(csv: string): string {
  const rows = parseCsv(csv);
  if (rows.length === 0) return "(no groups)";
  const widths = rows[0]!.map((_, column) =>
    Math.max(...rows.map((row) => (row[column] ?? "").length)),
  );
  const line = (row: string[]) =>
    row
      .map((cell, column) => cell.padEnd(widths[column]!))
      .join("  ")
      .trimEnd();
  const [header, ...body] = rows;
  return [line(header!), widths.map((w) => "-".repeat(w)).join("  "), ...body.map(line)].join("\n");
}

/** RFC 4180 as ./csv.ts writes it: CRLF lines, quoted fields with doubled quotes. */
function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = "";
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const char = text[i]!;
    if (quoted) {
      if (char === '"' && text[i + 1] === '"') {
        field += '"';
        i++;
      } else if (char === '"') quoted = false;
      else field += char;
    } else if (char === '"') quoted = true;
    else if (char === ",") {
      row.push(field);
      field = "";
    } else if (char === "\n") {
      row.push(field.replace(/\r$/, ""));
      rows.push(row);
      row = [];
      field = "";
    } else field += char;
  }
  if (field !== "" || row.length > 0) rows.push([...row, field]);
  return rows;
}
