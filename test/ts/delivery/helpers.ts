/** Shared fixtures and assertions of the delivery tests. */
import { expect } from "chai";
import { getAddress, type Hex } from "viem";
import {
  generateDeliveryKey,
  generateKeyPair,
  importDeliveryKey,
  sealDeliveryKey,
  sealEnvelope,
  sealRecordKey,
  toHex32,
  unwrapDataKey,
  wrapDataKey,
  type X25519KeyPair,
} from "../../../lib/crypto/index.js";
import {
  buildManifest,
  buildManifestV1,
  DeliveryError,
  encodeManifest,
  type DeliveryErrorCode,
  type DeliveryManifest,
  type DeliveryManifestV2,
} from "../../../lib/delivery/index.js";
import { computeCid } from "../../../lib/storage/cid.js";

/** The record a test contributor `index` contributes. */
export function sampleRecord(index: number): Record<string, unknown> {
  return {
    name: `Contributor ${index}`,
    email: `c${index}@example.org`,
    skills: ["typescript", index % 2 === 0 ? "solidity" : "sql"],
    years: index,
  };
}

export function jsonBytes(value: unknown): Uint8Array {
  return new TextEncoder().encode(JSON.stringify(value));
}

/** A delivery built entirely off-chain: envelopes, their CIDs, a manifest and its expected values. */
export interface OffChainDelivery {
  custodian: X25519KeyPair;
  buyer: X25519KeyPair;
  /** Envelope bytes by CID. */
  contents: Map<string, Uint8Array>;
  records: { tokenId: bigint; dataCid: string; plaintext: Uint8Array }[];
  manifest: DeliveryManifest;
  bytes: Uint8Array;
  expected: { recordsRoot: Hex; recordCount: number; buyerKey: Hex; purchaseId: bigint };
  fetchContent: (cid: string) => Promise<Uint8Array>;
}

export const DATABANK = getAddress("0x5fbdb2315678afecb367f032d93f642f64180aa3");
export const BUYER = getAddress("0x70997970c51812dc3a010c7d01b50e0d17dc79c8");
/** The contributor the off-chain records are bound to (no chain checks it here). */
const CONTRIBUTOR = getAddress("0x3c44cdddb6a900fa2b585dd299e03d12fa4293bc");

/** Seals `count` records to a custodian and re-wraps them to a buyer as a v1 custodian did. */
export async function offChainDelivery(count: number): Promise<OffChainDelivery> {
  const custodian = generateKeyPair();
  const buyer = generateKeyPair();
  const contents = new Map<string, Uint8Array>();
  const records: OffChainDelivery["records"] = [];
  const wrapped = [];
  // Token ids deliberately not contiguous and given in descending order.
  const tokenIds = Array.from({ length: count }, (_, i) => BigInt(count - i) * 3n + 2n);
  for (const [index, tokenId] of tokenIds.entries()) {
    const plaintext = jsonBytes(sampleRecord(index));
    const envelope = await sealEnvelope({
      plaintext,
      recipients: [{ role: "custodian", publicKey: custodian.publicKey }],
      contentType: "application/json",
      binding: { chainId: 31337, databank: DATABANK, poolId: 1, contributor: CONTRIBUTOR },
    });
    const dataCid = await computeCid(envelope);
    contents.set(dataCid, envelope);
    records.push({ tokenId, dataCid, plaintext });
    const dataKey = await unwrapDataKey(envelope, custodian.privateKey);
    wrapped.push({
      tokenId,
      dataCid,
      wrappedKey: await wrapDataKey(dataKey, buyer.publicKey, "buyer"),
    });
  }
  const manifest = buildManifestV1({
    chainId: 31337,
    databank: DATABANK,
    purchaseId: 7n,
    poolId: 1,
    buyer: BUYER,
    buyerKey: toHex32(buyer.publicKey),
    records: wrapped,
  });
  return {
    custodian,
    buyer,
    contents,
    records,
    manifest,
    bytes: encodeManifest(manifest),
    expected: {
      recordsRoot: manifest.recordsRoot,
      recordCount: manifest.recordCount,
      buyerKey: manifest.buyerKey,
      purchaseId: 7n,
    },
    fetchContent: async (cid) => {
      const bytes = contents.get(cid);
      if (bytes === undefined) throw new Error(`unknown CID ${cid}`);
      return bytes;
    },
  };
}

/** The manifest's JSON, to tamper with. */
export function manifestJson(bytes: Uint8Array): {
  recordsRoot: string;
  recordCount: number;
  buyerKey: string;
  purchaseId: string;
  records: {
    tokenId: string;
    dataCid: string;
    dataCommitment: string;
    wrappedKey: Record<string, unknown>;
  }[];
} & Record<string, unknown> {
  return JSON.parse(new TextDecoder().decode(bytes));
}

export function encodeJson(value: unknown): Uint8Array {
  return new TextEncoder().encode(JSON.stringify(value));
}

/** Awaits `action`, asserts a DeliveryError of `code` (naming `tokenId`, when given). */
export async function expectDeliveryError(
  action: () => unknown,
  code: DeliveryErrorCode,
  tokenId?: bigint,
): Promise<DeliveryError> {
  let failure: unknown;
  try {
    await action();
  } catch (error) {
    failure = error;
  }
  expect(failure, "expected a DeliveryError, the call succeeded").to.not.equal(undefined);
  expect(failure, String(failure)).to.be.instanceOf(DeliveryError);
  const error = failure as DeliveryError;
  expect(error.code, error.message).to.equal(code);
  expect(error.message, "one line").to.not.include("\n");
  if (tokenId !== undefined) {
    expect(error.tokenId).to.equal(tokenId);
    expect(error.message).to.include(`record ${tokenId}`);
  }
  return error;
}

/** A v2 delivery built off-chain: the v1 fields plus the delivery key K and its buyer-sealed form. */
export interface OffChainDeliveryV2 extends OffChainDelivery {
  manifest: DeliveryManifestV2;
  /** The manifest's CID. */
  manifestCid: string;
  /** K (tests only: the node never stores or shows it). */
  deliveryKey: Uint8Array;
  /** K sealed to the buyer for this purchase and manifest, as the node releases it. */
  sealedDeliveryKey: Hex;
  expected: OffChainDelivery["expected"] & { databank: Hex; chainId: number; deliveryCid: string };
}

/** Seals `count` records to a custodian and seals their keys under a delivery key, as the node does. */
export async function offChainDeliveryV2(
  count: number,
  purchaseId = 7n,
): Promise<OffChainDeliveryV2> {
  const custodian = generateKeyPair();
  const buyer = generateKeyPair();
  const contents = new Map<string, Uint8Array>();
  const records: OffChainDelivery["records"] = [];
  const deliveryKey = generateDeliveryKey();
  const key = await importDeliveryKey(deliveryKey);
  const binding = { chainId: 31337, databank: DATABANK, purchaseId };
  const sealed = [];
  const tokenIds = Array.from({ length: count }, (_, i) => BigInt(count - i) * 3n + 2n);
  for (const [index, tokenId] of tokenIds.entries()) {
    const plaintext = jsonBytes(sampleRecord(index));
    const envelope = await sealEnvelope({
      plaintext,
      recipients: [{ role: "custodian", publicKey: custodian.publicKey }],
      contentType: "application/json",
      binding: { chainId: 31337, databank: DATABANK, poolId: 1, contributor: CONTRIBUTOR },
    });
    const dataCid = await computeCid(envelope);
    contents.set(dataCid, envelope);
    records.push({ tokenId, dataCid, plaintext });
    const dataKey = await unwrapDataKey(envelope, custodian.privateKey);
    sealed.push({
      tokenId,
      dataCid,
      sealedKey: await sealRecordKey(key, dataKey, { ...binding, tokenId, dataCid }),
    });
  }
  const manifest = buildManifest({
    ...binding,
    poolId: 1,
    buyer: BUYER,
    buyerKey: toHex32(buyer.publicKey),
    records: sealed,
  });
  const bytes = encodeManifest(manifest);
  const manifestCid = await computeCid(bytes);
  return {
    custodian,
    buyer,
    contents,
    records,
    manifest,
    bytes,
    manifestCid,
    deliveryKey,
    sealedDeliveryKey: await sealDeliveryKey(deliveryKey, buyer.publicKey, binding, {
      role: "buyer",
      manifestCid,
    }),
    expected: {
      recordsRoot: manifest.recordsRoot,
      recordCount: manifest.recordCount,
      buyerKey: manifest.buyerKey,
      purchaseId,
      databank: DATABANK,
      chainId: 31337,
      deliveryCid: manifestCid,
    },
    fetchContent: async (cid) => {
      const found = contents.get(cid);
      if (found === undefined) throw new Error(`unknown CID ${cid}`);
      return found;
    },
  };
}
