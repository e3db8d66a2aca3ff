/**
 * Waiting for the custodian to release a v2 delivery's key (docs/data-bank-node.md, "How a
 * delivery becomes final"): the node shows `deliveryKey` on `GET /v1/purchases/{id}/delivery`
 * only once `fulfill` is mined and has `DATABANK_DELIVERY_CONFIRMATIONS` confirmations. Until
 * then the manifest, even when its CID is known, opens nothing.
 *
 * Browser-safe: no `node:` imports; the caller passes how to ask the node.
 */
import { DeliveryError } from "./errors.js";

/** What {@link waitForDeliveryKey} reads of `GET /v1/purchases/{id}/delivery`. */
export interface DeliveryKeyStatus {
  status: string;
  /** The delivery key sealed to the buyer, once released. */
  deliveryKey?: string;
  /** Why the delivery failed, when it did. */
  error?: string;
}

/** Arguments of {@link waitForDeliveryKey}. */
export interface WaitForDeliveryKeyParameters {
  /** The purchase, for messages. */
  purchaseId: bigint;
  /** Asks the node for the purchase's delivery (e.g. the API client's `deliveryStatus`). */
  fetchStatus: () => Promise<DeliveryKeyStatus>;
  /** Gives up after this long, in ms; default 120,000. 0 asks once. */
  timeoutMs?: number;
  /** Pause between asks, in ms; default 2,000. */
  intervalMs?: number;
  /** Called each time the key is not released yet, with the node's status (for a progress line). */
  onWaiting?: (status: DeliveryKeyStatus) => void;
}

/** Default of {@link WaitForDeliveryKeyParameters.timeoutMs}. */
export const DEFAULT_KEY_WAIT_MS = 120_000;
/** Default of {@link WaitForDeliveryKeyParameters.intervalMs}. */
export const DEFAULT_KEY_POLL_MS = 2_000;

/**
 * Polls the node until it releases the delivery key.
 *
 * @returns the delivery key sealed to the buyer (0x-hex), to pass to `openDelivery`.
 * @throws DeliveryError KEY_NOT_RELEASED when the time runs out, or when the purchase was refunded
 *   or its delivery failed (no key will ever be released then).
 */
export async function waitForDeliveryKey(params: WaitForDeliveryKeyParameters): Promise<string> {
  const timeoutMs = Math.max(0, params.timeoutMs ?? DEFAULT_KEY_WAIT_MS);
  const intervalMs = Math.max(10, params.intervalMs ?? DEFAULT_KEY_POLL_MS);
  const giveUpAt = Date.now() + timeoutMs;
  for (;;) {
    const status = await params.fetchStatus();
    if (status.deliveryKey !== undefined) return status.deliveryKey;
    if (status.status === "refunded" || status.status === "failed") {
      throw new DeliveryError(
        "KEY_NOT_RELEASED",
        `purchase ${params.purchaseId} was not delivered (the node says "${status.status}"${status.error === undefined ? "" : `: ${status.error}`}): no delivery key will be released`,
      );
    }
    const remaining = giveUpAt - Date.now();
    if (remaining <= 0) {
      throw new DeliveryError(
        "KEY_NOT_RELEASED",
        `the custodian has not released the delivery key yet: the delivery of purchase ${params.purchaseId} is not final (node status "${status.status}"; gave up after ${Math.round(timeoutMs / 1000)} s, try again later)`,
      );
    }
    params.onWaiting?.(status);
    // The last pause ends at the deadline, so the node is asked once more right then.
    await new Promise((resolve) => setTimeout(resolve, Math.min(intervalMs, remaining)));
  }
}
