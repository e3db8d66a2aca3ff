import { expect } from "chai";
import {
  encodeAbiParameters,
  encodeEventTopics,
  keccak256,
  parseEventLogs,
  toHex,
  type Address,
  type Hex,
  type Log,
} from "viem";
import { databankAbi } from "../../../lib/contracts/abis.js";
import {
  DECRYPTION_CAVEAT,
  ETH_UNITS,
  LogFetchError,
  ManifestFormatError,
  UsageError,
  auditCaveats,
  buildLedger,
  checkBalance,
  checkCredits,
  checkPrivacyBudget,
  checkProducts,
  checkRecordCounts,
  custodianIsCurator,
  expectedHoldings,
  fetchDatabankLogs,
  findingText,
  formatTokenAmount,
  isTooManyResultsError,
  nativeUnits,
  parseAuditArgs,
  parseManifest,
  readTokenUnits,
  reportToCsv,
  textTable,
  txUrlBuilder,
  type AuditReport,
  type DatabankEventLog,
  type Finding,
  type LogSource,
} from "../../../lib/audit/index.js";

const DATABANK: Address = "0x5FbDB2315678afecb367f032d93F642f64180aa3";
const BUYER: Address = "0x70997970C51812dc3A010C7d01b50e0d17dc79C8";

/** A raw `PurchaseRefunded` log in block `blockNumber` (any event would do: it only has to decode). */
function refundLog(blockNumber: bigint, purchaseId: bigint): Log {
  return {
    address: DATABANK,
    topics: encodeEventTopics({
      abi: databankAbi,
      eventName: "PurchaseRefunded",
      args: { purchaseId, poolId: 1, buyer: BUYER },
    }) as [Hex, ...Hex[]],
    data: encodeAbiParameters([{ type: "uint96" }], [5n]),
    blockNumber,
    blockHash: `0x${"1".repeat(64)}`,
    logIndex: 0,
    transactionHash: `0x${blockNumber.toString(16).padStart(64, "0")}`,
    transactionIndex: 0,
    removed: false,
  };
}

/** A node holding one event per block that refuses ranges above `maxRange` blocks. */
function fakeNode(maxRange: bigint, failures: unknown[] = []) {
  const requests: [bigint, bigint][] = [];
  const client: LogSource = {
    async getLogs({ fromBlock, toBlock }) {
      requests.push([fromBlock, toBlock]);
      const failure = failures.shift();
      if (failure) throw failure;
      if (toBlock - fromBlock + 1n > maxRange) {
        throw new Error("query returned more than 10000 results");
      }
      const logs: Log[] = [];
      for (let block = fromBlock; block <= toBlock; block++) logs.push(refundLog(block, block));
      return logs;
    },
  };
  return { client, requests };
}

describe("audit: log reader", function () {
  it("reads every block once, in order, halving the range on 'too many results'", async function () {
    const { client, requests } = fakeNode(25n);
    const events = await fetchDatabankLogs({
      client,
      address: DATABANK,
      fromBlock: 1n,
      toBlock: 100n,
      blockRange: 100n,
    });
    expect(events.map((event) => event.blockNumber)).to.deep.equal(
      Array.from({ length: 100 }, (_, i) => BigInt(i + 1)),
    );
    expect(events[0]!.eventName).to.equal("PurchaseRefunded");
    // 100 -> 50 -> 25 blocks refused twice, then 25-block ranges.
    expect(requests.slice(0, 3)).to.deep.equal([
      [1n, 100n],
      [1n, 50n],
      [1n, 25n],
    ]);
    expect(requests.at(-1)).to.deep.equal([76n, 100n]);
  });

  it("scales the range to viem's size limit when it says by how much, and grows back in sparse history", async function () {
    const requests: [bigint, bigint][] = [];
    // Blocks 1-100 hold 10 logs each, 101-1000 none; a response may hold at most 100 logs.
    const client: LogSource = {
      async getLogs({ fromBlock, toBlock }) {
        requests.push([fromBlock, toBlock]);
        const logs: Log[] = [];
        for (let block = fromBlock; block <= toBlock && block <= 100n; block++) {
          for (let i = 0n; i < 10n; i++) logs.push(refundLog(block, block * 10n + i));
        }
        if (logs.length > 100) {
          throw Object.assign(new Error("HTTP response body exceeded the size limit."), {
            size: logs.length,
            maxSize: 100,
          });
        }
        return logs;
      },
    };
    const events = await fetchDatabankLogs({
      client,
      address: DATABANK,
      fromBlock: 1n,
      toBlock: 1_000n,
      blockRange: 1_000n,
    });
    expect(events).to.have.lengthOf(1_000);
    // 1,000 blocks hold 1,000 logs: 10x too many, so 80% of a tenth of the span, 80 blocks, is too
    // many still (800 logs) and becomes 8 blocks; then ranges double again after block 100.
    expect(requests.slice(0, 4)).to.deep.equal([
      [1n, 1_000n],
      [1n, 80n],
      [1n, 8n],
      [9n, 16n],
    ]);
    expect(requests.length).to.be.lessThan(25);
    expect(requests.at(-1)![1]).to.equal(1_000n);
  });

  it("retries other errors with exponential backoff, then gives up with LogFetchError", async function () {
    const waits: number[] = [];
    const flaky = fakeNode(1_000n, [new Error("ECONNRESET"), new Error("HTTP 502")]);
    const events = await fetchDatabankLogs({
      client: flaky.client,
      address: DATABANK,
      fromBlock: 1n,
      toBlock: 3n,
      backoffMs: 100,
      sleep: async (ms) => void waits.push(ms),
    });
    expect(events).to.have.lengthOf(3);
    expect(waits).to.deep.equal([100, 200]);

    const down = fakeNode(
      1_000n,
      Array.from({ length: 10 }, () => new Error("HTTP 503")),
    );
    let error: unknown;
    try {
      await fetchDatabankLogs({
        client: down.client,
        address: DATABANK,
        fromBlock: 1n,
        toBlock: 3n,
        attempts: 3,
        sleep: async () => {},
      });
    } catch (caught) {
      error = caught;
    }
    expect(error).to.be.instanceOf(LogFetchError);
    expect((error as Error).message).to.equal(
      "could not read the logs of blocks 1-3 after 3 attempts: HTTP 503",
    );
  });

  it("tells range errors from transient ones", function () {
    for (const message of [
      "query returned more than 10000 results",
      "Log response size exceeded. You can make eth_getLogs requests with up to a 2K block range",
      "block range too large",
      "limit exceeded",
      "The request took too long to respond.",
      "HTTP response body exceeded the size limit.",
    ]) {
      expect(
        isTooManyResultsError(new Error("RPC failed", { cause: new Error(message) })),
        message,
      ).to.equal(true);
    }
    expect(isTooManyResultsError({ code: -32005, message: "x" })).to.equal(true);
    expect(isTooManyResultsError(new Error("fetch failed: ECONNREFUSED"))).to.equal(false);
  });

  it("a refund of an unknown purchase is a finding of the balance check", function () {
    const events = parseEventLogs({ abi: databankAbi, logs: [refundLog(7n, 1n)] });
    const ledger = buildLedger(events);
    expect(ledger.findings.map(({ check, message }) => ({ check, message }))).to.deep.equal([
      { check: "balance", message: "purchase #1 refunded but not pending (unknown)" },
    ]);
    expect(buildLedger([]).findings).to.deep.equal([]);
  });
});

describe("audit: CLI options", function () {
  it("takes defaults from the environment, flags win", function () {
    const env = {
      DATABANK_RPC_URL: "http://10.0.0.1:8545",
      DATABANK_ADDRESS: DATABANK.toLowerCase(),
    };
    const options = parseAuditArgs(["--pool", "3", "--json"], env);
    expect(options).to.deep.include({
      poolId: 3,
      rpcUrl: "http://10.0.0.1:8545",
      databank: DATABANK,
      fromBlock: 0n,
      blockRange: 10_000n,
      nodeUrl: "http://127.0.0.1:8787",
      format: "json",
      erasureGraceSeconds: 604_800,
    });
    expect(
      parseAuditArgs(["--rpc-url=http://h:1", "--csv", "--no-manifests"], env),
    ).to.deep.include({
      rpcUrl: "http://h:1",
      format: "csv",
      nodeUrl: undefined,
      databank: DATABANK,
    });
    expect(parseAuditArgs([], {}).databank).to.equal(undefined);
  });

  for (const [argv, message] of [
    [["--pool", "1", "--address", BUYER], "give either --pool or --address, not both"],
    [["--pool", "one"], '--pool must be a non-negative integer, got "one"'],
    [["--address", "0x12"], '--address must be a 0x-prefixed 20-byte address, got "0x12"'],
    [["--json", "--csv"], "give either --json or --csv, not both"],
    [["--rpc-url", "ftp://x"], '--rpc-url must be an http(s) URL, got "ftp://x"'],
    [["--from-block", "10", "--to-block", "5"], "--to-block 5 is before --from-block 10"],
    [["--block-range", "0"], "--block-range must be at least 1"],
    [["--pool"], "--pool needs a value"],
    [["--verbose"], 'unknown argument "--verbose" (see --help)'],
  ] as const) {
    it(`rejects ${argv.join(" ")}: "${message}"`, function () {
      expect(() => parseAuditArgs(argv, {})).to.throw(UsageError, message);
    });
  }
});

describe("audit: explorer links and report rendering", function () {
  const hash: Hex = `0x${"ab".repeat(32)}`;

  it("links to viem's explorer of the chain, the dApp on 31337, or an override", function () {
    expect(txUrlBuilder(1)(hash)).to.equal(`https://etherscan.io/tx/${hash}`);
    expect(txUrlBuilder(84532)(hash)).to.equal(`https://sepolia.basescan.org/tx/${hash}`);
    expect(txUrlBuilder(31337)(hash)).to.equal(`http://127.0.0.1:5173/#/tx/${hash}`);
    expect(txUrlBuilder(31337, "http://localhost:4000/#")(hash)).to.equal(
      `http://localhost:4000/#/tx/${hash}`,
    );
    expect(txUrlBuilder(1, "https://x.test/t/{hash}?v=1")(hash)).to.equal(
      `https://x.test/t/${hash}?v=1`,
    );
    expect(txUrlBuilder(987_654_321)(hash)).to.equal(undefined);
  });

  it("aligns text columns and quotes CSV cells", function () {
    expect(
      textTable(
        ["id", "name"],
        [
          ["7", "a"],
          ["12", "bb"],
        ],
      ),
    ).to.equal("id  name\n--  ----\n 7  a\n12  bb");
    const report = {
      checks: [{ id: "balance", title: "t", status: "FAIL", message: 'ETH: "1, 2"', details: [] }],
      balances: [],
      purchases: [],
      contributions: [],
      accounts: [],
      erasures: [],
    } as unknown as AuditReport;
    expect(reportToCsv(report).split("\n")[1]).to.equal(
      'check,balance,,,,FAIL,,,,,,,,,,,"ETH: ""1, 2""",,,,',
    );
  });
});

describe("audit: replay of a synthetic (impossible on-chain) history", function () {
  const CURATOR: Address = "0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC";
  const TREASURY: Address = "0x90F79bf6EB2c4f870365E785982E1f101E93b906";
  const ALICE: Address = "0x15d34AAf54267DB7D7c367839AAf71A00a2C6A65";
  const ZERO: Address = "0x0000000000000000000000000000000000000000";
  let logIndex = 0;
  /** A decoded event as `fetchDatabankLogs` returns it (only the fields the replay reads). */
  function event<N extends DatabankEventLog["eventName"]>(
    eventName: N,
    args: Record<string, unknown>,
  ): DatabankEventLog {
    logIndex += 1;
    return {
      eventName,
      args,
      blockNumber: 1n,
      logIndex,
      transactionHash: `0x${logIndex.toString(16).padStart(64, "0")}`,
    } as unknown as DatabankEventLog;
  }

  it("fails checks 1-3 with the figures when a sale delivers more records than active, mis-splits and over-pays", function () {
    const cid = "bafkreisyntheticdata";
    const ledger = buildLedger([
      event("TreasuryChanged", { oldTreasury: ZERO, newTreasury: TREASURY }),
      event("PoolCreated", {
        poolId: 1,
        curator: CURATOR,
        custodian: CURATOR,
        platformFeeBps: 250,
        params: {
          paymentToken: ZERO,
          contributorShareBps: 7_000,
          bountyPerContribution: 0n,
          products: 1,
          epsilonBudget: 0,
          maxEpsilonPerQuery: 0,
        },
      }),
      event("ContributionSubmitted", {
        contributionId: 1n,
        poolId: 1,
        contributor: ALICE,
        dataCommitment: keccak256(toHex(cid)),
        dataCid: cid,
        expiresAt: 0,
        scope: 1,
      }),
      event("ConsentGranted", {
        contributionId: 1n,
        poolId: 1,
        contributor: ALICE,
        bounty: 0n,
        rewardCheckpoint: 0n,
        statisticsCheckpoint: 0n,
      }),
      event("PurchaseCreated", {
        purchaseId: 1n,
        poolId: 1,
        buyer: BUYER,
        paymentToken: ZERO,
        amount: 1_000_000n,
        deadline: 1,
        buyerKey: keccak256(toHex("key")),
        erasureMark: 0,
      }),
      // One contribution is active, but the sale says two records and splits for two.
      event("PurchaseFulfilled", {
        purchaseId: 1n,
        poolId: 1,
        buyer: BUYER,
        paymentToken: ZERO,
        platformAmount: 25_000n,
        curatorAmount: 292_500n,
        contributorsAmount: 682_500n,
        perContribution: 341_250n,
        carry: 0,
        recordCount: 2,
        recordsRoot: keccak256(toHex("root")),
        deliveryCid: "bafkreisyntheticmanifest",
      }),
      event("Withdrawn", { account: CURATOR, token: ZERO, amount: 292_501n }),
    ]);
    const scope = { poolIds: new Set([1]) };
    const format = (finding: Finding) => findingText(finding.message);
    expect(checkRecordCounts(ledger, scope, format)).to.include({
      status: "FAIL",
      message:
        "purchase #1 (pool 1): 2 records delivered, 1 contributions were active when the set was taken",
    });
    expect(checkCredits(ledger, scope, format).details).to.deep.equal([
      "pool 1: contributions earned 341250 + carry 0, contributors' share of sales 682500",
      "purchase #1 (pool 1): 0.00000000000034125 ETH per contribution and 0 ETH carried, expected 0.0000000000006825 ETH to each of 1 and 0 ETH carried",
    ]);
    const balance = checkBalance(
      ledger,
      [expectedHoldings(ledger, ZERO, 707_499n, ETH_UNITS)],
      scope,
      format,
    );
    expect(balance.status).to.equal("FAIL");
    expect(balance.details).to.deep.equal([
      `${CURATOR} withdrew 0.000000000000292501 ETH, the events credit it 0.0000000000002925 ETH`,
    ]);
    // More held than the events account for is not itself a failure; the note says where to look.
    expect(balance.notes).to.deep.equal([
      "ETH: surplus of 0.000000000000341249 ETH not accounted for by any event (the contract holds 0.000000000000707499 ETH, the events account for 0.00000000000036625 ETH): donated or force-sent funds (selfdestruct, a plain token transfer), or a payout below what the events say (see the credits check); nobody can withdraw it",
    ]);
    const short = checkBalance(
      ledger,
      [expectedHoldings(ledger, ZERO, 366_249n, ETH_UNITS)],
      scope,
      format,
    );
    expect(short.details[0]).to.equal(
      "ETH: the contract holds 0.000000000000366249 ETH, the events account for 0.00000000000036625 ETH (escrow 0 ETH + credits 0.000000000000025 ETH + dividends 0.00000000000034125 ETH + carry 0 ETH + bounty budgets 0 ETH = 0.00000000000036625 ETH); a deficit of 0.000000000000000001 ETH: not everyone owed can be paid",
    );
  });

  it("words a finding's money in its token's units with the symbol, read at report time", function () {
    const TUSD: Address = "0x9fE46736679d2D9a65F0992F2272dE9f3c7fa6e0";
    // A withdrawal of 1.5 TUSD (6 decimals) by an account the events never credited.
    const [finding] = buildLedger([
      event("Withdrawn", { account: CURATOR, token: TUSD, amount: 1_500_000n }),
    ]).findings;
    expect(finding!.check).to.equal("balance");
    const units = (token: Address) =>
      token === TUSD ? { symbol: "TUSD", decimals: 6 } : undefined;
    expect(findingText(finding!.message, units)).to.equal(
      `${CURATOR} withdrew 1.5 TUSD, the events credit it 0 TUSD`,
    );
    // Units not read (a token outside the report's scope): base units that say so, never bare.
    expect(findingText(finding!.message)).to.equal(
      `${CURATOR} withdrew 1500000 base units of ${TUSD}, the events credit it 0 base units of ${TUSD}`,
    );
  });

  it("fails the products, privacy-budget and balance checks when a records-only pool sells a query, answers it over budget and rejects another without crediting the buyer", function () {
    const cid = "bafkreisyntheticquerydata";
    const ledger = buildLedger([
      event("TreasuryChanged", { oldTreasury: ZERO, newTreasury: TREASURY }),
      event("PoolCreated", {
        poolId: 1,
        curator: CURATOR,
        custodian: CURATOR,
        platformFeeBps: 0,
        params: {
          paymentToken: ZERO,
          contributorShareBps: 10_000,
          bountyPerContribution: 0n,
          products: 1,
          epsilonBudget: 0,
          maxEpsilonPerQuery: 0,
        },
      }),
      event("ContributionSubmitted", {
        contributionId: 1n,
        poolId: 1,
        contributor: ALICE,
        dataCommitment: keccak256(toHex(cid)),
        dataCid: cid,
        expiresAt: 0,
        scope: 1,
      }),
      event("ConsentGranted", {
        contributionId: 1n,
        poolId: 1,
        contributor: ALICE,
        bounty: 0n,
        rewardCheckpoint: 0n,
        statisticsCheckpoint: 0n,
      }),
      event("QueryPurchased", {
        purchaseId: 1n,
        poolId: 1,
        buyer: BUYER,
        amount: 100n,
        deadline: 1,
        statisticsMark: 0,
        epsilon: 500_000,
        queryCid: "bafkreisyntheticquery",
      }),
      event("QueryPurchased", {
        purchaseId: 2n,
        poolId: 1,
        buyer: BUYER,
        amount: 70n,
        deadline: 1,
        statisticsMark: 0,
        epsilon: 500_000,
        queryCid: "bafkreisyntheticquery",
      }),
      // Nobody allows statistics, yet the query is answered over one record, paying it 100.
      event("QueryAnswered", {
        purchaseId: 1n,
        poolId: 1,
        buyer: BUYER,
        perContribution: 100n,
        carry: 0,
        recordCount: 1,
        recordsRoot: keccak256(toHex("root")),
        answerCid: "bafkreisyntheticanswer",
        statisticsSeen: 0,
        epsilonSpent: 500_000,
      }),
      event("PurchaseRejected", {
        purchaseId: 2n,
        poolId: 1,
        buyer: BUYER,
        amount: 70n,
        reason: "no",
      }),
    ]);
    const scope = { poolIds: new Set([1]) };
    const format = (finding: Finding) => findingText(finding.message);
    const products = checkProducts(ledger, [], scope, format);
    expect(products.status).to.equal("FAIL");
    expect(products.details).to.deep.equal([
      "query #1 (pool 1): pool 1 sells records only, no queries",
      "query #2 (pool 1): pool 1 sells records only, no queries",
      "query #1 (pool 1): paid 0.0000000000000001 ETH to each contribution, but no active contribution allows statistics",
    ]);
    expect(checkRecordCounts(ledger, scope, format).details).to.deep.equal([
      "query #1 (pool 1): 1 records used, 0 contributions allowing statistics were active when the set was taken",
    ]);
    expect(checkPrivacyBudget(ledger, [], scope, format).details).to.deep.equal([
      "query #1 (pool 1) may spend ε 0.5, the pool allows above 0 and at most 0 per query",
      "query #2 (pool 1) may spend ε 0.5, the pool allows above 0 and at most 0 per query",
      "query #1 (pool 1): the answer spent ε 0.5, above the pool's maximum of 0 per query",
      "query #1 (pool 1): the answer spent ε 0.5 with 0 already spent, past the pool's budget of 0",
    ]);
    // The rejected purchase left escrow; without its `Credited` event the buyer is credited anyway
    // (the event says so) and the missing event is a balance finding.
    const balance = checkBalance(
      ledger,
      [expectedHoldings(ledger, ZERO, 170n, ETH_UNITS)],
      scope,
      format,
    );
    expect(balance.details[0]).to.equal(
      `purchase #2 rejected without a Credited event of 0.00000000000000007 ETH to its buyer ${BUYER}`,
    );
    expect(expectedHoldings(ledger, ZERO, 170n, ETH_UNITS)).to.include({
      escrow: 0n,
      credits: 70n,
    });
  });
});

describe("audit: money in token units, and what the audit cannot verify", function () {
  const TOKEN: Address = "0x9fE46736679d2D9a65F0992F2272dE9f3c7fa6e0";

  it("shows exact amounts in token units with the symbol, never rounded", function () {
    expect(formatTokenAmount(1n, ETH_UNITS)).to.equal("0.000000000000000001 ETH");
    expect(formatTokenAmount(1_500_000n, { symbol: "TUSD", decimals: 6 })).to.equal("1.5 TUSD");
    expect(formatTokenAmount(10n ** 18n + 1n, ETH_UNITS)).to.equal("1.000000000000000001 ETH");
    expect(formatTokenAmount(0n, ETH_UNITS)).to.equal("0 ETH");
    expect(nativeUnits(31337)).to.deep.equal(ETH_UNITS);
    expect(nativeUnits(987_654_321)).to.deep.equal(ETH_UNITS);
  });

  it("reads symbol and decimals with ERC-20 calls, and says 'base units' rather than guess a scale", async function () {
    const client = (answers: { symbol?: string; decimals?: number }) => ({
      readContract: (async ({ functionName }: { functionName: "symbol" | "decimals" }) => {
        const value = answers[functionName];
        if (value === undefined) throw new Error("execution reverted");
        return value;
      }) as never,
    });
    const zero: Address = "0x0000000000000000000000000000000000000000";
    expect(await readTokenUnits(client({}), zero, 31337)).to.deep.equal(ETH_UNITS);
    expect(await readTokenUnits(client({ symbol: "TUSD", decimals: 6 }), TOKEN, 1)).to.deep.equal({
      symbol: "TUSD",
      decimals: 6,
    });
    expect(await readTokenUnits(client({ decimals: 6 }), TOKEN, 1)).to.deep.equal({
      symbol: TOKEN,
      decimals: 6,
    });
    const noDecimals = await readTokenUnits(client({ symbol: "X" }), TOKEN, 1);
    expect(formatTokenAmount(5n, noDecimals)).to.equal("5 base units of X");
  });

  it("flags pools whose custodian is the curator (any letter case), after the caveat every audit carries", function () {
    const A: Address = "0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC";
    const B: Address = "0x90F79bf6EB2c4f870365E785982E1f101E93b906";
    expect(custodianIsCurator({ curator: A, custodian: A.toLowerCase() as Address })).to.equal(
      true,
    );
    expect(custodianIsCurator({ curator: A, custodian: B })).to.equal(false);
    const caveats = auditCaveats([
      { id: 3, curator: B, custodian: B },
      { id: 1, curator: A, custodian: B },
      { id: 2, curator: A, custodian: A },
    ]);
    expect(caveats[0]).to.equal(DECRYPTION_CAVEAT);
    expect(caveats.slice(1).map((caveat) => [caveat.kind, caveat.poolId])).to.deep.equal([
      ["custodian-is-curator", 2],
      ["custodian-is-curator", 3],
    ]);
    expect(caveats[1]!.message).to.match(
      /^pool 2: custodian is the curator \(0x3C44.*\): .*cannot be detected from the chain; only the buyer can check decryption$/,
    );
  });
});

describe("audit: delivery manifests of both versions", function () {
  const manifest = (version: number, key: Record<string, unknown>) =>
    new TextEncoder().encode(
      JSON.stringify({
        format: "databank-delivery-manifest",
        version,
        chainId: 31337,
        databank: DATABANK,
        purchaseId: "3",
        poolId: 1,
        buyer: BUYER,
        buyerKey: `0x${"11".repeat(32)}`,
        recordsRoot: `0x${"22".repeat(32)}`,
        recordCount: 1,
        records: [
          {
            tokenId: "9",
            dataCid: "bafkreirecord",
            dataCommitment: keccak256(toHex("bafkreirecord")),
            ...key,
          },
        ],
      }),
    );

  it("reads v1 (wrapped keys) and v2 (sealed keys) alike, never the keys; refuses other versions", () => {
    const v1 = parseManifest(manifest(1, { wrappedKey: { version: 1, role: "buyer" } }));
    const v2 = parseManifest(
      manifest(2, {
        sealedKey: { nonce: `0x${"00".repeat(12)}`, ciphertext: `0x${"00".repeat(48)}` },
      }),
    );
    expect(v1.version).to.equal(1);
    expect(v2.version).to.equal(2);
    expect(v2.records).to.deep.equal(v1.records);
    expect(v2.purchaseId).to.equal(3n);
    expect(() => parseManifest(manifest(3, {}))).to.throw(
      ManifestFormatError,
      /not a v1 or v2 delivery manifest: version/,
    );
  });
});
