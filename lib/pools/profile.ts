/**
 * A pool's profile: the name, short description and category its curator chose, which every list
 * shows instead of "Pool 7". It lives in the pool's record JSON Schema document, under the
 * extension keyword {@link POOL_PROFILE_KEYWORD}, next to the query policy
 * (lib/query/poolPolicy.ts), for the same reasons: the schema's CID is on-chain and immutable from
 * the pool's creation, so the description contributors joined under cannot be changed under them,
 * every reader sees the very same bytes, and no contract storage or gas is spent on it. JSON
 * Schema ignores unknown keywords, so records validate as before. A pool without a profile is
 * shown as "Pool N".
 *
 * Its JSON Schema is generated to docs/schemas/pool-profile.schema.json (`npm run schemas`).
 * Browser-safe: no `node:` imports.
 */
import { z } from "zod";
import { POOL_CATEGORIES, type PoolCategory } from "./words.js";

/** The record schema's keyword that carries the pool's profile. */
export const POOL_PROFILE_KEYWORD = "x-databank-pool";

/** Value of a profile's optional `$schema`. */
export const POOL_PROFILE_SCHEMA_ID = "https://databank.dev/schemas/pool-profile.schema.json";

// The categories and a pool's title live in ./words.ts, without zod, so the dApp's first page can
// show pool names without loading the validator.
export { POOL_CATEGORIES, poolTitle, type PoolCategory } from "./words.js";

/** Longest name, in characters: it has to fit a card's title line. */
export const MAX_POOL_NAME = 80;
/** Longest description, in characters: a short paragraph; the terms say the rest. */
export const MAX_POOL_DESCRIPTION = 500;

const poolProfileSchema = z.strictObject({
  $schema: z.literal(POOL_PROFILE_SCHEMA_ID).optional(),
  name: z
    .string()
    .trim()
    .min(3, "give the pool a name of at least 3 characters")
    .max(MAX_POOL_NAME, `keep the name to ${MAX_POOL_NAME} characters`)
    .describe("What lists show instead of the pool's number."),
  description: z
    .string()
    .trim()
    .min(10, "say in at least 10 characters what the pool collects and for whom")
    .max(MAX_POOL_DESCRIPTION, `keep the description to ${MAX_POOL_DESCRIPTION} characters`)
    .describe("What the pool collects and who buys it, in a sentence or two."),
  category: z
    .enum(Object.keys(POOL_CATEGORIES) as [PoolCategory, ...PoolCategory[]], {
      error: `choose one of ${Object.keys(POOL_CATEGORIES).join(", ")}`,
    })
    .describe("The kind of data, from a closed list."),
});

/** A pool's profile, validated (text trimmed). */
export type PoolProfile = Omit<z.infer<typeof poolProfileSchema>, "$schema">;

/** A profile that is not a valid profile document; `field` names the offending part. */
export class PoolProfileError extends Error {
  override name = "PoolProfileError";
  /** The profile field at fault ("name", "description", "category"), or "" for the whole. */
  readonly field: string;

  /**
   * @param field - the profile field at fault
   * @param message - what to change, in plain words
   */
  constructor(field: string, message: string) {
    super(message);
    this.field = field;
  }
}

/**
 * Validates a profile, e.g. from the curator's form.
 *
 * @throws PoolProfileError naming the first field to fix
 */
export function parsePoolProfile(value: unknown): PoolProfile {
  const result = poolProfileSchema.safeParse(value);
  if (!result.success) {
    const issue = result.error.issues[0]!;
    const field = issue.path.join(".");
    throw new PoolProfileError(field, `pool profile: ${field || "(root)"}: ${issue.message}`);
  }
  const { name, description, category } = result.data;
  return { name, description, category };
}

/** What a pool's schema document says about its profile. */
export type PoolProfileReading =
  | { status: "valid"; profile: PoolProfile }
  /** The document has no profile: older pools, or a curator who chose none. */
  | { status: "absent" }
  /** The document has a profile that is not valid: shown as absent, with the reason. */
  | { status: "invalid"; problem: string };

/**
 * Reads the profile out of a pool's record schema document.
 *
 * @param schemaDocument - the pool's record JSON Schema (parsed JSON), fetched by its on-chain CID
 */
export function readPoolProfile(schemaDocument: unknown): PoolProfileReading {
  const raw =
    typeof schemaDocument === "object" && schemaDocument !== null && !Array.isArray(schemaDocument)
      ? (schemaDocument as Record<string, unknown>)[POOL_PROFILE_KEYWORD]
      : undefined;
  if (raw === undefined) return { status: "absent" };
  try {
    return { status: "valid", profile: parsePoolProfile(raw) };
  } catch (error) {
    return { status: "invalid", problem: (error as PoolProfileError).message };
  }
}

/**
 * The record schema document with `profile` under {@link POOL_PROFILE_KEYWORD}, as the curator
 * publishes it when opening a pool.
 *
 * @throws PoolProfileError when the profile is not valid
 */
export function withPoolProfile<T extends object>(
  schemaDocument: T,
  profile: PoolProfile,
): T & { [POOL_PROFILE_KEYWORD]: PoolProfile } {
  return { ...schemaDocument, [POOL_PROFILE_KEYWORD]: parsePoolProfile(profile) };
}

/** The JSON Schema of the profile (draft 2020-12). */
export function poolProfileJsonSchema(): Record<string, unknown> {
  return {
    ...z.toJSONSchema(poolProfileSchema, { target: "draft-2020-12" }),
    $id: POOL_PROFILE_SCHEMA_ID,
    title: "Databank pool profile, version 1",
  };
}
