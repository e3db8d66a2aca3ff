/**
 * The buy button of a pool, with everything a buyer checks before paying: what blocks a sale, how
 * many records the purchase delivers, whether they bought it already, and whether their balance
 * covers the price (checked before any signature).
 */
import { zeroAddress } from "viem";
import { buyPool } from "../../chain/buy";
import type { PoolView } from "../../hooks/useChainData";
import { useDatabank } from "../../hooks/useDatabank";
import { useFundsCheck } from "../../hooks/useFundsCheck";
import { useMyPurchases } from "../../hooks/useMyPurchases";
import { useTransaction } from "../../hooks/useTransaction";
import { wordingFor } from "../../logic/errors";
import { BalanceNote, FundsProblem } from "../FundsNotes";
import { PoolName } from "../PoolName";
import { TransactionStatus } from "../TransactionStatus";
import { SplitPreviewTable } from "./SplitPreviewTable";

export function BuyPanel({ pool }: { pool: PoolView }) {
  const { address, account } = useDatabank();
  const transaction = useTransaction();
  const funds = useFundsCheck(pool.paymentToken, pool.price);
  const { purchases } = useMyPurchases(account);
  const earlier = purchases?.find(
    (purchase) => purchase.poolId === pool.id && purchase.outcome !== "refunded",
  );
  const blocked = pool.paused
    ? "Sales of this pool are paused by its curator."
    : pool.activeCount < pool.minContributors
      ? `Sales start at ${pool.minContributors} contributors (k-anonymity); it has ${pool.activeCount}.`
      : undefined;
  const method =
    pool.paymentToken === zeroAddress
      ? "Paid in ETH with the transaction."
      : "Paid in the pool's token: one permit signature when the token supports it, else an approval then the purchase.";
  const buy = () =>
    transaction.run(
      `Buy pool ${pool.id}`,
      (context) => buyPool(context, pool, address),
      funds.token && wordingFor(funds.token),
    );
  return (
    <section aria-label={`Buy pool ${pool.id}`}>
      <h3>
        Buy the data of <PoolName poolId={pool.id} />
      </h3>
      <p className="preview-count">
        You will receive {pool.activeCount} record{pool.activeCount === 1 ? "" : "s"}: the
        contributions active for record sales when the custodian delivers (contributions that allow
        only statistics are never delivered).
      </p>
      {earlier && (
        <p className="ok">
          Already purchased (purchase {earlier.id.toString()})
          {earlier.outcome === "pending" ? ", awaiting delivery" : ""}: see “Your purchases” below.
        </p>
      )}
      <SplitPreviewTable pool={pool} />
      <p className="muted">
        {method} The payment stays in escrow until the custodian delivers; you are refunded if it
        does not deliver in time. Your wallet signs a message that derives your encryption key: the
        data is encrypted to it.
      </p>
      {blocked && <p className="error">{blocked}</p>}
      {account && <FundsProblem funds={funds} />}
      <div className="actions">
        <button
          type="button"
          disabled={
            !account || transaction.busy || blocked !== undefined || funds.problem !== undefined
          }
          onClick={buy}
        >
          Buy
        </button>
        {account && <BalanceNote funds={funds} />}
        {!account && <span className="muted">Connect a wallet to buy.</span>}
      </div>
      <TransactionStatus state={transaction.state} />
    </section>
  );
}
