/**
 * Tracking what the chain asks of the custodian: every new `PurchaseCreated` of a pool this node
 * custodies is recorded (cursor moved in the same transaction), and every `ConsentRevoked`
 * (revoked by its holder, or retired after expiry) crypto-shreds the record's kept data key
 * (service/custodian/delivery/keyCustody.ts) before any delivery of the pass can use it.
 */
import { databankAbi } from "../../../lib/contracts/abis.js";
import { ourPurchases, walkNewBlocks } from "../purchaseWorker.js";
import type { ChainView } from "./chainView.js";
import type { DeliveryContext } from "./context.js";
import type { KeyCustody } from "./keyCustody.js";

/** Cursor of the `PurchaseCreated` scan in `delivery_cursor` (the name predates the others). */
const PURCHASES_CURSOR = "purchases";
/** Cursor of the `ConsentRevoked` scan in `delivery_cursor`. */
const REVOCATIONS_CURSOR = "revocations";

/** Parameters of {@link createTracking}. */
export interface TrackingParams {
  /** The worker's shared context. */
  ctx: DeliveryContext;
  /** Chain reads (a pool's custodian). */
  chain: ChainView;
  /** The kept data keys, shredded when a consent ends. */
  custody: KeyCustody;
}

/** The scans run at the start of every pass. */
export interface Tracking {
  /** Records every new `PurchaseCreated` of a pool this node custodies; moves the cursor. */
  scanPurchases(): Promise<void>;
  /** Shreds the kept key of every record whose consent ended since the last scan; moves the cursor. */
  scanRevocations(): Promise<void>;
}

/** Creates the scans of one worker. */
export function createTracking({ ctx, chain, custody }: TrackingParams): Tracking {
  const { publicClient, address, store } = ctx;

  /** Walks the blocks after `cursorName`'s block up to the latest, in `logBlockRange` steps. */
  const walk = (cursorName: string, step: (from: bigint, to: bigint) => Promise<void>) =>
    walkNewBlocks({
      publicClient,
      cursor: store.cursor(cursorName),
      fromBlock: ctx.fromBlock,
      blockRange: ctx.logBlockRange,
      step,
    });

  return {
    scanPurchases: () =>
      walk(PURCHASES_CURSOR, async (fromBlock, toBlock) => {
        const logs = await publicClient.getContractEvents({
          address,
          abi: databankAbi,
          eventName: "PurchaseCreated",
          fromBlock,
          toBlock,
        });
        const ours = (await ourPurchases(logs, chain.poolCustodian, ctx.custodian)).map(
          ({ fields, args }) => ({ ...fields, erasureMark: args.erasureMark! }),
        );
        const added = store.recordPurchases(PURCHASES_CURSOR, toBlock, ours);
        if (added > 0) {
          ctx.log("delivery.purchases-seen", { count: added, toBlock: toBlock.toString() });
        }
      }),
    scanRevocations: () =>
      walk(REVOCATIONS_CURSOR, async (fromBlock, toBlock) => {
        const logs = await publicClient.getContractEvents({
          address,
          abi: databankAbi,
          eventName: "ConsentRevoked",
          fromBlock,
          toBlock,
        });
        // Every pool's: token ids are global, and a key never kept is simply not there to delete.
        const revoked = logs.filter((l) => !l.args.expired).map((l) => l.args.contributionId!);
        const retired = logs.filter((l) => l.args.expired).map((l) => l.args.contributionId!);
        // Shredding is idempotent, so a crash before the cursor moves only repeats it.
        custody.shred(revoked, "revoked");
        custody.shred(retired, "retired");
        store.setCursor(REVOCATIONS_CURSOR, toBlock);
      }),
  };
}
