/**
 * Verifies and decrypts a delivery in the browser (lib/delivery: manifest checked against the
 * on-chain root, count and buyer key; for a v2 manifest the delivery key the node releases once
 * `fulfill` is confirmed; every envelope against its CID), then offers the records as CSV or JSON
 * Lines. Loaded lazily: it brings the crypto and CID code.
 */
import { useEffect, useRef, useState } from "react";
import { encryptionKeyOf } from "../../chain/encryptionKey";
import { useDatabank } from "../../hooks/useDatabank";
import type { PurchaseView } from "../../hooks/useMyPurchases";
import { describeError } from "../../logic/errors";
import { nodeApi } from "../../node/nodeApi";
import { downloadText } from "../../download";
import { useRuntime } from "../../runtime";
import type { DeliveredRecord } from "../../../../lib/delivery/buyer.js";
import { toCsv, toJsonLines } from "../../../../lib/delivery/export.js";

type OpenState =
  | { phase: "idle" }
  | { phase: "working"; detail: string; done?: number; total?: number }
  | { phase: "open"; records: DeliveredRecord[]; revoked: bigint[] }
  | { phase: "failed"; message: string };

export default function DeliveryDownload({ purchase }: { purchase: PurchaseView }) {
  const { runtime } = useRuntime();
  const { address, walletClient, account, publicClient, fromBlock } = useDatabank();
  const [state, setState] = useState<OpenState>({ phase: "idle" });
  const started = useRef(false);
  const name = `databank-pool-${purchase.poolId}-purchase-${purchase.id}`;

  async function open() {
    if (!walletClient || !account || !purchase.deliveryCid || !purchase.recordsRoot) return;
    try {
      setState({ phase: "working", detail: "Sign the message that derives your encryption key…" });
      const key = await encryptionKeyOf(walletClient, account);
      setState({ phase: "working", detail: "Fetching and verifying the delivery manifest…" });
      const [{ openDelivery }, { waitForDeliveryKey }, revokedRecords, { lazyEnvelopes }, api] =
        await Promise.all([
          import("../../../../lib/delivery/buyer.js"),
          import("../../../../lib/delivery/release.js"),
          import("../../../../lib/delivery/revoked.js"),
          import("../../../../lib/api/deliveryStream.js"),
          nodeApi(runtime.nodeUrl),
        ]);
      const manifest = await api.getContent(purchase.deliveryCid);
      const records = await openDelivery({
        manifest,
        expected: {
          recordsRoot: purchase.recordsRoot,
          recordCount: purchase.recordCount ?? 0,
          buyerKey: purchase.buyerKey,
          purchaseId: purchase.id,
          databank: address,
          chainId: runtime.chainId,
          deliveryCid: purchase.deliveryCid,
        },
        // Every envelope in one response; any the node leaves out is fetched by CID.
        envelopes: lazyEnvelopes(
          (signal) => api.openDeliveryStream(purchase.id, signal),
          purchase.deliveryCid,
          () =>
            setState({
              phase: "working",
              detail: "The node does not stream this delivery: fetching the records one by one…",
            }),
        ),
        fetchContent: (cid) => api.getContent(cid),
        buyerPrivateKey: key.privateKey,
        // v2: the node releases the key only once the delivery is final (fulfil confirmed).
        deliveryKey: () =>
          waitForDeliveryKey({
            purchaseId: purchase.id,
            fetchStatus: () => api.deliveryStatus(purchase.id),
            timeoutMs: 120_000,
            onWaiting: () =>
              setState({
                phase: "working",
                detail:
                  "Waiting for the custodian to release the delivery key (the delivery becomes final once its transaction is confirmed)…",
              }),
          }),
        onProgress: ({ done, total }) =>
          setState({ phase: "working", detail: "Decrypting records…", done, total }),
      });
      // Records whose consent was revoked since are not handed out again: they are to be erased.
      const revoked = await revokedRecords.readRevokedRecords({
        client: publicClient,
        databank: address,
        poolId: purchase.poolId,
        fromBlock,
      });
      const split = revokedRecords.splitRevoked(records, revoked);
      setState({
        phase: "open",
        records: split.kept,
        revoked: split.revoked.map((record) => record.tokenId),
      });
    } catch (error) {
      setState({ phase: "failed", message: describeError(error) });
    }
  }

  // The buyer already asked to decrypt (the button that loaded this component): start at once,
  // once (React may run effects twice in development).
  useEffect(() => {
    if (started.current || !walletClient || !account) return;
    started.current = true;
    void open();
  }, [walletClient, account]);

  if (state.phase === "idle") {
    return (
      <div className="actions">
        <button type="button" onClick={open}>
          Verify and decrypt {purchase.recordCount} record(s)
        </button>
      </div>
    );
  }
  if (state.phase === "working") {
    return (
      <div className="tx-status" role="status" aria-live="polite">
        {state.detail}
        {state.total !== undefined && (
          <>
            <label htmlFor={`decrypt-${purchase.id}`}>
              {state.done} of {state.total} records decrypted
            </label>
            <progress id={`decrypt-${purchase.id}`} max={state.total} value={state.done} />
          </>
        )}
      </div>
    );
  }
  if (state.phase === "failed") {
    return (
      <div className="tx-status tx-failed" role="alert">
        Decryption failed: {state.message}
      </div>
    );
  }
  const csv = toCsv(state.records);
  return (
    <div className="tx-status tx-confirmed" role="status">
      <p>
        {state.records.length + state.revoked.length} record(s) verified against the on-chain root
        and decrypted in this browser.
        {state.revoked.length > 0 &&
          ` ${state.revoked.length} of them (contribution ${state.revoked.join(", ")}) had their consent revoked since: they are left out of the files below. Delete any copy you hold and attest it under “Erasure inbox”.`}
        {csv.skipped.length > 0 &&
          ` ${csv.skipped.length} non-JSON record(s) are left out of the CSV.`}
      </p>
      <div className="actions">
        <button type="button" onClick={() => downloadText(`${name}.csv`, csv.text, "text/csv")}>
          Download CSV
        </button>
        <button
          type="button"
          onClick={() =>
            downloadText(`${name}.jsonl`, toJsonLines(state.records), "application/x-ndjson")
          }
        >
          Download JSON Lines
        </button>
      </div>
    </div>
  );
}
