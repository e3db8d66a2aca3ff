/**
 * Auditor: lib/audit's replay of every payout from the contract's events, for a pool or an
 * address: invariant verdicts, what the audit cannot verify (pools whose custodian is the curator),
 * purchases with their split, claims, revocations and erasures, transaction links, and a
 * revenue/payout chart (lazy-loaded SVG).
 */
import { lazy, Suspense, useState, type FormEvent } from "react";
import { isAddress, type Address } from "viem";
import { AuditCaveats } from "../components/auditor/AuditCaveats";
import { AuditChecks } from "../components/auditor/AuditChecks";
import { AccountTable, ContributionTable, PurchaseTable } from "../components/auditor/AuditTables";
import { RecordUses } from "../components/auditor/RecordUses";
import { ErrorSummary, type SummaryProblem } from "../components/ErrorSummary";
import { FieldProblem, problemIdOf } from "../components/TextField";
import { useAudit } from "../hooks/useAudit";
import { useTokenInfo } from "../hooks/useChainData";
import { describeError } from "../logic/errors";
import { hrefOf } from "../logic/route";
import type { AuditReport } from "../../../lib/audit/report.js";

const RevenueChart = lazy(() => import("../components/auditor/RevenueChart"));

function ChartOfReport({ report }: { report: AuditReport }) {
  const delivered = report.purchases.filter((row) => row.status === "fulfilled");
  const token = delivered[0]?.token;
  const { data: info } = useTokenInfo(token);
  // One token per chart: amounts of different tokens do not add up.
  const sameToken = delivered.filter((row) => row.token === token);
  if (!token || !info || sameToken.length === 0) return null;
  return (
    <section className="card" aria-labelledby="chart-heading">
      <h2 id="chart-heading">Revenue and payouts</h2>
      <Suspense fallback={<p>Loading the chart…</p>}>
        <RevenueChart
          token={info}
          sales={sameToken.map((row) => ({
            platform: row.platform ?? 0n,
            curator: row.curator ?? 0n,
            contributors: row.contributors ?? 0n,
          }))}
        />
      </Suspense>
    </section>
  );
}

export default function AuditorPage({ params }: { params: URLSearchParams }) {
  const poolParam = params.get("pool") ?? "";
  const addressParam = params.get("address") ?? "";
  const [pool, setPool] = useState(poolParam);
  const [address, setAddress] = useState(addressParam);
  const scope = {
    poolId: /^\d+$/.test(poolParam) ? Number(poolParam) : undefined,
    address: isAddress(addressParam) ? (addressParam as Address) : undefined,
  };
  const audit = useAudit(scope, true);
  const [submitted, setSubmitted] = useState<SummaryProblem[]>([]);
  const poolProblem =
    pool.trim() !== "" && !/^\d+$/.test(pool.trim())
      ? "The pool id is a whole number, such as 3 (or empty for every pool)."
      : undefined;
  const addressProblem =
    address.trim() !== "" && !isAddress(address.trim())
      ? "The address is 0x followed by 40 hexadecimal characters (or empty for everyone)."
      : undefined;

  function submit(event: FormEvent) {
    event.preventDefault();
    const problems: SummaryProblem[] = [];
    if (poolProblem) problems.push({ fieldId: "audit-pool", message: poolProblem });
    if (addressProblem) problems.push({ fieldId: "audit-address", message: addressProblem });
    setSubmitted(problems);
    if (problems.length > 0) return;
    const next: Record<string, string> = {};
    if (/^\d+$/.test(pool.trim())) next.pool = pool.trim();
    if (address.trim()) next.address = address.trim();
    window.location.hash = hrefOf("auditor", next);
  }

  return (
    <>
      <h1>Auditor</h1>
      <form className="card" onSubmit={submit} aria-label="Audit scope" noValidate>
        <ErrorSummary problems={submitted} />
        <div className="row">
          <div>
            <label htmlFor="audit-pool">Pool id (empty: every pool)</label>
            <input
              id="audit-pool"
              type="text"
              inputMode="numeric"
              value={pool}
              aria-invalid={submitted.length > 0 && poolProblem ? true : undefined}
              aria-describedby={
                submitted.length > 0 && poolProblem ? problemIdOf("audit-pool") : undefined
              }
              onChange={(event) => setPool(event.target.value)}
            />
            {submitted.length > 0 && <FieldProblem fieldId="audit-pool" problem={poolProblem} />}
          </div>
          <div>
            <label htmlFor="audit-address">Address (empty: everyone)</label>
            <input
              id="audit-address"
              type="text"
              value={address}
              aria-invalid={addressProblem ? true : undefined}
              aria-describedby={addressProblem ? problemIdOf("audit-address") : undefined}
              onChange={(event) => setAddress(event.target.value)}
            />
            <FieldProblem fieldId="audit-address" problem={addressProblem} />
          </div>
        </div>
        <div className="actions">
          <button type="submit">Audit</button>
        </div>
      </form>
      {audit.isPending && <p role="status">Replaying the contract's events…</p>}
      {audit.error && (
        <p className="error" role="alert">
          {describeError(audit.error)}
        </p>
      )}
      {audit.data && (
        <>
          <p role="status" className={audit.data.passed ? "ok" : "error"}>
            {audit.data.passed ? "Every invariant holds" : "Some invariants fail"} at block{" "}
            {audit.data.block.toString()} ({audit.data.eventCount} events replayed).
          </p>
          <AuditChecks checks={audit.data.checks} />
          <AuditCaveats caveats={audit.data.unverifiable} />
          {scope.address && <RecordUses wallet={scope.address} poolId={scope.poolId} />}
          <ChartOfReport report={audit.data} />
          <PurchaseTable report={audit.data} />
          <AccountTable report={audit.data} poolScoped={scope.poolId !== undefined} />
          <ContributionTable report={audit.data} />
        </>
      )}
    </>
  );
}
