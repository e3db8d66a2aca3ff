/**
 * The refund of an overdue purchase, a record sale or a question alike: once its deadline passed
 * without delivery, `refund` pays the buyer back in full (never earlier, so nobody can race a
 * delivery with a refund).
 */
import type { Purchase } from "../../../../lib/contracts/client.js";
import { useTransaction } from "../../hooks/useTransaction";
import { TransactionStatus } from "../TransactionStatus";

export function RefundAction({ purchase, label }: { purchase: Purchase; label: string }) {
  const transaction = useTransaction();
  const refund = () =>
    transaction.run(label, ({ writeDatabank }) =>
      // The purchase struct exactly: the contract checks it against its stored digest.
      writeDatabank("refund", [
        {
          id: purchase.id,
          poolId: purchase.poolId,
          buyer: purchase.buyer,
          amount: purchase.amount,
          deadline: purchase.deadline,
          erasureMark: purchase.erasureMark,
          epsilon: purchase.epsilon,
        },
      ]),
    );
  return (
    <>
      <div className="actions">
        <button type="button" onClick={refund} disabled={transaction.busy}>
          Take refund
        </button>
      </div>
      <p className="muted">
        The custodian missed the deadline: you can take your payment back in full.
      </p>
      <TransactionStatus state={transaction.state} />
    </>
  );
}
