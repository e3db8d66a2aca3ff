/** One of the curator's pools: figures, pause/resume, price change, bounty funding. */
import { useState } from "react";
import { zeroAddress } from "viem";
import { erc20Abi } from "viem";
import type { PoolView } from "../../hooks/useChainData";
import { bountiesLeft, CONSENT_SCOPE } from "../../../../lib/contracts/client.js";
import { useTokenInfo } from "../../hooks/useChainData";
import { useTransaction } from "../../hooks/useTransaction";
import { usePoolContributors } from "../../hooks/usePoolContributors";
import { usePoolQuerySales, usePoolSales } from "../../hooks/usePoolSales";
import { formatAmount, parseAmount } from "../../logic/format";
import { describeProducts, formatEpsilonText, privacyBudgetOf } from "../../logic/privacy";
import { formatBps } from "../../logic/split";
import { useRuntime } from "../../runtime";
import { TransactionStatus } from "../TransactionStatus";

export function CuratorPoolCard({ pool }: { pool: PoolView }) {
  const { runtime } = useRuntime();
  const { data: token } = useTokenInfo(pool.paymentToken);
  const sales = usePoolSales()(pool.id);
  const questions = usePoolQuerySales()(pool.id);
  const contributors = usePoolContributors()(pool.id);
  const transaction = useTransaction();
  const [newPrice, setNewPrice] = useState("");
  const [newQueryPrice, setNewQueryPrice] = useState("");
  const [bountyAmount, setBountyAmount] = useState("");
  const [inputProblem, setInputProblem] = useState<string>();
  if (!token) return null;
  const sellsRecords = (pool.products & CONSENT_SCOPE.records) !== 0;
  const sellsQueries = (pool.products & CONSENT_SCOPE.statistics) !== 0;
  const budget = privacyBudgetOf(pool);
  const show = (amount: bigint) => formatAmount(amount, token);

  const togglePause = () =>
    transaction.run(pool.paused ? "Resume sales" : "Pause sales", ({ writeDatabank }) =>
      writeDatabank("setPaused", [pool.id, !pool.paused]),
    );
  const changePrice = () => {
    const price = parseAmount(newPrice, token.decimals);
    if (price === undefined || price === 0n) return setInputProblem("Enter a new price above 0.");
    setInputProblem(undefined);
    void transaction.run("Change price", ({ writeDatabank }) =>
      writeDatabank("setPrice", [pool.id, price]),
    );
  };
  const changeQueryPrice = () => {
    const price = parseAmount(newQueryPrice, token.decimals);
    if (price === undefined || price === 0n) {
      return setInputProblem("Enter a new price per question above 0.");
    }
    setInputProblem(undefined);
    void transaction.run("Change question price", ({ writeDatabank }) =>
      writeDatabank("setQueryPrice", [pool.id, price]),
    );
  };
  const fundBounty = () => {
    const amount = parseAmount(bountyAmount, token.decimals);
    if (amount === undefined || amount === 0n) return setInputProblem("Enter an amount to fund.");
    setInputProblem(undefined);
    void transaction.run("Fund bounty", async ({ writeDatabank, writeContract }) => {
      if (pool.paymentToken !== zeroAddress) {
        await writeContract({
          address: pool.paymentToken,
          abi: erc20Abi,
          functionName: "approve",
          args: [runtime.databank, amount],
        });
        return writeDatabank("fundBounty", [pool.id, amount]);
      }
      return writeDatabank("fundBounty", [pool.id, amount], amount);
    });
  };

  return (
    <article className="card" aria-labelledby={`curator-pool-${pool.id}`}>
      <h3 id={`curator-pool-${pool.id}`}>
        Pool {pool.id}{" "}
        <span className={`badge ${pool.paused ? "paused" : "ok"}`}>
          {pool.paused ? "paused" : "selling"}
        </span>
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
            ` (${bountiesLeft(pool)?.toString() ?? 0} more bounties; contributions join after that without one)`}
        </dd>
      </dl>
      <div className="actions">
        <button type="button" onClick={togglePause} disabled={transaction.busy}>
          {pool.paused ? "Resume sales" : "Pause sales"}
        </button>
      </div>
      <div className="row">
        {sellsQueries && (
          <AmountAction
            id={`new-query-price-${pool.id}`}
            label={`New price per question (${token.symbol})`}
            value={newQueryPrice}
            onChange={setNewQueryPrice}
            action="Change question price"
            onAction={changeQueryPrice}
            disabled={transaction.busy}
          />
        )}
        {sellsRecords && (
          <AmountAction
            id={`new-price-${pool.id}`}
            label={`New price (${token.symbol})`}
            value={newPrice}
            onChange={setNewPrice}
            action="Change price"
            onAction={changePrice}
            disabled={transaction.busy}
          />
        )}
        <AmountAction
          id={`bounty-${pool.id}`}
          label={`Add to bounty budget (${token.symbol})`}
          value={bountyAmount}
          onChange={setBountyAmount}
          action="Fund bounty"
          onAction={fundBounty}
          disabled={transaction.busy}
        />
      </div>
      {inputProblem && (
        <p className="field-error" role="alert">
          {inputProblem}
        </p>
      )}
      <TransactionStatus state={transaction.state} />
    </article>
  );
}

/** An amount typed in, and the button that acts on it. */
function AmountAction(props: {
  id: string;
  label: string;
  value: string;
  onChange(value: string): void;
  /** The button's text. */
  action: string;
  onAction(): void;
  disabled: boolean;
}) {
  return (
    <div>
      <label htmlFor={props.id}>{props.label}</label>
      <input
        id={props.id}
        type="text"
        inputMode="decimal"
        value={props.value}
        onChange={(event) => props.onChange(event.target.value)}
      />
      <div className="actions">
        <button type="button" onClick={props.onAction} disabled={props.disabled}>
          {props.action}
        </button>
      </div>
    </div>
  );
}
