/**
 * A pool's record sales so far, from its PurchaseFulfilled events: who bought (by address), how
 * many records each delivery held and what it paid. Only what the chain records: nothing computed
 * from the records' contents.
 */
import type { PoolView } from "../../hooks/useChainData";
import { useDatabankEvents, useTokenInfo } from "../../hooks/useChainData";
import { formatAmount, shortAddress } from "../../logic/format";
import { TransactionLink } from "../TransactionLink";

export function SalesHistory({ pool }: { pool: PoolView }) {
  const { data: events, error } = useDatabankEvents("PurchaseFulfilled");
  const { data: token } = useTokenInfo(pool.paymentToken);
  if (error || !events || !token) return null;
  const sales = events.filter((event) => event.args.poolId === pool.id).reverse();
  return (
    <section aria-labelledby={`sales-history-${pool.id}`}>
      <h4 id={`sales-history-${pool.id}`}>Sales history</h4>
      {sales.length === 0 ? (
        <p className="muted">No delivered sale yet.</p>
      ) : (
        <table aria-label={`Sales of pool ${pool.id}`}>
          <thead>
            <tr>
              <th scope="col">Purchase</th>
              <th scope="col">Buyer</th>
              <th scope="col">Records delivered</th>
              <th scope="col">Paid</th>
            </tr>
          </thead>
          <tbody>
            {sales.map(({ args, transactionHash }) => (
              <tr key={String(args.purchaseId)}>
                <td>
                  {String(args.purchaseId)} <TransactionLink hash={transactionHash} />
                </td>
                <td className="mono">{shortAddress(args.buyer!)}</td>
                <td>{args.recordCount}</td>
                <td>
                  {formatAmount(
                    args.platformAmount! + args.curatorAmount! + args.contributorsAmount!,
                    token,
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}
