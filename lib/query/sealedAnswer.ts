/**
 * How a query's answer reaches its buyer, reusing the record sale's primitives and its release rule
 * (docs/data-bank-node.md, "How a delivery becomes final") — no new cipher:
 *
 * 1. The custodian seals the answer bundle (the JSON answer and its CSV) as an ordinary Databank
 *    envelope (lib/crypto/envelope.ts) whose only recipient is the custodian itself, bound to the
 *    deployment, the pool and the buyer (the binding's `contributor` names whom it is for). Its
 *    fresh random data key is the purchase's key K.
 * 2. The envelope is uploaded; its CID is what `fulfillQuery` records, public from then on.
 * 3. K is HPKE-sealed to the buyer's key, bound to the purchase and that CID
 *    (`sealDeliveryKey`, role buyer), and released by the node only once `fulfillQuery` is mined
 *    and confirmed: before that, the uploaded answer opens for nobody but the custodian.
 *
 * Being a recipient itself, the custodian can always re-derive K from the uploaded envelope, so
 * nothing secret has to be stored to resume after a crash. Browser-safe: no `node:` imports.
 */
import { getAddress, type Address, type Hex } from "viem";
import { utf8DecodeStrict, utf8Encode } from "../crypto/bytes.js";
import { openDeliveryKey, sealDeliveryKey, type PurchaseBinding } from "../crypto/deliveryKey.js";
import {
  openRecordWithDataKey,
  parseEnvelopeHeader,
  sealEnvelope,
  unwrapDataKey,
} from "../crypto/envelope.js";
import { fromHex32, publicKeyFromPrivate } from "../crypto/keys.js";
import { ANSWER_FORMAT, type QueryAnswer, type QueryResult } from "./execute.js";
import { QueryError } from "./errors.js";

/** `format` of the sealed bundle. */
export const ANSWER_BUNDLE_FORMAT = "databank-query-answer-bundle";

/** What the answer envelope holds. */
export interface AnswerBundle {
  format: typeof ANSWER_BUNDLE_FORMAT;
  version: 1;
  /** The answer document. */
  answer: QueryAnswer;
  /** The answer's rows as CSV. */
  csv: string;
}

/** The purchase an answer belongs to: every seal of it names these. */
export interface AnswerBinding extends PurchaseBinding {
  /** The pool queried. */
  poolId: number;
  /** The buyer. */
  buyer: Address;
}

/** Arguments of {@link sealAnswer}. */
export interface SealAnswerParams {
  /** The noisy answer and its CSV, from `answerQuery`. */
  result: QueryResult;
  /** The purchase. */
  binding: AnswerBinding;
  /** The custodian's X25519 public key: the envelope's only recipient. */
  custodianPublicKey: Uint8Array;
}

/** The answer envelope (to upload). Its data key is the purchase's key K. */
export async function sealAnswer(params: SealAnswerParams): Promise<Uint8Array> {
  const bundle: AnswerBundle = {
    format: ANSWER_BUNDLE_FORMAT,
    version: 1,
    answer: params.result.answer,
    csv: params.result.csv,
  };
  return sealEnvelope({
    plaintext: utf8Encode(JSON.stringify(bundle)),
    contentType: "application/json",
    recipients: [{ role: "custodian", publicKey: params.custodianPublicKey }],
    binding: envelopeBinding(params.binding),
  });
}

/** Arguments of {@link answerKeyForBuyer}. */
export interface AnswerKeyForBuyerParams {
  /** The uploaded answer envelope. */
  envelope: Uint8Array;
  /** Its CID (what `fulfillQuery` records): the sealed key names it. */
  answerCid: string;
  /** The custodian's X25519 private key (a recipient of the envelope). */
  custodianPrivateKey: Uint8Array;
  /** The buyer's X25519 public key from the purchase (0x-hex, 32 bytes). */
  buyerKey: Hex;
  /** The purchase. */
  binding: PurchaseBinding;
}

/** K sealed to the buyer for `answerCid` (0x-hex, 80 bytes), to release once the answer is final. */
export async function answerKeyForBuyer(params: AnswerKeyForBuyerParams): Promise<Hex> {
  const key = await unwrapDataKey(params.envelope, params.custodianPrivateKey);
  try {
    return await sealDeliveryKey(key, fromHex32(params.buyerKey), params.binding, {
      role: "buyer",
      manifestCid: params.answerCid,
    });
  } finally {
    key.fill(0);
  }
}

/** Arguments of {@link openAnswer}. */
export interface OpenAnswerParams {
  /** The answer envelope, fetched by `answerCid`. */
  envelope: Uint8Array;
  /** The CID `fulfillQuery` recorded. */
  answerCid: string;
  /** The key the node released (`answerKey`). */
  sealedKey: string;
  /** The buyer's X25519 private key. */
  buyerPrivateKey: Uint8Array;
  /** The purchase, as the buyer knows it from the chain. */
  binding: AnswerBinding;
}

/**
 * Opens an answer as its buyer: checks the envelope is bound to this deployment, pool and buyer,
 * opens K, decrypts and checks the bundle's form.
 *
 * @throws QueryError INVALID_ARGUMENT when the envelope is bound elsewhere or is not an answer;
 *   DeliveryKeyError / EnvelopeError when the key or the envelope do not open.
 */
export async function openAnswer(params: OpenAnswerParams): Promise<AnswerBundle> {
  const header = parseEnvelopeHeader(params.envelope);
  const expected = envelopeBinding(params.binding);
  const bound = header.binding;
  if (
    bound === undefined ||
    bound.chainId !== expected.chainId ||
    getAddress(bound.databank) !== expected.databank ||
    bound.poolId !== expected.poolId ||
    getAddress(bound.contributor) !== expected.contributor
  ) {
    throw new QueryError(
      "INVALID_ARGUMENT",
      "the answer is not sealed for this purchase (another deployment, pool or buyer)",
    );
  }
  const key = await openDeliveryKey(params.sealedKey, params.buyerPrivateKey, params.binding, {
    role: "buyer",
    manifestCid: params.answerCid,
  });
  let plaintext: Uint8Array;
  try {
    // The header binding is authenticated by opening: the payload's associated data covers it.
    ({ plaintext } = await openRecordWithDataKey(params.envelope, key));
  } finally {
    key.fill(0);
  }
  const text = utf8DecodeStrict(plaintext);
  let bundle: Partial<AnswerBundle> | undefined;
  try {
    bundle = text === undefined ? undefined : (JSON.parse(text) as Partial<AnswerBundle>);
  } catch {
    bundle = undefined;
  }
  if (
    bundle?.format !== ANSWER_BUNDLE_FORMAT ||
    bundle.version !== 1 ||
    bundle.answer?.format !== ANSWER_FORMAT ||
    typeof bundle.csv !== "string"
  ) {
    throw new QueryError("INVALID_ARGUMENT", "the sealed answer is not a query answer bundle");
  }
  return bundle as AnswerBundle;
}

/** Whether `privateKey` is the X25519 key `buyerKey` (0x-hex) names. */
export function isBuyerKey(privateKey: Uint8Array, buyerKey: Hex): boolean {
  const mine = publicKeyFromPrivate(privateKey);
  const theirs = fromHex32(buyerKey);
  return mine.length === theirs.length && mine.every((byte, index) => byte === theirs[index]);
}

function envelopeBinding(binding: AnswerBinding) {
  return {
    chainId: binding.chainId,
    databank: getAddress(binding.databank),
    poolId: binding.poolId,
    contributor: getAddress(binding.buyer),
  };
}
