/**
 * One of the curator's pools: its name and sale status (the same badge buyers see), its figures,
 * and its controls (PoolControls).
 */
import type { PoolView } from "../../hooks/useChainData";
import { bountiesLeft, CONSENT_SCOPE } from "../../../../lib/contracts/client.js";
import { useTokenInfo } from "../../hooks/useChainData";
import { usePoolContributors } from "../../hooks/usePoolContributors";
import { usePoolQuerySales, usePoolSales } from "../../hooks/usePoolSales";
import { formatAmount } from "../../logic/format";
import { describeProducts, formatEpsilonText, privacyBudgetOf } from "../../logic/privacy";
import { formatBps } from "../../logic/split";
import { PoolName } from "../PoolName";
import { PoolStatusBadge } from "../PoolStatusBadge";
import { PoolControls } from "./PoolControls";

export function CuratorPoolCard({ pool }: { pool: PoolView }) {
  const { data: token } = useTokenInfo(pool.paymentToken);
  const sales = usePoolSales()(pool.id);
  const questions = usePoolQuerySales()(pool.id);
  const contributors = usePoolContributors()(pool.id);
  if (!token) return null;
  const sellsRecords = (pool.products & CONSENT_SCOPE.records) !== 0;
  const sellsQueries = (pool.products & CONSENT_SCOPE.statistics) !== 0;
  const budget = privacyBudgetOf(pool);
  const show = (amount: bigint) => formatAmount(amount, token);

  return (
    <article className="card" aria-labelledby={`curator-pool-${pool.id}`}>
      <h3 id={`curator-pool-${pool.id}`}>
        <PoolName poolId={pool.id} /> <PoolStatusBadge pool={pool} />
      </h3>
      <dl className="facts">
        <dt>Sells</dt>
        <dd>{describeProducts(pool.products)}</dd>
        {sellsRecords && (
          <>
            <dt>Price</dt>
            <dd>{show(pool.price)}</dd>
          </>
        )}
        {sellsQueries && (
          <>
            <dt>Price per question</dt>
            <dd>{show(pool.queryPrice)}</dd>
            <dt>Privacy budget</dt>
            <dd>
              {formatEpsilonText(budget.budget)} in all, {formatEpsilonText(budget.spent)} spent,{" "}
              {formatEpsilonText(budget.remaining)} remaining; at most{" "}
              {formatEpsilonText(pool.maxEpsilonPerQuery)} per question
            </dd>
          </>
        )}
        <dt>Contributors</dt>
        <dd>
          {sellsRecords && `${pool.activeCount} active for record sales`}
          {sellsRecords && sellsQueries && ", "}
          {sellsQueries && `${pool.statisticsActive} for questions`} (sales need{" "}
          {pool.minContributors}
          {pool.maxContributors ? `, cap ${pool.maxContributors}` : ""})
          {contributors &&
            `; ${contributors.joined} joined, ${contributors.revoked} revoked, ${contributors.expired} expired`}
        </dd>
        <dt>Sales</dt>
        <dd>
          {sales
            ? `${sales.sales} delivered to ${sales.buyers} buyer(s), ${show(sales.revenue)}`
            : "…"}
        </dd>
        {sellsQueries && (
          <>
            <dt>Questions</dt>
            <dd>
              {questions
                ? `${questions.sales} answered for ${questions.buyers} buyer(s), ${show(questions.revenue)}`
                : "…"}
            </dd>
          </>
        )}
        <dt>Your share</dt>
        <dd>
          {sales && questions ? show(sales.curatorEarned + questions.curatorEarned) : "…"}{" "}
          (contributors get {formatBps(pool.contributorShareBps)} of the net; platform fee{" "}
          {formatBps(pool.platformFeeBps)})
        </dd>
        <dt>Bounty</dt>
        <dd>
          {show(pool.bountyPerContribution)} per contribution, budget {show(pool.bountyBudget)}
          {pool.bountyPerContribution > 0n &&
            `: the budget pays ${bountiesLeft(pool)?.toString() ?? 0} more bount${bountiesLeft(pool) === 1n ? "y" : "ies"} (contributions join after that without one)`}
        </dd>
      </dl>
      <PoolControls pool={pool} token={token} />
    </article>
  );
}
