import * as dagPb from "@ipld/dag-pb";
import { expect } from "chai";
import { UnixFS } from "ipfs-unixfs";
import { importBytes } from "ipfs-unixfs-importer";
import { CID } from "multiformats/cid";
import { bases } from "multiformats/basics";
import * as raw from "multiformats/codecs/raw";
import { sha256 } from "multiformats/hashes/sha2";
import {
  CHUNK_SIZE_BYTES,
  KUBO_ADD_OPTIONS,
  MAX_LINKS_PER_NODE,
  assertBytesMatchCid,
  computeCid,
  parseCanonicalCid,
  unixfsImporterOptions,
} from "../../../../lib/storage/index.js";
import { deterministicBytes } from "./fixtures/deterministic-bytes.js";
import { expectStorageError } from "./helpers.js";

/** Imports with the convention into memory so the DAG's blocks can be inspected. */
async function importIntoMemory(
  bytes: Uint8Array,
): Promise<{ root: CID; blocks: Map<string, Uint8Array> }> {
  const blocks = new Map<string, Uint8Array>();
  const blockstore = {
    put: async (cid: CID, block: Uint8Array): Promise<CID> => {
      blocks.set(cid.toString(), block);
      return cid;
    },
  };
  const { cid } = await importBytes(bytes, blockstore, unixfsImporterOptions());
  return { root: cid, blocks };
}

function decodeFileNode(block: Uint8Array): { node: dagPb.PBNode; unixfs: UnixFS } {
  const node = dagPb.decode(block);
  if (node.Data === undefined) {
    throw new Error("dag-pb node without UnixFS data");
  }
  return { node, unixfs: UnixFS.unmarshal(node.Data) };
}

async function rawCidOf(bytes: Uint8Array): Promise<string> {
  return CID.createV1(raw.code, await sha256.digest(bytes)).toString();
}

async function* inPieces(bytes: Uint8Array, pieceBytes: number): AsyncGenerator<Uint8Array> {
  for (let offset = 0; offset < bytes.byteLength; offset += pieceBytes) {
    yield bytes.subarray(offset, offset + pieceBytes);
  }
}

describe("storage/cid: the Databank CID convention", function () {
  this.timeout(60_000);

  it("uses Kubo's defaults: 256 KiB chunks, 174 links per node, CIDv1 raw leaves", function () {
    expect(CHUNK_SIZE_BYTES).to.equal(262_144);
    expect(MAX_LINKS_PER_NODE).to.equal(174);
    expect(KUBO_ADD_OPTIONS).to.deep.include({
      cidVersion: 1,
      rawLeaves: true,
      chunker: "size-262144",
      trickle: false,
      hashAlg: "sha2-256",
    });
  });

  it("gives single-chunk content the raw sha2-256 CID that `ipfs add --cid-version=1` prints", async function () {
    // Both vectors are what Kubo prints for `printf 'hello world'` and an empty file.
    expect(await computeCid(new TextEncoder().encode("hello world"))).to.equal(
      "bafkreifzjut3te2nhyekklss27nh3k72ysco7y32koao5eei66wof36n5e",
    );
    expect(await computeCid(new Uint8Array(0))).to.equal(
      "bafkreihdwdcefgh4dqkjv67uzcmw7ojee6xedzdetojuzjevtenxquvyku",
    );
    const exactlyOneChunk = deterministicBytes(CHUNK_SIZE_BYTES, 7);
    expect(await computeCid(exactlyOneChunk)).to.equal(await rawCidOf(exactlyOneChunk));
  });

  it("builds a one-level balanced UnixFS dag-pb file over raw 256 KiB leaves for 5 MB", async function () {
    const bytes = deterministicBytes(5 * 1024 * 1024, 11);
    const { root, blocks } = await importIntoMemory(bytes);

    expect(root.version).to.equal(1);
    expect(root.code).to.equal(dagPb.code);
    expect(root.toString()).to.equal(await computeCid(bytes));
    const { node, unixfs } = decodeFileNode(blocks.get(root.toString()) as Uint8Array);
    expect(unixfs.type).to.equal("file");
    expect(unixfs.fileSize()).to.equal(BigInt(bytes.byteLength));
    expect(node.Links).to.have.length(20);
    for (const [index, link] of node.Links.entries()) {
      const chunk = bytes.subarray(index * CHUNK_SIZE_BYTES, (index + 1) * CHUNK_SIZE_BYTES);
      expect(link.Hash.toString()).to.equal(await rawCidOf(chunk));
      // Kubo writes an empty Name on file links; omitting it would change every parent CID.
      expect(link.Name).to.equal("");
      expect(link.Tsize).to.equal(CHUNK_SIZE_BYTES);
      expect(unixfs.blockSizes[index]).to.equal(BigInt(CHUNK_SIZE_BYTES));
    }
  });

  it("adds a second tree level once content exceeds 174 chunks", async function () {
    const chunkCount = MAX_LINKS_PER_NODE + 1;
    const bytes = deterministicBytes(chunkCount * CHUNK_SIZE_BYTES, 13);
    const { root, blocks } = await importIntoMemory(bytes);

    const { node: rootNode } = decodeFileNode(blocks.get(root.toString()) as Uint8Array);
    expect(rootNode.Links).to.have.length(2);
    const [full, rest] = rootNode.Links.map(
      (link) => decodeFileNode(blocks.get(link.Hash.toString()) as Uint8Array).node,
    );
    expect(full.Links).to.have.length(MAX_LINKS_PER_NODE);
    expect(rest.Links).to.have.length(1);
  });

  it("gives the same CID whether content arrives whole or as a stream of odd-sized pieces", async function () {
    const bytes = deterministicBytes(3 * CHUNK_SIZE_BYTES + 12_345, 17);
    expect(await computeCid(inPieces(bytes, 100_003))).to.equal(await computeCid(bytes));
  });

  it("hashes content of up to one chunk directly (no importer) to the CID the importer gives", async function () {
    // A stream always goes through the importer; whole bytes of up to one chunk do not.
    for (const size of [1, 1_200, CHUNK_SIZE_BYTES - 1, CHUNK_SIZE_BYTES, CHUNK_SIZE_BYTES + 1]) {
      const bytes = deterministicBytes(size, 23);
      expect(await computeCid(bytes), `${size} bytes`).to.equal(
        await computeCid(inPieces(bytes, 4_096)),
      );
    }
  });

  it("parses the CIDs the convention produces", async function () {
    const small = await computeCid(new TextEncoder().encode("databank"));
    const large = await computeCid(deterministicBytes(CHUNK_SIZE_BYTES + 1, 19));
    expect(parseCanonicalCid(small).toString()).to.equal(small);
    expect(parseCanonicalCid(large).toString()).to.equal(large);
  });

  it("refuses every other spelling of a CID, naming the canonical one", async function () {
    for (const content of ["databank", "x".repeat(CHUNK_SIZE_BYTES + 1)]) {
      const canonical = await computeCid(new TextEncoder().encode(content));
      const cid = CID.parse(canonical);
      const spellings: Record<string, string> = {
        "base58btc (z…)": cid.toString(bases.base58btc),
        "base36 (k…)": cid.toString(bases.base36),
        "base32 upper case (B…)": cid.toString(bases.base32upper),
        "upper case": canonical.toUpperCase(),
        "leading space": ` ${canonical}`,
        "trailing space": `${canonical} `,
        "trailing newline": `${canonical}\n`,
        "base64 (m…)": cid.toString(bases.base64),
      };
      if (cid.code === 0x70) spellings["CIDv0 (Qm…)"] = cid.toV0().toString();
      for (const [name, spelling] of Object.entries(spellings)) {
        const error = await expectStorageError(
          Promise.resolve().then(() => parseCanonicalCid(spelling)),
          "INVALID_CID",
        );
        expect(error.message, name).to.include(`write it as ${canonical}`);
      }
    }
  });

  it("rejects garbage, CIDv0 and foreign codecs with INVALID_CID", async function () {
    await expectStorageError(
      Promise.resolve().then(() => parseCanonicalCid("not-a-cid")),
      "INVALID_CID",
    );
    await expectStorageError(
      Promise.resolve().then(() => parseCanonicalCid("")),
      "INVALID_CID",
    );
    const v0 = await expectStorageError(
      Promise.resolve().then(() =>
        parseCanonicalCid("QmPZ9gcCEpqKTo6aq61g2nXGUhM4iCL3ewB6LDXZCtioEB"),
      ),
      "INVALID_CID",
    );
    expect(v0.message).to.include(
      "write it as bafybeiasb5vpmaounyilfuxbd3lryvosl4yefqrfahsb2esg46q6tu6y5q",
    );
    const dagCborCid = "bafyreihdb57fdysx5h35urvxz64ros7zvywshber7id6t6c6fek37jgyfe";
    await expectStorageError(
      Promise.resolve().then(() => parseCanonicalCid(dagCborCid)),
      "INVALID_CID",
    );
  });

  it("assertBytesMatchCid accepts the right bytes and reports other bytes as INTEGRITY", async function () {
    const bytes = deterministicBytes(CHUNK_SIZE_BYTES * 2 + 1, 23);
    const cid = parseCanonicalCid(await computeCid(bytes));
    await assertBytesMatchCid(cid, bytes, "test");

    const altered = bytes.slice();
    altered[CHUNK_SIZE_BYTES + 5] ^= 0xff;
    const error = await expectStorageError(
      assertBytesMatchCid(cid, altered, "a test source"),
      "INTEGRITY",
    );
    expect(error.message).to.include("a test source");
  });

  it("assertBytesMatchCid on one raw block (the digest compared directly): the right bytes pass, others are INTEGRITY, and a raw CID of content over one chunk is refused", async function () {
    const small = deterministicBytes(1_200, 29);
    const cid = parseCanonicalCid(await computeCid(small));
    expect(cid.code).to.equal(raw.code);
    await assertBytesMatchCid(cid, small, "test");
    const altered = small.slice();
    altered[7] ^= 0x01;
    await expectStorageError(assertBytesMatchCid(cid, altered, "test"), "INTEGRITY");
    await expectStorageError(assertBytesMatchCid(cid, small.subarray(1), "test"), "INTEGRITY");
    // The convention spells content over one chunk as dag-pb: its raw sha2-256 CID is not its CID.
    const large = deterministicBytes(CHUNK_SIZE_BYTES + 1, 31);
    const rawOfLarge = CID.createV1(raw.code, await sha256.digest(large));
    await expectStorageError(assertBytesMatchCid(rawOfLarge, large, "test"), "INTEGRITY");
  });
});
