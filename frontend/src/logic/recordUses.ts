/** The auditor's "purchases that used records of an address", from that address's passbook. */
import type { Passbook } from "../../../lib/passbook/schema.js";
import { ETH_UNITS, formatTokenAmount } from "../../../lib/audit/money.js";

/** One use of one record: a row of the table. */
export interface RecordUseRow {
  key: string;
  purchaseId: string;
  product: string;
  poolId: number;
  contributionId: string;
  buyer: string;
  earned: string;
  hash: string;
}

/** The uses of the passbook's records in the pools in scope, oldest purchase first. */
export function recordUseRows(passbook: Passbook, poolId: number | undefined): RecordUseRow[] {
  const units = new Map(passbook.tokens.map((token) => [token.token.toLowerCase(), token]));
  const rows: RecordUseRow[] = [];
  for (const contribution of passbook.contributions) {
    if (poolId !== undefined && contribution.poolId !== poolId) continue;
    const tokenUnits = units.get(contribution.token.toLowerCase()) ?? ETH_UNITS;
    for (const use of [...contribution.deliveries, ...contribution.queries]) {
      rows.push({
        key: `${contribution.contributionId}-${use.product}-${use.purchaseId}`,
        purchaseId: use.purchaseId,
        product: use.product === "records" ? "record sale" : "query answer",
        poolId: contribution.poolId,
        contributionId: contribution.contributionId,
        buyer: use.buyer,
        earned: formatTokenAmount(BigInt(use.earned), tokenUnits),
        hash: use.tx.hash,
      });
    }
  }
  return rows.sort((a, b) => Number(BigInt(a.purchaseId) - BigInt(b.purchaseId)));
}
