/**
 * Which funded account of the local chain plays which role in `npm start` and `npm run demo`
 * (no dependency: the dApp's dev wallet shows these roles too).
 */

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
