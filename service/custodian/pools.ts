/**
 * Pools as the node needs them: the on-chain struct, the custodian (fixed at creation, so cached),
 * and the schema and terms documents fetched from the content store (immutable by CID, so cached).
 */
import type { Address } from "viem";
import { decodeDatabankError } from "../../lib/contracts/index.js";
import { isStorageError, type ContentStore } from "../../lib/storage/index.js";
import type { CustodianDatabank } from "../chain.js";
import { ServiceError } from "../errors.js";

/** Largest schema or terms document the node fetches. */
export const MAX_POOL_DOCUMENT_BYTES = 1024 * 1024;
/** How long a schema or terms fetch may take before the node gives up on it. */
export const POOL_DOCUMENT_TIMEOUT_MS = 5_000;

/** The on-chain `IDatabank.Pool` struct, as viem decodes it. */
export type OnChainPool = Awaited<ReturnType<CustodianDatabank["contract"]["read"]["getPool"]>>;

/** A pool with the CIDs of its documents. */
export interface PoolWithDocuments {
  id: number;
  pool: OnChainPool;
  schemaCid: string;
  termsCid: string;
}

/** Reads pools and their documents. */
export interface PoolDirectory {
  /** The pool now (uncached: price, counts and budget change), or undefined if it does not exist. */
  pool(poolId: number): Promise<PoolWithDocuments | undefined>;
  /** The pool's custodian (cached), or undefined if the pool does not exist. */
  custodianOf(poolId: number): Promise<Address | undefined>;
  /** The pool's JSON Schema. @throws ServiceError 404 unknown pool, 503 unavailable or not JSON. */
  schema(poolId: number): Promise<object>;
  /** A schema document by CID. @throws ServiceError 503 when it cannot be fetched or parsed. */
  schemaByCid(cid: string): Promise<object>;
  /** A terms document by CID (UTF-8 text). @throws ServiceError 503. */
  termsByCid(cid: string): Promise<string>;
}

/** Creates the pool directory over the Databank and the node's content store. */
export function createPoolDirectory(params: {
  databank: CustodianDatabank;
  store: ContentStore;
  documentTimeoutMs?: number;
}): PoolDirectory {
  const { databank, store } = params;
  const timeoutMs = params.documentTimeoutMs ?? POOL_DOCUMENT_TIMEOUT_MS;
  const custodians = new Map<number, Address>();
  const documents = new Map<number, { schemaCid: string; termsCid: string }>();
  const schemas = new Map<string, object>();
  const terms = new Map<string, string>();

  async function fetchDocument(cid: string, what: string): Promise<Uint8Array> {
    try {
      return await store.get(cid, {
        maxBytes: MAX_POOL_DOCUMENT_BYTES,
        signal: AbortSignal.timeout(timeoutMs),
      });
    } catch (error) {
      if (isStorageError(error) || (error instanceof Error && error.name === "TimeoutError")) {
        throw new ServiceError(
          503,
          "POOL_DOCUMENT_UNAVAILABLE",
          `the pool's ${what} (${cid}) could not be fetched: ${(error as Error).message}`,
          {},
          { cause: error },
        );
      }
      throw error;
    }
  }

  async function pool(poolId: number): Promise<PoolWithDocuments | undefined> {
    let onChain: OnChainPool;
    try {
      onChain = await databank.contract.read.getPool([poolId]);
    } catch (error) {
      if (decodeDatabankError(error)?.name === "UnknownPool") return undefined;
      throw error;
    }
    // getPool of an id never created returns zeros on some versions; a pool always has a curator.
    if (/^0x0{40}$/.test(onChain.curator)) return undefined;
    let docs = documents.get(poolId);
    if (docs === undefined) {
      const [schemaCid, termsCid] = await databank.contract.read.poolDocuments([poolId]);
      docs = { schemaCid, termsCid };
      documents.set(poolId, docs);
    }
    custodians.set(poolId, onChain.custodian);
    return { id: poolId, pool: onChain, ...docs };
  }

  async function schemaByCid(cid: string): Promise<object> {
    const cached = schemas.get(cid);
    if (cached !== undefined) return cached;
    const bytes = await fetchDocument(cid, "schema");
    let parsed: unknown;
    try {
      parsed = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(bytes));
    } catch {
      parsed = undefined;
    }
    if (parsed === null || typeof parsed !== "object" || Array.isArray(parsed)) {
      throw new ServiceError(
        503,
        "POOL_DOCUMENT_UNAVAILABLE",
        `the pool's schema (${cid}) is not a JSON object`,
      );
    }
    schemas.set(cid, parsed);
    return parsed;
  }

  return {
    pool,
    async custodianOf(poolId) {
      const cached = custodians.get(poolId);
      if (cached !== undefined) return cached;
      return (await pool(poolId))?.pool.custodian;
    },
    async schema(poolId) {
      const found = documents.get(poolId) ?? (await pool(poolId));
      if (found === undefined) {
        throw new ServiceError(404, "POOL_NOT_FOUND", `pool ${poolId} does not exist`);
      }
      return schemaByCid(found.schemaCid);
    },
    schemaByCid,
    async termsByCid(cid) {
      const cached = terms.get(cid);
      if (cached !== undefined) return cached;
      const text = new TextDecoder("utf-8").decode(await fetchDocument(cid, "terms"));
      terms.set(cid, text);
      return text;
    },
  };
}
