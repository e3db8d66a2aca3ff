/**
 * The export bundle (GDPR art. 20 data portability): one self-describing JSON document holding
 * everything a contributor has in one Databank deployment: its records in clear, its consent
 * tokens with their terms, every payout with its transaction hash, and its passbook (who bought or
 * used each record, what it earned, erasures owed; see lib/passbook). `npm run import` reads it
 * back to contribute the same records elsewhere. Its JSON Schema is generated from the zod schema
 * below (docs/schemas/export-bundle.v1.schema.json) so the two never disagree.
 */
import { z } from "zod";
import { passbookSchema } from "../passbook/schema.js";

/** Value of the bundle's `$schema`. */
export const EXPORT_BUNDLE_SCHEMA_ID = "https://databank.dev/schemas/export-bundle.v1.schema.json";

const hex = z.string().regex(/^0x[0-9a-fA-F]*$/, "0x-prefixed hex");
const address = z.string().regex(/^0x[0-9a-fA-F]{40}$/, "an address");
const decimal = z.string().regex(/^[0-9]+$/, "a non-negative integer in decimal");
const txHash = z.string().regex(/^0x[0-9a-fA-F]{64}$/, "a transaction hash");

/** Consent scopes, named by their bits (contracts/libraries/ConsentScope.sol): 1, 2 and 3. */
export const SCOPE_NAMES = ["records", "statistics", "both"] as const;

/** The scope bits (1, 2 or 3) of a scope name. */
export function scopeBits(name: (typeof SCOPE_NAMES)[number]): 1 | 2 | 3 {
  return (SCOPE_NAMES.indexOf(name) + 1) as 1 | 2 | 3;
}

/** The scope name of scope bits (1, 2 or 3). */
export function scopeName(bits: number): (typeof SCOPE_NAMES)[number] {
  const name = SCOPE_NAMES[bits - 1];
  if (name === undefined) throw new Error(`scope ${bits} is not 1, 2 or 3`);
  return name;
}

/** Processing purposes, named as in contracts/libraries/ConsentReceipt.sol (bit 0 first). */
export const PURPOSE_NAMES = [
  "analytics",
  "recruitment",
  "research",
  "marketing",
  "model-training",
] as const;

const recordSchema = z
  .object({
    contentType: z.string(),
    json: z.unknown().optional().describe("the record, when it is JSON"),
    base64: z.string().optional().describe("the record's bytes, when it is not JSON"),
  })
  .describe("the decrypted record");

const contributionSchema = z.object({
  contributionId: decimal,
  poolId: z.number().int().nonnegative(),
  status: z.enum(["pending", "active", "revoked", "expired", "rejected"]),
  dataCid: z.string(),
  dataCommitment: hex,
  expiresAt: z.number().int().nonnegative().describe("unix seconds; 0 = until revoked"),
  scope: z
    .enum(SCOPE_NAMES)
    .optional()
    .describe(
      "what the consent allows: record copies sold, use in differentially private statistics only, or both (absent in bundles made before scopes: records)",
    ),
  submittedTx: txHash,
  consent: z
    .object({
      grantedTx: txHash,
      termsCid: z.string(),
      termsDigest: hex,
      terms: z.string().optional().describe("the terms in full, when they could be fetched"),
      purposes: z.array(z.enum(PURPOSE_NAMES)),
      bounty: decimal,
    })
    .optional(),
  endedTx: txHash.optional(),
  rejectionReason: z.string().optional(),
  record: recordSchema.optional(),
  recordError: z.string().optional().describe("why the record could not be decrypted"),
});

const payoutSchema = z.object({
  kind: z.enum(["settled", "credited", "withdrawn"]),
  token: address.optional(),
  poolId: z.number().int().nonnegative().optional(),
  contributionId: decimal.optional(),
  amount: decimal,
  tx: txHash,
  blockNumber: decimal,
});

/** The zod schema of a bundle. */
export const exportBundleSchema = z.object({
  $schema: z.literal(EXPORT_BUNDLE_SCHEMA_ID),
  format: z.literal("databank-export"),
  version: z.literal(1),
  exportedAt: z.string().describe("ISO 8601"),
  wallet: address,
  chainId: z.number().int().positive(),
  databank: address,
  contributions: z.array(contributionSchema),
  payouts: z.array(payoutSchema),
  passbook: passbookSchema
    .optional()
    .describe("the wallet's passbook from on-chain events (absent in bundles made before it)"),
});

/** An export bundle. */
export type ExportBundle = z.infer<typeof exportBundleSchema>;
/** One contribution of a bundle. */
export type ExportedContribution = z.infer<typeof contributionSchema>;
/** One payout of a bundle. */
export type ExportedPayout = z.infer<typeof payoutSchema>;

/** The bundle is not valid; `message` says where. */
export class ExportBundleError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "ExportBundleError";
  }
}

/** Validates a parsed bundle. @throws ExportBundleError naming the first bad field. */
export function parseExportBundle(value: unknown): ExportBundle {
  const result = exportBundleSchema.safeParse(value);
  if (!result.success) {
    const issue = result.error.issues[0]!;
    throw new ExportBundleError(
      `not a Databank export bundle: ${issue.path.join(".") || "(root)"}: ${issue.message}`,
    );
  }
  return result.data;
}

/** The JSON Schema of the bundle (draft 2020-12). */
export function exportBundleJsonSchema(): Record<string, unknown> {
  return {
    ...z.toJSONSchema(exportBundleSchema, { target: "draft-2020-12" }),
    $id: EXPORT_BUNDLE_SCHEMA_ID,
    title: "Databank export bundle, version 1",
  };
}

/** The purpose names of a bitmask. */
export function purposeNames(purposes: number): (typeof PURPOSE_NAMES)[number][] {
  return PURPOSE_NAMES.filter((_, bit) => (purposes & (1 << bit)) !== 0);
}
