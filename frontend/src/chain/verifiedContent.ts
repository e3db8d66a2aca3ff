/**
 * Content fetched from the data bank node and checked against its CID in the browser, so a node
 * cannot show a contributor other terms than those its consent commits to.
 */
import { getContent } from "../node/nodeApi";

/** The bytes of `cid`, verified with lib/storage's computeCid (loaded on first use). */
export async function fetchVerifiedContent(nodeUrl: string, cid: string): Promise<Uint8Array> {
  const bytes = await getContent(nodeUrl, cid);
  const { computeCid } = await import("../../../lib/storage/cid.js");
  const actual = await computeCid(bytes);
  if (actual !== cid) {
    throw new Error(`The data bank node returned content that does not match ${cid}.`);
  }
  return bytes;
}
