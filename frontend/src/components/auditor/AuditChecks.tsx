/**
 * The invariant verdicts of an audit: PASS, FAIL (with every discrepancy) or SKIPPED (why), and
 * the notes a PASS can carry (a surplus no event accounts for).
 */
import type { CheckResult } from "../../../../lib/audit/report.js";

export function AuditChecks({ checks }: { checks: CheckResult[] }) {
  return (
    <section className="card" aria-labelledby="checks-heading">
      <h2 id="checks-heading">Invariants</h2>
      <ul>
        {checks.map((check) => (
          <li key={check.id}>
            <span
              className={`badge ${check.status === "PASS" ? "ok" : check.status === "FAIL" ? "failed" : ""}`}
            >
              {check.status}
            </span>{" "}
            <strong>{check.title}</strong> — {check.message}
            {check.status === "FAIL" && check.details.length > 0 && (
              <ul>
                {check.details.map((detail) => (
                  <li key={detail}>{detail}</li>
                ))}
              </ul>
            )}
            {check.notes.length > 0 && (
              <ul aria-label={`Notes on ${check.id}`}>
                {check.notes.map((note) => (
                  <li key={note}>
                    <span className="badge warning">note</span> {note}
                  </li>
                ))}
              </ul>
            )}
          </li>
        ))}
      </ul>
    </section>
  );
}
