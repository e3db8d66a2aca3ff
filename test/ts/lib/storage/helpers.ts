/** Shared assertions and disposable resources for the storage tests. */
import { expect } from "chai";
import { mkdtemp, rm } from "node:fs/promises";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { StorageError } from "../../../../lib/storage/index.js";
import type { StorageErrorCode } from "../../../../lib/storage/index.js";

/** Awaits `action` and asserts it rejected with a StorageError of `code`; returns the error. */
export async function expectStorageError(
  action: Promise<unknown>,
  code: StorageErrorCode,
): Promise<StorageError> {
  let outcome: { error: unknown } | undefined;
  try {
    await action;
  } catch (error) {
    outcome = { error };
  }
  if (outcome === undefined) {
    expect.fail(`expected a StorageError ${code}, but the call succeeded`);
  }
  expect(outcome.error, String(outcome.error)).to.be.instanceOf(StorageError);
  const storageError = outcome.error as StorageError;
  expect(storageError.code, storageError.message).to.equal(code);
  expect(storageError.message, "messages are one line").not.to.include("\n");
  return storageError;
}

export async function makeTempDir(label: string): Promise<string> {
  return mkdtemp(join(tmpdir(), `databank-${label}-`));
}

export async function removeDir(path: string | undefined): Promise<void> {
  if (path !== undefined) {
    await rm(path, { recursive: true, force: true });
  }
}

/** A loopback TCP port that nothing listens on (bound once by us, then released). */
export async function closedLoopbackPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  await new Promise<void>((resolve, reject) =>
    server.close((err) => (err ? reject(err) : resolve())),
  );
  if (address === null || typeof address === "string") {
    throw new Error("expected a TCP address");
  }
  return address.port;
}
