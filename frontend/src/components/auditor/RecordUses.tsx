/**
 * For the auditor's address filter: every purchase (record sale or query answer) that used a
 * record of that address, with what the record earned from it, in token units. From the address's
 * passbook (lib/passbook), so the auditor and "My data bank" never disagree.
 */
import type { Address } from "viem";
import { usePassbookOf } from "../../hooks/usePassbook";
import { describeError } from "../../logic/errors";
import { shortAddress } from "../../logic/format";
import { recordUseRows } from "../../logic/recordUses";
import { TransactionLink } from "../TransactionLink";
import { AuditTableCard } from "./AuditTables";

export function RecordUses({ wallet, poolId }: { wallet: Address; poolId: number | undefined }) {
  const uses = usePassbookOf(wallet);
  if (uses.error) return <p className="error">{describeError(uses.error)}</p>;
  if (!uses.data || uses.data.contributions.length === 0) return null;
  const rows = recordUseRows(uses.data, poolId);
  return (
    <AuditTableCard
      id="audit-record-uses"
      title={`Purchases that used records of ${shortAddress(wallet)}`}
      columns={[
        "Purchase",
        "Kind",
        "Pool",
        "Contribution",
        "Buyer",
        "Record earned",
        "Transaction",
      ]}
      rowCount={rows.length}
      empty="No purchase has used its records yet."
    >
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
    </AuditTableCard>
  );
}
