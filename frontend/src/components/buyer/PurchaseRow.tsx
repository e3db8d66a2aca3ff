/** One purchase: amount, status, delivery, refund when overdue, download when delivered. */
import { lazy, Suspense, useState } from "react";
import { useChainTime } from "../../hooks/useChainData";
import type { PurchaseView } from "../../hooks/useMyPurchases";
import { useTransaction } from "../../hooks/useTransaction";
import { formatTime } from "../../logic/format";
import { Amount } from "../Amount";
import { TransactionLink } from "../TransactionLink";
import { TransactionStatus } from "../TransactionStatus";
import { DeliveryStatus } from "./DeliveryStatus";

const DeliveryDownload = lazy(() => import("./DeliveryDownload"));

export function PurchaseRow({ purchase }: { purchase: PurchaseView }) {
  const transaction = useTransaction();
  const { data: now } = useChainTime();
  const [showDownload, setShowDownload] = useState(false);
  // Refunds open only after the deadline: the custodian can deliver the set it took whatever
  // revocations follow, so nobody can race a delivery with a refund.
  const overdue = now !== undefined && now > purchase.deadline;
  const refundable = purchase.outcome === "pending" && overdue;
  const refund = () =>
    transaction.run(`Refund purchase ${purchase.id}`, ({ writeDatabank }) =>
      writeDatabank("refund", [
        {
          id: purchase.id,
          poolId: purchase.poolId,
          buyer: purchase.buyer,
          amount: purchase.amount,
          deadline: purchase.deadline,
          erasureMark: purchase.erasureMark,
          epsilon: 0,
        },
      ]),
    );
  return (
    <article className="card" aria-label={`Purchase ${purchase.id}`}>
      <h3>
        Purchase {purchase.id.toString()} — pool {purchase.poolId}{" "}
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
      <div className="actions">
        {refundable && (
          <button type="button" onClick={refund} disabled={transaction.busy}>
            Take refund
          </button>
        )}
        {purchase.outcome === "fulfilled" && !showDownload && (
          <button type="button" onClick={() => setShowDownload(true)}>
            Decrypt and download
          </button>
        )}
      </div>
      {refundable && (
        <p className="muted">
          The custodian missed the delivery deadline: you can take your payment back in full.
        </p>
      )}
      {showDownload && (
        <Suspense fallback={<p>Loading the decryption tools…</p>}>
          <DeliveryDownload purchase={purchase} />
        </Suspense>
      )}
      <TransactionStatus state={transaction.state} />
    </article>
  );
}
