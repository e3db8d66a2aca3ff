/**
 * The data bank node's API through lib/api (the project's one typed client), loaded on first use:
 * it brings the CID verifier (UnixFS importer), which the first page does not need.
 */
import type { NodeApiClient } from "../../../lib/api/client.js";

const clients = new Map<string, Promise<NodeApiClient>>();

/** The node's API client for `nodeUrl` (one per URL). */
export function nodeApi(nodeUrl: string): Promise<NodeApiClient> {
  let client = clients.get(nodeUrl);
  if (!client) {
    client = import("../../../lib/api/client.js").then(({ createNodeApiClient }) =>
      createNodeApiClient({ baseUrl: nodeUrl }),
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
