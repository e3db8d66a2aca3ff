/**
 * The wallet bar: connect with an injected wallet, WalletConnect or (local chain) a dev account,
 * pick among the dev accounts, disconnect.
 */
import { useConnect, useConnection, useConnectors, useDisconnect } from "wagmi";
import type { Address } from "viem";
import { shortAddress } from "../logic/format";
import { useRuntime } from "../runtime";
import { describeError } from "../logic/errors";

const CONNECTOR_LABELS: Record<string, string> = {
  injected: "Browser wallet (MetaMask)",
  walletConnect: "WalletConnect",
  mock: "Local dev account",
};

export function ConnectBar() {
  const { address, connector, isConnected } = useConnection();
  const connectors = useConnectors();
  const connect = useConnect();
  const disconnect = useDisconnect();

  if (isConnected && address) {
    return (
      <div className="connect-bar">
        {connector?.type === "mock" ? (
          <DevAccountPicker current={address} />
        ) : (
          <span className="mono" title={address}>
            {shortAddress(address)}
          </span>
        )}
        <button type="button" className="secondary" onClick={() => disconnect.mutate({})}>
          Disconnect
        </button>
      </div>
    );
  }
  return (
    <div className="connect-bar">
      {connectors.map((candidate) => (
        <button
          key={candidate.uid}
          type="button"
          onClick={() => connect.mutate({ connector: candidate })}
          disabled={connect.isPending}
        >
          Connect: {CONNECTOR_LABELS[candidate.type] ?? candidate.name}
        </button>
      ))}
      {connect.error && (
        <span role="alert" className="error">
          {describeError(connect.error)}
        </span>
      )}
    </div>
  );
}

/** Switches the dev wallet's current account (local chain only). */
function DevAccountPicker({ current }: { current: Address }) {
  const { devWallet } = useRuntime();
  const { connector } = useConnection();
  if (!devWallet || !connector) return null;
  const choose = (picked: Address) => {
    // The mock connector reads this array on every eth_accounts: put the choice first, then tell
    // wagmi the accounts changed so the current account follows.
    const rest = devWallet.accounts.filter((account) => account !== picked);
    devWallet.accounts.splice(0, devWallet.accounts.length, picked, ...rest);
    connector.emitter.emit("change", { accounts: [...devWallet.accounts] });
  };
  return (
    <label className="dev-account">
      Dev account{" "}
      <select value={current} onChange={(event) => choose(event.target.value as Address)}>
        {devWallet.all.map((account, index) => (
          <option key={account} value={account}>
            #{index} {shortAddress(account)}
          </option>
        ))}
      </select>
    </label>
  );
}
