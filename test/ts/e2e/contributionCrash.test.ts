/**
 * The custodian is killed (SIGKILL, no cleanup) inside a relay, between the fingerprint
 * reservation and the transaction, and started again on the same data directory: the record is in
 * exactly once, the same record is still refused as a duplicate, and the contributor can go on
 * contributing (no reservation stranded). Real parts only: `hardhat node`, the node process with
 * its Helia store and SQLite file, SIGKILL.
 */
import { expect } from "chai";
import { parseEther } from "viem";
import { NodeApiError } from "../../../lib/api/index.js";
import { databankAbi } from "../../../lib/contracts/index.js";
import {
  contributeRecord,
  demoActors,
  newContributors,
  openResumePool,
} from "../../../scripts/demo/scenario.js";
import { demoResume } from "../../../scripts/demo/resumes.js";
import { startE2EStack, type E2EStack } from "./stack.js";

const CHECKPOINTS = [
  // reservation and signed transaction in SQLite, nothing sent
  "relay-reserved",
  // transaction sent (mined at once by the local chain), its outcome not recorded
  "relay-sent",
];

describe("end to end: the custodian killed mid-relay strands no fingerprint", function () {
  this.timeout(300_000);
  let stack: E2EStack;
  let poolId: number;

  before(async function () {
    stack = await startE2EStack();
    poolId = await openResumePool(demoActors(stack.demoEnvironment()), {
      price: parseEther("0.1"),
      bounty: 0n,
      minContributors: 1,
      fundedBounties: 0,
    });
  });
  after(async () => stack?.stop());

  for (const [index, checkpoint] of CHECKPOINTS.entries()) {
    it(`killed at "${checkpoint}": restarted, the record is in once, a second copy is a duplicate, the contributor goes on`, async function () {
      await stack.restartNode({ DATABANK_TEST_PAUSE_AT: checkpoint });
      const [person] = await newContributors(demoActors(stack.demoEnvironment()), 1);
      const record = demoResume(2000 + index);
      const relay = contributeRecord(demoActors(stack.demoEnvironment()), poolId, person!, record);
      relay.catch(() => undefined);

      await stack.node.waitForLine(new RegExp(`paused at ${checkpoint}`));
      await stack.restartNode();
      const lost = await relay.then(
        () => undefined,
        (error: unknown) => error,
      );
      expect(lost, "the relay request died with the node").to.be.instanceOf(Error);

      const submitted = await stack.publicClient.getContractEvents({
        abi: databankAbi,
        address: stack.deployment.databank,
        eventName: "ContributionSubmitted",
        args: { contributor: person!.address },
        fromBlock: 0n,
      });
      expect(submitted, "contributions of the record").to.have.length(1);
      const id = submitted[0]!.args.contributionId!;
      const status = await fetch(`${stack.node.url}/v1/contributions/${id}`);
      expect(((await status.json()) as { status: string }).status).to.equal("active");

      const again = await contributeRecord(
        demoActors(stack.demoEnvironment()),
        poolId,
        person!,
        record,
      ).then(
        () => undefined,
        (error: unknown) => error,
      );
      expect(again).to.be.instanceOf(NodeApiError);
      expect((again as NodeApiError).reason).to.equal("Duplicate");

      const next = await contributeRecord(
        demoActors(stack.demoEnvironment()),
        poolId,
        person!,
        demoResume(3000 + index),
      );
      expect(next > id).to.equal(true);
    });
  }
});
