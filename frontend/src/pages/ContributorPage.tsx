/**
 * "My data bank": open pools with what they pay, joining one, my consents and earnings, claiming,
 * revoking and exporting.
 */
import { ConnectPrompt } from "../components/ConnectPrompt";
import { ContributeForm } from "../components/contributor/ContributeForm";
import { ContributionCard } from "../components/contributor/ContributionCard";
import { EarningsPanel } from "../components/contributor/EarningsPanel";
import { ExportButton } from "../components/contributor/ExportButton";
import { Amount } from "../components/Amount";
import { PoolSummary } from "../components/PoolSummary";
import { usePools } from "../hooks/useChainData";
import { bountiesLeft, CONSENT_SCOPE } from "../../../lib/contracts/client.js";
import type { PoolView } from "../hooks/useChainData";
import { useDatabank } from "../hooks/useDatabank";
import { useMyContributions } from "../hooks/useMyContributions";
import { usePoolQuerySales, usePoolSales } from "../hooks/usePoolSales";
import { describeError } from "../logic/errors";
import { hrefOf } from "../logic/route";

export default function ContributorPage({ params }: { params: URLSearchParams }) {
  const { account } = useDatabank();
  const pools = usePools();
  const salesOf = usePoolSales();
  const questionsOf = usePoolQuerySales();
  const mine = useMyContributions();
  const selected = pools.data?.find((pool) => String(pool.id) === params.get("pool"));
  const open = (pools.data ?? []).filter(
    // The cap counts every active contribution: those allowing records and the statistics-only.
    (pool) =>
      pool.maxContributors === 0 ||
      pool.activeCount + pool.statisticsOnlyActive < pool.maxContributors,
  );
  return (
    <>
      <h1>My data bank</h1>
      {selected && (
        <>
          {account ? (
            <ContributeForm key={selected.id} pool={selected} />
          ) : (
            <ConnectPrompt what="contribute" />
          )}
          <p>
            <a href={hrefOf("contributor")}>Back to my data bank</a>
          </p>
        </>
      )}
      {!selected && account && mine.data && (
        <>
          <EarningsPanel state={mine.data} />
          <section aria-labelledby="contributions-heading">
            <h2 id="contributions-heading">My contributions and consents</h2>
            {mine.data.contributions.length === 0 && (
              <p className="muted">You have not contributed yet: pick a pool below.</p>
            )}
            {mine.data.contributions.map((contribution) => (
              <ContributionCard key={contribution.id.toString()} contribution={contribution} />
            ))}
          </section>
          <ExportButton />
        </>
      )}
      {mine.error && <p className="error">{describeError(mine.error)}</p>}
      {!selected && !account && <ConnectPrompt what="see your contributions and earnings" />}
      {!selected && (
        <section aria-labelledby="open-pools-heading">
          <h2 id="open-pools-heading">Pools open to contributions</h2>
          {pools.error && <p className="error">{describeError(pools.error)}</p>}
          {pools.data && open.length === 0 && <p className="muted">No pool is open right now.</p>}
          {open.map((pool) => {
            const sales = salesOf(pool.id);
            const questions = questionsOf(pool.id);
            return (
              <PoolSummary key={pool.id} pool={pool}>
                <p>
                  Earned so far by each contribution present in every sale:{" "}
                  {sales ? (
                    <Amount value={sales.perContributionTotal} token={pool.paymentToken} />
                  ) : (
                    "…"
                  )}
                  {sales ? ` (${sales.sales} sale${sales.sales === 1 ? "" : "s"})` : ""}
                  {pool.bountyPerContribution > 0n && <BountyOffer pool={pool} />}
                </p>
                {(pool.products & CONSENT_SCOPE.statistics) !== 0 && (
                  <p>
                    Earned from questions by each contribution allowing statistics:{" "}
                    {questions ? (
                      <>
                        <Amount value={questions.perContributionTotal} token={pool.paymentToken} />{" "}
                        ({questions.sales} answered)
                      </>
                    ) : (
                      "…"
                    )}
                  </p>
                )}
                <a href={hrefOf("contributor", { pool: pool.id })}>
                  Read the terms and contribute to pool {pool.id}
                </a>
              </PoolSummary>
            );
          })}
        </section>
      )}
    </>
  );
}

/** The bounty a new contribution gets, said before anyone fills the form: it may have run out. */
function BountyOffer({ pool }: { pool: PoolView }) {
  const left = bountiesLeft(pool) ?? 0n;
  if (left === 0n) {
    return <> (its bounty budget is used up: you can still join, without a bounty)</>;
  }
  return (
    <>
      {" "}
      plus a bounty of <Amount value={pool.bountyPerContribution} token={pool.paymentToken} /> when
      you join ({left.toString()} bount{left === 1n ? "y" : "ies"} left)
    </>
  );
}
