import { expect } from "chai";
import { network } from "hardhat";
import { concat, keccak256, toHex, type Hex } from "viem";
import {
  EMPTY_RECORDS_ROOT,
  recordLeaf,
  recordProof,
  recordsRoot,
  verifyRecord,
  type DeliveredRecord,
} from "../../../../lib/contracts/recordsMerkle.js";

/** `count` records with scattered token ids and distinct commitments. */
function makeRecords(count: number): DeliveredRecord[] {
  return Array.from({ length: count }, (_, i) => ({
    tokenId: BigInt(i * 7 + 3) * 1_000_003n,
    dataCommitment: keccak256(toHex(`bafy-record-${i}`)),
  }));
}

/** A deterministic shuffle (reversal plus interleaving), so runs are reproducible. */
function shuffle<T>(items: readonly T[]): T[] {
  const reversed = [...items].reverse();
  return [...reversed.filter((_, i) => i % 2 === 1), ...reversed.filter((_, i) => i % 2 === 0)];
}

describe("lib/contracts/recordsMerkle", function () {
  it("computes the documented leaf: keccak256(keccak256(abi.encode(tokenId, dataCommitment)))", function () {
    const record = { tokenId: 1n, dataCommitment: `0x${"ab".repeat(32)}` as Hex };
    const encoded = `0x${"0".repeat(63)}1${"ab".repeat(32)}` as Hex;
    expect(recordLeaf(record)).to.equal(keccak256(keccak256(encoded)));
  });

  it("returns the zero hash for no records, and the leaf for one record", function () {
    expect(recordsRoot([])).to.equal(EMPTY_RECORDS_ROOT);
    expect(BigInt(EMPTY_RECORDS_ROOT)).to.equal(0n);
    const [record] = makeRecords(1);
    expect(recordsRoot([record!])).to.equal(recordLeaf(record!));
    expect(recordProof([record!], record!.tokenId)).to.deep.equal([]);
    expect(verifyRecord(recordsRoot([record!]), record!, [])).to.equal(true);
  });

  it("builds the documented shape: pairs in token id order, an unpaired last node carried up", function () {
    const [a, b, c] = makeRecords(3).map(recordLeaf) as [Hex, Hex, Hex];
    const sortedPair = (x: Hex, y: Hex) =>
      BigInt(x) <= BigInt(y) ? keccak256(concat([x, y])) : keccak256(concat([y, x]));
    // tokenIds of makeRecords are increasing, so the leaves are already in tree order.
    expect(recordsRoot(makeRecords(3).reverse())).to.equal(sortedPair(sortedPair(a, b), c));
    expect(recordProof(makeRecords(3), makeRecords(3)[2]!.tokenId)).to.deep.equal([
      sortedPair(a, b),
    ]);
  });

  it("gives the same root whatever the input order", function () {
    for (const size of [2, 3, 5, 8, 13]) {
      const records = makeRecords(size);
      const root = recordsRoot(records);
      expect(recordsRoot(shuffle(records))).to.equal(root);
      expect(recordsRoot([...records].reverse())).to.equal(root);
    }
  });

  it("changes the root when any record changes", function () {
    const records = makeRecords(6);
    const root = recordsRoot(records);
    const changedCommitment = records.map((r, i) =>
      i === 4 ? { ...r, dataCommitment: keccak256(toHex("other")) } : r,
    );
    const changedToken = records.map((r, i) => (i === 2 ? { ...r, tokenId: r.tokenId + 1n } : r));
    expect(recordsRoot(changedCommitment)).to.not.equal(root);
    expect(recordsRoot(changedToken)).to.not.equal(root);
    expect(recordsRoot(records.slice(0, 5))).to.not.equal(root);
  });

  it("rejects a repeated token id and a proof for an absent token id", function () {
    const records = makeRecords(3);
    expect(() => recordsRoot([...records, records[1]!])).to.throw(/appears twice/);
    expect(() => recordProof(records, 42n)).to.throw(/not among the records/);
  });

  it("proves every record of trees of 1 to 17 records, and only with the right proof", function () {
    for (let size = 1; size <= 17; size++) {
      const records = makeRecords(size);
      const root = recordsRoot(shuffle(records));
      for (const record of records) {
        const proof = recordProof(shuffle(records), record.tokenId);
        expect(proof.length).to.be.at.most(Math.ceil(Math.log2(size)));
        expect(verifyRecord(root, record, proof), `size ${size} token ${record.tokenId}`).to.equal(
          true,
        );
        // A wrong commitment, a wrong token id, or a tampered proof must fail.
        const wrongData = { ...record, dataCommitment: keccak256(toHex("forged")) };
        expect(verifyRecord(root, wrongData, proof)).to.equal(false);
        expect(verifyRecord(root, { ...record, tokenId: record.tokenId + 1n }, proof)).to.equal(
          false,
        );
        if (proof.length > 0) {
          const tampered = [...proof];
          tampered[0] = keccak256(tampered[0]!);
          expect(verifyRecord(root, record, tampered)).to.equal(false);
          expect(verifyRecord(root, record, proof.slice(1))).to.equal(false);
        }
      }
      // A record outside the tree does not verify with any member's proof.
      const outsider = { tokenId: 1n, dataCommitment: keccak256(toHex("outsider")) };
      for (const record of records) {
        expect(verifyRecord(root, outsider, recordProof(records, record.tokenId))).to.equal(false);
      }
    }
  });

  it("never verifies against the empty root", function () {
    const [record] = makeRecords(1);
    expect(verifyRecord(EMPTY_RECORDS_ROOT, record!, [])).to.equal(false);
  });

  it("agrees with OpenZeppelin's MerkleProof.verify on-chain", async function () {
    const { viem } = await network.create();
    const checker = await viem.deployContract("MerkleProofCheck");
    for (const size of [1, 2, 3, 4, 5, 7, 8, 9, 16, 17]) {
      const records = makeRecords(size);
      const root = recordsRoot(records);
      for (const record of records) {
        const proof = recordProof(records, record.tokenId);
        expect(
          await checker.read.verify([proof, root, record.tokenId, record.dataCommitment]),
          `size ${size} token ${record.tokenId}`,
        ).to.equal(true);
      }
      // The contract rejects what the TypeScript verifier rejects.
      const [first] = records;
      const proof = recordProof(records, first!.tokenId);
      const forged = keccak256(toHex("forged"));
      expect(verifyRecord(root, { ...first!, dataCommitment: forged }, proof)).to.equal(false);
      expect(await checker.read.verify([proof, root, first!.tokenId, forged])).to.equal(false);
      const otherRoot = recordsRoot(makeRecords(size + 1));
      expect(verifyRecord(otherRoot, first!, proof)).to.equal(false);
      expect(
        await checker.read.verify([proof, otherRoot, first!.tokenId, first!.dataCommitment]),
      ).to.equal(false);
    }
  });
});
