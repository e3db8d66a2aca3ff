import { expect } from "chai";
import { mkdtemp, readdir, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  DeliveryError,
  openDelivery,
  streamDelivery,
  toCsv,
  toJsonLines,
  type DeliveredRecord,
} from "../../../lib/delivery/index.js";
import { writeDeliveryFiles } from "../../../scripts/deliveryFiles.js";
import { offChainDeliveryV2, type OffChainDeliveryV2 } from "./helpers.js";

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
