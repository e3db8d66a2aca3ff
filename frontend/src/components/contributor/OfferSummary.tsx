/**
 * What joining pays, next to the consent box: the price of a sale, the contributors' share and
 * how many share it today, and the bounty (or that none is left).
 */
import { bountiesLeft } from "../../../../lib/contracts/client.js";
import type { PoolView } from "../../hooks/useChainData";
import { formatBps } from "../../logic/split";
import { Amount } from "../Amount";

export function OfferSummary({ pool }: { pool: PoolView }) {
  const left = bountiesLeft(pool);
  return (
    <dl className="facts offer" aria-label="What you get">
      <dt>Price of a sale</dt>
      <dd>
        <Amount value={pool.price} token={pool.paymentToken} />
      </dd>
      <dt>Contributors&apos; share</dt>
      <dd>
        {formatBps(pool.contributorShareBps)} of each sale after the platform fee, split equally
        among the active contributors ({pool.activeCount} today, you would be one more)
      </dd>
      <dt>Bounty when accepted</dt>
      <dd>
        {left === undefined && "none: this pool offers no bounty"}
        {left !== undefined && left > 0n && (
          <>
            <Amount value={pool.bountyPerContribution} token={pool.paymentToken} /> (
            {left.toString()} left)
          </>
        )}
        {left === 0n && "none left: the bounty budget is used up"}
      </dd>
    </dl>
  );
}
