/**
 * The one Databank contract client of the project: scripts, the data bank node and the dApp build
 * on it. It is a thin layer over viem's `getContract` with the generated `databankAbi`, plus the
 * helpers every caller needs: turning a `PurchaseCreated` or `QueryPurchased` event back into the
 * `Purchase` struct that `fulfill`, `fulfillQuery` and `refund` take, the consent scopes, the EIP-712 typed data of a relayed consent, the data commitment of
 * a CID, and typed, human-readable errors for every custom error the contract can revert with.
 */
import { keccak_256 } from "@noble/hashes/sha3.js";
import {
  BaseError,
  bytesToHex,
  ContractFunctionRevertedError,
  decodeErrorResult,
  getContract,
  isHex,
  parseAbi,
  parseEventLogs,
  type Abi,
  type Account,
  type Address,
  type Chain,
  type ContractErrorArgs,
  type ContractErrorName,
  type GetContractReturnType,
  type Hex,
  type Log,
  type PublicClient,
  type Transport,
  type WalletClient,
} from "viem";
import { formatDuration } from "../format/duration.js";
import { formatEpsilon } from "../query/epsilon.js";
import { databankAbi } from "./abis.js";

export { databankAbi };

/** The Databank ABI's type. */
export type DatabankAbi = typeof databankAbi;

// ---------------------------------------------------------------- client

/**
 * What a contribution's consent allows, one bit per use (`ConsentScope` in Solidity); the same
 * bits name the products a pool sells.
 */
export const CONSENT_SCOPE = {
  /** The encrypted record may be delivered to buyers as a copy (record sales). */
  records: 1,
  /** The record may only be used inside differentially private answers (queries). */
  statistics: 2,
  /** Both. */
  both: 3,
} as const;

/** A scope or a pool's products: 1 records, 2 statistics, 3 both. */
export type ConsentScopeBits = 1 | 2 | 3;

/** The products a purchase buys, numbered as the Solidity enum `IDatabank.Product`. */
export const PRODUCT = { records: 0, query: 1 } as const;

/** Plain words for a scope, as the consent receipt writes them. */
export function describeScope(scope: number): string {
  if (scope === CONSENT_SCOPE.both) return "records and statistics";
  if (scope === CONSENT_SCOPE.records) return "records";
  if (scope === CONSENT_SCOPE.statistics) return "statistics only";
  return "none";
}

/**
 * The most private scope a pool offers: statistics only when it sells queries, else records.
 * Privacy first: a form that preselects a scope preselects this one.
 */
export function mostPrivateScope(products: number): ConsentScopeBits {
  return (products & CONSENT_SCOPE.statistics) !== 0
    ? CONSENT_SCOPE.statistics
    : CONSENT_SCOPE.records;
}

/** A purchase as `fulfill`, `fulfillQuery` and `refund` take it (the `IDatabank.Purchase` struct). */
export interface Purchase {
  /** uint64 purchase id. */
  id: bigint;
  /** uint32 pool id. */
  poolId: number;
  /** The buyer, who is refunded if the purchase is not delivered. */
  buyer: Address;
  /** uint96 amount held in escrow, in the pool's payment token (smallest unit). */
  amount: bigint;
  /** uint40 unix time after which the custodian can no longer deliver and a refund is open. */
  deadline: number;
  /**
   * uint32 count of ended consents of the product's scope at purchase (record sales: the pool's
   * erasure count; queries: its `statisticsEnded`): the set used may be taken at any count from
   * this one up to the pool's current one (`fulfill`'s `erasuresSeen`, `fulfillQuery`'s `statisticsSeen`).
   */
  erasureMark: number;
  /**
   * uint32 most privacy loss a query may spend, in millionths of ε; 0 for a record sale, so it
   * also says what the purchase buys.
   */
  epsilon: number;
}

/** What the contract needs to relay a contributor's consent (the `IDatabank.ConsentRequest` struct). */
export interface ConsentRequest {
  /** The signer, who receives the consent token. */
  contributor: Address;
  /** The pool joined. */
  poolId: number | bigint;
  /** CID of the encrypted data envelope; its keccak256 is the data commitment. */
  dataCid: string;
  /** When consent ends, unix seconds (0 = until revoked). */
  expiresAt: number | bigint;
  /** Last unix second at which the signature may be used. */
  deadline: bigint;
  /** The uses allowed ({@link CONSENT_SCOPE}), within the pool's products. */
  scope: number;
}

/** Anything holding transaction logs: a transaction receipt, or the logs themselves. */
export type LogsSource = readonly Log[] | { readonly logs: readonly Log[] };

type AnyPublicClient = PublicClient<Transport, Chain | undefined>;
type AnyWalletClient = WalletClient<Transport, Chain | undefined, Account | undefined>;

/** The viem contract instance: `read`, `simulate`, `estimateGas`, events and (with a wallet) `write`. */
export type DatabankContract<TWallet extends AnyWalletClient | undefined> =
  TWallet extends AnyWalletClient
    ? GetContractReturnType<DatabankAbi, { public: AnyPublicClient; wallet: TWallet }, Address>
    : GetContractReturnType<DatabankAbi, { public: AnyPublicClient }, Address>;

/** Parameters of {@link createDatabankClient}. */
export interface CreateDatabankClientParameters<TWallet extends AnyWalletClient | undefined> {
  /** Reads, simulations, gas estimates and events go through it. */
  publicClient: AnyPublicClient;
  /** Signs and sends transactions; without it the client is read-only (no `write`). */
  walletClient?: TWallet;
  /** The deployed Databank. */
  address: Address;
}

/**
 * Creates the Databank client.
 *
 * @example
 * const databank = createDatabankClient({ publicClient, walletClient, address });
 * const hash = await databank.contract.write.purchase([poolId, maxPrice, buyerKey], { value: maxPrice });
 * const purchase = databank.purchaseFromEvent(await publicClient.waitForTransactionReceipt({ hash }));
 */
export function createDatabankClient<TWallet extends AnyWalletClient | undefined = undefined>(
  params: CreateDatabankClientParameters<TWallet>,
) {
  const { publicClient, walletClient, address } = params;
  const base = getContract({
    abi: databankAbi,
    address,
    client: walletClient
      ? { public: publicClient, wallet: walletClient }
      : { public: publicClient },
  });
  // viem's getContract simulates from the public client's account (none: the node's default
  // sender), so a simulation would not see the caller that `write` sends from. Simulate as the
  // wallet's account unless the call names another.
  const account = walletClient?.account;
  const contract = (
    account ? { ...base, simulate: simulateAs(base.simulate, account) } : base
  ) as DatabankContract<TWallet>;

  return {
    address,
    abi: databankAbi,
    publicClient,
    walletClient: walletClient as TWallet,
    /**
     * viem contract instance (`read`, `simulate`, `estimateGas`, `getEvents`, `watchEvent`, and
     * `write` with a wallet). With a wallet, `simulate` and `estimateGas` run as its account.
     */
    contract,
    /** The chain id of the public client's chain (what contributors bind their envelopes to). */
    chainId: (): Promise<number> => publicClient.getChainId(),
    /** The purchase created in `source` by this Databank (see {@link purchaseFromEvent}). */
    purchaseFromEvent: (source: LogsSource) => purchaseFromEvent(source, { address }),
    /** Every purchase created in `source` by this Databank. */
    purchasesFromEvents: (source: LogsSource) => purchasesFromEvents(source, { address }),
    /**
     * The typed data a contributor signs so that the custodian can relay its consent. Reads the
     * chain id, the pool's terms digest and purposes, and the contributor's current nonce.
     */
    async consentTypedData(request: ConsentRequest) {
      const [chainId, pool, nonce] = await Promise.all([
        publicClient.getChainId(),
        publicClient.readContract({
          abi: databankAbi,
          address,
          functionName: "getPool",
          args: [Number(request.poolId)],
        }),
        publicClient.readContract({
          abi: databankAbi,
          address,
          functionName: "nonces",
          args: [request.contributor],
        }),
      ]);
      return consentTypedData({
        chainId,
        databank: address,
        request,
        termsDigest: pool.termsDigest,
        purposes: pool.purposes,
        nonce,
      });
    },
    /** See {@link decodeDatabankError}. */
    decodeError: decodeDatabankError,
  };
}

/** Wraps viem's `contract.simulate` so that calls default to `account`. */
function simulateAs<T extends object>(simulate: T, account: Account): T {
  return new Proxy(simulate, {
    get(target, functionName) {
      const simulateFunction = Reflect.get(target, functionName) as (
        ...parameters: unknown[]
      ) => unknown;
      return (...parameters: unknown[]) => {
        const hasArgs = Array.isArray(parameters[0]);
        const options = (hasArgs ? parameters[1] : parameters[0]) ?? {};
        const withAccount = { account, ...(options as object) };
        return hasArgs
          ? simulateFunction(parameters[0], withAccount)
          : simulateFunction(withAccount);
      };
    },
  });
}

/** The object {@link createDatabankClient} returns. */
export type DatabankClient<TWallet extends AnyWalletClient | undefined = undefined> = ReturnType<
  typeof createDatabankClient<TWallet>
>;

// ---------------------------------------------------------------- purchases

function logsOf(source: LogsSource): Log[] {
  return [...("logs" in source ? source.logs : source)];
}

/**
 * Every purchase created in `source` (`PurchaseCreated` and `QueryPurchased` events), in log
 * order, as the `Purchase` structs `fulfill`, `fulfillQuery` and `refund` take.
 *
 * @param options.address - only logs emitted by this Databank (recommended: a receipt may hold
 *   logs of other contracts with the same event)
 */
export function purchasesFromEvents(
  source: LogsSource,
  options: { address?: Address } = {},
): Purchase[] {
  const wanted = options.address?.toLowerCase();
  const logs = logsOf(source).filter(
    (log) => wanted === undefined || log.address.toLowerCase() === wanted,
  );
  return parseEventLogs({
    abi: databankAbi,
    eventName: ["PurchaseCreated", "QueryPurchased"],
    logs,
  }).map((event) => {
    const { args } = event;
    const common = {
      id: args.purchaseId,
      poolId: args.poolId,
      buyer: args.buyer,
      amount: args.amount,
      deadline: args.deadline,
    };
    return event.eventName === "QueryPurchased"
      ? {
          ...common,
          erasureMark: event.args.statisticsMark,
          epsilon: event.args.epsilon,
        }
      : { ...common, erasureMark: event.args.erasureMark, epsilon: 0 };
  });
}

/**
 * The one purchase created in `source` (a receipt of `purchase`/`purchaseWithPermit`, or its
 * logs). Throws if there is none, or more than one (use {@link purchasesFromEvents} then).
 */
export function purchaseFromEvent(
  source: LogsSource,
  options: { address?: Address } = {},
): Purchase {
  const purchases = purchasesFromEvents(source, options);
  if (purchases.length !== 1) {
    throw new Error(`expected one purchase event, found ${purchases.length}`);
  }
  return purchases[0]!;
}

// ---------------------------------------------------------------- rejections

/** Rejection reasons, named and ordered as the Solidity enum `IDatabank.RejectionReason`. */
export const REJECTION_REASONS = [
  "Undecryptable",
  "SchemaMismatch",
  "Duplicate",
  "Expired",
  "Other",
  /** The envelope is not bound to this submitter and pool (a copy, or an unbound v1 envelope). */
  "NotBound",
] as const;

// ---------------------------------------------------------------- bounties

/**
 * How many more bounties a pool's budget can pay (`bountyBudget / bountyPerContribution`), or
 * undefined when the pool pays none. Budget reserved for pending submissions is already deducted
 * on-chain. A contribution joins whether or not one is left.
 */
export function bountiesLeft(pool: {
  /** `Pool.bountyBudget`: what bounties can still be paid from. */
  bountyBudget: bigint;
  /** `Pool.bountyPerContribution`. */
  bountyPerContribution: bigint;
}): bigint | undefined {
  if (pool.bountyPerContribution === 0n) return undefined;
  return pool.bountyBudget / pool.bountyPerContribution;
}

// ---------------------------------------------------------------- relayed consent

/** The data commitment of an encrypted data envelope: keccak256 of its CID's UTF-8 bytes. */
export function dataCommitment(cid: string): Hex {
  // Straight over the UTF-8 bytes (viem's keccak256(toHex(cid)) converts to hex and back): a
  // buyer checks one commitment per delivered record, 100,000 in a large delivery.
  return bytesToHex(keccak_256(utf8.encode(cid)));
}

const utf8 = new TextEncoder();

/** EIP-712 types of a relayed consent (`Databank.CONSENT_TYPEHASH`). */
export const consentTypes = {
  Consent: [
    { name: "contributor", type: "address" },
    { name: "poolId", type: "uint256" },
    { name: "dataCommitment", type: "bytes32" },
    { name: "termsDigest", type: "bytes32" },
    { name: "purposes", type: "uint32" },
    { name: "scope", type: "uint8" },
    { name: "expiresAt", type: "uint40" },
    { name: "nonce", type: "uint256" },
    { name: "deadline", type: "uint256" },
  ],
} as const;

/** Parameters of {@link consentTypedData}. */
export interface ConsentTypedDataParameters {
  /** Chain the Databank is deployed on. */
  chainId: number | bigint;
  /** The Databank (EIP-712 verifying contract). */
  databank: Address;
  /** The consent to sign. */
  request: ConsentRequest;
  /** The pool's terms digest (`getPool(poolId).termsDigest`, keccak256 of the terms CID). */
  termsDigest: Hex;
  /** The pool's purposes bitmask (`getPool(poolId).purposes`). */
  purposes: number;
  /** The contributor's current nonce (`nonces(contributor)`). */
  nonce: bigint;
}

/**
 * The EIP-712 typed data a contributor signs (e.g. `walletClient.signTypedData(typedData)`) so that
 * the pool's custodian can relay its consent with `contributeWithSignature(request, signature)`.
 * Domain: name "Databank", version "1", the chain id and the Databank address.
 */
export function consentTypedData(params: ConsentTypedDataParameters) {
  const { request } = params;
  return {
    domain: {
      name: "Databank",
      version: "1",
      chainId: Number(params.chainId),
      verifyingContract: params.databank,
    },
    types: consentTypes,
    primaryType: "Consent",
    message: {
      contributor: request.contributor,
      poolId: BigInt(request.poolId),
      dataCommitment: dataCommitment(request.dataCid),
      termsDigest: params.termsDigest,
      purposes: params.purposes,
      scope: request.scope,
      expiresAt: Number(request.expiresAt),
      nonce: params.nonce,
      deadline: request.deadline,
    },
  } as const;
}

/** `request` in the form `contributeWithSignature` takes (uint32/uint40 as numbers). */
export function consentRequestArgs(request: ConsentRequest) {
  return {
    contributor: request.contributor,
    poolId: Number(request.poolId),
    dataCid: request.dataCid,
    expiresAt: Number(request.expiresAt),
    deadline: request.deadline,
    scope: request.scope,
  };
}

// ---------------------------------------------------------------- errors

/** Names of the custom errors in the Databank ABI (its own and the OpenZeppelin ones it inherits). */
export type DatabankAbiErrorName = ContractErrorName<DatabankAbi>;

/**
 * Errors that can reach a Databank caller without being in its ABI: OpenZeppelin errors of other
 * versions (Address before 5.2) and of the ERC-20 payment token, whose reverts SafeERC20 bubbles up.
 */
export const extraErrorsAbi = parseAbi([
  "error AddressInsufficientBalance(address account)",
  "error FailedInnerCall()",
  "error ERC20InsufficientBalance(address sender, uint256 balance, uint256 needed)",
  "error ERC20InsufficientAllowance(address spender, uint256 allowance, uint256 needed)",
  "error ERC20InvalidSender(address sender)",
  "error ERC20InvalidReceiver(address receiver)",
]);

const CONTRIBUTION_STATUS = ["none", "pending", "active", "revoked"] as const;
const PURCHASE_STATUS = ["none", "pending", "fulfilled", "refunded"] as const;
const PANIC_REASONS: Record<number, string> = {
  0x01: "an assertion failed",
  0x11: "an arithmetic operation overflowed",
  0x12: "a division by zero",
  0x21: "an invalid enum value",
  0x22: "a badly encoded storage byte array",
  0x31: "a pop from an empty array",
  0x32: "an out-of-bounds array access",
  0x41: "too much memory was allocated",
  0x51: "an uninitialised function was called",
};

const NATIVE = "0x0000000000000000000000000000000000000000";
const n = (value: number | bigint) => value.toString();
const token = (address: Address) => (address === NATIVE ? "the native coin" : `token ${address}`);
/** ISO time of a unix timestamp; the bare number when beyond what a Date can hold (e.g. 2^256-1). */
const time = (seconds: number | bigint) =>
  BigInt(seconds) <= 8_640_000_000_000n
    ? new Date(Number(seconds) * 1000).toISOString().replace(".000Z", "Z")
    : `unix time ${seconds.toString()}`;
const status = (list: readonly string[], value: number) => list[value] ?? `status ${value}`;
/** ε in plain decimals from its on-chain millionths, e.g. 500000 → "0.5". */
const epsilon = (micro: number) => formatEpsilon(BigInt(micro));

type ErrorArgs<TAbi extends Abi, N extends ContractErrorName<TAbi>> =
  ContractErrorArgs<TAbi, N> extends infer A extends readonly unknown[] ? A : never;

/** Words for an amount of money in a revert: see {@link ErrorWording.amount}. */
export type AmountWords = (value: bigint) => string;

/** How a decoded revert words what the error itself cannot say. */
export interface ErrorWording {
  /**
   * Amounts in the operation's token, e.g. `(v) => formatTokenAmount(v, units)` giving "25 TUSD".
   * A revert does not say which token's decimals apply, so without this amounts are given in the
   * token's base units and say so.
   */
  amount?: AmountWords;
}

const baseUnits: AmountWords = (value) => `${value.toString()} base units`;

/** Each sentence gets the error's arguments, then the words for amounts (which most ignore). */
type MessageTable = {
  [N in DatabankAbiErrorName]: (...args: [...ErrorArgs<DatabankAbi, N>, AmountWords]) => string;
} & {
  [N in ContractErrorName<typeof extraErrorsAbi>]: (
    ...args: [...ErrorArgs<typeof extraErrorsAbi, N>, AmountWords]
  ) => string;
};

/** One plain sentence per custom error. */
const MESSAGES: MessageTable = {
  // platform
  PlatformFeeTooHigh: (fee, max) =>
    `The platform fee of ${n(fee)} basis points is above the cap of ${n(max)}.`,
  InvalidTreasury: () => "The treasury cannot be the zero address.",
  OwnableUnauthorizedAccount: (account) =>
    `Only the platform owner can do this; ${account} is not the owner.`,
  OwnableInvalidOwner: (owner) => `${owner} cannot be the platform owner.`,
  InvalidReceiptRenderer: (renderer) =>
    `The consent receipt renderer ${renderer} is not a contract.`,
  // pools
  InvalidShare: (share) =>
    `A share of ${n(share)} basis points is above 100% (10,000 basis points).`,
  InvalidThreshold: (min, max) =>
    max === 0
      ? `The minimum number of contributors must be at least 1 (got ${n(min)}).`
      : `The minimum number of contributors (${n(min)}) must be at least 1 and not above the maximum (${n(max)}).`,
  InvalidDeliveryWindow: (window, min, max) =>
    `The delivery window of ${formatDuration(window)} is outside the allowed range (${formatDuration(min)} to ${formatDuration(max)}).`,
  InvalidCustodian: () => "The pool needs a custodian address and its encryption key.",
  InvalidPaymentToken: (address) => `The payment token ${address} is not a token contract.`,
  EmptyCid: () => "A required content identifier (CID) is empty.",
  InvalidPurposes: (purposes) =>
    `The purposes value ${n(purposes)} is not a non-empty combination of the defined purposes.`,
  UnknownPool: (poolId) => `Pool ${n(poolId)} does not exist.`,
  NotCurator: (poolId, caller) =>
    `Only the curator of pool ${n(poolId)} can do this, not ${caller}.`,
  NotCustodian: (poolId, caller) =>
    `Only the custodian of pool ${n(poolId)} can do this, not ${caller}.`,
  PoolPaused: (poolId) => `Sales of pool ${n(poolId)} are paused.`,
  PoolFull: (poolId, max) => `Pool ${n(poolId)} is full: it takes at most ${n(max)} contributors.`,
  InvalidProducts: (products) =>
    `The products value ${n(products)} is not 1 (record sales), 2 (queries) or 3 (both).`,
  InvalidPrivacyBudget: (budget, maxPerQuery) =>
    `A pool that sells queries needs a privacy budget and a per-query maximum above 0 and not above the budget (got budget ${epsilon(budget)}, per query ${epsilon(maxPerQuery)}); a pool that sells none sets both, and its query price, to 0.`,
  PriceForUnsoldProduct: (products) =>
    `A pool that sells no record copies (products ${n(products)}) sets its record price to 0.`,
  ProductNotOffered: (poolId, product) =>
    `Pool ${n(poolId)} does not sell ${product === PRODUCT.query ? "queries" : "record copies"}.`,
  BountyBudgetTooSmall: (poolId, withdrawable, requested, amount) =>
    `The curator can withdraw ${amount(withdrawable)} of pool ${n(poolId)}'s bounty budget (what it funded itself and no submission has reserved), less than the ${amount(requested)} requested.`,
  // contributions and consent
  InvalidContributionState: (id, state) =>
    state === 0
      ? `Contribution ${n(id)} does not exist.`
      : `Contribution ${n(id)} is ${status(CONTRIBUTION_STATUS, state)}, which does not allow this.`,
  NotContributor: (id, caller) =>
    `Only the holder of contribution ${n(id)} can do this, not ${caller}.`,
  InvalidScope: (scope, products) =>
    `The scope ${n(scope)} is not a non-empty combination of what the pool offers (${describeScope(products)}).`,
  DuplicateCommitment: (poolId) => `You already contributed these data to pool ${n(poolId)}.`,
  NonCanonicalCid: (cid) =>
    `The CID "${cid}" is not spelled canonically: use CIDv1 in lowercase base32 ("bafy…"), as CID.toString() writes it.`,
  InvalidExpiry: (expiresAt) => `The consent expiry (${time(expiresAt)}) is not in the future.`,
  ConsentNotExpired: (id, expiresAt) =>
    expiresAt === 0
      ? `Consent ${n(id)} has no expiry; only its holder can end it.`
      : `Consent ${n(id)} has not expired yet: it runs until ${time(expiresAt)}.`,
  SignatureExpired: (deadline) => `The signature expired at ${time(deadline)}.`,
  InvalidSignature: (contributor) =>
    `The signature is not ${contributor}'s for this consent and nonce.`,
  InvalidAccountNonce: (account, nonce) =>
    `The nonce used is not ${account}'s current nonce (${n(nonce)}).`,
  ConsentNonTransferable: () =>
    "Consent tokens cannot be transferred or approved: consent is personal.",
  // purchases
  BelowThreshold: (_poolId, active, min) =>
    `This pool has ${n(active)} active contributors; sales need at least ${n(min)}.`,
  PriceAboveMax: (price, max, amount) =>
    `The price rose to ${amount(price)}, above the maximum you accepted (${amount(max)}).`,
  IncorrectPayment: (sent, expected, amount) =>
    `The payment sent (${amount(sent)}) does not match the amount due (${amount(expected)}).`,
  UnsupportedToken: (address, expected, received, amount) =>
    `Token ${address} moved ${amount(received)} instead of ${amount(expected)}; fee-on-transfer tokens are not supported.`,
  MissingBuyerKey: () => "Register an encryption public key to receive the data.",
  UnexpectedNativePayment: () =>
    "This pool is paid in an ERC-20 token; do not send the native coin.",
  UnknownPurchase: (id) => `Purchase ${n(id)} does not exist or does not match the one made.`,
  PurchaseSettled: (id, state) => `Purchase ${n(id)} is already ${status(PURCHASE_STATUS, state)}.`,
  DeliveryOverdue: (id, deadline) =>
    `The delivery deadline of purchase ${n(id)} passed at ${time(deadline)}; the buyer can take a refund.`,
  RecordCountMismatch: (delivered, expected) =>
    `${n(delivered)} records were delivered but the set taken had ${n(expected)} contributions.`,
  StaleDeliverySet: (seen, mark, count) =>
    `The delivered set must be taken between the purchase (erasure count ${n(mark)}) and now (${n(count)}), not at ${n(seen)}.`,
  NoActiveContributions: (poolId) =>
    `Every delivered record of pool ${n(poolId)} was revoked before the delivery landed; the buyer is refunded after the deadline.`,
  RefundNotYetAvailable: (id, deadline) =>
    `Purchase ${n(id)} can be refunded only after its delivery deadline (${time(deadline)}).`,
  EmptyDelivery: () => "The delivery needs a content identifier (CID).",
  InvalidEpsilon: (value, max) =>
    value === 0
      ? "A query must spend some privacy budget (ε above 0)."
      : `The privacy loss ε = ${epsilon(value)} is above the most allowed here (${epsilon(max)}).`,
  PrivacyBudgetExhausted: (poolId, remaining, requested) =>
    `Pool ${n(poolId)} has ε = ${epsilon(remaining)} of its privacy budget left (net of pending queries), less than the ${epsilon(requested)} asked.`,
  WrongProduct: (id, product) =>
    `Purchase ${n(id)} is ${product === PRODUCT.query ? "a query" : "a record sale"}; use the call for that product.`,
  // payouts and erasure
  TokenMismatch: (id, expected, given) =>
    `Contribution ${n(id)} is paid in ${token(expected)}, not ${token(given)}.`,
  NothingToClaim: (account, address) => `${account} has nothing to withdraw in ${token(address)}.`,
  InvalidErasureIndex: (upTo, attested, count) =>
    `Cannot attest erasures up to ${n(upTo)}: ${n(attested)} are attested and ${n(count)} were requested.`,
  // OpenZeppelin: ERC-721
  ERC721NonexistentToken: (tokenId) => `Consent token ${n(tokenId)} does not exist.`,
  ERC721IncorrectOwner: (sender, tokenId, owner) =>
    `${sender} does not own token ${n(tokenId)}; ${owner} does.`,
  ERC721InsufficientApproval: (operator, tokenId) =>
    `${operator} is not approved for token ${n(tokenId)}.`,
  ERC721InvalidApprover: (approver) => `${approver} cannot approve this token.`,
  ERC721InvalidOperator: (operator) => `${operator} cannot be an operator.`,
  ERC721InvalidOwner: (owner) => `${owner} cannot own tokens.`,
  ERC721InvalidReceiver: (receiver) => `${receiver} cannot receive tokens.`,
  ERC721InvalidSender: (sender) => `${sender} cannot send this token.`,
  // OpenZeppelin: utilities
  ReentrancyGuardReentrantCall: () =>
    "A call re-entered the Databank while it was busy; it was refused.",
  SafeCastOverflowedUintDowncast: (bits, value) =>
    `The value ${n(value)} does not fit in ${n(bits)} bits.`,
  SafeERC20FailedOperation: (address) => `The transfer of token ${address} failed.`,
  InsufficientBalance: (balance, needed, amount) =>
    `The contract's balance (${amount(balance)}) is below the ${amount(needed)} needed.`,
  FailedCall: () => "A payment call failed: the recipient refused it.",
  InvalidShortString: () => "A short string is malformed.",
  StringTooLong: (str) => `The string "${str}" is too long.`,
  // outside the ABI
  AddressInsufficientBalance: (account) => `The balance of ${account} is too low for this payment.`,
  FailedInnerCall: () => "A payment call failed: the recipient refused it.",
  ERC20InsufficientBalance: (sender, balance, needed, amount) =>
    `${sender} has ${amount(balance)} of the payment token, less than the ${amount(needed)} needed.`,
  ERC20InsufficientAllowance: (spender, allowance, needed, amount) =>
    `The Databank (${spender}) may spend ${amount(allowance)} of your payment token, less than the ${amount(needed)} needed; approve it first.`,
  ERC20InvalidSender: (sender) => `${sender} cannot send the payment token.`,
  ERC20InvalidReceiver: (receiver) => `${receiver} cannot receive the payment token.`,
};

/** Every custom error name {@link decodeDatabankError} has a sentence for. */
export const databankErrorNames: readonly string[] = Object.keys(MESSAGES);

/** A Databank revert, decoded: the custom error's name and arguments, with a plain sentence. */
export class DatabankError extends Error {
  /** The custom error's name, e.g. "PriceAboveMax"; "Error" for `require` strings, "Panic" for panics. */
  override name: string;
  /** The custom error's arguments, in ABI order (uint above 48 bits as bigint). */
  readonly args: readonly unknown[];
  /** The raw revert data, when known. */
  readonly data: Hex | undefined;

  /**
   * @param name - custom error name
   * @param args - decoded arguments
   * @param options - raw revert data, the original error, and how to word amounts
   */
  constructor(
    name: string,
    args: readonly unknown[],
    options: { data?: Hex; cause?: unknown; wording?: ErrorWording } = {},
  ) {
    super(databankErrorMessage(name, args, options.wording), { cause: options.cause });
    this.name = name;
    this.args = args;
    this.data = options.data;
  }
}

/**
 * The plain sentence for a custom error (also for Solidity's `Error(string)` and `Panic(uint256)`);
 * a generic sentence naming the error if it is unknown.
 */
export function databankErrorMessage(
  name: string,
  args: readonly unknown[],
  wording: ErrorWording = {},
): string {
  if (name === "Error") return `The transaction was refused: ${String(args[0])}.`;
  if (name === "Panic") {
    const code = Number(args[0]);
    return `The contract stopped on ${PANIC_REASONS[code] ?? `panic code ${code}`}.`;
  }
  const format = (MESSAGES as Record<string, ((...a: readonly unknown[]) => string) | undefined>)[
    name
  ];
  const generic = `The transaction was refused with ${name}(${args.map(String).join(", ")}).`;
  if (!format) return generic;
  try {
    return format(...args, wording.amount ?? baseUnits);
  } catch {
    return generic; // arguments of an unexpected shape (e.g. decoded with another ABI)
  }
}

const decodingAbi: Abi = [
  ...databankAbi.filter((item) => item.type === "error"),
  ...extraErrorsAbi,
];

function decodeRevertData(
  data: Hex,
  cause: unknown,
  wording: ErrorWording | undefined,
): DatabankError | undefined {
  try {
    const { errorName, args } = decodeErrorResult({ abi: decodingAbi, data });
    return new DatabankError(errorName, args ?? [], { data, cause, wording });
  } catch {
    return undefined;
  }
}

/**
 * Finds the Databank revert in an error thrown by viem (`simulate`, `write`, `estimateGas`,
 * `read`, or a transport error carrying revert data) and decodes it. Returns undefined when the
 * error is not a revert, or its data cannot be decoded (e.g. a revert without data). Pass
 * `wording` to show amounts in the operation's token ("25 TUSD") rather than base units.
 */
export function decodeDatabankError(
  error: unknown,
  wording?: ErrorWording,
): DatabankError | undefined {
  if (error instanceof DatabankError) {
    if (wording === undefined) return error;
    return new DatabankError(error.name, error.args, {
      data: error.data,
      cause: error.cause,
      wording,
    });
  }
  if (!(error instanceof BaseError)) return undefined;
  const reverted = error.walk((e) => e instanceof ContractFunctionRevertedError);
  if (reverted instanceof ContractFunctionRevertedError) {
    if (reverted.data) {
      return new DatabankError(reverted.data.errorName, reverted.data.args ?? [], {
        data: reverted.raw,
        cause: error,
        wording,
      });
    }
    if (reverted.raw) return decodeRevertData(reverted.raw, error, wording);
  }
  // Errors that viem did not map to a contract error (e.g. a raw RPC error) may still carry the data.
  let data: Hex | undefined;
  error.walk((e) => {
    const candidate = (e as { data?: unknown }).data;
    if (typeof candidate === "string" && isHex(candidate) && candidate.length >= 10) {
      data = candidate;
      return true;
    }
    return false;
  });
  return data ? decodeRevertData(data, error, wording) : undefined;
}
