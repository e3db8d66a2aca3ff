import { expect } from "chai";
import { LockstepCopy, collectBytes, forwardWithCopy } from "../../../../lib/storage/bytes.js";
import { ContentTooLargeError } from "../../../../lib/storage/index.js";

/** A source that records how far it was read and whether it was cancelled. */
function trackedSource(chunks: Uint8Array[]): {
  source: AsyncGenerator<Uint8Array>;
  state: { pulled: number; finished: boolean };
} {
  const state = { pulled: 0, finished: false };
  async function* generate(): AsyncGenerator<Uint8Array> {
    try {
      for (const chunk of chunks) {
        state.pulled++;
        yield chunk;
      }
    } finally {
      state.finished = true;
    }
  }
  return { source: generate(), state };
}

async function drain(source: AsyncIterable<Uint8Array>): Promise<number[]> {
  const out: number[] = [];
  for await (const chunk of source) {
    out.push(...chunk);
  }
  return out;
}

describe("storage/bytes: bounded collection and lock-step copies", function () {
  it("collectBytes concatenates and stops reading the source once over maxBytes", async function () {
    const chunks = [new Uint8Array([1, 2]), new Uint8Array([3, 4]), new Uint8Array([5, 6])];
    expect(
      await collectBytes(trackedSource(chunks).source, 6, () => {
        throw new Error("not expected");
      }),
    ).to.deep.equal(new Uint8Array([1, 2, 3, 4, 5, 6]));

    const { source, state } = trackedSource(chunks);
    let reported = -1;
    let caught: unknown;
    try {
      await collectBytes(source, 3, (received) => {
        reported = received;
        throw new ContentTooLargeError("too large");
      });
    } catch (err) {
      caught = err;
    }
    expect(caught).to.be.instanceOf(ContentTooLargeError);
    expect(reported).to.equal(4);
    expect(state.pulled).to.equal(2);
    expect(state.finished, "the source was cancelled, not drained").to.equal(true);
  });

  it("forwardWithCopy gives the copy exactly the forwarded bytes", async function () {
    const chunks = [new Uint8Array([1]), new Uint8Array([2, 3]), new Uint8Array([4, 5, 6])];
    const copy = new LockstepCopy();
    const copied = drain(copy);
    const forwarded = await drain(forwardWithCopy(trackedSource(chunks).source, copy));
    expect(forwarded).to.deep.equal([1, 2, 3, 4, 5, 6]);
    expect(await copied).to.deep.equal([1, 2, 3, 4, 5, 6]);
  });

  it("does not block the forwarded stream when the copy's reader quits early", async function () {
    const chunks = [new Uint8Array([1]), new Uint8Array([2]), new Uint8Array([3])];
    const copy = new LockstepCopy();
    const firstOnly = (async () => {
      for await (const chunk of copy) {
        return [...chunk];
      }
      return [];
    })();
    const forwarded = await drain(forwardWithCopy(trackedSource(chunks).source, copy));
    expect(forwarded).to.deep.equal([1, 2, 3]);
    expect(await firstOnly).to.deep.equal([1]);
  });

  it("fails the copy when the forwarded stream stops early", async function () {
    const copy = new LockstepCopy();
    const copied = drain(copy);
    const forwarded = forwardWithCopy(
      trackedSource([new Uint8Array([1]), new Uint8Array([2])]).source,
      copy,
    );
    await forwarded.next();
    await forwarded.return(undefined);
    let caught: unknown;
    try {
      await copied;
    } catch (err) {
      caught = err;
    }
    expect(String(caught)).to.include("stopped before the end");
  });
});
