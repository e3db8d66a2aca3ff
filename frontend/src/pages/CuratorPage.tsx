/** Curator: open pools, withdraw earnings, and run the pools you curate (searchable, sortable). */
import { CreatePoolForm } from "../components/curator/CreatePoolForm";
import { CuratorEarnings } from "../components/curator/CuratorEarnings";
import { CuratorPoolCard } from "../components/curator/CuratorPoolCard";
import { ConnectPrompt } from "../components/ConnectPrompt";
import { PoolListControls } from "../components/PoolListControls";
import { usePools } from "../hooks/useChainData";
import { useDatabank } from "../hooks/useDatabank";
import { usePoolList } from "../hooks/usePoolList";
import { describeError } from "../logic/errors";

export default function CuratorPage() {
  const { account } = useDatabank();
  const pools = usePools();
  const mine = (pools.data ?? []).filter(
    (pool) => pool.curator.toLowerCase() === account?.toLowerCase(),
  );
  const list = usePoolList(mine);
  if (!account) {
    return (
      <>
        <h1>Curator</h1>
        <ConnectPrompt what="open and manage pools" />
      </>
    );
  }
  const tokens = [...new Set(mine.map((pool) => pool.paymentToken))];
  return (
    <>
      <h1>Curator</h1>
      <CreatePoolForm />
      {mine.length > 0 && <CuratorEarnings account={account} tokens={tokens} />}
      <section aria-labelledby="my-pools-heading">
        <h2 id="my-pools-heading">Your pools</h2>
        {pools.error && <p className="error">{describeError(pools.error)}</p>}
        {pools.data && mine.length === 0 && <p className="muted">You curate no pool yet.</p>}
        {mine.length > 1 && <PoolListControls id="curator-pools" list={list} />}
        {list.shown.map(({ pool }) => (
          <CuratorPoolCard key={pool.id} pool={pool} />
        ))}
      </section>
    </>
  );
}
