/** An amount in a pool's payment token, e.g. "1.5 ETH" or "20 TUSD". */
import type { Address } from "viem";
import { useTokenInfo } from "../hooks/useChainData";
import { formatAmount } from "../logic/format";

export function Amount({ value, token }: { value: bigint; token: Address }) {
  const { data: info } = useTokenInfo(token);
  if (!info) return <span>…</span>;
  return <span className="amount">{formatAmount(value, info)}</span>;
}
