/** Decrypts a delivery and offers it as CSV or JSON Lines (lib/delivery; lands with the node). */
import type { PurchaseView } from "../../hooks/useMyPurchases";

export default function DeliveryDownload({ purchase }: { purchase: PurchaseView }) {
  return (
    <p className="muted">
      Delivery manifest {purchase.deliveryCid}: decryption in the browser arrives with lib/delivery.
    </p>
  );
}
