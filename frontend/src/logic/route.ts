/** Hash routes of the dApp: #/contributor, #/buyer?pool=3, #/curator, #/auditor, #/tx/0x… */
import { shortAddress } from "./format.js";

export type Tab = "contributor" | "buyer" | "curator" | "auditor";

export const TABS: readonly { tab: Tab; label: string }[] = [
  { tab: "contributor", label: "My data bank" },
  { tab: "buyer", label: "Buyer" },
  { tab: "curator", label: "Curator" },
  { tab: "auditor", label: "Auditor" },
];

export type Route =
  { page: Tab; params: URLSearchParams } | { page: "tx"; hash: string; params: URLSearchParams };

/** The route of a location hash; unknown hashes show the contributor's page. */
export function parseRoute(hash: string): Route {
  const [path = "", query = ""] = hash.replace(/^#\/?/, "").split("?");
  const params = new URLSearchParams(query);
  const [first = "", second = ""] = path.split("/");
  if (first === "tx" && /^0x[0-9a-fA-F]{64}$/.test(second)) {
    return { page: "tx", hash: second, params };
  }
  const tab = TABS.find((candidate) => candidate.tab === first)?.tab ?? "contributor";
  return { page: tab, params };
}

/** The hash of a tab with optional parameters. */
export function hrefOf(tab: Tab, params: Record<string, string | number> = {}): string {
  const query = new URLSearchParams(
    Object.entries(params).map(([key, value]) => [key, String(value)]),
  ).toString();
  return `#/${tab}${query ? `?${query}` : ""}`;
}

/** The label of a tab ("My data bank"). */
function tabLabel(tab: Tab): string {
  return TABS.find((candidate) => candidate.tab === tab)!.label;
}

/**
 * The document title of a route, most specific first so that a browser tab or a screen reader's
 * window list tells pages apart: "Buyer · pool 3 · Databank", "Transaction 0x12ab…cdef · Databank".
 */
export function titleOf(route: Route): string {
  const parts: string[] = [];
  if (route.page === "tx") {
    parts.push(`Transaction ${shortAddress(route.hash)}`);
  } else {
    parts.push(tabLabel(route.page));
    const pool = route.params.get("pool");
    if (pool && /^\d+$/.test(pool)) parts.push(`pool ${pool}`);
    const address = route.params.get("address");
    if (route.page === "auditor" && address) {
      parts.push(shortAddress(address));
    }
  }
  parts.push("Databank");
  return parts.join(" · ");
}
