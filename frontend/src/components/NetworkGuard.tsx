/** Warns when the wallet is on another chain than the deployment, with a one-click switch. */
import { useConnection, useSwitchChain } from "wagmi";
import { useRuntime } from "../runtime";
import { describeError } from "../logic/errors";

export function NetworkGuard() {
  const { runtime } = useRuntime();
  const { isConnected, chainId } = useConnection();
  const switchChain = useSwitchChain();
  if (!isConnected || chainId === undefined || chainId === runtime.chainId) return null;
  return (
    <div className="banner warning" role="alert">
      Your wallet is on chain {chainId}; Databank runs on chain {runtime.chainId}.{" "}
      <button
        type="button"
        onClick={() => switchChain.mutate({ chainId: runtime.chainId })}
        disabled={switchChain.isPending}
      >
        Switch network
      </button>
      {switchChain.error && <span className="error"> {describeError(switchChain.error)}</span>}
    </div>
  );
}
