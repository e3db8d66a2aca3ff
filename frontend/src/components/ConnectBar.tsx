/**
 * The wallet bar: connect with an injected wallet (only when the browser has one), WalletConnect
 * or (local chain) a dev account; pick among the dev accounts, each with its demo role, the choice
 * remembered across reloads; the account's balances; on the local chain a stablecoin faucet;
 * disconnect. The focus follows: to the account after connecting, to Connect after disconnecting.
 */
import { useEffect, useRef } from "react";
import { useConnect, useConnection, useConnectors, useDisconnect } from "wagmi";
import type { Address } from "viem";
import { devAccountRole, rememberDevWallet } from "../logic/devWallet";
import { describeError } from "../logic/errors";
import { shortAddress } from "../logic/format";
import { useRuntime } from "../runtime";
import { browserStorage } from "../wagmi";
import { WalletBalances } from "./WalletBalances";

const CONNECTOR_LABELS: Record<string, string> = {
  walletConnect: "WalletConnect",
  mock: "Local dev account",
};

/** "Browser wallet" for the generic injected connector, else the wallet's own name. */
function connectorLabel(candidate: { type: string; id: string; name: string }): string {
  if (candidate.type === "injected") {
    return candidate.id === "injected" ? "Browser wallet (MetaMask)" : candidate.name;
  }
  return CONNECTOR_LABELS[candidate.type] ?? candidate.name;
}

export function ConnectBar() {
  const { address, connector, isConnected } = useConnection();
  const connectors = useConnectors();
  const connect = useConnect();
  const disconnect = useDisconnect();
  // Set by a click here, so the focus only moves after the user's own connect or disconnect
  // (not on the silent reconnect of a reload).
  const moveFocus = useRef(false);
  const bar = useRef<HTMLDivElement>(null);

  useEffect(() => {
    if (isConnected && connector?.type === "mock" && address) {
      rememberDevWallet(browserStorage(), { account: address, connected: true });
    }
  }, [isConnected, connector, address]);

  useEffect(() => {
    if (!moveFocus.current) return;
    moveFocus.current = false;
    // The button that was clicked is gone: the first control of the new state takes the focus.
    bar.current?.querySelector<HTMLElement>("select, button")?.focus();
  }, [isConnected]);

  if (isConnected && address) {
    return (
      <div className="connect-bar" ref={bar}>
        {connector?.type === "mock" ? (
          <DevAccountPicker current={address} />
        ) : (
          <span className="mono" title={address}>
            {shortAddress(address)}
          </span>
        )}
        <WalletBalances account={address} />
        <button
          type="button"
          className="secondary"
          onClick={() => {
            moveFocus.current = true;
            if (connector?.type === "mock")
              rememberDevWallet(browserStorage(), { connected: false });
            disconnect.mutate({});
          }}
        >
          Disconnect
        </button>
      </div>
    );
  }
  return (
    <div className="connect-bar" ref={bar}>
      {connectors.length === 0 && (
        <span>No wallet found: install a browser wallet such as MetaMask to take part.</span>
      )}
      {connectors.map((candidate) => (
        <button
          key={candidate.uid}
          type="button"
          onClick={() => {
            moveFocus.current = true;
            connect.mutate({ connector: candidate });
          }}
          disabled={connect.isPending}
        >
          Connect: {connectorLabel(candidate)}
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

/** Switches the dev wallet's current account (local chain only); each option says its role. */
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
    rememberDevWallet(browserStorage(), { account: picked });
  };
  return (
    <label className="dev-account">
      {/* The options say "#2 0x3C44…93BC · curator": the label is for screen readers. */}
      <span className="visually-hidden">Dev account</span>
      <select value={current} onChange={(event) => choose(event.target.value as Address)}>
        {devWallet.all.map((account, index) => (
          <option key={account} value={account}>
            #{index} {shortAddress(account)} · {devAccountRole(index)}
          </option>
        ))}
      </select>
    </label>
  );
}
