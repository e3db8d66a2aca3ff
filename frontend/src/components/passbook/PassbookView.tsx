/**
 * "Passbook": for each of the connected contributor's records, every delivery and query that used
 * it (buyer, date, purchase, what it earned, transaction), its bounty, claims, revocation and the
 * erasure request that followed with each buyer's attestation; totals per token; and the statement
 * to download (CSV, print-ready HTML, JSON as `npm run passbook -- --json` prints it).
 */
import type { Passbook, PassbookContribution } from "../../../../lib/passbook/schema.js";
import { formatDate, passbookToCsv, passbookUnits } from "../../../../lib/passbook/render.js";
import { PoolName } from "../PoolName";
import { formatEpsilonText } from "../../logic/privacy";
import { formatAmount } from "../../logic/format";
import { passbookToHtml } from "../../logic/passbookStatement";
import { describeError } from "../../logic/errors";
import { downloadText } from "../../download";
import { hrefOf } from "../../logic/route";
import { TransactionLink } from "../TransactionLink";
import { ScrollTable } from "../ScrollTable";

type Money = (amount: string, token: string) => string;

export default function PassbookView({
  passbook,
  error,
}: {
  passbook: Passbook | undefined;
  error: unknown;
}) {
  return (
    <section className="card passbook" aria-labelledby="passbook-heading">
      <h2 id="passbook-heading">Passbook: who has my data and what it earned</h2>
      <p className="muted">
        Rebuilt in this browser from the chain&apos;s events alone, as the auditor does: the same
        answer as <code>npm run passbook</code>.
      </p>
      {error !== null && error !== undefined && (
        <p className="error" role="alert">
          {describeError(error)}
        </p>
      )}
      {!passbook && !error && (
        <p role="status" aria-live="polite">
          Replaying the chain&apos;s events…
        </p>
      )}
      {passbook && <PassbookBody passbook={passbook} />}
    </section>
  );
}

function PassbookBody({ passbook }: { passbook: Passbook }) {
  const units = passbookUnits(passbook);
  const money: Money = (amount, token) => formatAmount(BigInt(amount), units(token));
  const name = `databank-passbook-${passbook.wallet}`;
  return (
    <>
      <h3>Totals</h3>
      {passbook.totals.length === 0 ? (
        <p className="muted">
          Nothing earned yet: your records appear here once you contribute, with every sale that
          includes them.
        </p>
      ) : (
        <ScrollTable label="Passbook totals" columns={["Token", "Earned", "Claimed", "Unclaimed"]}>
          {passbook.totals.map((total) => (
            <tr key={total.token}>
              <td>{units(total.token).symbol}</td>
              <td>{money(total.earned, total.token)}</td>
              <td>{money(total.claimed, total.token)}</td>
              <td>{money(total.unclaimed, total.token)}</td>
            </tr>
          ))}
        </ScrollTable>
      )}
      <p>
        Buyers holding a copy of your records now: <strong>{passbook.buyersHoldingCopy}</strong>
      </p>
      <div className="actions">
        <button
          type="button"
          onClick={() => downloadText(`${name}.csv`, passbookToCsv(passbook), "text/csv")}
        >
          Download statement (CSV)
        </button>
        <button
          type="button"
          onClick={() => downloadText(`${name}.html`, passbookToHtml(passbook), "text/html")}
        >
          Download printable statement (HTML)
        </button>
        <button
          type="button"
          className="secondary"
          onClick={() =>
            downloadText(
              `${name}.json`,
              `${JSON.stringify(passbook, null, 2)}\n`,
              "application/json",
            )
          }
        >
          Download passbook (JSON)
        </button>
      </div>
      {passbook.contributions.map((contribution) => (
        <PassbookEntry
          key={contribution.contributionId}
          contribution={contribution}
          money={money}
          asOf={passbook.asOf}
        />
      ))}
    </>
  );
}

function PassbookEntry({
  contribution: c,
  money,
  asOf,
}: {
  contribution: PassbookContribution;
  money: Money;
  asOf: number;
}) {
  const uses = [...c.deliveries, ...c.queries].sort((x, y) => x.tx.at - y.tx.at);
  return (
    <article className="passbook-entry" aria-label={`Passbook entry #${c.contributionId}`}>
      <h3>
        Contribution {c.contributionId} — <PoolName poolId={c.poolId} />{" "}
        <span className={`badge ${c.status === "active" ? "ok" : ""}`}>
          {c.status}
          {c.expired ? " (expired)" : ""}
        </span>
      </h3>
      {uses.length === 0 ? (
        <p className="muted">
          Not sold or used yet.{" "}
          {c.status === "active" && (
            <a href={hrefOf("buyer", { pool: c.poolId })}>See the pool as buyers see it</a>
          )}
        </p>
      ) : (
        <ScrollTable
          label={`Uses of contribution ${c.contributionId}`}
          columns={["Date", "Purchase", "Product", "Buyer", "This record earned", "Transaction"]}
        >
          {uses.map((use) => (
            <tr key={`${use.product}-${use.purchaseId}`}>
              <td>{formatDate(use.tx.at)}</td>
              <td>#{use.purchaseId}</td>
              <td>
                {use.product === "records"
                  ? "a copy of the record"
                  : `a query answer (${formatEpsilonText(use.epsilonSpent)} spent)`}
              </td>
              <td className="mono address">{use.buyer}</td>
              <td>
                {money(use.earned, c.token)}
                {use.endedInFlight && " (consent had ended: used, not paid)"}
              </td>
              <td>
                <TransactionLink hash={use.tx.hash} />
              </td>
            </tr>
          ))}
        </ScrollTable>
      )}
      <dl className="facts">
        <dt>Bounty</dt>
        <dd>
          {money(c.bounty, c.token)}
          {c.bounty !== "0" && (c.bountyClaimed ? " (claimed)" : " (not claimed yet)")}
        </dd>
        {c.settlements.map((s) => (
          <SettlementFact key={s.tx.hash + s.reason} settlement={s} money={money} token={c.token} />
        ))}
        {c.ended && (
          <>
            <dt>{c.expired ? "Consent expired" : "Consent revoked"}</dt>
            <dd>
              {formatDate(c.ended.at)} <TransactionLink hash={c.ended.hash} />
            </dd>
          </>
        )}
        <dt>Earned in total</dt>
        <dd>
          {money(c.earned, c.token)} (claimed {money(c.claimed, c.token)}, unclaimed{" "}
          {money(c.unclaimed, c.token)})
        </dd>
        <dt>Buyers holding a copy now</dt>
        <dd>{c.buyersHoldingCopy.length}</dd>
      </dl>
      {c.erasure && <ErasureFacts erasure={c.erasure} asOf={asOf} />}
    </article>
  );
}

function SettlementFact({
  settlement: s,
  money,
  token,
}: {
  settlement: PassbookContribution["settlements"][number];
  money: Money;
  token: string;
}) {
  return (
    <>
      <dt>{s.reason === "claim" ? "Claimed" : "Settled when consent ended"}</dt>
      <dd>
        {money(s.amount, token)} on {formatDate(s.tx.at)}{" "}
        {s.claimed ? "(paid out)" : "(in your credit, claim it any time)"}{" "}
        <TransactionLink hash={s.tx.hash} />
      </dd>
    </>
  );
}

function ErasureFacts({
  erasure,
  asOf,
}: {
  erasure: NonNullable<PassbookContribution["erasure"]>;
  asOf: number;
}) {
  return (
    <div className="erasure-status">
      <p>
        Erasure requested {formatDate(erasure.requested.at)}{" "}
        <TransactionLink hash={erasure.requested.hash} />; buyers must attest it by{" "}
        {formatDate(erasure.dueAt)}
        {asOf > erasure.dueAt ? " (past due)" : ""}.
      </p>
      {erasure.buyers.length === 0 ? (
        <p className="muted">No buyer had received this record: nothing to erase.</p>
      ) : (
        <ul aria-label="Erasure by each buyer">
          {erasure.buyers.map((b) => (
            <li key={b.buyer}>
              <span className="mono address">{b.buyer}</span>:{" "}
              {b.status === "attested" && (
                <>
                  <span className="badge ok">attested erased</span>
                  {b.attested && (
                    <>
                      {" "}
                      {formatDate(b.attested.at)} <TransactionLink hash={b.attested.hash} />
                    </>
                  )}
                </>
              )}
              {b.status === "due" && <span className="badge warning">due, not attested yet</span>}
              {b.status === "overdue" && (
                <span className="badge failed">overdue: not attested in time</span>
              )}
            </li>
          ))}
        </ul>
      )}
    </div>
  );
}
