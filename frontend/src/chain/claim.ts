/**
 * Withdrawing what the Databank owes an account in one token: `claim(token, contributionIds)`
 * pays the listed contributions' dividends plus the account's credit (curator share, refunds,
 * withdrawn bounty budget). The confirmation says what each claim paid, from its Withdrawn event.
 */
import { parseEventLogs, type Address } from "viem";
import { databankAbi } from "../../../lib/contracts/client.js";
import type { TransactionContext } from "../hooks/useTransaction";
import { formatExactAmount } from "../logic/format";
import { readTokenInfo } from "./tokenInfo";

/**
 * Claims in `token` and reports "Withdrew 0.5 ETH" for the transaction.
 *
 * @param contributionIds - the caller's contributions whose dividends to settle (none for a
 *   curator withdrawing its credit)
 * @returns what was paid, in base units of `token`
 */
export async function claimInToken(
  context: TransactionContext,
  token: Address,
  contributionIds: readonly bigint[],
): Promise<bigint> {
  const receipt = await context.writeDatabank("claim", [token, [...contributionIds]]);
  const paid = parseEventLogs({ abi: databankAbi, eventName: "Withdrawn", logs: receipt.logs })
    .map((event) => event.args.amount)
    .reduce((total, amount) => total + amount, 0n);
  const units = await readTokenInfo(context.publicClient, token);
  context.reportStep(`Withdrew ${formatExactAmount(paid, units)}`);
  return paid;
}
