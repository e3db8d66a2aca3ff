/**
 * "My data bank": open pools with what they pay, joining one, my consents and earnings, claiming,
 * revoking and exporting.
 */
import { lazy, Suspense } from "react";
import { ConnectPrompt } from "../components/ConnectPrompt";
import { ContributeForm } from "../components/contributor/ContributeForm";
import { OPEN_POOLS_HEADING, OpenPoolsLink } from "../components/contributor/OpenPoolsLink";
import { JoinNotices } from "../components/contributor/JoinNotices";
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
import { usePassbook } from "../hooks/usePassbook";
import { usePoolQuerySales, usePoolSales } from "../hooks/usePoolSales";
import { describeError } from "../logic/errors";
import { joinability } from "../logic/joinability";
import { hrefOf } from "../logic/route";

// The passbook's rendering brings the audit's code: loaded once there is a wallet to show.
const PassbookView = lazy(() => import("../components/passbook/PassbookView"));

export default function ContributorPage({ params }: { params: URLSearchParams }) {
  const { account } = useDatabank();
  const pools = usePools();
  const salesOf = usePoolSales();
  const questionsOf = usePoolQuerySales();
  const mine = useMyContributions();
  const passbook = usePassbook();
  const asked = params.get("pool");
  const selected = pools.data?.find((pool) => String(pool.id) === asked);
  // A link to a pool that does not exist (a typo, another deployment) says so instead of a blank page.
  const unknownPool = asked !== null && pools.data !== undefined && selected === undefined;
  const open = (pools.data ?? []).filter((pool) => joinability(pool).canJoin);
  return (
    <>
      <h1>My data bank</h1>
      {unknownPool && (
        <p className="error" role="alert">
          There is no pool {asked} on this Databank. Pick one of the pools open to contributions
          below.
        </p>
      )}
      {selected && (
        <>
          <JoinNotices
            poolId={selected.id}
            notices={joinability(selected).notices}
            token={selected.paymentToken}
          />
          {!joinability(selected).canJoin ? null : account ? (
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
              <p className="muted">
                You have not contributed yet: <OpenPoolsLink>pick a pool below</OpenPoolsLink>, read
                its terms and share a record.
              </p>
            )}
            {mine.data.contributions.map((contribution) => (
              <ContributionCard
                key={contribution.id.toString()}
                contribution={contribution}
                passbook={passbook.data?.contributions.find(
                  (entry) => entry.contributionId === contribution.id.toString(),
                )}
              />
            ))}
          </section>
          <Suspense fallback={<p>Loading the passbook…</p>}>
            <PassbookView passbook={passbook.data} error={passbook.error} />
          </Suspense>
          <ExportButton />
        </>
      )}
      {mine.error && <p className="error">{describeError(mine.error)}</p>}
      {!selected && !account && <ConnectPrompt what="see your contributions and earnings" />}
      {!selected && (
        <section aria-labelledby={OPEN_POOLS_HEADING}>
          <h2 id={OPEN_POOLS_HEADING}>Pools open to contributions</h2>
          {pools.error && <p className="error">{describeError(pools.error)}</p>}
          {pools.data && open.length === 0 && (
            <p className="muted">
              No pool is open right now. Curators open pools on the{" "}
              <a href={hrefOf("curator")}>Curator</a> tab; come back later, or open one yourself.
            </p>
          )}
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
