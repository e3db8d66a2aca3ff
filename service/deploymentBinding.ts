/**
 * Ties the node's database to the one deployment it was made for. The database holds what the node
 * saw on a chain (purchases delivered, transaction hashes, cursors): under another chain, another
 * Databank, or the same chain after a reset (Hardhat redeploys at the same address), it would report
 * deliveries whose transactions do not exist. So the first start writes the deployment into
 * `node_meta`, and every later start refuses a mismatch with one line saying what to do.
 */
import type { DatabaseSync } from "node:sqlite";
import { getAddress, isAddressEqual, type Address, type Hash } from "viem";
import { ConfigError } from "../lib/config/index.js";
import type { NodePublicClient } from "./chain.js";
import { inTransaction } from "./db.js";

/** The deployment a data directory belongs to. */
export interface DeploymentIdentity {
  chainId: number;
  /** The Databank contract. */
  databank: Address;
  /**
   * A block of the chain at the first start (the finalized one where the RPC knows it, else the
   * latest) and its hash: a reset chain either lacks that block or has another one there.
   */
  anchorBlock: bigint;
  anchorHash: Hash;
}

/** The node was pointed at a data directory made for another deployment (exit status 2 in the CLI). */
export class DataDirMismatchError extends ConfigError {
  constructor(problem: string) {
    super("DATABANK_DATA_DIR", problem);
    this.name = "DataDirMismatchError";
  }
}

/** Parameters of {@link bindDatabaseToDeployment}. */
export interface BindDatabaseParams {
  /** The node's database (`node_meta` is created in it if missing). */
  db: DatabaseSync;
  /** The data directory, named in the error message. */
  dataDir: string;
  chainId: number;
  databank: Address;
  /** Reads the anchor block (first start) or checks it is still there (later starts). */
  publicClient: NodePublicClient;
}

/**
 * Records the deployment on the first start; on later starts checks it is the same one.
 *
 * @throws DataDirMismatchError when the database belongs to another chain id, another Databank, or
 *   a chain that no longer has the recorded block (reset).
 */
export async function bindDatabaseToDeployment(params: BindDatabaseParams): Promise<void> {
  const { db, dataDir, chainId, databank, publicClient } = params;
  db.exec(`CREATE TABLE IF NOT EXISTS node_meta (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
  ) STRICT`);
  const stored = readIdentity(db);
  const fix = `use another DATABANK_DATA_DIR or delete ${dataDir}`;
  if (stored === undefined) {
    const anchor = await anchorBlock(publicClient);
    writeIdentity(db, {
      chainId,
      databank: getAddress(databank),
      anchorBlock: anchor.number,
      anchorHash: anchor.hash,
    });
    return;
  }
  const owner = `this data directory belongs to chain ${stored.chainId} / Databank ${stored.databank}`;
  if (stored.chainId !== chainId || !isAddressEqual(stored.databank, databank)) {
    throw new DataDirMismatchError(
      `${owner}, not chain ${chainId} / Databank ${getAddress(databank)}; ${fix}`,
    );
  }
  let current: Hash | undefined;
  try {
    current = (await publicClient.getBlock({ blockNumber: stored.anchorBlock })).hash ?? undefined;
  } catch (error) {
    // viem reports a block the chain does not have as BlockNotFoundError; anything else (the RPC
    // down) is not evidence of a reset and must not be reported as one.
    if (!(error instanceof Error && error.name === "BlockNotFoundError")) throw error;
  }
  if (current !== stored.anchorHash) {
    throw new DataDirMismatchError(
      `${owner} as of block ${stored.anchorBlock} (${stored.anchorHash}), which this chain ${current === undefined ? "does not have" : "has another version of"}: the chain was reset or replaced; ${fix}`,
    );
  }
}

async function anchorBlock(
  publicClient: NodePublicClient,
): Promise<{ number: bigint; hash: Hash }> {
  let block;
  try {
    block = await publicClient.getBlock({ blockTag: "finalized" });
  } catch {
    block = await publicClient.getBlock({ blockTag: "latest" });
  }
  return { number: block.number, hash: block.hash };
}

function readIdentity(db: DatabaseSync): DeploymentIdentity | undefined {
  const rows = db.prepare("SELECT key, value FROM node_meta").all() as {
    key: string;
    value: string;
  }[];
  const meta = new Map(rows.map((row) => [row.key, row.value]));
  const chainId = meta.get("chain_id");
  const databank = meta.get("databank");
  const block = meta.get("anchor_block");
  const hash = meta.get("anchor_hash");
  if (chainId === undefined || databank === undefined || block === undefined || !hash) {
    return undefined;
  }
  return {
    chainId: Number(chainId),
    databank: getAddress(databank),
    anchorBlock: BigInt(block),
    anchorHash: hash as Hash,
  };
}

function writeIdentity(db: DatabaseSync, identity: DeploymentIdentity): void {
  const insert = db.prepare("INSERT OR REPLACE INTO node_meta (key, value) VALUES (?, ?)");
  inTransaction(db, () => {
    insert.run("chain_id", String(identity.chainId));
    insert.run("databank", identity.databank);
    insert.run("anchor_block", identity.anchorBlock.toString());
    insert.run("anchor_hash", identity.anchorHash);
  });
}
