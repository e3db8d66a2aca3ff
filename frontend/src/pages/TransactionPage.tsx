/** The dApp's own transaction view (local chains have no explorer): status and decoded events. */
import { useQuery } from "@tanstack/react-query";
import { parseEventLogs, type Address, type Hex } from "viem";
import { databankAbi } from "../../../lib/contracts/client.js";
import { usePools, useTokenInfo } from "../hooks/useChainData";
import { useDatabank } from "../hooks/useDatabank";
import { describeError } from "../logic/errors";
import { describeArg, eventToken } from "../logic/eventArgs";

/** One decoded event, its amounts in the token of the pool it names (or the token it names). */
function EventRow({ name, args }: { name: string; args: Record<string, unknown> }) {
  const { data: pools } = usePools();
  const pool = pools?.find((candidate) => candidate.id === args.poolId);
  const token = (eventToken(args) ?? pool?.paymentToken) as Address | undefined;
  const { data: units } = useTokenInfo(token);
  return (
    <li>
      <strong>{name}</strong>
      <dl className="facts event-args">
        {Object.entries(args).map(([key, value]) => (
          <div key={key}>
            <dt>{key}</dt>
            <dd className="mono">{describeArg(key, value, units)}</dd>
          </div>
        ))}
      </dl>
    </li>
  );
}

export default function TransactionPage({ hash }: { hash: Hex }) {
  const { publicClient, address } = useDatabank();
  const receipt = useQuery({
    queryKey: ["chain", "receipt", hash],
    queryFn: () => publicClient.getTransactionReceipt({ hash }),
  });
  if (receipt.error) {
    return (
      <section className="card">
        <h1>Transaction</h1>
        <p className="mono">{hash}</p>
        <p className="error">{describeError(receipt.error)}</p>
      </section>
    );
  }
  if (!receipt.data) return <p>Loading transaction…</p>;
  const events = parseEventLogs({
    abi: databankAbi,
    logs: receipt.data.logs.filter((log) => log.address.toLowerCase() === address.toLowerCase()),
  });
  return (
    <section className="card" aria-labelledby="tx-heading">
      <h1 id="tx-heading">Transaction</h1>
      <dl className="facts">
        <dt>Hash</dt>
        <dd className="mono">{hash}</dd>
        <dt>Status</dt>
        <dd>{receipt.data.status === "success" ? "confirmed" : "reverted"}</dd>
        <dt>Block</dt>
        <dd>{receipt.data.blockNumber.toString()}</dd>
        <dt>From</dt>
        <dd className="mono">{receipt.data.from}</dd>
        <dt>Gas used</dt>
        <dd>{receipt.data.gasUsed.toString()}</dd>
      </dl>
      <h2>Databank events</h2>
      {events.length === 0 && <p className="muted">None.</p>}
      <ul>
        {events.map((event, index) => (
          <EventRow
            key={index}
            name={event.eventName}
            args={event.args as unknown as Record<string, unknown>}
          />
        ))}
      </ul>
    </section>
  );
}
