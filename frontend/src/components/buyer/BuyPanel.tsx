/** The buy button of a pool, with what blocks a sale explained before anyone pays. */
import { zeroAddress } from "viem";
import { buyPool } from "../../chain/buy";
import type { PoolView } from "../../hooks/useChainData";
import { useDatabank } from "../../hooks/useDatabank";
import { useTransaction } from "../../hooks/useTransaction";
import { TransactionStatus } from "../TransactionStatus";
import { SplitPreviewTable } from "./SplitPreviewTable";

export function BuyPanel({ pool }: { pool: PoolView }) {
  const { address, account } = useDatabank();
  const transaction = useTransaction();
  const blocked = pool.paused
    ? "Sales of this pool are paused by its curator."
    : pool.activeCount < pool.minContributors
      ? `Sales start at ${pool.minContributors} contributors (k-anonymity); it has ${pool.activeCount}.`
      : undefined;
  const method =
    pool.paymentToken === zeroAddress
      ? "Paid in ETH with the transaction."
      : "Paid in the pool's token: one permit signature when the token supports it, else an approval then the purchase.";
  return (
    <section aria-label={`Buy pool ${pool.id}`}>
      <h3>Buy the data of pool {pool.id}</h3>
      <SplitPreviewTable pool={pool} />
      <p className="muted">
        {method} The payment stays in escrow until the custodian delivers; you are refunded if it
        does not deliver in time. Your wallet signs a message that derives your encryption key: the
        data is encrypted to it.
      </p>
      {blocked && <p className="error">{blocked}</p>}
      <div className="actions">
        <button
          type="button"
          disabled={!account || transaction.busy || blocked !== undefined}
          onClick={() =>
            transaction.run(`Buy pool ${pool.id}`, (context) => buyPool(context, pool, address))
          }
        >
          Buy
        </button>
        {!account && <span className="muted">Connect a wallet to buy.</span>}
      </div>
      <TransactionStatus state={transaction.state} />
    </section>
  );
}
