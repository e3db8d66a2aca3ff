/**
 * The passbook's data: a zod schema, so that the type, the CLI's `--json`, the export bundle's
 * JSON Schema (docs/schemas/export-bundle.v1.schema.json) and its validation never disagree. Plain
 * JSON throughout: amounts are decimal strings in the token's smallest unit (they may exceed
 * 2^53), dates unix seconds, ε millionths as the contract counts it.
 */
import { z } from "zod";

const address = z.string().regex(/^0x[0-9a-fA-F]{40}$/, "an address");
const decimal = z.string().regex(/^[0-9]+$/, "a non-negative integer in decimal");
const amount = decimal.describe("in the token's smallest unit (see tokens for its decimals)");
const unixSeconds = z.number().int().nonnegative();

const txSchema = z
  .object({
    hash: z.string().regex(/^0x[0-9a-fA-F]{64}$/, "a transaction hash"),
    blockNumber: decimal,
    at: unixSeconds.describe("the block's timestamp, unix seconds"),
    url: z.string().optional().describe("explorer (or dApp) link, when the chain has one"),
  })
  .describe("a transaction, dated by its block");

const useSchema = z
  .object({
    purchaseId: decimal,
    product: z.enum(["records", "query"]).describe("a record sale (a copy) or a query answer"),
    buyer: address,
    price: amount.describe("what the buyer paid, in the token's smallest unit"),
    earned: amount.describe("what this record earned from it (the per-contribution credit)"),
    epsilonSpent: z
      .number()
      .int()
      .nonnegative()
      .describe("ε the answer spent, in millionths; 0 for a record sale"),
    endedInFlight: z
      .boolean()
      .describe("the consent ended after the set was taken: used, but paid nothing"),
    tx: txSchema,
  })
  .describe("a delivery (record sale) or answer (query) that included the record");

const settlementSchema = z.object({
  amount,
  reason: z.enum(["claim", "revocation"]).describe("a claim pays out; a revocation credits"),
  claimed: z.boolean().describe("paid to the wallet (a withdrawal followed it)"),
  tx: txSchema,
});

const erasureBuyerSchema = z.object({
  buyer: address,
  status: z
    .enum(["attested", "due", "overdue"])
    .describe("attested as erased, still within the grace period, or past it"),
  attested: txSchema.optional(),
});

const erasureSchema = z
  .object({
    index: z.number().int().nonnegative().describe("the pool's erasure request index"),
    requested: txSchema,
    dueAt: unixSeconds.describe("requested + the grace period"),
    buyers: z.array(erasureBuyerSchema),
  })
  .describe("the erasure request the revocation caused, and each recipient's attestation");

/** Consent scopes by name, in bit order (1 records, 2 statistics, 3 both). */
export const PASSBOOK_SCOPES = ["records", "statistics", "both"] as const;

const contributionSchema = z.object({
  contributionId: decimal,
  poolId: z.number().int().nonnegative(),
  token: address.describe("the pool's payment token; the zero address for the native coin"),
  scope: z.enum(PASSBOOK_SCOPES),
  status: z.enum(["pending", "rejected", "withdrawn", "active", "revoked"]),
  expired: z.boolean().describe("the revocation was a retirement after expiry"),
  submitted: txSchema,
  granted: txSchema.optional(),
  ended: txSchema.optional(),
  bounty: amount,
  bountyClaimed: z.boolean(),
  deliveries: z.array(useSchema).describe("record sales that delivered a copy of the record"),
  queries: z.array(useSchema).describe("query answers computed over the record"),
  settlements: z.array(settlementSchema),
  erasure: erasureSchema.optional(),
  privacyLoss: z.number().int().nonnegative().describe("ε spent since it joined, in millionths"),
  dividends: amount.describe("the sum of deliveries' and queries' earned"),
  earned: amount.describe("bounty + dividends"),
  unsettled: amount.describe(
    "dividends not yet moved to the credit (the contract's pendingEarnings)",
  ),
  claimed: amount,
  unclaimed: amount,
  buyersHoldingCopy: z
    .array(address)
    .describe("buyers delivered the record that have not attested its erasure"),
});

const totalSchema = z.object({
  token: address,
  bounties: amount,
  dividends: amount,
  earned: amount,
  claimed: amount,
  unclaimed: amount,
});

/** The zod schema of a passbook. */
export const passbookSchema = z
  .object({
    format: z.literal("databank-passbook"),
    version: z.literal(1),
    chainId: z.number().int().positive(),
    databank: address,
    wallet: address,
    fromBlock: decimal,
    block: decimal.describe("the passbook is as of this block"),
    asOf: unixSeconds.describe("that block's timestamp: 'now' for due dates"),
    erasureGraceSeconds: z.number().int().nonnegative(),
    tokens: z.array(
      z.object({ token: address, symbol: z.string(), decimals: z.number().int().nonnegative() }),
    ),
    contributions: z.array(contributionSchema),
    withdrawals: z.array(z.object({ token: address, amount, tx: txSchema })),
    totals: z.array(totalSchema).describe("per token"),
    buyersHoldingCopy: z
      .number()
      .int()
      .nonnegative()
      .describe("distinct buyers holding a copy of at least one of the wallet's records"),
  })
  .describe("a contributor's passbook, rebuilt from on-chain events only");

/** A contributor's passbook. */
export type Passbook = z.infer<typeof passbookSchema>;
/** One contribution of a passbook. */
export type PassbookContribution = z.infer<typeof contributionSchema>;
/** A delivery or query answer that included a record. */
export type PassbookUse = z.infer<typeof useSchema>;
/** A dated transaction. */
export type PassbookTx = z.infer<typeof txSchema>;
/** An erasure request and its recipients' attestations. */
export type PassbookErasure = z.infer<typeof erasureSchema>;
/** Per-token totals. */
export type PassbookTotal = z.infer<typeof totalSchema>;
