/**
 * The app shell: wallet bar, network guard, role tabs and the page of the current route. Pages are
 * split into their own chunks so the first screen loads only what it shows.
 */
import { lazy, Suspense } from "react";
import { BlockRefresher } from "./components/BlockRefresher";
import { ConnectBar } from "./components/ConnectBar";
import { NetworkGuard } from "./components/NetworkGuard";
import { useRoute } from "./hooks/useRoute";
import { hrefOf, TABS } from "./logic/route";

const CuratorPage = lazy(() => import("./pages/CuratorPage"));
const BuyerPage = lazy(() => import("./pages/BuyerPage"));
const ContributorPage = lazy(() => import("./pages/ContributorPage"));
const AuditorPage = lazy(() => import("./pages/AuditorPage"));
const TransactionPage = lazy(() => import("./pages/TransactionPage"));

export function App() {
  const route = useRoute();
  return (
    <>
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
      <main id="content">
        <Suspense fallback={<p>Loading…</p>}>
          {route.page === "curator" && <CuratorPage />}
          {route.page === "buyer" && <BuyerPage params={route.params} />}
          {route.page === "contributor" && <ContributorPage params={route.params} />}
          {route.page === "auditor" && <AuditorPage params={route.params} />}
          {route.page === "tx" && <TransactionPage hash={route.hash as `0x${string}`} />}
        </Suspense>
      </main>
    </>
  );
}
