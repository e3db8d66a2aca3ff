/**
 * The checks a pool's custodian runs on a submitted contribution before accepting it on-chain.
 *
 * Pure functions: no I/O, no logging. The decrypted plaintext only lives in memory and is returned
 * (parsed) to the caller on success; it never appears in a rejection message.
 */
import { Ajv } from "ajv";
import { Ajv2020 } from "ajv/dist/2020.js";
import type { AnySchemaObject, ErrorObject, ValidateFunction } from "ajv";
import { hmac } from "@noble/hashes/hmac.js";
import { sha256 } from "@noble/hashes/sha2.js";
import {
  EnvelopeError,
  openWithDataKey,
  parseEnvelopeHeader,
  unwrapDataKey,
  type EnvelopeBinding,
  type EnvelopeHeader,
} from "../crypto/index.js";
import { bindingProblem } from "./binding.js";

import { REJECTION_REASONS } from "../contracts/client.js";

export { REJECTION_REASONS };

/** A reason the custodian may reject a contribution with. */
export type RejectionReason = (typeof REJECTION_REASONS)[number];

/** The reasons {@link checkContribution} itself can produce (`Expired` is decided on-chain). */
export type AcceptanceRejectionReason = Exclude<RejectionReason, "Expired">;

/** One schema violation: JSON Pointer of the offending value ("/" for the root) and ajv's message. */
export interface FieldError {
  path: string;
  message: string;
}

/** Outcome of {@link checkContribution}. */
export type AcceptanceResult =
  | {
      ok: true;
      record: unknown;
      fingerprint: string;
      /**
       * The envelope's 32-byte data key, only when `keepDataKey` was set: the caller keeps it (key
       * custody) and zeroes it.
       */
      dataKey?: Uint8Array;
    }
  | {
      ok: false;
      reason: AcceptanceRejectionReason;
      message: string;
      fieldErrors?: FieldError[];
    };

/** Arguments of {@link checkContribution}. */
export interface CheckContributionParams {
  /** The submitted envelope (lib/crypto format). */
  envelope: Uint8Array;
  /**
   * What the envelope must be bound to: this deployment's chain id and Databank address, the pool
   * submitted to and the submitter's address (the relayed consent's signer, or the sender of
   * `submitContribution`). Anything else, or a v1 envelope, is rejected as NotBound.
   */
  submission: EnvelopeBinding;
  /** The pool custodian's X25519 private key. */
  custodianPrivateKey: Uint8Array;
  /** When given, the envelope must list this key as a "contributor" recipient. */
  contributorPublicKey?: Uint8Array;
  /** The pool's JSON Schema (draft 2020-12, or draft-07 when `$schema` says so). */
  schema: object;
  /** The custodian's secret fingerprint key, at least 32 bytes. */
  duplicateKey: Uint8Array;
  /** Whether a fingerprint is already known to the pool. Errors it throws propagate. */
  isDuplicate: (fingerprint: string) => boolean | Promise<boolean>;
  /**
   * Whether an accepted result carries the envelope's data key (default false: it is zeroed).
   * The node keeps it at rest so that the record's first delivery need not HPKE-open the envelope
   * again (service/custodian/delivery/keyCustody.ts).
   */
  keepDataKey?: boolean;
}

/** Minimum length of the fingerprint HMAC key. */
export const MIN_DUPLICATE_KEY_LENGTH = 32;

/** The numeric value of a reason in the Solidity enum `IDatabank.RejectionReason`. */
export function rejectionReasonCode(reason: RejectionReason): number {
  const code = REJECTION_REASONS.indexOf(reason);
  if (code < 0) throw new TypeError(`unknown rejection reason: ${String(reason)}`);
  return code;
}

/**
 * Runs, in order: the binding check (v2, bound to `submission`), decryption with the custodian key
 * (which also authenticates the binding), the contributor-recipient check, JSON parsing and schema
 * validation, fingerprinting and the duplicate lookup. Returns the first failure.
 *
 * The binding is checked before anything looks at the record's fingerprint, so a copy submitted by
 * someone else never learns whether the record is in the pool, and the caller never reserves the
 * fingerprint for it: the rightful contributor can still submit afterwards.
 *
 * @throws TypeError for a duplicate key shorter than 32 bytes; ajv's error for an invalid pool
 *   schema; whatever `isDuplicate` throws. These are the custodian's problems, not grounds to
 *   reject the contribution.
 */
export async function checkContribution(
  params: CheckContributionParams,
): Promise<AcceptanceResult> {
  assertDuplicateKey(params.duplicateKey);
  const validate = compiledValidator(params.schema);

  let header: EnvelopeHeader;
  try {
    header = parseEnvelopeHeader(params.envelope);
  } catch (error) {
    if (error instanceof EnvelopeError) {
      return { ok: false, reason: "Undecryptable", message: error.message };
    }
    throw error;
  }
  const unbound = bindingProblem(header, params.submission);
  if (unbound !== undefined) return { ok: false, reason: "NotBound", message: unbound };

  let dataKey: Uint8Array | undefined;
  let plaintext: Uint8Array;
  try {
    // Unwrapping authenticates the binding (the HPKE entry's associated data) and decrypting
    // authenticates the whole header: a forged binding fails here. The two steps of
    // `openEnvelope`, taken apart so that the data key can be kept.
    dataKey = await unwrapDataKey(params.envelope, params.custodianPrivateKey);
    plaintext = await openWithDataKey(params.envelope, dataKey);
  } catch (error) {
    dataKey?.fill(0);
    if (error instanceof EnvelopeError) {
      return { ok: false, reason: "Undecryptable", message: error.message };
    }
    throw error;
  }

  let handedOver = false;
  try {
    if (params.contributorPublicKey !== undefined) {
      const claimed = params.contributorPublicKey;
      const listed = header.recipients.some(
        (r) => r.role === "contributor" && sameBytes(r.publicKey, claimed),
      );
      if (!listed) {
        return {
          ok: false,
          reason: "Other",
          message: "the envelope is not sealed to the submitting contributor's key",
        };
      }
    }

    let record: unknown;
    try {
      record = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(plaintext));
    } catch {
      return { ok: false, reason: "SchemaMismatch", message: "the record is not UTF-8 JSON" };
    }

    if (!validate(record)) {
      const fieldErrors = toFieldErrors(validate.errors ?? []);
      return {
        ok: false,
        reason: "SchemaMismatch",
        message: `the record does not match the pool schema (${fieldErrors.length} error${fieldErrors.length === 1 ? "" : "s"})`,
        fieldErrors,
      };
    }

    const fingerprint = recordFingerprint(record, params.duplicateKey);
    if (await params.isDuplicate(fingerprint)) {
      return {
        ok: false,
        reason: "Duplicate",
        message: "an equivalent record is already in the pool",
      };
    }
    if (params.keepDataKey !== true) return { ok: true, record, fingerprint };
    handedOver = true;
    return { ok: true, record, fingerprint, dataKey };
  } finally {
    plaintext.fill(0);
    if (!handedOver) dataKey.fill(0);
  }
}

/**
 * Normalises a JSON value for duplicate detection: object keys sorted (recursively, after NFC),
 * strings trimmed, NFC-normalised and lowercased; numbers, booleans and null unchanged.
 *
 * @throws TypeError for values JSON cannot represent (undefined, functions, non-finite numbers…).
 */
export function normaliseRecord(value: unknown): unknown {
  if (value === null || typeof value === "boolean") return value;
  if (typeof value === "number") {
    if (!Number.isFinite(value)) throw new TypeError("non-finite number in record");
    return value;
  }
  if (typeof value === "string") return value.trim().normalize("NFC").toLowerCase();
  if (Array.isArray(value)) return value.map(normaliseRecord);
  if (typeof value === "object" && Object.getPrototypeOf(value) === Object.prototype) {
    const entries = Object.entries(value as Record<string, unknown>).map(
      ([k, v]) => [k.normalize("NFC"), normaliseRecord(v)] as const,
    );
    entries.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    for (let i = 1; i < entries.length; i++) {
      if (entries[i][0] === entries[i - 1][0]) {
        throw new TypeError("record has two keys that are equal after NFC normalisation");
      }
    }
    return Object.fromEntries(entries);
  }
  throw new TypeError(`value of type ${typeof value} is not JSON`);
}

/**
 * HMAC-SHA256 under the custodian's secret key of the canonical JSON of the normalised record, as
 * 64 lowercase hex characters. Without the key the fingerprint reveals nothing about the record.
 */
export function recordFingerprint(record: unknown, key: Uint8Array): string {
  assertDuplicateKey(key);
  const canonical = canonicalJson(normaliseRecord(record));
  return toHex(hmac(sha256, key, new TextEncoder().encode(canonical)));
}

/** JSON with object keys in code-unit order at every level (independent of JS key ordering). */
function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(",")}]`;
  if (value !== null && typeof value === "object") {
    const keys = Object.keys(value).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
    const obj = value as Record<string, unknown>;
    return `{${keys.map((k) => `${JSON.stringify(k)}:${canonicalJson(obj[k])}`).join(",")}}`;
  }
  return JSON.stringify(value);
}

const DRAFT_07 = /^https?:\/\/json-schema\.org\/draft-07\/schema#?$/;
const validators = new WeakMap<object, ValidateFunction>();

/**
 * One compiled validator per schema object. Each gets its own ajv instance so two pool schemas
 * that share an `$id` (e.g. an edited schema) never resolve to each other's compilation.
 */
function compiledValidator(schema: object): ValidateFunction {
  const cached = validators.get(schema);
  if (cached) return cached;
  const $schema = (schema as AnySchemaObject).$schema;
  const options = { allErrors: true, strict: false, logger: false } as const;
  const ajv =
    typeof $schema === "string" && DRAFT_07.test($schema) ? new Ajv(options) : new Ajv2020(options);
  const validate = ajv.compile(schema);
  validators.set(schema, validate);
  return validate;
}

function toFieldErrors(errors: ErrorObject[]): FieldError[] {
  return errors.map((e) => {
    let path = e.instancePath === "" ? "/" : e.instancePath;
    if (e.keyword === "required" && typeof e.params.missingProperty === "string") {
      path = `${e.instancePath}/${escapePointer(e.params.missingProperty)}`;
    } else if (
      e.keyword === "additionalProperties" &&
      typeof e.params.additionalProperty === "string"
    ) {
      path = `${e.instancePath}/${escapePointer(e.params.additionalProperty)}`;
    }
    return { path, message: e.message ?? e.keyword };
  });
}

function escapePointer(segment: string): string {
  return segment.replace(/~/g, "~0").replace(/\//g, "~1");
}

function assertDuplicateKey(key: Uint8Array): void {
  if (!(key instanceof Uint8Array) || key.length < MIN_DUPLICATE_KEY_LENGTH) {
    throw new TypeError(`duplicate key must be at least ${MIN_DUPLICATE_KEY_LENGTH} bytes`);
  }
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a[i] ^ b[i];
  return diff === 0;
}

function toHex(bytes: Uint8Array): string {
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}
