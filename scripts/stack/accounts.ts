/**
 * The funded accounts of a local Hardhat chain (its default mnemonic), each given one role in
 * `npm start` and `npm run demo`. Public test keys: never use them on a real network.
 */
import { mnemonicToAccount, type HDAccount } from "viem/accounts";
import { bytesToHex } from "viem";

/** Hardhat's default mnemonic: every local node funds its first 20 accounts with 10,000 ETH. */
export const HARDHAT_MNEMONIC = "test test test test test test test test test test test junk";

/** Role → account index on the local chain. */
export const LOCAL_ROLES = {
  deployer: 0,
  custodian: 1,
  curator: 2,
  buyer: 3,
  secondBuyer: 4,
  treasury: 0,
} as const;

export type LocalRole = keyof typeof LOCAL_ROLES;

/** The local account at `index` of the Hardhat mnemonic. */
export function localAccount(index: number): HDAccount {
  return mnemonicToAccount(HARDHAT_MNEMONIC, { addressIndex: index });
}

/** The private key of the local account at `index` (to print, and for the node's config). */
export function localPrivateKey(index: number): `0x${string}` {
  const key = localAccount(index).getHdKey().privateKey;
  if (key === null) throw new Error(`no private key for local account ${index}`);
  return bytesToHex(key);
}

/** The demo's accounts by role (see scripts/demo/scenario.ts). */
export function localDemoAccounts() {
  return {
    accounts: {
      funder: localAccount(LOCAL_ROLES.deployer),
      curator: localAccount(LOCAL_ROLES.curator),
      buyer: localAccount(LOCAL_ROLES.buyer),
      secondBuyer: localAccount(LOCAL_ROLES.secondBuyer),
    },
    treasury: localAccount(LOCAL_ROLES.treasury),
  };
}
