/**
 * What the audit could not verify (lib/audit/caveats.ts): shown with every report, PASS or not, so
 * that "every invariant holds" is not read as "every buyer could decrypt what they paid for".
 */
import type { Caveat } from "../../../../lib/audit/caveats.js";

export function AuditCaveats({ caveats }: { caveats: Caveat[] }) {
  if (caveats.length === 0) return null;
  return (
    <section className="card" aria-labelledby="caveats-heading">
      <h2 id="caveats-heading">What this audit cannot verify</h2>
      <ul>
        {caveats.map((caveat) => (
          <li key={`${caveat.kind}-${caveat.poolId ?? "all"}`}>
            {caveat.poolId !== undefined && (
              <span className="badge warning">⚠ pool {caveat.poolId}</span>
            )}{" "}
            {caveat.message}
          </li>
        ))}
      </ul>
    </section>
  );
}
