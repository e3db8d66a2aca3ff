/** The runtime config and dev wallet, available to every component. */
import { createContext, useContext, type ReactNode } from "react";
import type { RuntimeConfig } from "./logic/runtimeConfig";
import type { DevWallet } from "./wagmi";

interface RuntimeContextValue {
  runtime: RuntimeConfig;
  devWallet?: DevWallet;
}

const RuntimeContext = createContext<RuntimeContextValue | undefined>(undefined);

export function RuntimeProvider(props: RuntimeContextValue & { children: ReactNode }) {
  const { children, ...value } = props;
  return <RuntimeContext.Provider value={value}>{children}</RuntimeContext.Provider>;
}

/** The deployment this app talks to. */
export function useRuntime(): RuntimeContextValue {
  const value = useContext(RuntimeContext);
  if (!value) throw new Error("useRuntime outside RuntimeProvider");
  return value;
}
