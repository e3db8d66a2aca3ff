import { expect } from "chai";
import { CarWriter } from "@ipld/car/writer";
import { CID } from "multiformats/cid";
import {
  DeliveryStreamError,
  MAX_BYTES_BETWEEN_BLOCKS,
  lazyEnvelopes,
  readDeliveryStream,
  type DeliveryStream,
} from "../../../../lib/api/deliveryStream.js";
import { computeCid, type ContentBlock } from "../../../../lib/storage/index.js";

type StreamedBlock = ContentBlock;

const SOURCE = "the test node";
const read = (body: ReadableStream<Uint8Array>, idleTimeoutMs?: number) =>
  readDeliveryStream(body, { source: SOURCE, idleTimeoutMs });

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

  it("reads the root (the manifest's CID) and then the envelopes, in the CAR's order", async () => {
    const { body } = carBody([manifest.cid], envelopes);
    const stream = await read(body);
    expect(stream.manifestCid).to.equal(manifest.cid.toString());
    const blocks = await collect(stream.envelopes);
    expect(blocks.map((each) => each.cid.toString())).to.deep.equal(
      envelopes.map((each) => each.cid.toString()),
    );
    blocks.forEach((each, i) => expect(each.bytes).to.deep.equal(envelopes[i]!.bytes));
  });

  it("reads a CAR of the root alone as a delivery without streamed envelopes", async () => {
    const stream = await read(carBody([manifest.cid], []).body);
    expect(stream.manifestCid).to.equal(manifest.cid.toString());
    expect(await collect(stream.envelopes)).to.deep.equal([]);
  });

  it("refuses a CAR with two roots or none, and cancels the body", async () => {
    const two = carBody([manifest.cid, envelopes[0]!.cid], envelopes);
    expect((await streamError(read(two.body))).message).to.include("2 roots, not one");
    expect(two.cancelled).to.equal(true);
    const none = carBody([], envelopes);
    expect((await streamError(read(none.body))).message).to.include("0 roots, not one");
  });

  it("refuses bytes that are not a CAR", async () => {
    async function* html() {
      yield new TextEncoder().encode("<html><body>502 Bad Gateway</body></html>");
    }
    const error = await streamError(read(pulledBody(html()).body));
    expect(error.message).to.include("did not send a CAR");
  });

  it("gives up a block larger than any envelope (the node cannot make the buyer buffer without bound)", async () => {
    const huge = await block(new Uint8Array(MAX_BYTES_BETWEEN_BLOCKS + 1).fill(7));
    const state = carBody([manifest.cid], [envelopes[0]!, huge, envelopes[1]!]);
    const stream = await read(state.body);
    const taken: StreamedBlock[] = [];
    const error = await streamError(
      (async () => {
        for await (const each of stream.envelopes) taken.push(each);
      })(),
    );
    expect(error.message).to.include(`more than ${MAX_BYTES_BETWEEN_BLOCKS} bytes`);
    expect(taken.map((each) => each.cid.toString())).to.deep.equal([envelopes[0]!.cid.toString()]);
    expect(state.cancelled).to.equal(true);
  });

  it("gives up a stream that sends nothing for the idle timeout", async () => {
    const header = carBody([manifest.cid], envelopes.slice(0, 1));
    // The header and one block, then silence.
    const chunks = header.body.getReader();
    const first = await chunks.read();
    const silent = pulledBody(
      (async function* () {
        yield first.value!;
        yield (await chunks.read()).value!;
        yield (await chunks.read()).value!;
        yield (await chunks.read()).value!;
        await new Promise(() => undefined);
      })(),
    );
    const stream = await read(silent.body, 100);
    const error = await streamError(collect(stream.envelopes));
    expect(error.message).to.include("sent nothing for 0.1 s");
    expect(silent.cancelled).to.equal(true);
  });

  it("stopping the envelopes early cancels the body", async () => {
    const state = carBody([manifest.cid], envelopes);
    const stream = await read(state.body);
    let taken = 0;
    for await (const each of stream.envelopes) {
      void each;
      if (++taken === 2) break;
    }
    expect(state.cancelled).to.equal(true);
  });

  describe("lazyEnvelopes", () => {
    const streamOf = async (root: CID): Promise<DeliveryStream> =>
      read(carBody([root], envelopes).body);
    const signal = new AbortController().signal;

    it("opens the stream only when iterated, then yields its envelopes", async () => {
      let opened = 0;
      const reasons: string[] = [];
      const lazy = lazyEnvelopes(
        async () => {
          opened++;
          return streamOf(manifest.cid);
        },
        manifest.cid.toString(),
        (reason) => reasons.push(reason),
      );
      const iterable = lazy(signal);
      expect(opened).to.equal(0);
      const blocks = await collect(iterable);
      expect(opened).to.equal(1);
      expect(blocks.map((each) => each.cid.toString())).to.deep.equal(
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
      expect(await collect(lazy(signal))).to.deep.equal([]);
      expect(reasons).to.deep.equal(["the node answered 404 NOT_FOUND"]);
    });

    it("yields nothing from a stream of another manifest, naming both CIDs, and closes it", async () => {
      const other = await block(new TextEncoder().encode('{"records":["another delivery"]}'));
      const state = carBody([other.cid], envelopes);
      const reasons: string[] = [];
      const lazy = lazyEnvelopes(
        () => read(state.body),
        manifest.cid.toString(),
        (reason) => reasons.push(reason),
      );
      expect(await collect(lazy(signal))).to.deep.equal([]);
      expect(reasons).to.have.length(1);
      expect(reasons[0]).to.include(other.cid.toString()).and.include(manifest.cid.toString());
      expect(state.cancelled).to.equal(true);
    });

    it("passes the caller's signal to the opening, and says nothing when it was aborted", async () => {
      const stopping = new AbortController();
      const reasons: string[] = [];
      let seen: AbortSignal | undefined;
      const lazy = lazyEnvelopes(
        async (given) => {
          seen = given;
          stopping.abort();
          throw new Error("aborted");
        },
        manifest.cid.toString(),
        (reason) => reasons.push(reason),
      );
      expect(await collect(lazy(stopping.signal))).to.deep.equal([]);
      expect(seen).to.equal(stopping.signal);
      expect(reasons).to.deep.equal([]);
    });
  });
});
