/**
 * Downloads everything about the contributor as one JSON bundle (lib/portability, GDPR art. 20):
 * its decrypted records (opened with its wallet-derived key), consents and payouts.
 */
import { useState } from "react";
import { fetchVerifiedContent } from "../../chain/verifiedContent";
import { encryptionKeyOf } from "../../chain/encryptionKey";
import { useDatabank } from "../../hooks/useDatabank";
import { describeError } from "../../logic/errors";
import { downloadText } from "../../download";
import { useRuntime } from "../../runtime";
import { sharedReplayCache } from "../../chain/replayCache";

export function ExportButton() {
  const { runtime } = useRuntime();
  const { address, publicClient, walletClient, account, fromBlock } = useDatabank();
  const [status, setStatus] = useState<string>();
  const [failed, setFailed] = useState(false);

  async function exportAll() {
    if (!walletClient || !account) return;
    setFailed(false);
    try {
      setStatus("Sign the message that derives your encryption key (free)…");
      const key = await encryptionKeyOf(walletClient, account);
      setStatus("Reading your contributions and decrypting your records…");
      const [{ buildExportBundle }, cache] = await Promise.all([
        import("../../../../lib/portability/exportBundle.js"),
        sharedReplayCache(runtime.chainId, address),
      ]);
      const bundle = await buildExportBundle({
        publicClient: publicClient as never,
        databank: address,
        wallet: account,
        contributorPrivateKey: key.privateKey,
        fetchContent: (cid) => fetchVerifiedContent(runtime.nodeUrl, cid),
        fromBlock,
        onProgress: (done, total) => setStatus(`Decrypting records… ${done} of ${total}`),
        cache,
      });
      downloadText(
        `databank-export-${account}.json`,
        JSON.stringify(bundle, null, 2),
        "application/json",
      );
      setStatus("Your export bundle was downloaded.");
    } catch (error) {
      setFailed(true);
      setStatus(describeError(error));
    }
  }

  return (
    <section className="card" aria-labelledby="export-heading">
      <h2 id="export-heading">Export my data</h2>
      <p>
        One JSON file with your records (decrypted in this browser), your consents and every payout,
        to keep or to take to another service.
      </p>
      <button type="button" onClick={exportAll} disabled={!account}>
        Download export bundle
      </button>
      {status && (
        <p role={failed ? "alert" : "status"} className={failed ? "error" : undefined}>
          {status}
        </p>
      )}
    </section>
  );
}
