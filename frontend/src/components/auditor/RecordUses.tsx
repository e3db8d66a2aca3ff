/**
 * For the auditor's address filter: every purchase (record sale or query answer) that used a
 * record of that address, with what the record earned from it, in token units. From the address's
 * passbook (lib/passbook), so the auditor and "My data bank" never disagree.
 */
import type { Address } from "viem";
import { useRecordUses } from "../../hooks/useAudit";
import { describeError } from "../../logic/errors";
import { shortAddress } from "../../logic/format";
import { recordUseRows } from "../../logic/recordUses";
import { TransactionLink } from "../TransactionLink";

export function RecordUses({ wallet, poolId }: { wallet: Address; poolId: number | undefined }) {
  const uses = useRecordUses(wallet);
  if (uses.error) return <p className="error">{describeError(uses.error)}</p>;
  if (!uses.data || uses.data.contributions.length === 0) return null;
  const rows = recordUseRows(uses.data, poolId);
  return (
    <section className="card" aria-labelledby="audit-record-uses">
      <h2 id="audit-record-uses">Purchases that used records of {shortAddress(wallet)}</h2>
      {rows.length === 0 && <p className="muted">No purchase has used its records yet.</p>}
      {rows.length > 0 && (
        <div className="table-scroll">
          <table>
            <thead>
              <tr>
                {[
                  "Purchase",
                  "Kind",
                  "Pool",
                  "Contribution",
                  "Buyer",
                  "Record earned",
                  "Transaction",
                ].map((column) => (
                  <th scope="col" key={column}>
                    {column}
                  </th>
                ))}
              </tr>
            </thead>
            <tbody>
              {rows.map((row) => (
                <tr key={row.key}>
                  <td>{row.purchaseId}</td>
                  <td>{row.product}</td>
                  <td>{row.poolId}</td>
                  <td>{row.contributionId}</td>
                  <td className="mono">{shortAddress(row.buyer)}</td>
                  <td>{row.earned}</td>
                  <td>
                    <TransactionLink hash={row.hash} />
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
