/** Where a contribution stands: key, encryption, upload (with a bar), signature, relay. */
import type { ContributionProgress } from "../../chain/contribute";
import { TransactionLink } from "../TransactionLink";

const STAGE_TEXT: Record<Exclude<ContributionProgress["stage"], "done" | "uploading">, string> = {
  key: "Sign the message that derives your encryption key in your wallet (free)…",
  sealing: "Encrypting your record in this browser…",
  signing: "Sign your consent in your wallet (free, no gas)…",
  relaying: "The custodian checks your encrypted record and records your consent on-chain…",
};

export function ContributionProgressView({ progress }: { progress: ContributionProgress }) {
  return (
    <div className="tx-status" role="status" aria-live="polite">
      {progress.stage === "uploading" && (
        <>
          <label htmlFor="upload-progress">Uploading your encrypted record</label>
          <progress id="upload-progress" max={1} value={progress.fraction} />
        </>
      )}
      {progress.stage === "done" && (
        <span className="ok">
          Contribution {progress.contributionId.toString()} is active: you earn from every sale from
          now on. <TransactionLink hash={progress.transactionHash} />
        </span>
      )}
      {progress.stage !== "uploading" && progress.stage !== "done" && (
        <span>{STAGE_TEXT[progress.stage]}</span>
      )}
    </div>
  );
}
