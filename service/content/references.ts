/**
 * What content the node must keep, as garbage collection defines it ("referenced"):
 *
 * - the schema and terms of every pool (`PoolCreated`);
 * - the data of every contribution (`ContributionSubmitted`) that is pending or active, and of
 *   one rejected (`ContributionRejected`) or ended (`ConsentRevoked`: revoked or retired) less
 *   than the grace period ago, by the block's timestamp;
 * - every delivery manifest: on-chain (`PurchaseFulfilled`) and in the node's delivery records
 *   (`delivery_purchases.manifest_cid`, a manifest uploaded but not yet fulfilled).
 *
 * Events are read in bounded block ranges, each once (the state only moves forward). All pools
 * count, not only this custodian's: keeping too much is safe, removing too much is not. A chain
 * read that fails fails the whole answer, so a collection never runs on partial knowledge.
 */
import type { DatabaseSync } from "node:sqlite";
import type { Address } from "viem";
import { databankAbi } from "../../lib/contracts/abis.js";
import type { NodePublicClient } from "../chain.js";

/** Blocks per `eth_getLogs` request (public RPCs cap the range). */
export const REFERENCE_SCAN_BLOCK_RANGE = 2_000n;

/** Parameters of {@link ContentReferences}. */
export interface ContentReferencesParams {
  publicClient: NodePublicClient;
  /** The Databank. */
  databank: Address;
  /** The node's database (its delivery records are read, never written). */
  db: DatabaseSync;
  /** First block to read (the Databank's deployment block). */
  fromBlock: bigint;
  /** Blocks per log request; default {@link REFERENCE_SCAN_BLOCK_RANGE}. */
  blockRange?: bigint;
}

interface ContributionData {
  dataCid: string;
  /** Unix seconds of the rejection or end of consent; undefined while pending or active. */
  endedAt?: number;
  /** Block of that event, until its timestamp is known. */
  endedInBlock?: bigint;
}

/** The referenced CIDs, brought up to date on each {@link ContentReferences.snapshot}. */
export class ContentReferences {
  readonly #params: ContentReferencesParams;
  readonly #blockRange: bigint;
  #synced: bigint;
  /** Pool documents and fulfilled manifests: referenced for good. */
  readonly #permanent = new Set<string>();
  readonly #contributions = new Map<bigint, ContributionData>();
  readonly #blockTimes = new Map<bigint, number>();

  constructor(params: ContentReferencesParams) {
    this.#params = params;
    this.#blockRange = params.blockRange ?? REFERENCE_SCAN_BLOCK_RANGE;
    this.#synced = params.fromBlock - 1n;
  }

  /**
   * Reads the new events, then returns the test "is this CID referenced now".
   *
   * @param nowSeconds - unix seconds, to compare with rejection and revocation times
   * @param graceSeconds - how long the data of a rejected or ended contribution is still kept
   */
  async snapshot(nowSeconds: number, graceSeconds: number): Promise<(cid: string) => boolean> {
    await this.#sync();
    const referenced = new Set(this.#permanent);
    for (const contribution of this.#contributions.values()) {
      if (contribution.endedInBlock !== undefined) {
        contribution.endedAt = await this.#blockTime(contribution.endedInBlock);
        contribution.endedInBlock = undefined;
      }
      if (contribution.endedAt === undefined || nowSeconds - contribution.endedAt < graceSeconds) {
        referenced.add(contribution.dataCid);
      }
    }
    const rows = this.#deliveryManifests();
    for (const cid of rows) referenced.add(cid);
    return (cid) => referenced.has(cid);
  }

  async #sync(): Promise<void> {
    const { publicClient, databank } = this.#params;
    const latest = await publicClient.getBlockNumber({ cacheTime: 0 });
    // Bounded: each pass moves `synced` forward by up to blockRange, up to `latest`.
    while (this.#synced < latest) {
      const fromBlock = this.#synced + 1n;
      const toBlock =
        fromBlock + this.#blockRange - 1n < latest ? fromBlock + this.#blockRange - 1n : latest;
      const logs = await publicClient.getContractEvents({
        address: databank,
        abi: databankAbi,
        fromBlock,
        toBlock,
      });
      for (const log of logs) this.#apply(log);
      this.#synced = toBlock;
    }
  }

  #apply(log: { eventName: string; args: unknown; blockNumber: bigint | null }): void {
    const args = log.args as Record<string, unknown>;
    switch (log.eventName) {
      case "PoolCreated": {
        const params = args.params as { schemaCid: string; termsCid: string };
        this.#permanent.add(params.schemaCid);
        this.#permanent.add(params.termsCid);
        return;
      }
      case "PurchaseFulfilled":
        this.#permanent.add(args.deliveryCid as string);
        return;
      case "ContributionSubmitted":
        this.#contributions.set(args.contributionId as bigint, {
          dataCid: args.dataCid as string,
        });
        return;
      case "ContributionRejected":
      case "ConsentRevoked": {
        const contribution = this.#contributions.get(args.contributionId as bigint);
        if (contribution !== undefined && log.blockNumber !== null) {
          contribution.endedInBlock = log.blockNumber;
        }
        return;
      }
    }
  }

  async #blockTime(blockNumber: bigint): Promise<number> {
    const known = this.#blockTimes.get(blockNumber);
    if (known !== undefined) return known;
    const block = await this.#params.publicClient.getBlock({ blockNumber });
    const seconds = Number(block.timestamp);
    this.#blockTimes.set(blockNumber, seconds);
    return seconds;
  }

  /** Manifest CIDs in the delivery worker's records (its table may not exist yet). */
  #deliveryManifests(): string[] {
    const { db } = this.#params;
    const table = db
      .prepare(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name = 'delivery_purchases'",
      )
      .get();
    if (table === undefined) return [];
    return db
      .prepare("SELECT manifest_cid FROM delivery_purchases WHERE manifest_cid IS NOT NULL")
      .all()
      .map((row) => String(row.manifest_cid));
  }
}
