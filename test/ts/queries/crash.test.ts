import { expect } from "chai";
import { decodeFunctionData } from "viem";
import { databankAbi } from "../../../lib/contracts/abis.js";
import { CONSENT_SCOPE, type Purchase } from "../../../lib/contracts/client.js";
import { useDeliveryTestEnv } from "../delivery/chainFixture.js";
import { allowedQuery, createQueryFixture, type QueryFixture } from "./queryFixture.js";

describe("service/custodian/queries: a query worker killed mid-answer and restarted", function () {
  this.timeout(240_000);

  const env = useDeliveryTestEnv("queries-crash");
  let fixture: QueryFixture;

  before(async () => {
    fixture = await createQueryFixture(env.store);
    for (let i = 0; i < 4; i++) await fixture.contribute(i, CONSENT_SCOPE.both);
  });

  /** `fulfillQuery` transactions the custodian sent for a purchase. */
  async function fulfilQuerySent(purchaseId: bigint): Promise<number> {
    const { publicClient, deployBlock, custodian, address } = fixture.base;
    const latest = await publicClient.getBlockNumber();
    let count = 0;
    for (let n = deployBlock; n <= latest; n++) {
      const block = await publicClient.getBlock({ blockNumber: n, includeTransactions: true });
      for (const tx of block.transactions) {
        if (tx.from.toLowerCase() !== custodian.walletClient.account.address.toLowerCase())
          continue;
        if (tx.to?.toLowerCase() !== address.toLowerCase()) continue;
        const call = decodeFunctionData({ abi: databankAbi, data: tx.input });
        if (call.functionName === "fulfillQuery" && (call.args[0] as Purchase).id === purchaseId) {
          count++;
        }
      }
    }
    return count;
  }

  async function answeredCid(purchaseId: bigint): Promise<string | undefined> {
    const [event] = await fixture.base.reader.contract.getEvents.QueryAnswered(
      { purchaseId },
      { fromBlock: fixture.base.deployBlock },
    );
    return event?.args.answerCid;
  }

  it("after the answer is uploaded: the restart sends that same answer once", async () => {
    const { purchase, keys } = await fixture.buyQuery(allowedQuery);
    const path = env.dbPath();
    let uploaded: string | undefined;
    const first = fixture.workers(env.openDb(path), undefined, {
      checkpoint: async (name, info) => {
        if (name !== "answer-uploaded") return;
        uploaded = info.answerCid as string;
        throw new Error("killed");
      },
    });
    await first.queries.answerPending();
    expect(uploaded).to.be.a("string");
    expect(await answeredCid(purchase.id)).to.equal(undefined);
    expect((await first.queries.status(purchase.id))!.status).to.equal("answering");

    const second = fixture.workers(env.openDb(path));
    await second.queries.answerPending();
    expect(await answeredCid(purchase.id)).to.equal(uploaded);
    expect(await fulfilQuerySent(purchase.id)).to.equal(1);
    const bundle = await fixture.openAsBuyer(purchase, keys, second.queries);
    expect(bundle.answer.epsilon).to.equal("0.5");
  });

  it("after fulfillQuery is sent: the restart settles it from the chain, sends nothing, releases the key", async () => {
    const { purchase, keys } = await fixture.buyQuery(allowedQuery, { index: 1 });
    const path = env.dbPath();
    const first = fixture.workers(env.openDb(path), undefined, {
      checkpoint: async (name) => {
        if (name === "transaction-sent") throw new Error("killed");
      },
    });
    await first.queries.answerPending();
    expect(await fulfilQuerySent(purchase.id)).to.equal(1);

    const second = fixture.workers(env.openDb(path));
    await second.queries.answerPending();
    await second.queries.answerPending();
    expect(await fulfilQuerySent(purchase.id)).to.equal(1);
    const status = await second.queries.status(purchase.id);
    expect(status!.status).to.equal("answered");
    expect(status!.answerCid).to.equal(await answeredCid(purchase.id));
    const bundle = await fixture.openAsBuyer(purchase, keys, second.queries);
    expect(bundle.answer.rows.length + bundle.answer.withheldGroups).to.equal(2);
  });
});

describe("service/custodian/queries: the budget spent between the check and the answer", function () {
  this.timeout(240_000);

  const env = useDeliveryTestEnv("queries-race");

  it("rejects with what is left when the fulfillQuery simulation says PrivacyBudgetExhausted", async () => {
    const fixture = await createQueryFixture(env.store);
    for (let i = 0; i < 3; i++) await fixture.contribute(i, CONSENT_SCOPE.both);
    const { custodian, publicClient, reader } = fixture.base;
    // Half the budget goes to a first answer; two more queries of 0.5 each then compete for the rest.
    const first = fixture.workers(env.openDb());
    await fixture.buyQuery(allowedQuery);
    await first.queries.answerPending();
    const x = await fixture.buyQuery(allowedQuery, { index: 1 });
    const y = await fixture.buyQuery(allowedQuery, { index: 2 });

    // While this worker computes X's answer, another instance of the custodian answers Y.
    const { queries } = fixture.workers(env.openDb(), undefined, {
      checkpoint: async (name, info) => {
        if (name !== "answer-uploaded" || info.purchaseId !== x.purchase.id) return;
        const pool = await reader.contract.read.getPool([fixture.poolId]);
        await publicClient.waitForTransactionReceipt({
          hash: await custodian.contract.write.fulfillQuery([
            y.purchase,
            "bafkreianswerelsewhere",
            `0x${"11".repeat(32)}`,
            pool.statisticsActive,
            pool.statisticsEnded,
            500_000,
          ]),
        });
      },
    });
    await queries.answerPending();
    const status = await queries.status(x.purchase.id);
    expect(status!.status).to.equal("rejected");
    expect(status!.reason).to.equal(
      "the pool's privacy budget has only 0 ε left, less than the 0.5 ε this query would spend",
    );
    // Y was answered elsewhere: recorded as answered, but this node has no key for that answer.
    const other = await queries.status(y.purchase.id);
    expect(other).to.include({ status: "answered", answerCid: "bafkreianswerelsewhere" });
    expect(other!.answerKey).to.equal(undefined);
  });
});
