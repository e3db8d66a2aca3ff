/**
 * The data bank node (`service/main.ts`) in a child process, so that tests can kill it with
 * SIGKILL at a chosen point and start it again on the same data directory.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { createInterface } from "node:readline";
import { exitWithParentImport, stopChild } from "./localChain.js";

/** A running node process. */
export interface NodeProcess {
  url: string;
  process: ChildProcess;
  /** Every line printed so far (stdout and stderr). */
  lines: string[];
  /** Resolves with the first line (already printed or to come) matching `pattern`. */
  waitForLine(pattern: RegExp, timeoutMs?: number): Promise<string>;
  /** SIGKILL: no cleanup of any kind, as a crash or a power cut. */
  kill(): Promise<void>;
  /** SIGTERM, then SIGKILL after 5 s. */
  stop(): Promise<void>;
}

/** Starts `service/main.ts` with `env` added to this process's environment; resolves once it listens. */
export async function startNodeProcess(env: Record<string, string>): Promise<NodeProcess> {
  // It stops with the test process, even one killed by SIGKILL (./exitWithParent.mjs).
  const child = spawn(
    process.execPath,
    [...exitWithParentImport(), "--import", "tsx", "service/main.ts"],
    {
      env: { ...process.env, ...env },
      stdio: ["ignore", "pipe", "pipe"],
    },
  );
  const lines: string[] = [];
  const waiters: { pattern: RegExp; resolve: (line: string) => void }[] = [];
  for (const stream of [child.stdout!, child.stderr!]) {
    createInterface({ input: stream }).on("line", (line) => {
      lines.push(line);
      for (const waiter of [...waiters]) {
        if (waiter.pattern.test(line)) {
          waiters.splice(waiters.indexOf(waiter), 1);
          waiter.resolve(line);
        }
      }
    });
  }
  const waitForLine = (pattern: RegExp, timeoutMs = 60_000) =>
    new Promise<string>((resolve, reject) => {
      const seen = lines.find((line) => pattern.test(line));
      if (seen !== undefined) return resolve(seen);
      const timer = setTimeout(() => {
        reject(
          new Error(
            `node printed no line matching ${pattern} within ${timeoutMs} ms; it printed:\n${lines.join("\n")}`,
          ),
        );
      }, timeoutMs);
      const onExit = () => {
        clearTimeout(timer);
        reject(
          new Error(
            `node exited (${child.exitCode ?? child.signalCode}) before printing ${pattern}:\n${lines.join("\n")}`,
          ),
        );
      };
      child.once("exit", onExit);
      waiters.push({
        pattern,
        resolve: (line) => {
          clearTimeout(timer);
          child.off("exit", onExit);
          resolve(line);
        },
      });
    });
  // service/main.ts logs `info data bank node listening url=http://… …` once it serves.
  const LISTENING = /data bank node listening url=(http:\/\/\S+)/;
  const url = LISTENING.exec(await waitForLine(LISTENING))![1]!;
  return {
    url,
    process: child,
    lines,
    waitForLine,
    kill: () =>
      new Promise((resolve) => {
        if (child.exitCode !== null || child.signalCode !== null) return resolve();
        child.once("exit", () => resolve());
        child.kill("SIGKILL");
      }),
    stop: () => stopChild(child),
  };
}
