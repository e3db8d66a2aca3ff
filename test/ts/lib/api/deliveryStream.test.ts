import { expect } from "chai";
import { CarWriter } from "@ipld/car/writer";
import { CID } from "multiformats/cid";
import {
  DeliveryStreamError,
  lazyEnvelopes,
  readDeliveryStream,
  type DeliveryStream,
  type StreamedBlock,
} from "../../../../lib/api/deliveryStream.js";
import { computeCid } from "../../../../lib/storage/index.js";

const SOURCE = "the test node";

/** A block of `bytes` under its raw CID (computed the Databank way). */
async function block(bytes: Uint8Array): Promise<StreamedBlock> {
  return { cid: CID.parse(await computeCid(bytes)), bytes };
}

const randomBlock = (size: number) => block(crypto.getRandomValues(new Uint8Array(size)));

/** A body whose chunks are pulled from `chunks` as it is read; `cancelled` tells if it was cancelled. */
function pulledBody(chunks: AsyncIterable<Uint8Array>) {
  const iterator = chunks[Symbol.asyncIterator]();
  const state = { cancelled: false, body: undefined as unknown as ReadableStream<Uint8Array> };
  state.body = new ReadableStream<Uint8Array>(
    {
      async pull(controller) {
        const next = await iterator.next();
        if (next.done) controller.close();
        else controller.enqueue(next.value);
      },
      cancel() {
        state.cancelled = true;
      },
    },
    { highWaterMark: 0 },
  );
  return state;
}

/** A CAR of `roots` and `blocks` (in that order), as a response body built with @ipld/car's writer. */
function carBody(roots: CID[], blocks: StreamedBlock[]) {
  const { writer, out } = CarWriter.create(roots);
  void (async () => {
    for (const each of blocks) await writer.put(each);
    await writer.close();
  })();
  return pulledBody(out);
}

async function collect(envelopes: AsyncIterable<StreamedBlock>): Promise<StreamedBlock[]> {
  const collected: StreamedBlock[] = [];
  for await (const each of envelopes) collected.push(each);
  return collected;
}

/** The error `action` rejects with, which must be a one-line DeliveryStreamError naming SOURCE. */
async function streamError(action: Promise<unknown>): Promise<DeliveryStreamError> {
  let failure: unknown;
  try {
    await action;
  } catch (error) {
    failure = error;
  }
  expect(failure, "expected a DeliveryStreamError").to.be.instanceOf(DeliveryStreamError);
  const error = failure as DeliveryStreamError;
  expect(error.message).to.include(SOURCE);
  expect(error.message, "one line").to.not.include("\n");
  return error;
}

describe("lib/api: readDeliveryStream and lazyEnvelopes (CARs built with @ipld/car)", () => {
  let manifest: StreamedBlock;
  let envelopes: StreamedBlock[];
  before(async () => {
    manifest = await block(new TextEncoder().encode(JSON.stringify({ version: 2, records: [] })));
    envelopes = await Promise.all(Array.from({ length: 40 }, (_, i) => randomBlock(2_000 + i)));
  });

  it("reads the manifest and then the envelopes, in the CAR's order", async () => {
    const { body } = carBody([manifest.cid], [manifest, ...envelopes]);
    const stream = await readDeliveryStream(body, SOURCE);
    expect(stream.manifestCid).to.equal(manifest.cid.toString());
    expect(stream.manifest).to.deep.equal(manifest.bytes);
    const read = await collect(stream.envelopes);
    expect(read.map((each) => each.cid.toString())).to.deep.equal(
      envelopes.map((each) => each.cid.toString()),
    );
    read.forEach((each, i) => expect(each.bytes).to.deep.equal(envelopes[i]!.bytes));
  });

  it("reads a CAR of the manifest alone as a delivery without streamed envelopes", async () => {
    const stream = await readDeliveryStream(carBody([manifest.cid], [manifest]).body, SOURCE);
    expect(stream.manifest).to.deep.equal(manifest.bytes);
    expect(await collect(stream.envelopes)).to.deep.equal([]);
  });

  it("refuses a CAR whose first block is not its root, and cancels the body", async () => {
    const state = carBody([manifest.cid], [envelopes[0]!, manifest, ...envelopes.slice(1)]);
    const error = await streamError(readDeliveryStream(state.body, SOURCE));
    expect(error.message).to.include("does not start with its one root");
    expect(state.cancelled).to.equal(true);
  });

  it("refuses a CAR with two roots", async () => {
    const { body } = carBody([manifest.cid, envelopes[0]!.cid], [manifest, ...envelopes]);
    const error = await streamError(readDeliveryStream(body, SOURCE));
    expect(error.message).to.include("does not start with its one root");
  });

  it("refuses a manifest block whose bytes do not hash to the root", async () => {
    const forged = { cid: manifest.cid, bytes: new TextEncoder().encode('{"records":["forged"]}') };
    const { body } = carBody([manifest.cid], [forged, ...envelopes]);
    const error = await streamError(readDeliveryStream(body, SOURCE));
    expect(error.message).to.include(`does not hash to ${manifest.cid.toString()}`);
  });

  it("refuses bytes that are not a CAR", async () => {
    async function* html() {
      yield new TextEncoder().encode("<html><body>502 Bad Gateway</body></html>");
    }
    const error = await streamError(readDeliveryStream(pulledBody(html()).body, SOURCE));
    expect(error.message).to.include("did not send a CAR");
  });

  it("stopping the envelopes early cancels the body", async () => {
    const state = carBody([manifest.cid], [manifest, ...envelopes]);
    const stream = await readDeliveryStream(state.body, SOURCE);
    let taken = 0;
    for await (const each of stream.envelopes) {
      void each;
      if (++taken === 2) break;
    }
    expect(state.cancelled).to.equal(true);
  });

  describe("lazyEnvelopes", () => {
    const streamOf = async (manifestBlock: StreamedBlock): Promise<DeliveryStream> =>
      readDeliveryStream(carBody([manifestBlock.cid], [manifestBlock, ...envelopes]).body, SOURCE);

    it("opens the stream only when iterated, then yields its envelopes", async () => {
      let opened = 0;
      const reasons: string[] = [];
      const lazy = lazyEnvelopes(
        async () => {
          opened++;
          return streamOf(manifest);
        },
        manifest.cid.toString(),
        (reason) => reasons.push(reason),
      );
      expect(opened).to.equal(0);
      const read = await collect(lazy);
      expect(opened).to.equal(1);
      expect(read.map((each) => each.cid.toString())).to.deep.equal(
        envelopes.map((each) => each.cid.toString()),
      );
      expect(reasons).to.deep.equal([]);
    });

    it("yields nothing when the stream cannot be opened, and says why", async () => {
      const reasons: string[] = [];
      const lazy = lazyEnvelopes(
        async () => {
          throw new Error("the node answered 404 NOT_FOUND");
        },
        manifest.cid.toString(),
        (reason) => reasons.push(reason),
      );
      expect(await collect(lazy)).to.deep.equal([]);
      expect(reasons).to.deep.equal(["the node answered 404 NOT_FOUND"]);
    });

    it("yields nothing from a stream of another manifest, naming both CIDs, and closes it", async () => {
      const other = await block(new TextEncoder().encode('{"records":["another delivery"]}'));
      const state = carBody([other.cid], [other, ...envelopes]);
      const reasons: string[] = [];
      const lazy = lazyEnvelopes(
        () => readDeliveryStream(state.body, SOURCE),
        manifest.cid.toString(),
        (reason) => reasons.push(reason),
      );
      expect(await collect(lazy)).to.deep.equal([]);
      expect(reasons).to.have.length(1);
      expect(reasons[0]).to.include(other.cid.toString()).and.include(manifest.cid.toString());
      expect(state.cancelled).to.equal(true);
    });
  });
});
