/**
 * What a content store failure means to a client. A CID the store cannot serve (malformed, not
 * held, not what its codec says) is the client's 4xx; only a store that does not answer is a 503.
 * Nothing a client sends about content should become a 500 whose log blames the data directory.
 */
import { isStorageError } from "../lib/storage/index.js";
import { ServiceError } from "./errors.js";

/**
 * Maps an error of `store.has`/`store.get` to a ServiceError; other errors (bugs) pass unchanged.
 *
 * @param what - the content, in words, for the 503 message (e.g. "the envelope bafk…")
 */
export function storageToServiceError(error: unknown, what: string): unknown {
  if (error instanceof ServiceError) return error;
  if (isStorageError(error, "INVALID_CID")) {
    return new ServiceError(400, "INVALID_CID", error.message, {}, { cause: error });
  }
  if (isStorageError(error, "NOT_FOUND")) {
    return new ServiceError(404, "CONTENT_NOT_FOUND", error.message, {}, { cause: error });
  }
  if (isStorageError(error, "TOO_LARGE")) {
    return new ServiceError(413, "CONTENT_TOO_LARGE", error.message, {}, { cause: error });
  }
  if (isStorageError(error) || (error instanceof Error && error.name === "TimeoutError")) {
    return new ServiceError(
      503,
      "STORAGE_UNAVAILABLE",
      `${what} could not be read: ${(error as Error).message}`,
      { retryAfterSeconds: 5 },
      { cause: error },
    );
  }
  return error;
}
