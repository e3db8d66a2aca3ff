/** The audit's rows: purchases with their split, contributions, claims per account, erasures. */
import type { AuditReport } from "../../../../lib/audit/report.js";
import { Amount } from "../Amount";
import { TransactionLink } from "../TransactionLink";
import { shortAddress } from "../../logic/format";
import { hrefOf } from "../../logic/route";

export function PurchaseTable({ report }: { report: AuditReport }) {
  return (
    <section className="card" aria-labelledby="audit-purchases">
      <h2 id="audit-purchases">Purchases and their split</h2>
      {report.purchases.length === 0 && <p className="muted">None.</p>}
      {report.purchases.length > 0 && (
        <div className="table-scroll">
          <table>
            <thead>
              <tr>
                <th scope="col">Purchase</th>
                <th scope="col">Pool</th>
                <th scope="col">Status</th>
                <th scope="col">Paid</th>
                <th scope="col">Platform</th>
                <th scope="col">Curator</th>
                <th scope="col">Contributors</th>
                <th scope="col">Records / active</th>
                <th scope="col">Transactions</th>
              </tr>
            </thead>
            <tbody>
              {report.purchases.map((row) => (
                <tr key={row.id.toString()}>
                  <td>{row.id.toString()}</td>
                  <td>{row.poolId}</td>
                  <td>{row.status}</td>
                  <td>
                    <Amount value={row.amount} token={row.token} />
                  </td>
                  <td>
                    {row.platform !== undefined && (
                      <Amount value={row.platform} token={row.token} />
                    )}
                  </td>
                  <td>
                    {row.curator !== undefined && <Amount value={row.curator} token={row.token} />}
                  </td>
                  <td>
                    {row.contributors !== undefined && (
                      <Amount value={row.contributors} token={row.token} />
                    )}
                  </td>
                  <td>
                    {row.recordCount !== undefined ? `${row.recordCount} / ${row.activeCount}` : ""}
                  </td>
                  <td>
                    <TransactionLink hash={row.created.hash} />
                    {row.settled && (
                      <>
                        {" "}
                        <TransactionLink hash={row.settled.hash} />
                      </>
                    )}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}

export function AccountTable({ report }: { report: AuditReport }) {
  return (
    <section className="card" aria-labelledby="audit-accounts">
      <h2 id="audit-accounts">Entitlements and claims</h2>
      {report.accounts.length === 0 && <p className="muted">None.</p>}
      {report.accounts.length > 0 && (
        <div className="table-scroll">
          <table>
            <thead>
              <tr>
                <th scope="col">Account</th>
                <th scope="col">Entitled</th>
                <th scope="col">Claimed</th>
                <th scope="col">Unclaimed</th>
                <th scope="col">Refunded</th>
              </tr>
            </thead>
            <tbody>
              {report.accounts.map((row) => (
                <tr key={`${row.account}-${row.token}`}>
                  <td>
                    <a className="mono" href={hrefOf("auditor", { address: row.account })}>
                      {shortAddress(row.account)}
                    </a>
                  </td>
                  <td>
                    <Amount value={row.entitled} token={row.token} />
                  </td>
                  <td>
                    <Amount value={row.withdrawn} token={row.token} />
                  </td>
                  <td>
                    <Amount value={row.unclaimed} token={row.token} />
                  </td>
                  <td>
                    <Amount value={row.refunded} token={row.token} />
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}

export function ContributionTable({ report }: { report: AuditReport }) {
  const tokenOf = (poolId: number) =>
    report.purchases.find((purchase) => purchase.poolId === poolId)?.token;
  return (
    <section className="card" aria-labelledby="audit-contributions">
      <h2 id="audit-contributions">Contributions, revocations and erasures</h2>
      {report.contributions.length === 0 && <p className="muted">None.</p>}
      {report.contributions.length > 0 && (
        <div className="table-scroll">
          <table>
            <thead>
              <tr>
                <th scope="col">Token</th>
                <th scope="col">Pool</th>
                <th scope="col">Contributor</th>
                <th scope="col">Status</th>
                <th scope="col">Earned</th>
                <th scope="col">Transactions</th>
              </tr>
            </thead>
            <tbody>
              {report.contributions.map((row) => {
                const token = tokenOf(row.poolId);
                return (
                  <tr key={row.id.toString()}>
                    <td>{row.id.toString()}</td>
                    <td>{row.poolId}</td>
                    <td className="mono">{shortAddress(row.contributor)}</td>
                    <td>{row.status}</td>
                    <td>
                      {token ? <Amount value={row.earned} token={token} /> : row.earned.toString()}
                    </td>
                    <td>
                      {row.granted && <TransactionLink hash={row.granted.hash} />}{" "}
                      {row.revoked && <TransactionLink hash={row.revoked.hash} />}
                    </td>
                  </tr>
                );
              })}
            </tbody>
          </table>
        </div>
      )}
      {report.erasures.length > 0 && (
        <>
          <h3>Erasure requests owed by buyers</h3>
          <ul>
            {report.erasures.map((row) => (
              <li key={`${row.poolId}-${row.buyer}`}>
                Pool {row.poolId}, buyer <span className="mono">{shortAddress(row.buyer)}</span>:{" "}
                {row.owed} of {row.requested} owed{row.overdue ? " (overdue)" : ""}
              </li>
            ))}
          </ul>
        </>
      )}
    </section>
  );
}
