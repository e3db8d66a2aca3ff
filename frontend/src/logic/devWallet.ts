/**
 * The local dev wallet's memory and labels: which account was chosen (kept across reloads in
 * localStorage), whether it was connected, and the role each account plays in the local stack's
 * demo (scripts/stack/roles.ts), so a tester knows which account is the curator.
 */
import type { Address } from "viem";
import { LOCAL_ROLES, type LocalRole } from "../../../scripts/stack/roles.js";

/** The localStorage key of {@link DevWalletMemory}. */
export const DEV_WALLET_STORAGE_KEY = "databank.devWallet";

/** What the dev wallet remembers between visits. */
export interface DevWalletMemory {
  /** The account chosen last. */
  account?: Address;
  /** Whether the dev wallet was connected when the page was left. */
  connected: boolean;
}

/** The part of Web Storage used (window.localStorage, or a Map-backed stand-in in tests). */
export interface KeyValueStorage {
  getItem(key: string): string | null;
  setItem(key: string, value: string): void;
}

const ROLE_WORDS: Record<LocalRole, string> = {
  deployer: "deployer",
  custodian: "custodian (the node)",
  curator: "curator",
  buyer: "buyer",
  secondBuyer: "second buyer",
  treasury: "treasury",
};

/** The demo role of the account at `index` ("curator", "deployer, treasury", or "contributor"). */
export function devAccountRole(index: number): string {
  const roles = (Object.entries(LOCAL_ROLES) as [LocalRole, number][])
    .filter(([, roleIndex]) => roleIndex === index)
    .map(([role]) => ROLE_WORDS[role]);
  return roles.length > 0 ? roles.join(", ") : "contributor";
}

/** The remembered state; a missing, unreadable or tampered entry reads as nothing remembered. */
export function readDevWalletMemory(storage: KeyValueStorage | undefined): DevWalletMemory {
  try {
    const raw = JSON.parse(storage?.getItem(DEV_WALLET_STORAGE_KEY) ?? "null") as unknown;
    if (typeof raw !== "object" || raw === null) return { connected: false };
    const { account, connected } = raw as Record<string, unknown>;
    return {
      account:
        typeof account === "string" && /^0x[0-9a-fA-F]{40}$/.test(account)
          ? (account as Address)
          : undefined,
      connected: connected === true,
    };
  } catch {
    return { connected: false };
  }
}

/** Remembers `change` on top of what is remembered; storage errors (private mode) are ignored. */
export function rememberDevWallet(
  storage: KeyValueStorage | undefined,
  change: Partial<DevWalletMemory>,
): void {
  try {
    const next = { ...readDevWalletMemory(storage), ...change };
    storage?.setItem(DEV_WALLET_STORAGE_KEY, JSON.stringify(next));
  } catch {
    // Nothing to do: the choice just is not remembered.
  }
}

/** The accounts with `preferred` first when it is one of them (the mock connector's current). */
export function withPreferredFirst(accounts: readonly Address[], preferred?: Address): Address[] {
  const match = accounts.find((account) => account.toLowerCase() === preferred?.toLowerCase());
  if (!match) return [...accounts];
  return [match, ...accounts.filter((account) => account !== match)];
}
