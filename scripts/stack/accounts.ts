/**
 * The funded accounts of a local Hardhat chain (its default mnemonic), each given one role in
 * `npm start` and `npm run demo`. Public test keys: never use them on a real network.
 */
import { mnemonicToAccount, type HDAccount } from "viem/accounts";
import { bytesToHex } from "viem";
import { LOCAL_ROLES } from "./roles.js";

export { LOCAL_ROLES, type LocalRole } from "./roles.js";

/** Hardhat's default mnemonic: every local node funds its first 20 accounts with 10,000 ETH. */
export const HARDHAT_MNEMONIC = "test test test test test test test test test test test junk";

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
