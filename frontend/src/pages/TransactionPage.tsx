/** The dApp's own transaction view (local chains have no explorer): status and decoded events. */
import { useQuery } from "@tanstack/react-query";
import { parseEventLogs, type Hex } from "viem";
import { databankAbi } from "../../../lib/contracts/client.js";
import { useDatabank } from "../hooks/useDatabank";
import { describeError } from "../logic/errors";

function show(value: unknown): string {
  if (typeof value === "bigint") return value.toString();
  if (Array.isArray(value)) return `[${value.map(show).join(", ")}]`;
  if (typeof value === "object" && value !== null) {
    return `{ ${Object.entries(value)
      .map(([key, inner]) => `${key}: ${show(inner)}`)
      .join(", ")} }`;
  }
  return String(value);
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
          <li key={index}>
            <strong>{event.eventName}</strong> <span className="mono">{show(event.args)}</span>
          </li>
        ))}
      </ul>
    </section>
  );
}
