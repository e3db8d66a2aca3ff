/** A link to a transaction: the explorer when configured, else the dApp's own #/tx view. */
import { transactionLink } from "../logic/runtimeConfig";
import { useRuntime } from "../runtime";

export function TransactionLink({ hash }: { hash: string }) {
  const { runtime } = useRuntime();
  const external = runtime.explorerUrl !== undefined;
  return (
    <a
      className="mono"
      href={transactionLink(runtime, hash)}
      {...(external ? { target: "_blank", rel: "noreferrer" } : {})}
    >
      {hash.slice(0, 10)}…{hash.slice(-6)}
    </a>
  );
}
