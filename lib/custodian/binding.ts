/**
 * Whether an envelope is bound to the submission it arrived with: the same chain, Databank, pool
 * and contributor. A data CID is public once it is on-chain or relayed, so without this check
 * anyone could submit someone else's envelope as theirs (and take its consent token, bounty and
 * dividends) or copy it into another pool of the same custodian.
 *
 * Reads the header only. The binding it compares is authenticated when the envelope is opened
 * (it is in the header digest and in the wrapped keys' associated data), so the caller must still
 * open the envelope before accepting it; `checkContribution` does both.
 */
import { isAddressEqual } from "viem";
import {
  ENVELOPE_FORMAT_VERSION,
  type EnvelopeBinding,
  type EnvelopeHeader,
} from "../crypto/index.js";

/**
 * Why the envelope whose header is `header` may not be accepted for `submission`, in plain words,
 * or undefined when it is bound to exactly that submission.
 *
 * A v1 envelope has no binding, so it is never bound: new submissions must be sealed as v2 (v1
 * records accepted earlier are still opened for delivery and export).
 */
export function bindingProblem(
  header: EnvelopeHeader,
  submission: EnvelopeBinding,
): string | undefined {
  const bound = header.binding;
  if (bound === undefined) {
    return (
      `the envelope is format v${header.version}, which is not bound to a contributor and pool; ` +
      `seal the record again with a current Databank app (format v${ENVELOPE_FORMAT_VERSION})`
    );
  }
  if (
    bound.chainId !== submission.chainId ||
    !isAddressEqual(bound.databank, submission.databank)
  ) {
    return (
      `the envelope was sealed for the Databank ${bound.databank} on chain ${bound.chainId}, ` +
      `not ${submission.databank} on chain ${submission.chainId}`
    );
  }
  if (bound.poolId !== submission.poolId) {
    return `the envelope was sealed for pool ${bound.poolId}, not pool ${submission.poolId}: seal the record again for this pool`;
  }
  if (!isAddressEqual(bound.contributor, submission.contributor)) {
    return `the envelope was sealed for contributor ${bound.contributor}, not for the submitter ${submission.contributor}`;
  }
  return undefined;
}
