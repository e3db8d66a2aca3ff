/** What the contributor can withdraw, per token, and one button that claims it all. */
import type { ContributorState } from "../../hooks/useMyContributions";
import { claimInToken } from "../../chain/claim";
import { useTransaction } from "../../hooks/useTransaction";
import { claimPlan } from "../../logic/contributions";
import { Amount } from "../Amount";
import { TransactionStatus } from "../TransactionStatus";

export function EarningsPanel({ state }: { state: ContributorState }) {
  const transaction = useTransaction();
  const plan = claimPlan(
    state.contributions
      .filter((contribution) => contribution.status === "active" && contribution.pool)
      .map((contribution) => ({
        id: contribution.id,
        token: contribution.pool!.paymentToken,
        pending: contribution.pending,
      })),
    state.credits,
  );
  const claimAll = () =>
    transaction.run("Claim earnings", async (context) => {
      // One claim per payment token: each withdraws the credit and the listed dividends.
      for (const call of plan) await claimInToken(context, call.token, call.contributionIds);
    });
  return (
    <section className="card" aria-labelledby="earnings-heading">
      <h2 id="earnings-heading">Earnings to withdraw</h2>
      {plan.length === 0 ? (
        <p className="muted">Nothing to withdraw yet: you earn from every sale of your pools.</p>
      ) : (
        <ul>
          {plan.map((call) => (
            <li key={call.token}>
              <Amount value={call.amount} token={call.token} />
            </li>
          ))}
        </ul>
      )}
      <div className="actions">
        <button type="button" onClick={claimAll} disabled={plan.length === 0 || transaction.busy}>
          Claim all
        </button>
      </div>
      <TransactionStatus state={transaction.state} />
    </section>
  );
}
