/** Where a transaction stands: in the wallet, pending, confirmed, or failed with the reason. */
import type { TransactionState } from "../hooks/useTransaction";
import { TransactionLink } from "./TransactionLink";

export function TransactionStatus({ state }: { state: TransactionState }) {
  if (state.phase === "idle") return null;
  const className = `tx-status tx-${state.phase}`;
  return (
    <div
      className={className}
      role={state.phase === "failed" ? "alert" : "status"}
      aria-live="polite"
    >
      <strong>{state.label}: </strong>
      {state.phase === "working" && <span>{state.detail}</span>}
      {state.phase === "wallet" && <span>{state.detail}</span>}
      {state.phase === "pending" && (
        <span>
          pending, waiting for the block… <TransactionLink hash={state.hash} />
        </span>
      )}
      {state.phase === "confirmed" && (
        <span>
          confirmed{state.detail ? ` — ${state.detail}` : ""}.{" "}
          {state.hash && !state.steps && <TransactionLink hash={state.hash} />}
        </span>
      )}
      {state.phase === "confirmed" && state.steps && (
        <ul>
          {state.steps.map((step) => (
            <li key={step.hash}>
              {step.note} <TransactionLink hash={step.hash} />
            </li>
          ))}
        </ul>
      )}
      {state.phase === "failed" && (
        <span>
          failed. {state.message} {state.hash && <TransactionLink hash={state.hash} />}
        </span>
      )}
    </div>
  );
}
