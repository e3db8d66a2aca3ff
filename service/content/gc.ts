/**
 * Garbage collection of content (issue 10 §2): an upload that was aborted, or completed but never
 * referenced (see references.ts), must not keep its blocks forever.
 *
 * One round: read the references; then, holding the gate alone (no put or pin in flight), unpin
 * each CID of the upload log older than the grace period that nothing references and drop it from
 * the log; then ask the store to delete every block no pin holds (Helia `gc`, Kubo `repo gc`),
 * which also removes the blocks of aborted uploads (never pinned). Runs every `intervalMs`; a
 * round that fails is logged and retried at the next interval.
 */
import type { ContentStore } from "../../lib/storage/index.js";
import type { Logger } from "../log.js";
import type { GcGate } from "./gcGate.js";
import type { ContentReferences } from "./references.js";
import type { UploadLog } from "./uploadLog.js";

/** Parameters of {@link createContentGc}. */
export interface ContentGcParams {
  /** The store itself (not the tracking wrapper): unpin and collect. */
  store: ContentStore;
  /** The content the node stored, with when. */
  log: UploadLog;
  /** Shared with the tracking store: a round runs with no write in flight. */
  gate: GcGate;
  references: Pick<ContentReferences, "snapshot">;
  /** How long unreferenced content is kept after it was stored, and ended contributions' data after they ended. */
  graceSeconds: number;
  /** Time between rounds; 0 means {@link ContentGc.start} does nothing. */
  intervalMs: number;
  logger: Logger;
  /** Clock (unix ms); tests move it. */
  now?: () => number;
}

/** What one round did. */
export interface GcRoundReport {
  /** False when writes were still in flight after the gate's wait: nothing was removed. */
  ran: boolean;
  /** CIDs unpinned (stored longer than the grace ago, referenced by nothing). */
  unpinned: string[];
  /** Blocks the store deleted (of the unpinned content and of aborted uploads). */
  removedBlocks: number;
}

export interface ContentGc {
  /** One round now (also while the periodic task runs: rounds never overlap). */
  runOnce(): Promise<GcRoundReport>;
  /** Starts the periodic rounds (none when intervalMs is 0). */
  start(): void;
  /** Stops the rounds and waits for one in progress. */
  stop(): Promise<void>;
}

export function createContentGc(params: ContentGcParams): ContentGc {
  const { store, log, gate, references, graceSeconds, intervalMs, logger } = params;
  const now = params.now ?? Date.now;
  let timer: NodeJS.Timeout | undefined;
  let stopped = false;
  let running: Promise<GcRoundReport> | undefined;

  async function round(): Promise<GcRoundReport> {
    // Outside the gate: chain reads may take seconds and must not hold uploads back.
    const isReferenced = await references.snapshot(Math.floor(now() / 1000), graceSeconds);
    const outcome = await gate.collect(async () => {
      const unpinned: string[] = [];
      // Chosen inside the gate: content stored again meanwhile has a fresh time and is skipped.
      for (const cid of log.storedBefore(now() - graceSeconds * 1000)) {
        if (isReferenced(cid)) continue;
        await store.unpin(cid);
        log.forget(cid);
        unpinned.push(cid);
      }
      const { removedBlocks } = await store.collectGarbage();
      return { unpinned, removedBlocks };
    });
    if (!outcome.ran) {
      logger.info("content gc: uploads still in flight, round skipped", {
        writers: gate.writers,
      });
      return { ran: false, unpinned: [], removedBlocks: 0 };
    }
    const report = { ran: true, ...outcome.value };
    if (report.unpinned.length > 0 || report.removedBlocks > 0) {
      logger.info("content gc: collected", {
        unpinned: report.unpinned.length,
        removedBlocks: report.removedBlocks,
      });
    }
    return report;
  }

  function runOnce(): Promise<GcRoundReport> {
    const previous = running ?? Promise.resolve(undefined);
    const next = previous.catch(() => undefined).then(round);
    running = next;
    void next
      .finally(() => {
        if (running === next) running = undefined;
      })
      .catch(() => undefined);
    return next;
  }

  function schedule(): void {
    if (stopped || intervalMs === 0) return;
    timer = setTimeout(() => {
      runOnce()
        .catch((error: unknown) => {
          logger.warn("content gc: round failed, retried at the next interval", {
            problem: error instanceof Error ? error.message.split("\n")[0]! : String(error),
          });
        })
        .finally(schedule);
    }, intervalMs);
  }

  return {
    runOnce,
    start: schedule,
    async stop() {
      stopped = true;
      clearTimeout(timer);
      await running?.catch(() => undefined);
    },
  };
}
