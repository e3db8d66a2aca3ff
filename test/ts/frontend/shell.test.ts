/**
 * Unit tests of the dApp shell's logic: page titles, the dev wallet's memory and roles, the
 * auditor chart's axes and record uses, and the node client's answer timeout (against a real
 * loopback server that never answers).
 */
import { expect } from "chai";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { describe, it } from "mocha";
import { getAddress, zeroAddress, type Address } from "viem";
import { createNodeApiClient, NodeApiError } from "../../../lib/api/client.js";
import { formatDuration } from "../../../lib/format/duration.js";
import type { Passbook } from "../../../lib/passbook/schema.js";
import { saleTicks, valueTicks } from "../../../frontend/src/logic/chartSeries.js";
import {
  DEV_WALLET_STORAGE_KEY,
  devAccountRole,
  readDevWalletMemory,
  rememberDevWallet,
  withPreferredFirst,
  type KeyValueStorage,
} from "../../../frontend/src/logic/devWallet.js";
import { recordUseRows } from "../../../frontend/src/logic/recordUses.js";
import { parseRoute, titleOf } from "../../../frontend/src/logic/route.js";

const A = getAddress("0x00000000000000000000000000000000000000a1");
const B = getAddress("0x00000000000000000000000000000000000000b2");
const C = getAddress("0x00000000000000000000000000000000000000c3");

/** Web Storage over a Map, as the browser's localStorage behaves. */
function memoryStorage(): KeyValueStorage & { entries: Map<string, string> } {
  const entries = new Map<string, string>();
  return {
    entries,
    getItem: (key) => entries.get(key) ?? null,
    setItem: (key, value) => void entries.set(key, value),
  };
}

describe("dApp shell: page titles", () => {
  it("names the page, then the pool or address, then Databank", () => {
    expect(titleOf(parseRoute("#/contributor"))).to.equal("My data bank · Databank");
    expect(titleOf(parseRoute(""))).to.equal("My data bank · Databank");
    expect(titleOf(parseRoute("#/buyer?pool=3"))).to.equal("Buyer · pool 3 · Databank");
    expect(titleOf(parseRoute(`#/auditor?address=${A}`))).to.equal(
      "Auditor · 0x0000…00A1 · Databank",
    );
    expect(titleOf(parseRoute(`#/tx/0x${"ab".repeat(32)}`))).to.equal(
      "Transaction 0xabab…abab · Databank",
    );
  });

  it("ignores a pool parameter that is not a number", () => {
    expect(titleOf(parseRoute("#/buyer?pool=x"))).to.equal("Buyer · Databank");
  });
});

describe("dApp shell: the dev wallet's memory and roles", () => {
  it("labels each local account with its demo role", () => {
    expect(devAccountRole(0)).to.equal("deployer, treasury");
    expect(devAccountRole(1)).to.equal("custodian (the node)");
    expect(devAccountRole(2)).to.equal("curator");
    expect(devAccountRole(3)).to.equal("buyer");
    expect(devAccountRole(4)).to.equal("second buyer");
    expect(devAccountRole(9)).to.equal("contributor");
  });

  it("remembers the account and the connection, and forgets nothing else on a change", () => {
    const storage = memoryStorage();
    expect(readDevWalletMemory(storage)).to.deep.equal({ connected: false });
    rememberDevWallet(storage, { account: B, connected: true });
    rememberDevWallet(storage, { connected: false });
    expect(readDevWalletMemory(storage)).to.deep.equal({ account: B, connected: false });
  });

  it("reads a tampered or foreign entry as nothing remembered", () => {
    const storage = memoryStorage();
    storage.entries.set(DEV_WALLET_STORAGE_KEY, "{not json");
    expect(readDevWalletMemory(storage)).to.deep.equal({ connected: false });
    storage.entries.set(DEV_WALLET_STORAGE_KEY, JSON.stringify({ account: "me", connected: 1 }));
    expect(readDevWalletMemory(storage)).to.deep.equal({ account: undefined, connected: false });
    expect(readDevWalletMemory(undefined)).to.deep.equal({ connected: false });
  });

  it("puts the remembered account first, whatever its case, and ignores an unknown one", () => {
    expect(withPreferredFirst([A, B, C], C.toLowerCase() as Address)).to.deep.equal([C, A, B]);
    expect(withPreferredFirst([A, B, C], getAddress(`0x${"99".repeat(20)}`))).to.deep.equal([
      A,
      B,
      C,
    ]);
    expect(withPreferredFirst([A, B], undefined)).to.deep.equal([A, B]);
  });
});

describe("dApp shell: the auditor's chart axes", () => {
  it("spaces the value ticks evenly from 0 to the top, in base units", () => {
    expect(valueTicks(1_000n, 4)).to.deep.equal([
      { value: 0n, fraction: 0 },
      { value: 250n, fraction: 0.25 },
      { value: 500n, fraction: 0.5 },
      { value: 750n, fraction: 0.75 },
      { value: 1_000n, fraction: 1 },
    ]);
    expect(valueTicks(0n)).to.deep.equal([{ value: 0n, fraction: 0 }]);
  });

  it("labels every sale up to ten, then evenly spaced ones ending at the last", () => {
    expect(saleTicks(3)).to.deep.equal([0, 1, 2, 3]);
    expect(saleTicks(25)).to.deep.equal([0, 3, 6, 9, 12, 15, 18, 21, 24, 25]);
  });
});

describe("dApp shell: durations in words", () => {
  it("words the audit's grace period", () => {
    expect(formatDuration(7 * 86_400)).to.equal("7 days");
    expect(formatDuration(3_600)).to.equal("1 hour");
    expect(formatDuration(90)).to.equal("1 minute 30 seconds");
    expect(formatDuration(90_061)).to.equal("1 day 1 hour 1 minute 1 second");
    expect(formatDuration(0)).to.equal("0 seconds");
  });
});

describe("dApp shell: purchases that used an address's records", () => {
  const tx = (hash: string) => ({ hash: `0x${hash.repeat(64)}`, blockNumber: "5", at: 0 });
  const use = (purchaseId: string, product: "records" | "query", earned: string) => ({
    purchaseId,
    product,
    buyer: B,
    price: "1000000",
    earned,
    epsilonSpent: 0,
    endedInFlight: false,
    tx: tx(purchaseId),
  });
  const passbook = {
    tokens: [{ token: C, symbol: "TUSD", decimals: 6 }],
    contributions: [
      {
        contributionId: "7",
        poolId: 2,
        token: C,
        deliveries: [use("4", "records", "350000"), use("2", "records", "1000000")],
        queries: [use("3", "query", "5")],
      },
      {
        contributionId: "8",
        poolId: 1,
        token: zeroAddress,
        deliveries: [use("1", "records", "10")],
        queries: [],
      },
    ],
  } as unknown as Passbook;

  it("lists every delivery and answer in scope, oldest purchase first, in token units", () => {
    const rows = recordUseRows(passbook, 2);
    expect(rows.map((row) => [row.purchaseId, row.product, row.earned])).to.deep.equal([
      ["2", "record sale", "1 TUSD"],
      ["3", "query answer", "0.000005 TUSD"],
      ["4", "record sale", "0.35 TUSD"],
    ]);
  });

  it("covers every pool without a pool filter, the native coin in ETH", () => {
    const rows = recordUseRows(passbook, undefined);
    expect(rows.map((row) => row.purchaseId)).to.deep.equal(["1", "2", "3", "4"]);
    expect(rows[0]!.earned).to.equal("0.00000000000000001 ETH");
  });
});

describe("dApp shell: a node that does not answer", () => {
  it("fails within the answer timeout with code TIMEOUT and a sentence saying what to check", async () => {
    // A real loopback server that accepts the request and never answers (a hung node).
    const server: Server = createServer(() => {});
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const { port } = server.address() as AddressInfo;
    const baseUrl = `http://127.0.0.1:${port}`;
    try {
      const client = createNodeApiClient({ baseUrl, answerTimeoutMs: 200 });
      const error = await client.health().then(
        () => undefined,
        (failure: unknown) => failure,
      );
      expect(error).to.be.instanceOf(NodeApiError);
      expect((error as NodeApiError).code).to.equal("TIMEOUT");
      expect((error as NodeApiError).message).to.equal(
        `the data bank node at ${baseUrl} did not answer within 0.2 s: check that it is running and reachable`,
      );
    } finally {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    }
  });
});
