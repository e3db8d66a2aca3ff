/**
 * Erasure requests a buyer owes in a pool (contributors who revoked after the buyer received their
 * data), with a one-click attestation once the buyer confirms it deleted them.
 */
import { useQuery } from "@tanstack/react-query";
import { useState } from "react";
import { databankAbi } from "../../../../lib/contracts/client.js";
import type { PoolView } from "../../hooks/useChainData";
import { useDatabankEvents } from "../../hooks/useChainData";
import { useDatabank } from "../../hooks/useDatabank";
import { useTransaction } from "../../hooks/useTransaction";
import { TransactionStatus } from "../TransactionStatus";

export function ErasuresOwed({ pool }: { pool: PoolView }) {
  const { address, publicClient, account } = useDatabank();
  const transaction = useTransaction();
  const [confirmed, setConfirmed] = useState(false);
  const requests = useDatabankEvents("ErasureRequested");
  const bookkeeping = useQuery({
    queryKey: ["chain", "erasure", pool.id, account],
    enabled: account !== undefined,
    queryFn: async () => {
      const [owed, record] = await Promise.all([
        publicClient.readContract({
          abi: databankAbi,
          address,
          functionName: "erasuresOwed",
          args: [pool.id, account!],
        }),
        publicClient.readContract({
          abi: databankAbi,
          address,
          functionName: "buyerErasure",
          args: [pool.id, account!],
        }),
      ]);
      return { owed, from: Math.max(record.owedFrom, record.attestedUpTo) };
    },
  });
  if (!bookkeeping.data || bookkeeping.data.owed === 0) return null;
  const owedIds = (requests.data ?? [])
    .filter(
      (event) =>
        event.args.poolId === pool.id &&
        event.args.erasureIndex! >= bookkeeping.data.from &&
        event.args.erasureIndex! < pool.erasureCount,
    )
    .map((event) => event.args.contributionId!.toString());
  const checkboxId = `erasure-confirm-${pool.id}`;
  return (
    <section className="card" aria-labelledby={`erasure-${pool.id}`}>
      <h3 id={`erasure-${pool.id}`}>
        Pool {pool.id}: {bookkeeping.data.owed} erasure request(s) owed
      </h3>
      <p>
        These contributors took their consent back after you received their data. You must delete
        their records (token ids {owedIds.join(", ") || "…"}) from every system you copied them to,
        then attest it on-chain.
      </p>
      <label className="inline" htmlFor={checkboxId}>
        <input
          id={checkboxId}
          type="checkbox"
          checked={confirmed}
          onChange={(event) => setConfirmed(event.target.checked)}
        />
        I confirm I deleted these records.
      </label>
      <div className="actions">
        <button
          type="button"
          disabled={!confirmed || transaction.busy}
          onClick={() =>
            transaction.run("Attest erasure", ({ writeDatabank }) =>
              writeDatabank("attestErasure", [pool.id, pool.erasureCount]),
            )
          }
        >
          Attest erasure
        </button>
      </div>
      <TransactionStatus state={transaction.state} />
    </section>
  );
}
