/** Curator: open pools, and run the ones you curate. */
import { CreatePoolForm } from "../components/curator/CreatePoolForm";
import { CuratorPoolCard } from "../components/curator/CuratorPoolCard";
import { ConnectPrompt } from "../components/ConnectPrompt";
import { usePools } from "../hooks/useChainData";
import { useDatabank } from "../hooks/useDatabank";
import { describeError } from "../logic/errors";

export default function CuratorPage() {
  const { account } = useDatabank();
  const pools = usePools();
  if (!account) {
    return (
      <>
        <h1>Curator</h1>
        <ConnectPrompt what="open and manage pools" />
      </>
    );
  }
  const mine = (pools.data ?? []).filter(
    (pool) => pool.curator.toLowerCase() === account.toLowerCase(),
  );
  return (
    <>
      <h1>Curator</h1>
      <CreatePoolForm />
      <section aria-labelledby="my-pools-heading">
        <h2 id="my-pools-heading">Your pools</h2>
        {pools.error && <p className="error">{describeError(pools.error)}</p>}
        {pools.data && mine.length === 0 && <p className="muted">You curate no pool yet.</p>}
        {mine.map((pool) => (
          <CuratorPoolCard key={pool.id} pool={pool} />
        ))}
      </section>
    </>
  );
}
