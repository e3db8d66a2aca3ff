/**
 * The data bank node's HTTP API as zod schemas: the node validates requests with them and
 * generates its OpenAPI description from them, and the typed client (./client.ts) takes its types
 * from them, so the three cannot drift apart. Browser-safe (zod and the CID parser only).
 *
 * Numbers that may exceed 2^53 (ids, amounts, deadlines) travel as decimal strings; inputs also
 * accept JSON numbers where the value is small enough to be exact.
 */
import { getAddress, isAddress } from "viem";
import type { Hex } from "viem";
import { z } from "zod";
import { REJECTION_REASONS } from "../contracts/client.js";
import { parseCanonicalCid } from "../storage/cid.js";

const DECIMAL = /^(0|[1-9][0-9]{0,77})$/;

/** An unsigned integer of at most `bits` bits, as a decimal string or a safe JSON integer; parsed to bigint. */
export function uintInput(bits: number, description: string) {
  const max = (1n << BigInt(bits)) - 1n;
  return z
    .union([
      z.string().regex(DECIMAL, "must be a decimal integer string"),
      z.number().int().nonnegative().max(Number.MAX_SAFE_INTEGER),
    ])
    .transform((value) => BigInt(value))
    .refine((value) => value <= max, `must fit in ${bits} bits (at most ${max})`)
    .describe(description);
}

/** A uint32 pool id (decimal string or integer), parsed to a number. */
export const poolIdInput = uintInput(32, "pool id (uint32)").transform(Number);

/** A decimal id in a URL path, parsed to bigint. */
export function pathId(bits: number, description: string) {
  const max = (1n << BigInt(bits)) - 1n;
  return z
    .string()
    .regex(DECIMAL, "must be a decimal integer")
    .transform((value) => BigInt(value))
    .refine((value) => value <= max, `must fit in ${bits} bits`)
    .describe(description);
}

/** An EVM address (lowercase, or mixed case with a valid EIP-55 checksum), checksummed. */
export const addressInput = z
  .string()
  .refine(
    (value) => isAddress(value),
    "must be a 0x-prefixed 20-byte address (EIP-55 checksum if mixed case)",
  )
  .transform((value) => getAddress(value))
  .describe("EVM address");

/**
 * A Databank content CID in its one accepted spelling (CIDv1, lowercase base32, no spaces; raw or
 * dag-pb, sha2-256; what POST /v1/content returns). The issue's message is the parser's, which
 * names the canonical spelling of a CID written another way.
 */
export const cidInput = z
  .string()
  .max(256)
  .superRefine((value, context) => {
    try {
      parseCanonicalCid(value);
    } catch (error) {
      context.addIssue({ code: "custom", message: (error as Error).message });
    }
  })
  .describe("content CID (CIDv1, lowercase base32, as returned by POST /v1/content)");

/** Every reason a custodian may reject a contribution with (`IDatabank.RejectionReason`, in order). */
export const rejectionReasonSchema = z.enum(REJECTION_REASONS);

/** A 0x-prefixed hex signature (65 bytes for an EOA; ERC-1271 wallets may use other lengths). */
export const signatureInput = z
  .string()
  .regex(/^0x([0-9a-fA-F]{2})+$/, "must be 0x-prefixed hex bytes")
  .max(2 + 2 * 4096)
  .transform((value) => value as `0x${string}`)
  .describe("EIP-712 signature of the consent, hex");

// ---------------------------------------------------------------- request bodies

/** `POST /v1/contributions/check`. */
export const checkRequestSchema = z
  .object({
    poolId: poolIdInput,
    dataCid: cidInput,
    contributor: addressInput.describe(
      "who will submit the envelope: it must be sealed for this contributor and pool",
    ),
  })
  .strict()
  .describe("a pool, a contributor and an uploaded envelope to check without relaying");

/** The consent a contributor signed (`IDatabank.ConsentRequest`). */
export const consentRequestSchema = z
  .object({
    contributor: addressInput.describe("the signer, who receives the consent token"),
    poolId: poolIdInput,
    dataCid: cidInput,
    expiresAt: uintInput(40, "when consent ends, unix seconds (0 = until revoked)"),
    deadline: uintInput(256, "last unix second at which the signature may be used"),
    scope: z
      .number({ error: "scope must be 1 (records), 2 (statistics) or 3 (both)" })
      .int("scope must be 1 (records), 2 (statistics) or 3 (both)")
      .min(1, "scope must be 1 (records), 2 (statistics) or 3 (both)")
      .max(3, "scope must be 1 (records), 2 (statistics) or 3 (both)")
      .describe("the uses the consent allows: 1 records, 2 statistics, 3 both"),
  })
  .strict();

/** `POST /v1/contributions/relay`. */
export const relayRequestSchema = z
  .object({ request: consentRequestSchema, signature: signatureInput })
  .strict()
  .describe("a signed consent for the custodian to relay (the contributor pays no gas)");

/** Path parameters. */
export const poolIdParamSchema = z.object({ poolId: pathId(32, "pool id") });
export const contributionIdParamSchema = z.object({ id: pathId(256, "contribution (token) id") });
export const purchaseIdParamSchema = z.object({ id: pathId(64, "purchase id") });
export const cidParamSchema = z.object({ cid: z.string().describe("content CID") });

// ---------------------------------------------------------------- responses

const decimalString = (description: string) =>
  z.string().regex(DECIMAL).describe(`${description} (decimal string)`);
// Typed as viem's `Hex` so that responses flow into viem calls without casts; the runtime schema
// (and the OpenAPI pattern) is the regex.
const hexString = (description: string) =>
  z
    .string()
    .regex(/^0x[0-9a-fA-F]*$/)
    .describe(description) as unknown as z.ZodType<Hex, Hex>;

/** One schema violation of a rejected record. */
export const fieldErrorSchema = z.object({
  path: z.string().describe('JSON Pointer of the offending value ("/" for the root)'),
  message: z.string(),
});

/** One invalid request field. */
export const issueSchema = z.object({
  path: z.string().describe('dotted path of the field, e.g. "request.deadline"'),
  message: z.string(),
});

/** Every error response: `{ error: { code, message, ... } }`. */
export const errorResponseSchema = z.object({
  error: z
    .object({
      code: z.string().describe("stable machine-readable code, e.g. INVALID_REQUEST, REJECTED"),
      message: z.string().describe("what went wrong, in plain words"),
      issues: z.array(issueSchema).optional().describe("invalid fields (INVALID_REQUEST)"),
      reason: rejectionReasonSchema
        .optional()
        .describe("why the custodian rejects the data (REJECTED)"),
      fieldErrors: z.array(fieldErrorSchema).optional(),
      revert: z.string().optional().describe("the contract's custom error (CONTRACT_REVERTED)"),
      gasNeeded: z
        .number()
        .int()
        .optional()
        .describe("gas the transaction would need (GAS_LIMIT_EXCEEDED)"),
      gasLimit: z
        .number()
        .int()
        .optional()
        .describe("the node's gas ceiling for such transactions (GAS_LIMIT_EXCEEDED)"),
    })
    .loose(),
});

/** `GET /health`: 200 when every part answers, 503 (with `Retry-After`) when one is down. */
export const healthResponseSchema = z.object({
  ok: z.boolean().describe("every part answered (the status is 200; else 503)"),
  chainId: z.number().int(),
  databank: hexString("the Databank contract"),
  custodian: hexString("the custodian's EVM address"),
  storage: z.enum(["helia", "kubo"]),
  down: z
    .array(z.enum(["chain", "storage"]))
    .describe("the parts that did not answer within the probe time (under a second)"),
  message: z.string().optional().describe("what is down and why, in plain words"),
  warnings: z
    .array(
      z.object({
        code: z
          .literal("CUSTODIAN_KEY_MISMATCH")
          .describe("pools name this node as custodian with another X25519 key"),
        message: z.string(),
        pools: z.array(z.number().int()).describe("the pools concerned"),
      }),
    )
    .describe("problems that do not stop the node but break some of its work (still a 200)"),
});

/** `GET /v1/custodian`. */
export const custodianResponseSchema = z.object({
  address: hexString("the custodian's EVM address (sends relays, accepts, deliveries)"),
  publicKey: hexString("the custodian's X25519 public key (32 bytes): seal envelopes to it"),
});

/** `GET /v1/pools/{poolId}`. */
export const poolResponseSchema = z.object({
  id: z.number().int(),
  curator: hexString("curator"),
  custodian: hexString("custodian"),
  custodianKey: hexString("custodian's X25519 public key"),
  paymentToken: hexString("ERC-20 token, or the zero address for the native coin"),
  price: decimalString("price of one sale, smallest unit"),
  contributorShareBps: z.number().int(),
  platformFeeBps: z.number().int(),
  minContributors: z.number().int(),
  maxContributors: z.number().int(),
  activeCount: z.number().int().describe("active contributions, whatever their scope"),
  recordsActive: z
    .number()
    .int()
    .describe("active contributions whose consent allows record sales"),
  statisticsActive: z
    .number()
    .int()
    .describe("active contributions whose consent allows use in queries"),
  products: z.number().int().describe("products sold: 1 record sales, 2 queries, 3 both"),
  queryPrice: decimalString("price of one query, smallest unit"),
  epsilonBudget: z
    .number()
    .int()
    .describe("the pool's total privacy budget, millionths of ε (immutable)"),
  maxEpsilonPerQuery: z.number().int().describe("most ε one query may spend, millionths"),
  epsilonSpent: z.number().int().describe("ε spent by answered queries, millionths"),
  bountyPerContribution: decimalString("bounty per accepted contribution"),
  bountyBudget: decimalString(
    "bounty budget left, net of bounties reserved for pending submissions",
  ),
  bountiesLeft: z
    .number()
    .int()
    .nullable()
    .describe(
      "how many more bounties the budget can pay, or null when the pool pays none (a contribution joins either way)",
    ),
  deliveryWindow: z.number().int().describe("seconds"),
  purposes: z.number().int().describe("purposes bitmask"),
  paused: z.boolean(),
  termsDigest: hexString("keccak256 of the terms CID"),
  schemaCid: z.string(),
  termsCid: z.string(),
  schema: z
    .record(z.string(), z.unknown())
    .nullable()
    .describe("the JSON Schema, or null when it could not be fetched"),
  terms: z.string().nullable().describe("the terms text, or null when they could not be fetched"),
});

/** `POST /v1/content`. */
export const uploadResponseSchema = z.object({
  cid: z.string().describe("CIDv1 of the bytes"),
  size: z.number().int().describe("bytes stored"),
});

/** `POST /v1/contributions/check` when the data pass. */
export const checkResponseSchema = z.object({ ok: z.literal(true) });

/** `POST /v1/contributions/relay`. */
export const relayResponseSchema = z.object({
  contributionId: decimalString("the consent token id"),
  transactionHash: hexString("the relaying transaction"),
});

/** `GET /v1/contributions/{id}`. */
export const contributionResponseSchema = z.object({
  id: decimalString("contribution id"),
  poolId: z.number().int(),
  contributor: hexString("contributor"),
  status: z.enum(["pending", "active", "rejected", "revoked"]),
  reason: rejectionReasonSchema.optional(),
  message: z.string().optional(),
  fieldErrors: z.array(fieldErrorSchema).optional(),
});

/** `GET /v1/purchases/{id}/delivery`. */
export const deliveryStatusResponseSchema = z.object({
  purchaseId: decimalString("purchase id"),
  status: z.enum(["pending", "delivering", "delivered", "refunded", "failed"]),
  deliveryCid: z.string().optional(),
  recordsRoot: hexString("Merkle root of the delivered records").optional(),
  recordCount: z.number().int().optional(),
  transactionHash: hexString("the fulfilling transaction").optional(),
  deliveryKey: hexString(
    "the delivery key sealed to the buyer's X25519 key (HPKE enc ‖ ciphertext, 80 bytes); present only once the fulfil transaction is mined with the node's required confirmations",
  ).optional(),
  error: z.string().optional().describe("why the delivery failed"),
});

/** `GET /v1/purchases/{id}/answer`: a query purchase's answer. */
export const queryAnswerStatusResponseSchema = z.object({
  purchaseId: decimalString("purchase id"),
  status: z.enum(["pending", "answering", "answered", "rejected", "refunded", "failed"]),
  answerCid: z
    .string()
    .optional()
    .describe("CID of the answer envelope (JSON answer and CSV), once fulfillQuery is mined"),
  recordsRoot: hexString("Merkle root of the records the answer was computed over").optional(),
  recordCount: z.number().int().optional(),
  statisticsSeen: z.number().int().optional(),
  epsilonSpent: z.string().optional().describe('ε the answer spent, decimal (e.g. "0.5")'),
  transactionHash: hexString("the fulfillQuery or rejectPurchase transaction").optional(),
  answerKey: hexString(
    "the answer envelope's data key sealed to the buyer's X25519 key (HPKE enc ‖ ciphertext, 80 bytes), bound to answerCid; present only once fulfillQuery is mined with the node's required confirmations",
  ).optional(),
  reason: z
    .string()
    .optional()
    .describe("why the custodian rejected the query (the buyer was credited), or why it failed"),
});

export type HealthResponse = z.output<typeof healthResponseSchema>;
export type CustodianResponse = z.output<typeof custodianResponseSchema>;
export type PoolResponse = z.output<typeof poolResponseSchema>;
export type UploadResponse = z.output<typeof uploadResponseSchema>;
export type CheckResponse = z.output<typeof checkResponseSchema>;
export type RelayResponse = z.output<typeof relayResponseSchema>;
export type ContributionResponse = z.output<typeof contributionResponseSchema>;
export type DeliveryStatusResponse = z.output<typeof deliveryStatusResponseSchema>;
export type QueryAnswerStatusResponse = z.output<typeof queryAnswerStatusResponseSchema>;
export type ErrorResponse = z.output<typeof errorResponseSchema>;
export type FieldErrorResponse = z.output<typeof fieldErrorSchema>;
/** The relay request body as JSON (what a client sends). */
export type RelayRequestBody = z.input<typeof relayRequestSchema>;
/** The check request body as JSON. */
export type CheckRequestBody = z.input<typeof checkRequestSchema>;
