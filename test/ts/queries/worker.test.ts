import { expect } from "chai";
import { zeroAddress } from "viem";
import { CONSENT_SCOPE } from "../../../lib/contracts/client.js";
import { useDeliveryTestEnv } from "../delivery/chainFixture.js";
import {
  EPSILON_BUDGET,
  MAX_EPSILON_PER_QUERY,
  QUERY_PRICE,
  allowedQuery,
  createQueryFixture,
  forbiddenQuery,
  type QueryFixture,
} from "./queryFixture.js";

describe("service/custodian/queries: the query worker on a real chain and Helia store", function () {
  this.timeout(240_000);

  const env = useDeliveryTestEnv("queries");
  let fixture: QueryFixture;

  before(async () => {
    fixture = await createQueryFixture(env.store);
    // Records only, statistics only, both: 2 + 3 + 3 contributors.
    for (let i = 0; i < 8; i++) {
      const scope =
        i < 2 ? CONSENT_SCOPE.records : i < 5 ? CONSENT_SCOPE.statistics : CONSENT_SCOPE.both;
      await fixture.contribute(i, scope);
    }
  });

  it("answers a query over exactly the statistics-scoped records; the buyer decrypts the answer", async () => {
    const { purchase, keys } = await fixture.buyQuery(allowedQuery);
    const events: { event: string; fields: object }[] = [];
    const { queries } = fixture.workers(env.openDb(), (event, fields) =>
      events.push({ event, fields }),
    );
    expect(await queries.status(purchase.id)).to.equal(undefined);
    await queries.answerPending();

    const statistics = fixture.contributions.filter(
      (c) => (c.scope & CONSENT_SCOPE.statistics) !== 0,
    );
    const [answered] = await fixture.base.reader.contract.getEvents.QueryAnswered(
      { purchaseId: purchase.id },
      { fromBlock: fixture.base.deployBlock },
    );
    expect(answered, "QueryAnswered").to.not.equal(undefined);
    expect(answered!.args.recordCount).to.equal(statistics.length);
    expect(answered!.args.epsilonSpent).to.equal(MAX_EPSILON_PER_QUERY);
    const status = await queries.status(purchase.id);
    expect(status).to.include({
      status: "answered",
      answerCid: answered!.args.answerCid,
      recordCount: statistics.length,
      epsilonSpent: "0.5",
    });
    expect(status!.answerKey).to.match(/^0x[0-9a-f]{160}$/);

    const bundle = await fixture.openAsBuyer(purchase, keys, queries);
    expect(bundle.answer.epsilon).to.equal("0.5");
    // Groups are released by their noisy count only, so either city may be withheld by the noise.
    const released = bundle.answer.rows.map((row) => row.group.city);
    for (const city of released) expect(["Berlin", "Paris"]).to.include(city);
    expect(released.length + bundle.answer.withheldGroups).to.equal(2);
    expect(bundle.csv.split("\r\n")[0]).to.equal("city,count,mean_years");

    const pool = await fixture.base.reader.contract.read.getPool([fixture.poolId]);
    expect(pool.epsilonSpent).to.equal(MAX_EPSILON_PER_QUERY);
    // Nothing about the records or the answer in the log.
    const logged = JSON.stringify(events);
    expect(logged).to.include("query.answered");
    expect(logged).to.not.include("Contributor");
    expect(logged).to.not.include(status!.answerKey!.slice(2));
  });

  it("a record sale's manifest never lists a statistics-only record", async () => {
    const { purchase, keys } = await fixture.base.buy(1, fixture.poolId);
    const { delivery } = fixture.workers(env.openDb());
    await delivery.deliverPending();
    const delivered = await fixture.base.openAsBuyer(purchase.id, keys, delivery);
    const allowRecords = fixture.contributions
      .filter((c) => (c.scope & CONSENT_SCOPE.records) !== 0)
      .map((c) => c.tokenId);
    expect(delivered.map((r) => r.tokenId)).to.have.members(allowRecords);
    const statisticsOnly = fixture.contributions
      .filter((c) => c.scope === CONSENT_SCOPE.statistics)
      .map((c) => c.tokenId);
    for (const record of delivered) expect(statisticsOnly).to.not.include(record.tokenId);
  });

  it("rejects a query the policy forbids, with the reason, and credits the buyer", async () => {
    const buyer = fixture.base.clientOf(2);
    const account = buyer.walletClient.account.address;
    const before = await fixture.base.reader.contract.read.creditOf([account, zeroAddress]);
    const { purchase } = await fixture.buyQuery(forbiddenQuery, { index: 2 });
    const { queries } = fixture.workers(env.openDb());
    await queries.answerPending();

    const status = await queries.status(purchase.id);
    expect(status!.status).to.equal("rejected");
    expect(status!.reason).to.match(/name/);
    const [rejected] = await fixture.base.reader.contract.getEvents.PurchaseRejected(
      { purchaseId: purchase.id },
      { fromBlock: fixture.base.deployBlock },
    );
    expect(rejected!.args.reason).to.equal(status!.reason);
    const after = await fixture.base.reader.contract.read.creditOf([account, zeroAddress]);
    expect(after - before).to.equal(QUERY_PRICE);
  });

  it("rejects a query the remaining privacy budget cannot pay, saying how much is left", async () => {
    // The first test spent 0.5 of 1: one more of 0.5 fits, the one after does not.
    const { queries } = fixture.workers(env.openDb());
    const fits = await fixture.buyQuery(allowedQuery, { index: 3 });
    const over = await fixture.buyQuery(allowedQuery, { index: 4 });
    await queries.answerPending();
    expect((await queries.status(fits.purchase.id))!.status).to.equal("answered");
    const status = await queries.status(over.purchase.id);
    expect(status!.status).to.equal("rejected");
    expect(status!.reason).to.equal(
      "the pool's privacy budget has only 0 ε left, less than the 0.5 ε this query would spend",
    );
    const pool = await fixture.base.reader.contract.read.getPool([fixture.poolId]);
    expect(pool.epsilonSpent).to.equal(EPSILON_BUDGET);
  });
});
