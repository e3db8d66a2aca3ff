/**
 * Contributing a record, the one way the dApp, the demo and `npm run import` all do it: the
 * record is sealed in the contributor's process (browser or CLI) to the pool custodian's key and
 * the contributor's own key, bound to the deployment, the pool and the contributor's address (so
 * nobody else can submit it as theirs, nor copy it to another pool), only ciphertext is uploaded,
 * and the consent is an EIP-712 signature the custodian relays (the contributor pays no gas).
 */
import type { Address, Hex, TypedDataDefinition } from "viem";
import type { ConsentRequest, ConsentScopeBits } from "../contracts/client.js";
import { sealEnvelope } from "../crypto/index.js";
import { assertBytesMatchCid, parseCanonicalCid } from "../storage/cid.js";

/** What contributing needs from the data bank node's API client (lib/api). */
export interface ContributionNodeApi {
  uploadContent(
    bytes: Uint8Array,
    options?: { onProgress?: (sentBytes: number, totalBytes: number) => void },
  ): Promise<{ cid: string }>;
  relayConsent(body: {
    request: ConsentRequest;
    signature: Hex;
  }): Promise<{ contributionId: string; transactionHash: Hex }>;
}

/** What contributing needs from the contract client (lib/contracts). */
export interface ContributionDatabank {
  /** The Databank contract: the envelope is bound to it. */
  readonly address: Address;
  /** The chain the Databank is on: the envelope is bound to it. */
  chainId(): Promise<number>;
  consentTypedData(request: ConsentRequest): Promise<TypedDataDefinition>;
}

/** The contributor's wallet: a viem account, or an adapter over a wagmi connector. */
export interface ConsentSigner {
  readonly address: Address;
  signTypedData(typedData: TypedDataDefinition): Promise<Hex>;
}

/** The record to contribute: JSON matching the pool's schema, or a file's bytes. */
export type ContributionPayload = { json: unknown } | { bytes: Uint8Array; contentType: string };

/** Arguments of {@link contribute}. */
export interface ContributeParams {
  api: ContributionNodeApi;
  databank: ContributionDatabank;
  signer: ConsentSigner;
  poolId: number;
  payload: ContributionPayload;
  /** The pool's `custodianKey` (32 bytes). */
  custodianPublicKey: Uint8Array;
  /** The contributor's own X25519 public key (see deriveWalletKeyPair), so it can always export. */
  contributorPublicKey: Uint8Array;
  /** When consent ends, unix seconds; 0 (default) = until revoked. */
  expiresAt?: number;
  /**
   * What the consent allows ({@link CONSENT_SCOPE}): record copies sold to buyers, use inside
   * differentially private statistics only, or both; within what the pool sells. No default:
   * whether copies of a person's record may be sold is the person's choice.
   */
  scope: ConsentScopeBits;
  /** How long the signature stays usable, in seconds; default one hour. */
  signatureLifetimeSeconds?: number;
  /** Called as the stages complete, for progress displays. */
  onProgress?: (
    stage: ContributionStage,
    detail?: { sentBytes: number; totalBytes: number },
  ) => void;
}

/** Stages of a contribution, in order. */
export type ContributionStage = "sealed" | "uploading" | "uploaded" | "signed" | "relayed";

/** What {@link contribute} returns. */
export interface ContributionReceipt {
  contributionId: bigint;
  transactionHash: Hex;
  dataCid: string;
  /** Size of the uploaded envelope in bytes. */
  envelopeBytes: number;
}

/**
 * Seals, uploads, signs and relays one contribution.
 *
 * @throws whatever the node API client throws (e.g. its typed error with the custodian's
 *   rejection reason and field errors), or the wallet's error when the user declines to sign.
 */
export async function contribute(params: ContributeParams): Promise<ContributionReceipt> {
  const { payload, onProgress } = params;
  const plaintext =
    "json" in payload ? new TextEncoder().encode(JSON.stringify(payload.json)) : payload.bytes;
  const envelope = await sealEnvelope({
    plaintext,
    contentType: "json" in payload ? "application/json" : payload.contentType,
    recipients: [
      { role: "custodian", publicKey: params.custodianPublicKey },
      { role: "contributor", publicKey: params.contributorPublicKey },
    ],
    // The custodian accepts the envelope only from this signer, for this pool and deployment.
    binding: {
      chainId: await params.databank.chainId(),
      databank: params.databank.address,
      poolId: params.poolId,
      contributor: params.signer.address,
    },
  });
  if ("json" in payload) plaintext.fill(0);
  onProgress?.("sealed");

  const uploaded = await params.api.uploadContent(envelope, {
    onProgress: (sentBytes, totalBytes) => onProgress?.("uploading", { sentBytes, totalBytes }),
  });
  // The consent commits to the CID string, so it must be the envelope's, in the one canonical
  // spelling: the node is not trusted to answer either.
  const cid = uploaded.cid;
  await assertBytesMatchCid(parseCanonicalCid(cid), envelope, "the data bank node's upload answer");
  onProgress?.("uploaded");

  const request: ConsentRequest = {
    contributor: params.signer.address,
    poolId: params.poolId,
    dataCid: cid,
    expiresAt: params.expiresAt ?? 0,
    deadline: BigInt(Math.floor(Date.now() / 1000) + (params.signatureLifetimeSeconds ?? 3600)),
    scope: params.scope,
  };
  const signature = await params.signer.signTypedData(
    await params.databank.consentTypedData(request),
  );
  onProgress?.("signed");

  const relayed = await params.api.relayConsent({ request, signature });
  onProgress?.("relayed");
  return {
    contributionId: BigInt(relayed.contributionId),
    transactionHash: relayed.transactionHash,
    dataCid: cid,
    envelopeBytes: envelope.length,
  };
}
