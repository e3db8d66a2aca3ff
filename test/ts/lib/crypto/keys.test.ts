import { hkdfSync } from "node:crypto";
import { expect } from "chai";
import { hexToBytes, type Hex } from "viem";
import { privateKeyToAccount } from "viem/accounts";
import {
  deriveKeyPairFromSignature,
  fromHex32,
  generateKeyPair,
  KEY_DERIVATION_MESSAGE_VERSION,
  keyDerivationMessage,
  openEnvelope,
  publicKeyFromPrivate,
  sealEnvelope,
  toHex32,
} from "../../../../lib/crypto/index.js";
import { expectKeyError, expectSameBytes, TEST_BINDING } from "./helpers.js";

const WALLET_PRIVATE_KEY: Hex = `0x${"11".repeat(32)}`;
const OTHER_WALLET_PRIVATE_KEY: Hex = `0x${"22".repeat(32)}`;
const SECP256K1_ORDER = 0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141n;

async function walletSignature(walletPrivateKey: Hex): Promise<Hex> {
  const account = privateKeyToAccount(walletPrivateKey);
  return account.signMessage({ message: keyDerivationMessage(account.address) });
}

/** The same signature in its high-s form (s → n − s, recovery bit flipped), as a wallet might emit. */
function highSFormOf(signature: Hex): Uint8Array {
  const bytes = hexToBytes(signature);
  const s = BigInt(`0x${Buffer.from(bytes.subarray(32, 64)).toString("hex")}`);
  const highS = Buffer.from((SECP256K1_ORDER - s).toString(16).padStart(64, "0"), "hex");
  const result = new Uint8Array(bytes);
  result.set(highS, 32);
  result[64] = bytes[64] === 27 ? 28 : 27;
  return result;
}

describe("lib/crypto keys", function () {
  describe("keyDerivationMessage", function () {
    const account = privateKeyToAccount(WALLET_PRIVATE_KEY);

    it("is the fixed, versioned, human-readable v1 text with the checksummed address", function () {
      expect(KEY_DERIVATION_MESSAGE_VERSION).to.equal(1);
      // Pinned on purpose: any change to this text changes every user's encryption key.
      expect(keyDerivationMessage(account.address)).to.equal(
        "Databank encryption key v1\n\n" +
          "Signing this message derives your Databank encryption key. It costs nothing and grants no access to your funds.\n\n" +
          "Only sign it in a Databank app: anyone holding this signature can read your Databank data.\n\n" +
          `Wallet: ${account.address}`,
      );
    });

    it("normalises lowercase and uppercase addresses to the checksummed form", function () {
      const expected = keyDerivationMessage(account.address);
      expect(keyDerivationMessage(account.address.toLowerCase())).to.equal(expected);
      expect(keyDerivationMessage(`0x${account.address.slice(2).toUpperCase()}`)).to.equal(
        expected,
      );
    });

    it("rejects non-addresses and wrong checksums with INVALID_ADDRESS", async function () {
      const wrongChecksum = account.address.replace(/[a-f]/, (letter) => letter.toUpperCase());
      expect(wrongChecksum).to.not.equal(account.address);
      for (const address of ["", "0x1234", "not an address", wrongChecksum]) {
        await expectKeyError(() => keyDerivationMessage(address), "INVALID_ADDRESS");
      }
    });
  });

  describe("deriveKeyPairFromSignature", function () {
    it("gives identical keys for two viem signatures by the same wallet", async function () {
      const first = await walletSignature(WALLET_PRIVATE_KEY);
      const second = await walletSignature(WALLET_PRIVATE_KEY);
      const firstKeys = deriveKeyPairFromSignature(first);
      const secondKeys = deriveKeyPairFromSignature(second);
      expectSameBytes(secondKeys.privateKey, firstKeys.privateKey);
      expectSameBytes(secondKeys.publicKey, firstKeys.publicKey);
      expect(firstKeys.privateKey.length).to.equal(32);
      expectSameBytes(firstKeys.publicKey, publicKeyFromPrivate(firstKeys.privateKey));
    });

    it("gives different keys for different wallets", async function () {
      const ours = deriveKeyPairFromSignature(await walletSignature(WALLET_PRIVATE_KEY));
      const theirs = deriveKeyPairFromSignature(await walletSignature(OTHER_WALLET_PRIVATE_KEY));
      expect(Buffer.compare(ours.privateKey, theirs.privateKey)).to.not.equal(0);
      expect(Buffer.compare(ours.publicKey, theirs.publicKey)).to.not.equal(0);
    });

    it("is HKDF-SHA256(signature, salt databank/x25519/v1, info …/private-key) as documented", async function () {
      const signature = await walletSignature(WALLET_PRIVATE_KEY);
      const expected = hkdfSync(
        "sha256",
        hexToBytes(signature),
        "databank/x25519/v1",
        "databank/x25519/v1/private-key",
        32,
      );
      expectSameBytes(deriveKeyPairFromSignature(signature).privateKey, new Uint8Array(expected));
    });

    it("accepts hex and bytes, v as 0/1 or 27/28, and high-s, all giving the same key", async function () {
      const signature = await walletSignature(WALLET_PRIVATE_KEY);
      const expected = deriveKeyPairFromSignature(signature).privateKey;
      const bytes = hexToBytes(signature);
      const zeroBasedV = new Uint8Array(bytes);
      zeroBasedV[64] = bytes[64]! - 27;
      for (const variant of [bytes, zeroBasedV, highSFormOf(signature)]) {
        expectSameBytes(deriveKeyPairFromSignature(variant).privateKey, expected);
      }
    });

    it("lets a second device re-derive the key and open an envelope sealed to it", async function () {
      const firstDevice = deriveKeyPairFromSignature(await walletSignature(WALLET_PRIVATE_KEY));
      const plaintext = new TextEncoder().encode('{"heartRate":61}');
      const envelope = await sealEnvelope({
        plaintext,
        recipients: [{ role: "contributor", publicKey: firstDevice.publicKey }],
        binding: TEST_BINDING,
      });
      const secondDevice = deriveKeyPairFromSignature(await walletSignature(WALLET_PRIVATE_KEY));
      expectSameBytes(await openEnvelope(envelope, secondDevice.privateKey), plaintext);
    });

    it("rejects malformed signatures with INVALID_SIGNATURE", async function () {
      const valid = hexToBytes(await walletSignature(WALLET_PRIVATE_KEY));
      const withByte = (index: number, value: number): Uint8Array => {
        const copy = new Uint8Array(valid);
        copy[index] = value;
        return copy;
      };
      const orderBytes = Buffer.from(SECP256K1_ORDER.toString(16), "hex");
      const sEqualToOrder = new Uint8Array(valid);
      sEqualToOrder.set(orderBytes, 32);
      const malformed: Array<Hex | Uint8Array> = [
        valid.subarray(0, 64),
        new Uint8Array([...valid, 0]),
        "0x1234",
        `0x${"zz".repeat(65)}` as Hex,
        withByte(64, 29),
        new Uint8Array(65).fill(0, 0, 32).fill(1, 32, 64).fill(27, 64),
        sEqualToOrder,
      ];
      for (const signature of malformed) {
        await expectKeyError(() => deriveKeyPairFromSignature(signature), "INVALID_SIGNATURE");
      }
    });
  });

  describe("key pairs and hex helpers", function () {
    it("computes the RFC 7748 X25519 test vector public key", function () {
      const alicePrivate = fromHex32(
        "77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a",
      );
      expect(toHex32(publicKeyFromPrivate(alicePrivate))).to.equal(
        "0x8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a",
      );
    });

    it("generates distinct random key pairs whose public key matches the private key", function () {
      const first = generateKeyPair();
      const second = generateKeyPair();
      expect(first.privateKey.length).to.equal(32);
      expectSameBytes(first.publicKey, publicKeyFromPrivate(first.privateKey));
      expect(Buffer.compare(first.privateKey, second.privateKey)).to.not.equal(0);
    });

    it("round-trips 32-byte keys through hex, with or without 0x and in any case", function () {
      const { publicKey } = generateKeyPair();
      const hex = toHex32(publicKey);
      expect(hex).to.match(/^0x[0-9a-f]{64}$/);
      expectSameBytes(fromHex32(hex), publicKey);
      expectSameBytes(fromHex32(hex.slice(2).toUpperCase()), publicKey);
    });

    it("rejects wrong key lengths and non-hex with INVALID_KEY", async function () {
      await expectKeyError(() => toHex32(new Uint8Array(31)), "INVALID_KEY");
      await expectKeyError(() => publicKeyFromPrivate(new Uint8Array(33)), "INVALID_KEY");
      await expectKeyError(() => fromHex32(`0x${"ab".repeat(31)}`), "INVALID_KEY");
      await expectKeyError(() => fromHex32(`0x${"g".repeat(64)}`), "INVALID_KEY");
    });
  });
});
