/**
 * What a payment button shows of the payer's funds (useFundsCheck): the balance beside it, and
 * "Insufficient TUSD" / "Insufficient ETH" before anything is signed.
 */
import type { useFundsCheck } from "../hooks/useFundsCheck";
import { formatAmount } from "../logic/format";

type Funds = ReturnType<typeof useFundsCheck>;

/** The missing funds, as an alert; nothing when the balance covers the payment or is unknown. */
export function FundsProblem({ funds }: { funds: Funds }) {
  if (!funds.problem) return null;
  return (
    <p className="error" role="alert">
      {funds.problem}
    </p>
  );
}

/** "Your balance: 12 TUSD", once known. */
export function BalanceNote({ funds }: { funds: Funds }) {
  if (!funds.token || funds.balance === undefined) return null;
  return <span className="muted">Your balance: {formatAmount(funds.balance, funds.token)}</span>;
}
