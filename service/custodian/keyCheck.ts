/**
 * Finds the pools that name this node as custodian but another X25519 key. Contributors seal their
 * data keys to the pool's on-chain `custodianKey`: if the node runs with another key it cannot open
 * them, and every acceptance and delivery of those pools fails, one by one, with no other sign. The
 * node checks at start (a loud warning naming the pools) and on every `GET /health` (a warning).
 */
import { bytesToHex, isAddressEqual, type Address, type Hex } from "viem";
import type { CustodianDatabank } from "../chain.js";

/** Pools whose on-chain custodian key is not the node's. */
export interface KeyMismatch {
  /** Ids of the pools, ascending. */
  pools: number[];
  /** One line saying what is wrong and what to do. */
  message: string;
}

/** Checks the node's key against the pools it custodies. */
export interface CustodianKeyCheck {
  /** The mismatched pools now (new pools are read; known ones come from a cache), or undefined if none. */
  mismatch(): Promise<KeyMismatch | undefined>;
}

/** Parameters of {@link createCustodianKeyCheck}. */
export interface CustodianKeyCheckParams {
  databank: CustodianDatabank;
  /** The custodian's EVM address: only pools naming it are compared. */
  custodian: Address;
  /** The custodian's X25519 public key (32 bytes), from DATABANK_CUSTODIAN_X25519_KEY. */
  publicKey: Uint8Array;
}

/** Pools read at once when catching up (a bound on parallel RPC calls). */
const READ_CONCURRENCY = 8;

/** Creates the check. A pool's custodian and key are fixed at creation, so each pool is read once. */
export function createCustodianKeyCheck(params: CustodianKeyCheckParams): CustodianKeyCheck {
  const { databank, custodian } = params;
  const myKey = bytesToHex(params.publicKey).toLowerCase() as Hex;
  /** Pool id → its key when it names this custodian with another key, else null. */
  const seen = new Map<number, Hex | null>();

  return {
    async mismatch() {
      const count = Number(await databank.contract.read.poolCount());
      const unread: number[] = [];
      for (let id = 1; id <= count; id++) if (!seen.has(id)) unread.push(id);
      for (let i = 0; i < unread.length; i += READ_CONCURRENCY) {
        const batch = unread.slice(i, i + READ_CONCURRENCY);
        const pools = await Promise.all(batch.map((id) => databank.contract.read.getPool([id])));
        batch.forEach((id, index) => {
          const pool = pools[index]!;
          const named = isAddressEqual(pool.custodian, custodian);
          const key = pool.custodianKey.toLowerCase() as Hex;
          seen.set(id, named && key !== myKey ? key : null);
        });
      }
      const pools = [...seen.entries()]
        .filter(([, key]) => key !== null)
        .map(([id]) => id)
        .sort((a, b) => a - b);
      if (pools.length === 0) return undefined;
      return {
        pools,
        message: `pool${pools.length === 1 ? "" : "s"} ${pools.join(", ")} name${pools.length === 1 ? "s" : ""} this node (${custodian}) as custodian with an X25519 key other than its own (${myKey}): their contributions cannot be opened and their deliveries will fail; run the node with the X25519 key those pools were created with (DATABANK_CUSTODIAN_X25519_KEY)`,
      };
    },
  };
}
