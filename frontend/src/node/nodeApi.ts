/**
 * The data bank node's API through lib/api (the project's one typed client), loaded on first use:
 * it brings the CID verifier (UnixFS importer), which the first page does not need.
 */
import type { NodeApiClient } from "../../../lib/api/client.js";

const clients = new Map<string, Promise<NodeApiClient>>();

/**
 * How long the dApp waits for the node to start answering before saying it is unreachable: a
 * node that hangs must not leave "asking the node…" on screen forever. Generous for a busy node
 * (uploads and downloads are only limited until the node starts answering).
 */
export const NODE_ANSWER_TIMEOUT_MS = 8_000;

/** The node's API client for `nodeUrl` (one per URL). */
export function nodeApi(nodeUrl: string): Promise<NodeApiClient> {
  let client = clients.get(nodeUrl);
  if (!client) {
    client = import("../../../lib/api/client.js").then(({ createNodeApiClient }) =>
      createNodeApiClient({ baseUrl: nodeUrl, answerTimeoutMs: NODE_ANSWER_TIMEOUT_MS }),
    );
    clients.set(nodeUrl, client);
  }
  return client;
}

/** The field errors of a contribution the custodian rejected (422 REJECTED), one line each. */
export function rejectionDetails(error: unknown): string[] {
  const fieldErrors = (error as { fieldErrors?: { path: string; message: string }[] } | null)
    ?.fieldErrors;
  if (!Array.isArray(fieldErrors)) return [];
  return fieldErrors.map(({ path, message }) => `${path === "/" ? "record" : path}: ${message}`);
}
