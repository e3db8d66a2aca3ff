/**
 * What every step of the delivery worker shares: the chain clients, the durable state, the log and
 * the test hook, resolved once by `createDeliveryWorker` (service/custodian/delivery.ts) from its
 * dependencies. The step modules (tracking, chain view, build, fulfil, recovery, key custody) each
 * take this context and nothing global.
 */
import type { Account, Address, Chain, PublicClient, Transport, WalletClient } from "viem";
import type { DatabankClient } from "../../../lib/contracts/client.js";
import type { ContentStore } from "../../../lib/storage/types.js";
import type { DeliveryStore } from "../deliveryStore.js";

/** The Databank client the worker sends with: it must have a wallet whose account is the custodian. */
export type CustodianDatabankClient = DatabankClient<
  WalletClient<Transport, Chain | undefined, Account>
>;

/** Names of the durable steps, passed to the `checkpoint` test hook. */
export type DeliveryCheckpoint =
  "keys-wrapped-batch" | "manifest-uploaded" | "fulfill-sent" | "fulfilled";

/** Serialises the custodian's transactions (the node passes its queue). */
export type Exclusive = <T>(task: () => Promise<T>) => Promise<T>;

/** Structured log; never receives secrets or plaintext. */
export type DeliveryLog = (event: string, fields: Record<string, unknown>) => void;

/** The shared context of the delivery steps. */
export interface DeliveryContext {
  /** The `delivery_*` tables (purchases, cursors, sealed keys of deliveries in progress). */
  store: DeliveryStore;
  /** Databank client with the custodian's wallet (`fulfill` and `retireExpired` are sent with it). */
  databank: CustodianDatabankClient;
  /** The same client's public side, for reads, simulations and receipts. */
  publicClient: PublicClient;
  /** The Databank's address. */
  address: Address;
  /** Where envelopes are read and manifests written. */
  content: ContentStore;
  /** The custodian's EVM address, lowercase: only pools with this custodian are delivered. */
  custodian: string;
  /** Runs a task while no other custodian transaction is in flight. */
  exclusive: Exclusive;
  /** Gas ceiling of `fulfill` and `retireExpired` (DATABANK_DELIVERY_GAS_LIMIT). */
  gasLimit: bigint;
  /** First block to read events from (the Databank's deployment block). */
  fromBlock: bigint;
  /** Blocks per `eth_getLogs` request. */
  logBlockRange: bigint;
  /** Structured log. */
  log: DeliveryLog;
  /** Test hook awaited after each durable step. */
  checkpoint: (name: DeliveryCheckpoint, info: Record<string, unknown>) => Promise<void>;
}

/** A mutex: tasks run one at a time in call order. */
export function createMutex(): Exclusive {
  let tail: Promise<unknown> = Promise.resolve();
  return <T>(task: () => Promise<T>): Promise<T> => {
    const run = tail.then(task, task);
    tail = run.catch(() => undefined);
    return run;
  };
}

/** The refusal of a delivery transaction estimated above the ceiling (nothing is sent). */
export const tooCostly = (what: string) => (needed: string | undefined, limit: string) =>
  `${what} would cost ${needed === undefined ? "more than" : `${needed} gas, over`} the node's limit of ${limit} gas (DATABANK_DELIVERY_GAS_LIMIT); nothing was sent`;
