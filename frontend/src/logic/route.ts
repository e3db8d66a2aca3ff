/** Hash routes of the dApp: #/contributor, #/buyer?pool=3, #/curator, #/auditor, #/tx/0x… */

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
