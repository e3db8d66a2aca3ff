import { expect } from "chai";
import { spawn } from "node:child_process";
import type { ChildProcessWithoutNullStreams } from "node:child_process";
import { once } from "node:events";
import { dirname, join, resolve } from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { computeCid, createHeliaStore } from "../../../../lib/storage/index.js";
import type { HeliaContentStore } from "../../../../lib/storage/index.js";
import { deterministicBytes } from "./fixtures/deterministic-bytes.js";

const here = dirname(fileURLToPath(import.meta.url));
const repoRoot = resolve(here, "../../../..");
// Outside test/ts so that mocha does not load it as a test file.
const peerScript = join(here, "..", "..", "..", "fixtures", "storage", "helia-peer.ts");
const CONTENT_BYTES = 5 * 1024 * 1024 + 123;
const CONTENT_SEED = 424_242;

interface PeerAnnouncement {
  cid: string;
  multiaddrs: string[];
  peerId: string;
}

/** Starts the fixture with the project's Node and tsx; resolves with its first stdout line. */
async function startPeerProcess(
  child: ChildProcessWithoutNullStreams,
  timeoutMs: number,
): Promise<PeerAnnouncement> {
  let stderr = "";
  child.stderr.on("data", (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  const lines = createInterface({ input: child.stdout });
  const firstLine = once(lines, "line") as Promise<[string]>;
  const exited = once(child, "exit").then(([code]) => {
    throw new Error(`peer process exited (code ${code}) before announcing itself: ${stderr}`);
  });
  const timedOut = new Promise<never>((_, reject) =>
    setTimeout(
      () => reject(new Error(`peer process said nothing within ${timeoutMs} ms: ${stderr}`)),
      timeoutMs,
    ).unref(),
  );
  const [line] = await Promise.race([firstLine, exited, timedOut]);
  return JSON.parse(line) as PeerAnnouncement;
}

/** SIGTERM, then SIGKILL if the child has not exited within a few seconds. */
async function killPeerProcess(child: ChildProcessWithoutNullStreams): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) {
    return;
  }
  const exited = once(child, "exit");
  child.kill("SIGTERM");
  const forceKill = setTimeout(() => child.kill("SIGKILL"), 5_000);
  await exited;
  clearTimeout(forceKill);
}

describe("storage/helia: retrieval across processes over bitswap", function () {
  this.timeout(120_000);

  let child: ChildProcessWithoutNullStreams | undefined;
  let store: HeliaContentStore | undefined;

  afterEach(async function () {
    await store?.stop();
    store = undefined;
    if (child !== undefined) {
      await killPeerProcess(child);
      child = undefined;
    }
  });

  it("fetches and verifies content held by a Helia node in another process", async function () {
    child = spawn(
      process.execPath,
      ["--import", "tsx", peerScript, `${CONTENT_BYTES}`, `${CONTENT_SEED}`],
      {
        cwd: repoRoot,
        stdio: ["pipe", "pipe", "pipe"],
      },
    );
    const peer = await startPeerProcess(child, 60_000);
    const expected = deterministicBytes(CONTENT_BYTES, CONTENT_SEED);

    expect(peer.cid).to.equal(await computeCid(expected));
    expect(peer.multiaddrs.length).to.be.greaterThan(0);
    for (const address of peer.multiaddrs) {
      expect(address).to.match(/^\/ip4\/127\.0\.0\.1\/tcp\/\d+\/p2p\//);
    }

    store = await createHeliaStore({ fetchTimeoutMs: 30_000 });
    expect(await store.has(peer.cid)).to.equal(false);
    await store.dial(peer.multiaddrs[0]);
    const fetched = await store.get(peer.cid);

    expect(fetched.byteLength).to.equal(CONTENT_BYTES);
    expect(Buffer.from(fetched).equals(Buffer.from(expected))).to.equal(true);
    expect(child.exitCode, "the peer kept serving until we stopped it").to.equal(null);
  });
});
