/** What the custodian's node says of a purchase's delivery, refreshed while it is pending. */
import { useQuery } from "@tanstack/react-query";
import { nodeApi } from "../../node/nodeApi";
import { describeError } from "../../logic/errors";
import { useRuntime } from "../../runtime";

const LABELS: Record<string, string> = {
  pending: "waiting for the custodian",
  delivering: "the custodian is preparing the data keys",
  delivered: "delivered",
  refunded: "refunded",
  failed: "the custodian reports a failed delivery",
};

export function DeliveryStatus({ purchaseId }: { purchaseId: bigint }) {
  const { runtime } = useRuntime();
  const delivery = useQuery({
    queryKey: ["chain", "delivery", purchaseId.toString()],
    queryFn: async () => (await nodeApi(runtime.nodeUrl)).deliveryStatus(purchaseId),
    refetchInterval: 3_000,
    retry: false,
  });
  if (delivery.error) return <span className="muted">node: {describeError(delivery.error)}</span>;
  if (!delivery.data) return <span className="muted">asking the node…</span>;
  // The key to a v2 delivery is released only once `fulfill` is confirmed (the delivery is final).
  const waitingForKey =
    delivery.data.status === "delivered" && delivery.data.deliveryKey === undefined
      ? " (the delivery key is released once the transaction is confirmed)"
      : "";
  return (
    <span>
      node: {LABELS[delivery.data.status] ?? delivery.data.status}
      {waitingForKey}
    </span>
  );
}
