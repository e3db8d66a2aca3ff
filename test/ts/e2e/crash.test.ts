/**
 * The custodian is killed (SIGKILL, no cleanup) at each durable step of a delivery and started
 * again on the same data directory: every purchase is fulfilled exactly once and decrypts.
 * Real parts only: `hardhat node`, the node process with its Helia store, SIGKILL.
 */
import { expect } from "chai";
import { parseEther } from "viem";
import { databankAbi } from "../../../lib/contracts/index.js";
import { LOCAL_ROLES, localAccount } from "../../../scripts/stack/accounts.js";
import {
  contributeRecord,
  demoActors,
  newContributors,
  openResumePool,
  purchaseAccess,
  receiveDelivery,
} from "../../../scripts/demo/scenario.js";
import { demoResume } from "../../../scripts/demo/resumes.js";
import { startE2EStack, type E2EStack } from "./stack.js";

const RECORDS = 5;
const CHECKPOINTS = [
  // mid-batch: with 2 keys per batch, the first of three batches is persisted, then the kill
  "keys-wrapped-batch",
  // the manifest is on IPFS, fulfil not yet sent
  "manifest-uploaded",
  // fulfil sent (mined at once by the local chain), not yet recorded by the node
  "fulfill-sent",
];

describe("end to end: the custodian killed mid-delivery resumes and delivers exactly once", function () {
  this.timeout(300_000);
  let stack: E2EStack;
  let poolId: number;

  before(async function () {
    stack = await startE2EStack({ DATABANK_DELIVERY_BATCH_SIZE: "2" });
    const actors = demoActors(stack.demoEnvironment());
    poolId = await openResumePool(actors, {
      price: parseEther("0.1"),
      bounty: 0n,
      minContributors: 1,
      fundedBounties: 0,
    });
    const people = await newContributors(actors, RECORDS);
    for (const [index, person] of people.entries()) {
      await contributeRecord(actors, poolId, person, demoResume(1000 + index));
    }
  });
  after(async () => stack?.stop());

  for (const checkpoint of CHECKPOINTS) {
    it(`killed at "${checkpoint}": restarted, it fulfils once and the buyer decrypts all ${RECORDS}`, async function () {
      await stack.restartNode({
        DATABANK_TEST_PAUSE_AT: checkpoint,
        DATABANK_DELIVERY_BATCH_SIZE: "2",
      });
      const buyer = localAccount(LOCAL_ROLES.buyer);
      const purchase = await purchaseAccess(demoActors(stack.demoEnvironment()), poolId, buyer);

      await stack.node.waitForLine(new RegExp(`paused at ${checkpoint}`));
      await stack.restartNode({ DATABANK_DELIVERY_BATCH_SIZE: "2" });

      const delivery = await receiveDelivery(demoActors(stack.demoEnvironment()), buyer, purchase);
      expect(delivery.records).to.have.length(RECORDS);
      const fulfilled = await stack.publicClient.getContractEvents({
        abi: databankAbi,
        address: stack.deployment.databank,
        eventName: "PurchaseFulfilled",
        args: { purchaseId: purchase.id },
        fromBlock: 0n,
      });
      expect(fulfilled).to.have.length(1);
      const reverted = stack.node.lines.filter((line) => /PurchaseSettled|double/i.test(line));
      expect(reverted, "the restarted node tried to fulfil again").to.deep.equal([]);
    });
  }
});
