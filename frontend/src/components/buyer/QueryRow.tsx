/**
 * One of the buyer's questions: price, ε asked and spent, status (the custodian's reason when it
 * rejected it, and that the price was credited), refund when overdue, and the answer to open.
 */
import { lazy, Suspense, useState } from "react";
import type { Address } from "viem";
import { useChainTime } from "../../hooks/useChainData";
import type { QueryPurchaseView } from "../../hooks/useMyQueries";
import { formatTime } from "../../logic/format";
import { formatEpsilonText } from "../../logic/privacy";
import { Amount } from "../Amount";
import { TransactionLink } from "../TransactionLink";
import { RefundAction } from "./RefundAction";

const QueryAnswerView = lazy(() => import("./QueryAnswerView"));

const STATUS_TEXT: Record<QueryPurchaseView["outcome"], string> = {
  pending: "waiting for the answer",
  answered: "answered",
  rejected: "rejected, price credited",
  refunded: "refunded",
};

export function QueryRow({
  purchase,
  paymentToken,
}: {
  purchase: QueryPurchaseView;
  /** The pool's payment token (the event does not repeat it). */
  paymentToken: Address;
}) {
  const { data: now } = useChainTime();
  const [showAnswer, setShowAnswer] = useState(false);
  const overdue = now !== undefined && now > purchase.deadline;
  const refundable = purchase.outcome === "pending" && overdue;
  return (
    <article className="card" aria-label={`Question ${purchase.id}`}>
      <h3>
        Question {purchase.id.toString()} — pool {purchase.poolId}{" "}
        <span className={`badge ${purchase.outcome === "answered" ? "ok" : ""}`}>
          {purchase.outcome === "pending" && overdue ? "overdue" : STATUS_TEXT[purchase.outcome]}
        </span>
      </h3>
      <dl className="facts">
        <dt>Paid</dt>
        <dd>
          <Amount value={purchase.amount} token={paymentToken} />{" "}
          <TransactionLink hash={purchase.transactionHash} />
        </dd>
        <dt>Privacy (ε)</dt>
        <dd>
          {purchase.epsilonSpent !== undefined
            ? `${formatEpsilonText(purchase.epsilonSpent)} spent`
            : `up to ${formatEpsilonText(purchase.epsilon)}`}
        </dd>
        {purchase.outcome === "pending" && (
          <>
            <dt>Answer due</dt>
            <dd>{formatTime(purchase.deadline)}</dd>
          </>
        )}
        {purchase.outcome === "answered" && (
          <>
            <dt>Computed over</dt>
            <dd>
              {purchase.recordCount} contribution(s){" "}
              {purchase.answeredIn && <TransactionLink hash={purchase.answeredIn} />}
            </dd>
          </>
        )}
        {purchase.outcome === "rejected" && (
          <>
            <dt>Custodian's reason</dt>
            <dd>{purchase.rejectionReason || "none given"}</dd>
          </>
        )}
      </dl>
      {purchase.outcome === "rejected" && (
        <p className="muted">
          The price was credited back to you at once: withdraw it with “Claim all” on the “My data
          bank” page.
        </p>
      )}
      {refundable && (
        <RefundAction
          purchase={{ ...purchase, erasureMark: purchase.statisticsMark }}
          label={`Refund question ${purchase.id}`}
        />
      )}
      {purchase.outcome === "answered" && !showAnswer && (
        <div className="actions">
          <button type="button" onClick={() => setShowAnswer(true)}>
            Show the answer
          </button>
        </div>
      )}
      {showAnswer && (
        <Suspense fallback={<p>Loading the decryption tools…</p>}>
          <QueryAnswerView purchase={purchase} />
        </Suspense>
      )}
    </article>
  );
}
