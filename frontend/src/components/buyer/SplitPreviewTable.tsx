/** What a buyer pays and who receives it, before paying. */
import type { PoolView } from "../../hooks/useChainData";
import { useTokenInfo } from "../../hooks/useChainData";
import { formatAmount } from "../../logic/format";
import { formatBps, splitPreview } from "../../logic/split";

export function SplitPreviewTable({ pool }: { pool: PoolView }) {
  const { data: token } = useTokenInfo(pool.paymentToken);
  if (!token) return null;
  const split = splitPreview({
    price: pool.price,
    platformFeeBps: pool.platformFeeBps,
    contributorShareBps: pool.contributorShareBps,
    activeCount: pool.activeCount,
    carry: pool.carry,
  });
  const show = (amount: bigint) => formatAmount(amount, token);
  return (
    <table aria-label={`Split of a purchase of pool ${pool.id}`}>
      <tbody>
        <tr>
          <th scope="row">You pay (held in escrow until delivery)</th>
          <td>{show(split.total)}</td>
        </tr>
        <tr>
          <th scope="row">Platform fee ({formatBps(pool.platformFeeBps)})</th>
          <td>{show(split.platform)}</td>
        </tr>
        <tr>
          <th scope="row">Curator</th>
          <td>{show(split.curator)}</td>
        </tr>
        <tr>
          <th scope="row">Contributors ({pool.activeCount})</th>
          <td>
            {show(split.contributors)}
            {pool.activeCount > 0 && ` — ${show(split.perContribution)} each`}
          </td>
        </tr>
      </tbody>
    </table>
  );
}
