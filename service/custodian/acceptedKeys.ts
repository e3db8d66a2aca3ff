/**
 * Keeping a record's data key at acceptance (docs/data-bank-node.md, "Key custody"): the relay and
 * the acceptance worker open every envelope to check it, so the data key is in hand once the
 * contribution is accepted. Handing it to the key custody then spares the record's first delivery
 * its HPKE open (about 1 ms per record, 100 s at 100,000 records).
 *
 * Keeping is best effort by design: a key not kept here (a crash between the accepting
 * transaction and this write, a record accepted before this existed, a revocation that got in
 * first) is opened from the envelope at its first delivery instead, so a failure is logged and
 * never fails the acceptance.
 */
import type { Address } from "viem";
import type { Logger } from "../log.js";
import type { KeyCustody } from "./delivery/keyCustody.js";

/** Parameters of {@link createAcceptedKeys}. */
export interface AcceptedKeysParams {
  /** The node's key custody (the one the delivery worker reads). */
  custody: KeyCustody;
  /** Chain the node's Databank is on (bound into each kept key). */
  chainId: number;
  /** The node's Databank (bound into each kept key). */
  databank: Address;
  /** Where a key that could not be kept is reported. */
  logger: Logger;
}

/** A contribution just accepted, with the data key its check unwrapped. */
export interface AcceptedRecord {
  /** The pool it was accepted into. */
  poolId: number;
  /** Its consent token id (= contribution id). */
  tokenId: bigint;
  /** CID of its envelope. */
  dataCid: string;
  /** The envelope's data key: zeroed by {@link AcceptedKeys.keep} once kept (or not). */
  dataKey: Uint8Array;
}

/** Keeps the data keys of accepted contributions. */
export interface AcceptedKeys {
  /** Keeps the record's key at rest and zeroes `dataKey`; never throws (see the module comment). */
  keep(record: AcceptedRecord): Promise<void>;
}

/** Creates the keeper of accepted records' keys. */
export function createAcceptedKeys(params: AcceptedKeysParams): AcceptedKeys {
  const { custody, chainId, databank, logger } = params;
  return {
    async keep({ poolId, tokenId, dataCid, dataKey }) {
      try {
        await custody.keep({ chainId, databank, poolId, tokenId, dataCid }, dataKey);
      } catch (error) {
        logger.warn(
          "custody: data key not kept at acceptance; its first delivery opens the envelope",
          {
            contributionId: tokenId,
            problem: error instanceof Error ? error.message : String(error),
          },
        );
      } finally {
        dataKey.fill(0);
      }
    },
  };
}
