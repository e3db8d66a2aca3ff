/**
 * The app shell: skip link, wallet bar, network guard, role tabs and the page of the current route.
 * Pages are split into their own chunks so the first screen loads only what it shows. Each route
 * sets the document title, and following a link moves the focus to the new page's content.
 */
import { lazy, Suspense, useEffect, useRef, type MouseEvent } from "react";
import { BlockRefresher } from "./components/BlockRefresher";
import { ConnectBar } from "./components/ConnectBar";
import { NetworkGuard } from "./components/NetworkGuard";
import { useRoute } from "./hooks/useRoute";
import { hrefOf, TABS, titleOf } from "./logic/route";

const CuratorPage = lazy(() => import("./pages/CuratorPage"));
const BuyerPage = lazy(() => import("./pages/BuyerPage"));
const ContributorPage = lazy(() => import("./pages/ContributorPage"));
const AuditorPage = lazy(() => import("./pages/AuditorPage"));
const TransactionPage = lazy(() => import("./pages/TransactionPage"));

/** Focuses the main content without touching location.hash (the routes live there). */
function skipToContent(event: MouseEvent<HTMLAnchorElement>): void {
  event.preventDefault();
  document.getElementById("content")?.focus();
}

/** What Databank is, in two sentences, on the first page. */
function LandingIntro() {
  return (
    <p className="landing-intro">
      Databank is an open marketplace for personal data: you put a record such as your resume into a
      pool, encrypted so that only buyers who pay can read it, and you earn a share of every sale.
      You can revoke your consent at any time, and every payment, delivery and erasure is recorded
      on-chain for anyone to audit.
    </p>
  );
}

export function App() {
  const route = useRoute();
  const title = titleOf(route);
  const firstRender = useRef(true);
  useEffect(() => {
    document.title = title;
    // After a navigation (not on load), start reading at the new page rather than at the tab the
    // user clicked, which is still focused but no longer what changed.
    if (firstRender.current) firstRender.current = false;
    else document.getElementById("content")?.focus({ preventScroll: true });
  }, [title]);
  return (
    <>
      <a className="skip-link" href="#content" onClick={skipToContent}>
        Skip to content
      </a>
      <BlockRefresher />
      <header className="app-header">
        <a className="brand" href="#/contributor">
          Databank
        </a>
        <ConnectBar />
      </header>
      <NetworkGuard />
      <nav className="tabs" aria-label="Roles">
        {TABS.map(({ tab, label }) => (
          <a key={tab} href={hrefOf(tab)} aria-current={route.page === tab ? "page" : undefined}>
            {label}
          </a>
        ))}
      </nav>
      <main id="content" tabIndex={-1}>
        {route.page === "contributor" && !route.params.has("pool") && <LandingIntro />}
        <Suspense fallback={<p>Loading…</p>}>
          {route.page === "curator" && <CuratorPage />}
          {route.page === "buyer" && <BuyerPage params={route.params} />}
          {route.page === "contributor" && <ContributorPage params={route.params} />}
          {route.page === "auditor" && (
            // A new scope (a link to an address) starts a fresh form showing that scope.
            <AuditorPage key={route.params.toString()} params={route.params} />
          )}
          {route.page === "tx" && <TransactionPage hash={route.hash as `0x${string}`} />}
        </Suspense>
      </main>
    </>
  );
}
