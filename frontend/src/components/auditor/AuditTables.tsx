/** The audit's rows: purchases with their split, contributions, claims per account, erasures. */
import type { AuditReport } from "../../../../lib/audit/report.js";
import { Amount } from "../Amount";
import { usePools } from "../../hooks/useChainData";
import { TransactionLink } from "../TransactionLink";
import { shortAddress } from "../../logic/format";
import { hrefOf } from "../../logic/route";
import type { ReactNode } from "react";

/** A card holding one audit table, or "None." (or `empty`) when it has no rows. */
export function AuditTableCard(props: {
  id: string;
  title: string;
  columns: string[];
  rowCount: number;
  children: ReactNode;
  footer?: ReactNode;
  empty?: string;
}) {
  return (
    <section className="card" aria-labelledby={props.id}>
      <h2 id={props.id}>{props.title}</h2>
      {props.rowCount === 0 && <p className="muted">{props.empty ?? "None."}</p>}
      {props.rowCount > 0 && (
        <div className="table-scroll">
          <table>
            <thead>
              <tr>
                {props.columns.map((column) => (
                  <th scope="col" key={column}>
                    {column}
                  </th>
                ))}
              </tr>
            </thead>
            <tbody>{props.children}</tbody>
          </table>
        </div>
      )}
      {props.footer}
    </section>
  );
}

export function PurchaseTable({ report }: { report: AuditReport }) {
  return (
    <AuditTableCard
      id="audit-purchases"
      title="Purchases and their split"
      columns={[
        "Purchase",
        "Pool",
        "Status",
        "Paid",
        "Platform",
        "Curator",
        "Contributors",
        "Records / active",
        "Transactions",
      ]}
      rowCount={report.purchases.length}
    >
      {report.purchases.map((row) => (
        <tr key={row.id.toString()}>
          <td>{row.id.toString()}</td>
          <td>{row.poolId}</td>
          <td>{row.status}</td>
          <td>
            <Amount value={row.amount} token={row.token} />
          </td>
          <td>{row.platform !== undefined && <Amount value={row.platform} token={row.token} />}</td>
          <td>{row.curator !== undefined && <Amount value={row.curator} token={row.token} />}</td>
          <td>
            {row.contributors !== undefined && (
              <Amount value={row.contributors} token={row.token} />
            )}
          </td>
          <td>{row.recordCount !== undefined ? `${row.recordCount} / ${row.activeCount}` : ""}</td>
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
    </AuditTableCard>
  );
}

export function AccountTable({
  report,
  poolScoped,
}: {
  report: AuditReport;
  /** The report is of one pool: say that these totals are not. */
  poolScoped: boolean;
}) {
  return (
    <AuditTableCard
      id="audit-accounts"
      title={
        poolScoped ? "Entitlements and claims of this pool's accounts" : "Entitlements and claims"
      }
      columns={["Account", "Entitled", "Claimed", "Unclaimed", "Refunded"]}
      rowCount={report.accounts.length}
      footer={
        poolScoped && (
          <p className="muted">
            The accounts that take part in this pool, with their totals in each token across all
            their pools: the contract credits and pays out per account and token, not per pool.
          </p>
        )
      }
    >
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
    </AuditTableCard>
  );
}

export function ContributionTable({ report }: { report: AuditReport }) {
  const pools = usePools();
  const tokenOf = (poolId: number) =>
    pools.data?.find((pool) => pool.id === poolId)?.paymentToken ??
    report.purchases.find((purchase) => purchase.poolId === poolId)?.token;
  return (
    <AuditTableCard
      id="audit-contributions"
      title="Contributions, revocations and erasures"
      columns={["Token", "Pool", "Contributor", "Status", "Earned", "Transactions"]}
      rowCount={report.contributions.length}
      footer={
        report.erasures.length > 0 && (
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
        )
      }
    >
      {report.contributions.map((row) => {
        const token = tokenOf(row.poolId);
        return (
          <tr key={row.id.toString()}>
            <td>{row.id.toString()}</td>
            <td>{row.poolId}</td>
            <td className="mono">{shortAddress(row.contributor)}</td>
            <td>{row.status}</td>
            <td>{token ? <Amount value={row.earned} token={token} /> : "…"}</td>
            <td>
              {row.granted && <TransactionLink hash={row.granted.hash} />}{" "}
              {row.revoked && <TransactionLink hash={row.revoked.hash} />}
            </td>
          </tr>
        );
      })}
    </AuditTableCard>
  );
}
