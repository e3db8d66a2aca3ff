/**
 * "Ask a question" of a pool that sells queries: a builder generated from the pool's record schema
 * and query policy, checked live with lib/query's checkQuery (the check the CLI and the custodian
 * run), the price and ε shown with the pool's remaining privacy budget before anything is paid.
 * Loaded lazily: it brings lib/query (and its zod schemas).
 */
import { useMemo, useState } from "react";
import { askQuestion } from "../../chain/query";
import type { PoolView } from "../../hooks/useChainData";
import { useDatabank } from "../../hooks/useDatabank";
import { usePoolDocuments } from "../../hooks/usePoolDocuments";
import { useTransaction } from "../../hooks/useTransaction";
import { describeError, wordingFor } from "../../logic/errors";
import { describeBudget, formatEpsilonText, privacyBudgetOf } from "../../logic/privacy";
import {
  initialDraft,
  queryFromDraft,
  queryOptionsOf,
  type QueryDraft,
} from "../../logic/queryBuilder";
import { useRuntime } from "../../runtime";
import { checkQuery } from "../../../../lib/query/validate.js";
import { queryPolicyOf } from "../../../../lib/query/poolPolicy.js";
import type { QueryPolicy } from "../../../../lib/query/policy.js";
import { Amount } from "../Amount";
import { ErrorSummary, type SummaryProblem } from "../ErrorSummary";
import { TextField } from "../TextField";
import { TransactionStatus } from "../TransactionStatus";
import { QueryBuilderFields } from "./QueryBuilderFields";
import { useFundsCheck } from "../../hooks/useFundsCheck";
import { BalanceNote, FundsProblem } from "../FundsNotes";

const encoder = new TextEncoder();

export default function AskQuestion({ pool }: { pool: PoolView }) {
  const documents = usePoolDocuments(pool.schemaCid, pool.termsCid);
  const terms = useMemo(() => {
    if (!documents.data) return undefined;
    try {
      const policy = queryPolicyOf(documents.data.schema, pool);
      return { policy, schema: documents.data.schema as object };
    } catch (error) {
      return { problem: describeError(error) };
    }
  }, [documents.data, pool.products, pool.maxEpsilonPerQuery]);
  if (documents.isPending) return <p>Loading the pool's schema and query policy…</p>;
  if (documents.error) return <p className="error">{describeError(documents.error)}</p>;
  if (!terms || "problem" in terms) {
    return <p className="error">This pool answers no question: {terms?.problem}</p>;
  }
  return <QuestionForm pool={pool} schema={terms.schema} policy={terms.policy} />;
}

function QuestionForm({
  pool,
  schema,
  policy,
}: {
  pool: PoolView;
  schema: object;
  policy: QueryPolicy;
}) {
  const { runtime } = useRuntime();
  const { address, account } = useDatabank();
  const transaction = useTransaction();
  const funds = useFundsCheck(pool.paymentToken, pool.queryPrice);
  const options = useMemo(() => queryOptionsOf(schema, policy), [schema, policy]);
  const [draft, setDraft] = useState<QueryDraft>(() => initialDraft(policy.maxEpsilon));
  const [askedId, setAskedId] = useState<bigint>();
  /** What stopped the last click on "Pay and ask" (a new list takes the focus). */
  const [summary, setSummary] = useState<SummaryProblem[]>([]);
  const epsilonId = `q-epsilon-${pool.id}`;
  // The question is checked live as it changes: a summary of the last click is stale by then.
  const changeDraft = (next: QueryDraft) => {
    setDraft(next);
    setSummary([]);
  };
  const budget = privacyBudgetOf(pool);

  const built = queryFromDraft(options, draft);
  const checked = built.ok
    ? checkQuery({ query: built.query, recordSchema: schema, policy })
    : undefined;
  const problem = !built.ok
    ? built.problem
    : checked && !checked.ok
      ? `The pool's policy refuses this question: ${checked.error.message}.`
      : undefined;
  const epsilon = checked?.ok ? checked.query.epsilon : undefined;
  // A refused ε is shown under (and tied to) its field; other problems concern the whole question.
  const epsilonProblem =
    checked && !checked.ok && checked.error.code === "BAD_EPSILON" ? problem : undefined;
  const blocked = pool.paused
    ? "Sales of this pool are paused by its curator."
    : pool.statisticsActive < pool.minContributors
      ? `Questions are answered from ${pool.minContributors} contributions that allow statistics; the pool has ${pool.statisticsActive}.`
      : epsilon !== undefined && epsilon > budget.remaining
        ? `The pool's privacy budget has ${formatEpsilonText(budget.remaining)} left, less than the ${formatEpsilonText(epsilon)} this question would spend: ask for less ε.`
        : undefined;

  async function pay() {
    const stops: SummaryProblem[] = [
      ...(problem ? [{ fieldId: epsilonProblem ? epsilonId : undefined, message: problem }] : []),
      ...(blocked ? [{ message: blocked }] : []),
      ...(funds.problem ? [{ message: funds.problem }] : []),
    ];
    setSummary(stops);
    if (stops.length > 0 || !built.ok || epsilon === undefined) return;
    const queryBytes = encoder.encode(JSON.stringify(built.query, null, 2));
    const id = await transaction.run(
      `Ask pool ${pool.id}`,
      (context) =>
        askQuestion(context, {
          pool,
          databank: address,
          nodeUrl: runtime.nodeUrl,
          queryBytes,
          epsilon,
        }),
      funds.token && wordingFor(funds.token),
    );
    if (id !== undefined) setAskedId(id);
  }

  return (
    <section className="card" aria-labelledby={`ask-${pool.id}`}>
      <h3 id={`ask-${pool.id}`}>Ask a question of pool {pool.id}</h3>
      <p className="muted">
        You receive an answer computed over the records of every contributor who allowed statistics,
        never the records themselves. Random noise protects each person; the ε you choose is the
        privacy it costs them (smaller ε, more noise).
        {options.minNoisyCount > 0 &&
          ` Groups smaller than about ${options.minNoisyCount} people are never shown.`}
      </p>
      <ErrorSummary problems={summary} title="The question cannot be paid yet" />
      <TextField
        id={epsilonId}
        label="Privacy cost of the question (ε)"
        value={draft.epsilon}
        onChange={(value) => changeDraft({ ...draft, epsilon: value })}
        inputMode="decimal"
        hint={`At most ${policy.maxEpsilon} ε per question.`}
        problem={epsilonProblem}
      />
      <QueryBuilderFields options={options} draft={draft} onChange={changeDraft} />
      {problem
        ? !epsilonProblem && (
            <p className="field-error" role="alert">
              {problem}
            </p>
          )
        : epsilon !== undefined && (
            <dl className="facts" aria-label="Before you pay">
              <dt>The question</dt>
              <dd className="ok">passes the pool's query policy</dd>
              <dt>Price</dt>
              <dd>
                <Amount value={pool.queryPrice} token={pool.paymentToken} />
              </dd>
              <dt>Privacy cost</dt>
              <dd>
                {formatEpsilonText(epsilon)} (
                {checked!.ok &&
                  checked!.query.aggregates
                    .map((aggregate) => `${aggregate.name} ${formatEpsilonText(aggregate.epsilon)}`)
                    .join(", ")}
                )
              </dd>
              <dt>Pool's privacy budget</dt>
              <dd>{describeBudget(budget)}</dd>
            </dl>
          )}
      {blocked && <p className="error">{blocked}</p>}
      {account && <FundsProblem funds={funds} />}
      <details>
        <summary>The question as published (JSON)</summary>
        <pre>{built.ok ? JSON.stringify(built.query, null, 2) : "—"}</pre>
      </details>
      <div className="actions">
        <button
          type="button"
          // Not disabled by a problem: a click then lists what to fix, linked to its field.
          disabled={!account || transaction.busy}
          onClick={pay}
        >
          Pay and ask
        </button>
        {account && <BalanceNote funds={funds} />}
        {!account && <span className="muted">Connect a wallet to ask.</span>}
      </div>
      <p className="muted">
        The payment stays in escrow until the custodian answers. If its policy refuses the question,
        the price is credited back to you at once; if it does not answer in time, you can take a
        refund. The answer is encrypted to a key your wallet derives (one free signature).
      </p>
      <TransactionStatus state={transaction.state} />
      {askedId !== undefined && transaction.state.phase === "confirmed" && (
        <p className="ok">
          Question {askedId.toString()} is paid. Its answer appears under “Your questions” once the
          custodian has computed it.
        </p>
      )}
    </section>
  );
}
