/**
 * AES-256-GCM with one API over two engines: node:crypto where the runtime has it (Node), WebCrypto
 * elsewhere (browsers). Same algorithm, same bytes: either engine opens what the other sealed.
 *
 * Why two: a delivery seals or opens a 32-byte key and a ~1 KiB envelope per record, so the cost
 * is the call itself. A WebCrypto call costs about 25 µs in Node (argument normalisation, a job
 * object, a promise); node:crypto about 4 µs. At 100,000 records that is seconds of a delivery.
 *
 * node:crypto is found at run time with `process.getBuiltinModule` (Node ≥ 22.3), never imported,
 * so browser bundles of lib/ pull in nothing from `node:`; without it, WebCrypto is used.
 */
import { toBufferSource } from "./bytes.js";

/** The GCM tag length, appended to every ciphertext. */
export const AES_GCM_TAG_LENGTH = 16;

/** The parts of node:crypto used here (typed locally: lib/ is also compiled without Node types). */
interface NodeCipher {
  setAAD(data: Uint8Array): unknown;
  update(data: Uint8Array): Uint8Array;
  final(): Uint8Array;
}
interface NodeCrypto {
  createSecretKey(key: Uint8Array): object;
  createCipheriv(
    algorithm: string,
    key: object,
    iv: Uint8Array,
  ): NodeCipher & {
    getAuthTag(): Uint8Array;
  };
  createDecipheriv(
    algorithm: string,
    key: object,
    iv: Uint8Array,
  ): NodeCipher & {
    setAuthTag(tag: Uint8Array): unknown;
  };
}

const nodeCrypto = (
  globalThis as { process?: { getBuiltinModule?: (id: string) => unknown } }
).process?.getBuiltinModule?.("node:crypto") as NodeCrypto | undefined;

/** Which engine a key is for. */
export type AesGcmEngine = "node" | "webcrypto";

/** An imported AES-256 key (opaque): the raw bytes are not kept by it. */
export type AesGcmKey =
  | { readonly engine: "node"; readonly key: object }
  | { readonly engine: "webcrypto"; readonly key: CryptoKey };

/** Nonce and associated data of one seal. */
export interface AesGcmParams {
  /** 12 bytes, never used twice under one key. */
  nonce: Uint8Array;
  /** What the ciphertext is bound to. */
  associatedData: Uint8Array;
}

/** The engine used when none is asked for: node:crypto when present. */
export const DEFAULT_AES_GCM_ENGINE: AesGcmEngine = nodeCrypto === undefined ? "webcrypto" : "node";

/**
 * Imports a 32-byte AES key (copied: the caller may zero its bytes afterwards).
 *
 * @param engine - default {@link DEFAULT_AES_GCM_ENGINE}; "node" only where node:crypto exists
 * @throws RangeError for a key that is not 32 bytes, Error for "node" without node:crypto.
 */
export async function importAesGcmKey(
  raw: Uint8Array,
  engine: AesGcmEngine = DEFAULT_AES_GCM_ENGINE,
): Promise<AesGcmKey> {
  if (raw.length !== 32) throw new RangeError("an AES-256 key is 32 bytes");
  if (engine === "node") {
    if (nodeCrypto === undefined) throw new Error("node:crypto is not available here");
    return { engine, key: nodeCrypto.createSecretKey(new Uint8Array(raw)) };
  }
  const key = await globalThis.crypto.subtle.importKey(
    "raw",
    toBufferSource(new Uint8Array(raw)),
    { name: "AES-GCM" },
    false,
    ["encrypt", "decrypt"],
  );
  return { engine, key };
}

/** Encrypts `plaintext`; returns ciphertext ‖ 16-byte tag. */
export async function aesGcmEncrypt(
  key: AesGcmKey,
  params: AesGcmParams,
  plaintext: Uint8Array,
): Promise<Uint8Array> {
  if (key.engine === "node") {
    const cipher = nodeCrypto!.createCipheriv("aes-256-gcm", key.key, params.nonce);
    cipher.setAAD(params.associatedData);
    return concat([cipher.update(plaintext), cipher.final(), cipher.getAuthTag()]);
  }
  const sealed = await globalThis.crypto.subtle.encrypt(
    {
      name: "AES-GCM",
      iv: toBufferSource(params.nonce),
      additionalData: toBufferSource(params.associatedData),
      tagLength: AES_GCM_TAG_LENGTH * 8,
    },
    key.key,
    toBufferSource(plaintext),
  );
  return new Uint8Array(sealed);
}

/**
 * Decrypts ciphertext ‖ tag.
 *
 * @throws Error when authentication fails (wrong key, nonce or associated data, tampering); the
 *   callers turn it into their own typed error.
 */
export async function aesGcmDecrypt(
  key: AesGcmKey,
  params: AesGcmParams,
  sealed: Uint8Array,
): Promise<Uint8Array> {
  if (sealed.length < AES_GCM_TAG_LENGTH) throw new Error("the ciphertext is shorter than its tag");
  if (key.engine === "node") {
    const body = sealed.subarray(0, sealed.length - AES_GCM_TAG_LENGTH);
    const decipher = nodeCrypto!.createDecipheriv("aes-256-gcm", key.key, params.nonce);
    decipher.setAAD(params.associatedData);
    decipher.setAuthTag(sealed.subarray(sealed.length - AES_GCM_TAG_LENGTH));
    const head = decipher.update(body);
    try {
      return concat([head, decipher.final()]);
    } finally {
      // Plaintext of a failed or finished decryption is not left in the intermediate buffer.
      head.fill(0);
    }
  }
  const opened = await globalThis.crypto.subtle.decrypt(
    {
      name: "AES-GCM",
      iv: toBufferSource(params.nonce),
      additionalData: toBufferSource(params.associatedData),
      tagLength: AES_GCM_TAG_LENGTH * 8,
    },
    key.key,
    toBufferSource(sealed),
  );
  return new Uint8Array(opened);
}

function concat(parts: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, part) => n + part.length, 0));
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.length;
  }
  return out;
}
