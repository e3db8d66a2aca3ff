import { expect } from "chai";
import { mkdtemp, readdir, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { CID } from "multiformats/cid";
import {
  DeliveryError,
  openDelivery,
  streamDelivery,
  toCsv,
  toJsonLines,
  type DeliveredRecord,
} from "../../../lib/delivery/index.js";
import { writeDeliveryFiles } from "../../../scripts/deliveryFiles.js";
import { expectDeliveryError, offChainDeliveryV2, type OffChainDeliveryV2 } from "./helpers.js";

describe("delivery/buyer: concurrent, streamed opening in bounded memory", function () {
  this.timeout(60_000);

  let delivery: OffChainDeliveryV2;
  before(async () => {
    delivery = await offChainDeliveryV2(40);
  });

  const params = (overrides: Partial<Parameters<typeof streamDelivery>[0]> = {}) => ({
    manifest: delivery.bytes,
    expected: delivery.expected,
    fetchContent: delivery.fetchContent,
    buyerPrivateKey: delivery.buyer.privateKey,
    deliveryKey: delivery.sealedDeliveryKey,
    ...overrides,
  });

  it("fetches with at most `concurrency` in flight (and more than one), yielding in token id order", async () => {
    let inFlight = 0;
    let peak = 0;
    const fetchContent = async (cid: string) => {
      inFlight++;
      peak = Math.max(peak, inFlight);
      // Out-of-order completion: later records often finish first.
      await new Promise((resolve) => setTimeout(resolve, Math.random() * 5));
      inFlight--;
      return delivery.fetchContent(cid);
    };
    const yielded: DeliveredRecord[] = [];
    for await (const record of streamDelivery(params({ fetchContent, concurrency: 6 }))) {
      yielded.push(record);
    }
    expect(peak).to.be.within(2, 6);
    const sorted = [...delivery.records].sort((a, b) => (a.tokenId < b.tokenId ? -1 : 1));
    expect(yielded.map((r) => r.tokenId)).to.deep.equal(sorted.map((r) => r.tokenId));
    expect(yielded.map((r) => Buffer.from(r.plaintext).toString())).to.deep.equal(
      sorted.map((r) => Buffer.from(r.plaintext).toString()),
    );
    // openDelivery is the same stream collected (default concurrency 32).
    const collected = await openDelivery(params());
    expect(collected.map((r) => r.tokenId)).to.deep.equal(yielded.map((r) => r.tokenId));
  });

  it("a consumer that stops early stops the fetching", async () => {
    let fetched = 0;
    const fetchContent = async (cid: string) => {
      fetched++;
      return delivery.fetchContent(cid);
    };
    let seen = 0;
    for await (const record of streamDelivery(params({ fetchContent, concurrency: 4 }))) {
      void record;
      if (++seen === 3) break;
    }
    expect(fetched).to.be.at.most(3 + 4);
  });

  it("a record that fails is thrown in order: the records before it are yielded first", async () => {
    const sorted = [...delivery.records].sort((a, b) => (a.tokenId < b.tokenId ? -1 : 1));
    const bad = sorted[10]!;
    const fetchContent = async (cid: string) => {
      const bytes = await delivery.fetchContent(cid);
      if (cid !== bad.dataCid) return bytes;
      const tampered = new Uint8Array(bytes);
      tampered[tampered.length - 1]! ^= 1;
      return tampered;
    };
    const yielded: bigint[] = [];
    let failure: unknown;
    try {
      for await (const record of streamDelivery(params({ fetchContent, concurrency: 8 }))) {
        yielded.push(record.tokenId);
      }
    } catch (error) {
      failure = error;
    }
    expect(failure).to.be.instanceOf(DeliveryError);
    expect((failure as DeliveryError).tokenId).to.equal(bad.tokenId);
    expect(yielded).to.deep.equal(sorted.slice(0, 10).map((r) => r.tokenId));
  });

  /** The manifest's records, in its order (token id ascending). */
  const inManifestOrder = () =>
    delivery.manifest.records.map(({ tokenId, dataCid }) => ({
      tokenId,
      dataCid,
    }));

  /** The envelopes of `records` as a block stream, as lib/api's readDeliveryStream yields them. */
  async function* blockStream(
    records: { dataCid: string }[],
    bytesOf: (dataCid: string) => Uint8Array = (dataCid) => delivery.contents.get(dataCid)!,
  ) {
    for (const { dataCid } of records) yield { cid: CID.parse(dataCid), bytes: bytesOf(dataCid) };
  }

  /** fetchContent counting which CIDs were fetched. */
  const countingFetch = () => {
    const fetched: string[] = [];
    return {
      fetched,
      fetchContent: async (cid: string) => {
        fetched.push(cid);
        return delivery.fetchContent(cid);
      },
    };
  };

  /** Asserts `records` are the whole delivery, decrypted, in manifest order. */
  const expectEveryRecord = (records: DeliveredRecord[]) => {
    const plaintexts = new Map(
      delivery.records.map((r) => [r.tokenId, Buffer.from(r.plaintext).toString()]),
    );
    expect(records.map((r) => r.tokenId)).to.deep.equal(inManifestOrder().map((r) => r.tokenId));
    for (const record of records) {
      expect(Buffer.from(record.plaintext).toString()).to.equal(plaintexts.get(record.tokenId));
    }
  };

  it("envelopes: takes every record from the stream, fetching none", async () => {
    const { fetched, fetchContent } = countingFetch();
    const records = await openDelivery(
      params({ fetchContent, envelopes: () => blockStream(inManifestOrder()), concurrency: 8 }),
    );
    expectEveryRecord(records);
    expect(fetched).to.deep.equal([]);
  });

  it("envelopes: fetches exactly the records the stream leaves out", async () => {
    const all = inManifestOrder();
    const leftOut = all.filter((_, index) => index % 3 === 1 || index === all.length - 1);
    const { fetched, fetchContent } = countingFetch();
    const records = await openDelivery(
      params({
        fetchContent,
        envelopes: () => blockStream(all.filter((record) => !leftOut.includes(record))),
        concurrency: 8,
      }),
    );
    expectEveryRecord(records);
    expect([...fetched].sort()).to.deep.equal(leftOut.map((r) => r.dataCid).sort());
  });

  it("envelopes: a tampered block is INTEGRITY naming its token, the records before it yielded", async () => {
    const all = inManifestOrder();
    const bad = all[12]!;
    const envelopes = () =>
      blockStream(all, (dataCid) => {
        const bytes = delivery.contents.get(dataCid)!;
        if (dataCid !== bad.dataCid) return bytes;
        const tampered = new Uint8Array(bytes);
        tampered[0]! ^= 1;
        return tampered;
      });
    const { fetched, fetchContent } = countingFetch();
    const yielded: bigint[] = [];
    await expectDeliveryError(
      async () => {
        for await (const record of streamDelivery(
          params({ fetchContent, envelopes, concurrency: 4 }),
        )) {
          yielded.push(record.tokenId);
        }
      },
      "INTEGRITY",
      bad.tokenId,
    );
    expect(yielded).to.deep.equal(all.slice(0, 12).map((r) => r.tokenId));
    // The bad block was not silently replaced by a fetched copy.
    expect(fetched).to.not.include(bad.dataCid);
  });

  it("envelopes: a stream that fails midway is given up; the rest are fetched, every record right", async () => {
    const all = inManifestOrder();
    async function* failing() {
      yield* blockStream(all.slice(0, 15));
      throw new Error("connection reset");
    }
    const { fetched, fetchContent } = countingFetch();
    const records = await openDelivery(
      params({ fetchContent, envelopes: failing, concurrency: 6 }),
    );
    expectEveryRecord(records);
    expect([...fetched].sort()).to.deep.equal(
      all
        .slice(15)
        .map((r) => r.dataCid)
        .sort(),
    );
  });

  it("envelopes: blocks out of order still give every record right (the rest fetched)", async () => {
    const all = inManifestOrder();
    const swapped = [all[1]!, all[0]!, ...all.slice(2, 20).reverse(), ...all.slice(20)];
    const { fetched, fetchContent } = countingFetch();
    const records = await openDelivery(
      params({ fetchContent, envelopes: () => blockStream(swapped), concurrency: 5 }),
    );
    expectEveryRecord(records);
    expect(fetched.length).to.be.within(1, all.length);
    expect(fetched).to.include(all[0]!.dataCid);
  });

  it("envelopes: stopping early closes the stream", async () => {
    let pulled = 0;
    let closed = false;
    async function* tracked() {
      try {
        for await (const block of blockStream(inManifestOrder())) {
          pulled++;
          yield block;
        }
      } finally {
        closed = true;
      }
    }
    let seen = 0;
    for await (const record of streamDelivery(params({ envelopes: tracked, concurrency: 4 }))) {
      void record;
      if (++seen === 3) break;
    }
    expect(closed).to.equal(true);
    expect(pulled).to.be.below(delivery.records.length);
  });

  it("envelopes: a block no later record expects (repeated) gives the stream up and closes it", async () => {
    const all = inManifestOrder();
    let closed = false;
    async function* repeating() {
      try {
        yield* blockStream([all[0]!, all[0]!, ...all.slice(1)]);
      } finally {
        closed = true;
      }
    }
    const { fetched, fetchContent } = countingFetch();
    const records = await openDelivery(
      params({ fetchContent, envelopes: repeating, concurrency: 4 }),
    );
    expectEveryRecord(records);
    expect(closed).to.equal(true);
    // Given up at record 1, whose place the repeated block took: every record after is fetched.
    expect(fetched).to.deep.equal(all.slice(1).map((r) => r.dataCid));
  });

  it("envelopes: a failure aborts the stream's signal first, so a stalled stream cannot hold it up", async () => {
    const all = inManifestOrder();
    let signalSeen: AbortSignal | undefined;
    // Five blocks, the fourth tampered, then a stream that stalls until its signal is aborted.
    async function* stalling(signal: AbortSignal) {
      signalSeen = signal;
      yield* blockStream(all.slice(0, 5), (dataCid) => {
        const bytes = new Uint8Array(delivery.contents.get(dataCid)!);
        if (dataCid === all[3]!.dataCid) bytes[0]! ^= 1;
        return bytes;
      });
      await new Promise((_resolve, reject) =>
        signal.addEventListener("abort", () => reject(new Error("aborted"))),
      );
    }
    const { fetched, fetchContent } = countingFetch();
    await expectDeliveryError(
      () => openDelivery(params({ fetchContent, envelopes: stalling, concurrency: 8 })),
      "INTEGRITY",
      all[3]!.tokenId,
    );
    expect(signalSeen?.aborted).to.equal(true);
    // Nothing is fetched in the stream's place while the delivery is being stopped.
    expect(fetched).to.deep.equal([]);
  });

  it("writeDeliveryFiles streams the same JSON Lines and CSV as toJsonLines / toCsv; a failure leaves no file", async () => {
    const dir = await mkdtemp(join(tmpdir(), "databank-stream-"));
    try {
      const jsonlPath = join(dir, "out.jsonl");
      const csvPath = join(dir, "out.csv");
      const written = await writeDeliveryFiles({
        records: streamDelivery(params()),
        jsonlPath,
        csvPath,
      });
      const records = await openDelivery(params());
      expect(written.count).to.equal(40);
      expect(await readFile(jsonlPath, "utf8")).to.equal(toJsonLines(records));
      expect(await readFile(csvPath, "utf8")).to.equal(toCsv(records).text);
      expect((await readdir(dir)).sort()).to.deep.equal(["out.csv", "out.jsonl"]);

      const failing = join(dir, "failing");
      await rm(jsonlPath);
      let failure: unknown;
      try {
        await writeDeliveryFiles({
          records: streamDelivery(
            params({
              fetchContent: async (cid) => {
                if (cid === records[20]!.dataCid) throw new Error("gone");
                return delivery.fetchContent(cid);
              },
            }),
          ),
          jsonlPath: `${failing}.jsonl`,
          csvPath: `${failing}.csv`,
        });
      } catch (error) {
        failure = error;
      }
      expect((failure as DeliveryError).code).to.equal("FETCH_FAILED");
      expect(await readdir(dir)).to.deep.equal(["out.csv"]);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
