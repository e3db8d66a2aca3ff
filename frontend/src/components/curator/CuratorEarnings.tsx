/**
 * What the Databank owes the curator, per token of its pools: its share of sales and any bounty
 * budget it withdrew, credited on-chain. "Withdraw all" sends one claim per token and reports each
 * with the amount it paid.
 */
import { useQuery } from "@tanstack/react-query";
import type { Address } from "viem";
import { claimInToken } from "../../chain/claim";
import { readCredits } from "../../chain/credits";
import { useDatabank } from "../../hooks/useDatabank";
import { useTransaction } from "../../hooks/useTransaction";
import { Amount } from "../Amount";
import { TransactionStatus } from "../TransactionStatus";

/** The account's credit in each token (only tokens with something to withdraw). */
function useCredits(account: Address, tokens: readonly Address[]) {
  const { address, publicClient } = useDatabank();
  return useQuery({
    queryKey: ["chain", "credits", address, account, ...tokens],
    queryFn: async () => {
      const credits = await readCredits(publicClient, address, account, tokens);
      return credits.filter((credit) => credit.amount > 0n);
    },
  });
}

export function CuratorEarnings({ account, tokens }: { account: Address; tokens: Address[] }) {
  const transaction = useTransaction();
  const { data: credits } = useCredits(account, tokens);
  const withdrawAll = () =>
    transaction.run("Withdraw earnings", async (context) => {
      for (const credit of credits ?? []) await claimInToken(context, credit.token, []);
    });
  return (
    <section className="card" aria-labelledby="curator-earnings-heading">
      <h2 id="curator-earnings-heading">Your earnings to withdraw</h2>
      {credits?.length === 0 && (
        <p className="muted">Nothing to withdraw: your share of each sale is credited here.</p>
      )}
      <ul>
        {credits?.map((credit) => (
          <li key={credit.token}>
            <Amount value={credit.amount} token={credit.token} />
          </li>
        ))}
      </ul>
      <div className="actions">
        <button
          type="button"
          onClick={withdrawAll}
          disabled={!credits || credits.length === 0 || transaction.busy}
        >
          Withdraw all
        </button>
      </div>
      <TransactionStatus state={transaction.state} />
    </section>
  );
}
