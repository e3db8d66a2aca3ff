/**
 * The erasure inbox of one pool: every erasure request the buyer owes or has attested there (the
 * contribution to delete, which of its purchases delivered it, the date it is due, overdue
 * flags), with a one-click attestation once the buyer confirms it deleted them. The history stays
 * after attesting. Read from the audit's replay of the chain's events (hooks/useErasureInbox).
 */
import { useState } from "react";
import { PoolName } from "../PoolName";
import type { PoolView } from "../../hooks/useChainData";
import { useErasureInbox } from "../../hooks/useErasureInbox";
import { useTransaction } from "../../hooks/useTransaction";
import { describeError } from "../../logic/errors";
import { formatTime } from "../../logic/format";
import type { InboxPool, InboxRequest } from "../../logic/erasureInbox";
import { TransactionLink } from "../TransactionLink";
import { ScrollTable } from "../ScrollTable";
import { TransactionStatus } from "../TransactionStatus";

export function ErasuresOwed({ pool }: { pool: PoolView }) {
  const inbox = useErasureInbox();
  const entry = inbox.data?.find((candidate) => candidate.poolId === pool.id);
  if (inbox.error) {
    return (
      <p className="error" role="alert">
        Erasure inbox of pool {pool.id}: {describeError(inbox.error)}
      </p>
    );
  }
  if (!entry || entry.requests.length === 0) return null;
  return <InboxSection entry={entry} />;
}

function InboxSection({ entry }: { entry: InboxPool }) {
  const transaction = useTransaction();
  const [confirmed, setConfirmed] = useState(false);
  const owed = entry.requests.filter((request) => request.status !== "attested");
  const overdue = owed.filter((request) => request.status === "overdue").length;
  const headingId = `erasure-${entry.poolId}`;
  const checkboxId = `erasure-confirm-${entry.poolId}`;
  return (
    <section className="card erasure-inbox" aria-labelledby={headingId}>
      <h3 id={headingId}>
        Erasure inbox — <PoolName poolId={entry.poolId} />:{" "}
        {owed.length === 0 ? (
          <span className="badge ok">all attested</span>
        ) : (
          <span className={`badge ${overdue > 0 ? "failed" : "warning"}`}>
            {owed.length} erasure request(s) owed{overdue > 0 ? `, ${overdue} overdue` : ""}
          </span>
        )}
      </h3>
      <p>
        These contributors took their consent back after you received their records. Delete each
        record from every system you copied it to, then attest it on-chain before the due date.
      </p>
      <ScrollTable
        label={`Erasure requests of pool ${entry.poolId}`}
        columns={["Record (contribution)", "Delivered in", "Requested", "Due", "Status"]}
      >
        {entry.requests.map((request) => (
          <RequestRow key={request.index} request={request} />
        ))}
      </ScrollTable>
      {owed.length > 0 && (
        <>
          <label className="inline" htmlFor={checkboxId}>
            <input
              id={checkboxId}
              type="checkbox"
              checked={confirmed}
              onChange={(event) => setConfirmed(event.target.checked)}
            />
            I confirm I deleted these records.
          </label>
          <div className="actions">
            <button
              type="button"
              disabled={!confirmed || transaction.busy}
              onClick={() =>
                transaction.run("Attest erasure", ({ writeDatabank }) =>
                  writeDatabank("attestErasure", [entry.poolId, entry.upToIndex]),
                )
              }
            >
              Attest erasure
            </button>
          </div>
        </>
      )}
      <TransactionStatus state={transaction.state} />
    </section>
  );
}

function RequestRow({ request }: { request: InboxRequest }) {
  return (
    <tr>
      <td>#{request.contributionId.toString()}</td>
      <td>
        {request.purchaseIds.length > 0
          ? request.purchaseIds.map((id) => `purchase ${id}`).join(", ")
          : "none of your deliveries (joined later); the contract still counts it"}
      </td>
      <td>
        {formatTime(request.requested.at)} <TransactionLink hash={request.requested.hash} />
      </td>
      <td>{formatTime(request.dueAt)}</td>
      <td>
        {request.status === "attested" && (
          <>
            <span className="badge ok">attested erased</span>{" "}
            {request.attested && <TransactionLink hash={request.attested.hash} />}
          </>
        )}
        {request.status === "due" && <span className="badge warning">to delete</span>}
        {request.status === "overdue" && (
          <span className="badge failed">overdue: past the due date</span>
        )}
      </td>
    </tr>
  );
}
