/**
 * The connected wallet's Databank encryption key (X25519), derived from a signature over
 * lib/crypto's fixed message. Kept in memory for the session only (never stored): the same wallet
 * derives the same key on any device. lib/crypto is loaded on first use, not with the first page.
 */
import type { Address, Hex, WalletClient } from "viem";

export interface EncryptionKeyPair {
  privateKey: Uint8Array;
  publicKey: Uint8Array;
  publicKeyHex: Hex;
}

const sessionKeys = new Map<string, EncryptionKeyPair>();

/** Asks the wallet to sign the key-derivation message once per session and account. */
export async function encryptionKeyOf(
  walletClient: WalletClient,
  account: Address,
): Promise<EncryptionKeyPair> {
  const cached = sessionKeys.get(account.toLowerCase());
  if (cached) return cached;
  const { keyDerivationMessage, deriveKeyPairFromSignature, toHex32 } =
    await import("../../../lib/crypto/keys.js");
  const signature = await walletClient.signMessage({
    account,
    message: keyDerivationMessage(account),
  });
  const { privateKey, publicKey } = deriveKeyPairFromSignature(signature);
  const pair = { privateKey, publicKey, publicKeyHex: toHex32(publicKey) };
  sessionKeys.set(account.toLowerCase(), pair);
  return pair;
}
