/**
 * Content fetched from the data bank node, verified against its CID in the browser by lib/api,
 * so a node cannot show a contributor other terms than those its consent commits to.
 */
import { nodeApi } from "../node/nodeApi";

/** The bytes of `cid`, re-hashed to it. */
export async function fetchVerifiedContent(nodeUrl: string, cid: string): Promise<Uint8Array> {
  return (await nodeApi(nodeUrl)).getContent(cid);
}
