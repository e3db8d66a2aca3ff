/** One contribution (consent token): pool, status, earnings, and revocation explained. */
import { useState } from "react";
import type { ContributionView } from "../../hooks/useMyContributions";
import { useTransaction } from "../../hooks/useTransaction";
import { CONSENT_SCOPE, describeScope } from "../../../../lib/contracts/client.js";
import { formatTime } from "../../logic/format";
import type { PassbookContribution } from "../../../../lib/passbook/schema.js";
import { formatEpsilonText } from "../../logic/privacy";
import { Amount } from "../Amount";
import { TransactionLink } from "../TransactionLink";
import { TransactionStatus } from "../TransactionStatus";

const STATUS_TEXT: Record<ContributionView["status"], string> = {
  pending: "waiting for the custodian's check",
  active: "active: earning from every sale",
  rejected: "rejected by the custodian",
  revoked: "consent revoked",
  expired: "consent expired",
};

const REJECTION_TEXT = [
  "the custodian could not decrypt it",
  "it did not match the pool's schema",
  "the same data was already contributed",
  "it expired before the check",
  "another reason",
  "it was sealed for another contributor or pool",
];

export function ContributionCard({
  contribution,
  passbook,
}: {
  contribution: ContributionView;
  /** Its passbook entry (when ended, when revoked, and what it earned in all), once replayed. */
  passbook?: PassbookContribution;
}) {
  const transaction = useTransaction();
  const [confirming, setConfirming] = useState(false);
  const token = contribution.pool?.paymentToken;
  const canRevoke = contribution.status === "active" || contribution.status === "pending";
  const revoke = () =>
    transaction.run(`Revoke consent ${contribution.id}`, ({ writeDatabank }) =>
      writeDatabank("revokeConsent", [contribution.id]),
    );
  return (
    <article className="card" aria-label={`Contribution ${contribution.id}`}>
      <h3>
        Consent token {contribution.id.toString()} — pool {contribution.poolId}{" "}
        <span className={`badge ${contribution.status === "active" ? "ok" : ""}`}>
          {STATUS_TEXT[contribution.status]}
        </span>
      </h3>
      <dl className="facts">
        {token && contribution.status === "active" && (
          <>
            <dt>Earned, not yet claimed</dt>
            <dd>
              <Amount value={contribution.pending} token={token} />
            </dd>
          </>
        )}
        <dt>Allowed uses</dt>
        <dd>{describeScope(contribution.scope)}</dd>
        {(contribution.scope & CONSENT_SCOPE.statistics) !== 0 && (
          <>
            <dt>Privacy spent so far</dt>
            <dd>
              {formatEpsilonText(contribution.privacyLoss)}
              {contribution.pool &&
                ` (the pool can never spend more than ${formatEpsilonText(contribution.pool.epsilonBudget)} in all)`}
            </dd>
          </>
        )}
        {token && contribution.bounty > 0n && (
          <>
            <dt>Bounty received</dt>
            <dd>
              <Amount value={contribution.bounty} token={token} />
            </dd>
          </>
        )}
        {token && contribution.settledOnEnd > 0n && (
          <>
            <dt>Earned until consent ended</dt>
            <dd>
              <Amount value={contribution.settledOnEnd} token={token} /> (in your credit)
            </dd>
          </>
        )}
        {contribution.rejectionReason !== undefined && (
          <>
            <dt>Why</dt>
            <dd>{REJECTION_TEXT[contribution.rejectionReason] ?? "unknown"}</dd>
          </>
        )}
        <dt>Consent</dt>
        <dd>
          <ConsentPeriod contribution={contribution} passbook={passbook} />{" "}
          <TransactionLink hash={contribution.transactionHash} />
        </dd>
        {token && !canRevoke && contribution.status !== "rejected" && (
          <>
            <dt>Earned in total</dt>
            <dd>
              {passbook ? <Amount value={BigInt(passbook.earned)} token={token} /> : "…"}
              {passbook && " (bounty and every sale, claimed or not)"}
            </dd>
          </>
        )}
      </dl>
      {canRevoke && !confirming && (
        <button type="button" className="secondary" onClick={() => setConfirming(true)}>
          Revoke consent…
        </button>
      )}
      {canRevoke && confirming && (
        <div className="banner warning" role="group" aria-label="Confirm revocation">
          <p>
            Revoking ends your consent for good. You keep everything earned so far (it moves to your
            credit, claim it any time). Your record is left out of every later sale, and every buyer
            who already received it must delete it and attest that on-chain. This cannot be undone:
            to share again you would contribute anew.
          </p>
          <div className="actions">
            <button type="button" onClick={revoke} disabled={transaction.busy}>
              Revoke consent {contribution.id.toString()}
            </button>
            <button
              type="button"
              className="secondary"
              autoFocus
              onClick={() => setConfirming(false)}
            >
              Keep my consent
            </button>
          </div>
        </div>
      )}
      <TransactionStatus state={transaction.state} />
    </article>
  );
}

/** How long consent runs, or when it ended (read from the passbook's revocation transaction). */
function ConsentPeriod({
  contribution,
  passbook,
}: {
  contribution: ContributionView;
  passbook?: PassbookContribution;
}) {
  if (contribution.status === "revoked" || contribution.status === "expired") {
    const ended = passbook?.ended;
    return (
      <>
        ended {ended ? formatTime(ended.at) : "…"}
        {ended && (
          <>
            {" "}
            (<TransactionLink hash={ended.hash} />)
          </>
        )}
        ; given
      </>
    );
  }
  if (contribution.status === "rejected") return <>never given (rejected); submitted</>;
  return (
    <>
      {contribution.expiresAt === 0
        ? "until you revoke it"
        : `until ${formatTime(contribution.expiresAt)}`}
    </>
  );
}
