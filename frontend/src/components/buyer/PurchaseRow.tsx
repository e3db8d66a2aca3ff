/** One purchase: amount, status, delivery, refund when overdue, download when delivered. */
import { lazy, Suspense, useState } from "react";
import { useChainTime } from "../../hooks/useChainData";
import type { PurchaseView } from "../../hooks/useMyPurchases";
import { formatTime } from "../../logic/format";
import { Amount } from "../Amount";
import { PoolName } from "../PoolName";
import { TransactionLink } from "../TransactionLink";
import { DeliveryStatus } from "./DeliveryStatus";
import { RefundAction } from "./RefundAction";

const DeliveryDownload = lazy(() => import("./DeliveryDownload"));

export function PurchaseRow({ purchase }: { purchase: PurchaseView }) {
  const { data: now } = useChainTime();
  const [showDownload, setShowDownload] = useState(false);
  // Refunds open only after the deadline: the custodian can deliver the set it took whatever
  // revocations follow, so nobody can race a delivery with a refund.
  const overdue = now !== undefined && now > purchase.deadline;
  const refundable = purchase.outcome === "pending" && overdue;
  return (
    <article className="card" aria-label={`Purchase ${purchase.id}`}>
      <h3>
        Purchase {purchase.id.toString()} — <PoolName poolId={purchase.poolId} />{" "}
        <span className={`badge ${purchase.outcome === "fulfilled" ? "ok" : ""}`}>
          {purchase.outcome === "fulfilled"
            ? "delivered"
            : purchase.outcome === "refunded"
              ? "refunded"
              : overdue
                ? "overdue"
                : "awaiting delivery"}
        </span>
      </h3>
      <dl className="facts">
        <dt>Paid</dt>
        <dd>
          <Amount value={purchase.amount} token={purchase.paymentToken} />{" "}
          <TransactionLink hash={purchase.transactionHash} />
        </dd>
        <dt>Delivery deadline</dt>
        <dd>{formatTime(purchase.deadline)}</dd>
        {purchase.outcome === "pending" && (
          <>
            <dt>Delivery</dt>
            <dd>
              <DeliveryStatus purchaseId={purchase.id} />
            </dd>
          </>
        )}
        {purchase.outcome === "fulfilled" && (
          <>
            <dt>Records</dt>
            <dd>
              {purchase.recordCount}{" "}
              {purchase.fulfilledIn && <TransactionLink hash={purchase.fulfilledIn} />}
            </dd>
          </>
        )}
      </dl>
      {refundable && <RefundAction purchase={purchase} label={`Refund purchase ${purchase.id}`} />}
      {purchase.outcome === "fulfilled" && !showDownload && (
        <div className="actions">
          <button type="button" onClick={() => setShowDownload(true)}>
            Decrypt and download
          </button>
        </div>
      )}
      {showDownload && (
        <Suspense fallback={<p>Loading the decryption tools…</p>}>
          <DeliveryDownload purchase={purchase} />
        </Suspense>
      )}
    </article>
  );
}
