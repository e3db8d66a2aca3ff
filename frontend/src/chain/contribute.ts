/**
 * The contributor's one flow, on lib/contributor: the record is sealed in this browser to the
 * pool custodian's key and the contributor's own wallet-derived key BEFORE anything leaves the
 * page; only the ciphertext is uploaded; the EIP-712 consent is relayed by the custodian (no gas).
 * lib/contributor and lib/crypto are loaded here, on demand, not with the first page.
 */
import type { Address, Hex, WalletClient } from "viem";
import { createDatabankClient, type ConsentScopeBits } from "../../../lib/contracts/client.js";
import type { PoolView } from "../hooks/useChainData";
import { nodeApi } from "../node/nodeApi";
import { encryptionKeyOf } from "./encryptionKey";
import type { PublicClient } from "viem";

export type ContributionProgress =
  | { stage: "key" }
  | { stage: "sealing" }
  | { stage: "uploading"; fraction: number }
  | { stage: "signing" }
  | { stage: "relaying" }
  | { stage: "done"; contributionId: bigint; transactionHash: Hex };

export interface ContributeArgs {
  nodeUrl: string;
  databank: Address;
  publicClient: PublicClient;
  walletClient: WalletClient;
  account: Address;
  pool: PoolView;
  record: Record<string, unknown>;
  /** What the consent allows (CONSENT_SCOPE bits), within the pool's products. */
  scope: ConsentScopeBits;
  onProgress(progress: ContributionProgress): void;
}

export async function contributeRecord(args: ContributeArgs) {
  const { onProgress, walletClient, account } = args;
  onProgress({ stage: "key" });
  const ownKey = await encryptionKeyOf(walletClient, account);
  const [{ contribute }, { fromHex32 }, api] = await Promise.all([
    import("../../../lib/contributor/contribute.js"),
    import("../../../lib/crypto/keys.js"),
    nodeApi(args.nodeUrl),
  ]);
  const databank = createDatabankClient({
    publicClient: args.publicClient,
    address: args.databank,
  });
  onProgress({ stage: "sealing" });
  const receipt = await contribute({
    api: {
      uploadContent: (bytes, options) =>
        api.uploadContent(bytes, {
          onProgress: (sentBytes, totalBytes) => {
            onProgress({ stage: "uploading", fraction: totalBytes ? sentBytes / totalBytes : 1 });
            options?.onProgress?.(sentBytes, totalBytes);
          },
        }),
      relayConsent: (body) => api.relayConsent(body),
    },
    databank: {
      address: databank.address,
      chainId: () => databank.chainId(),
      consentTypedData: (request) => databank.consentTypedData(request) as never,
    },
    signer: {
      address: account,
      signTypedData: (typedData) => walletClient.signTypedData({ account, ...typedData } as never),
    },
    poolId: args.pool.id,
    payload: { json: args.record },
    custodianPublicKey: fromHex32(args.pool.custodianKey),
    contributorPublicKey: ownKey.publicKey,
    scope: args.scope,
    onProgress: (stage) => {
      if (stage === "uploaded") onProgress({ stage: "signing" });
      if (stage === "signed") onProgress({ stage: "relaying" });
    },
  });
  onProgress({
    stage: "done",
    contributionId: receipt.contributionId,
    transactionHash: receipt.transactionHash,
  });
  return receipt;
}
