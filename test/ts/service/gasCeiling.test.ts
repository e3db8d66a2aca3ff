/**
 * The custodian never pays for an attacker: every transaction the node sends on someone else's
 * behalf has a gas ceiling, checked against an estimate before anything is sent, and is sent with
 * the ceiling as its gas limit.
 */
import { expect } from "chai";
import { getAddress, type Address, type Hex } from "viem";
import { databankAbi } from "../../../lib/contracts/index.js";
import {
  createPool,
  deployChain,
  getJson,
  newContributor,
  submitOnChain,
  postJson,
  resume,
  seal,
  startNode,
  upload,
  type Chain,
  type Contributor,
  type TestNode,
} from "./helpers.js";

/** Gas the attacker's wallet burns in each signature check. */
const BURN = 1_000_000n;

describe("service: gas ceilings of the custodian's transactions", function () {
  this.timeout(180_000);
  let chain: Chain;
  let t: TestNode;
  let poolId: number;
  let relayUrl: string;
  const nodes: TestNode[] = [];

  before(async function () {
    chain = await deployChain();
    t = await startNode(chain);
    nodes.push(t);
    poolId = await createPool(chain, t.node);
    relayUrl = `${t.node.url}/v1/contributions/relay`;
  });
  after(async function () {
    for (const node of nodes.reverse()) await node.cleanup();
  });

  /** Nonce and balance of a node's custodian account: both unchanged means nothing was sent. */
  async function custodianState(node: TestNode = t) {
    const address = node.node.address;
    return {
      nonce: await chain.publicClient.getTransactionCount({ address }),
      balance: await chain.publicClient.getBalance({ address }),
    };
  }

  /** An ERC-1271 wallet owned by a new contributor's key; `burn` 0 is an honest, cheap one. */
  async function contractWallet(burn: bigint) {
    const owner = newContributor();
    const wallet = await chain.viem.deployContract("GasBurningWallet", [
      owner.account.address,
      burn,
    ]);
    return { owner, address: wallet.address };
  }

  /** A relay request for `wallet`, signed by its owner key, over an uploaded envelope. */
  async function walletConsent(wallet: { owner: Contributor; address: Address }, n: number) {
    const dataCid = await upload(
      t.node,
      await seal(t.node, wallet.owner, resume(n), poolId, { contributor: wallet.address }),
    );
    const request = {
      contributor: wallet.address,
      poolId,
      dataCid,
      expiresAt: 0,
      deadline: BigInt(Math.floor(Date.now() / 1000) + 3_600),
      scope: 1,
    };
    const signature: Hex = await wallet.owner.account.signTypedData(
      await chain.reader.consentTypedData(request),
    );
    return {
      request: { ...request, deadline: request.deadline.toString() },
      signature,
    };
  }

  it("refuses with 422 GAS_LIMIT_EXCEEDED a consent whose wallet's signature check burns gas, sending nothing", async function () {
    const burner = await contractWallet(BURN);
    const body = await walletConsent(burner, 1);
    const before = await custodianState();
    const countBefore = await chain.reader.contract.read.contributionCount();

    const { status, body: answer } = await postJson(relayUrl, body);

    expect(status, JSON.stringify(answer)).to.equal(422);
    expect(answer.error.code).to.equal("GAS_LIMIT_EXCEEDED");
    expect(answer.error.gasLimit).to.equal(300_000);
    expect(answer.error.gasNeeded).to.be.greaterThan(Number(BURN));
    expect(answer.error.message).to.equal(
      `this wallet's signature check makes relaying this consent cost ${answer.error.gasNeeded.toLocaleString("en-US")} gas, more than the relay's limit of 300,000; submit it on-chain yourself with submitContribution`,
    );
    expect(await custodianState()).to.deep.equal(before);
    expect(await chain.reader.contract.read.contributionCount()).to.equal(countBefore);
    expect(await chain.reader.contract.read.nonces([burner.address])).to.equal(0n);
  });

  it("still relays for an honest ERC-1271 wallet, sent with the relay's ceiling as gas limit", async function () {
    const honest = await contractWallet(0n);
    const { status, body } = await postJson(relayUrl, await walletConsent(honest, 2));

    expect(status, JSON.stringify(body)).to.equal(201);
    expect(await chain.reader.contract.read.ownerOf([BigInt(body.contributionId)])).to.equal(
      getAddress(honest.address),
    );
    const sent = await chain.publicClient.getTransaction({ hash: body.transactionHash });
    expect(sent.gas).to.equal(300_000n);
    const receipt = await chain.publicClient.getTransactionReceipt({ hash: body.transactionHash });
    expect(receipt.gasUsed < 250_000n, `${receipt.gasUsed} gas`).to.equal(true);
  });

  describe("acceptance worker", function () {
    let low: TestNode;
    let lowPool: number;

    before(async function () {
      // Between a reject (~38k gas) and an accept (~88k): accepts are refused, rejects go through.
      low = await startNode(chain, { env: { DATABANK_ACCEPTANCE_GAS_LIMIT: "60000" } });
      nodes.push(low);
      lowPool = await createPool(chain, low.node);
    });

    /** Submits `record` on-chain from a new contributor (who pays); returns the id. */
    async function submit(record: unknown): Promise<bigint> {
      const contributor = newContributor();
      const dataCid = await upload(low.node, await seal(low.node, contributor, record, lowPool));
      return submitOnChain(chain, contributor, lowPool, dataCid);
    }

    it("sends no acceptance estimated above DATABANK_ACCEPTANCE_GAS_LIMIT and says why", async function () {
      const id = await submit(resume(10));
      const before = await custodianState(low);

      await low.node.acceptance.pollOnce();

      expect(await custodianState(low)).to.deep.equal(before);
      const view = await getJson(`${low.node.url}/v1/contributions/${id}`);
      expect(view.body.status).to.equal("pending");
      expect(view.body.message).to.match(
        /^accepting this contribution would cost [\d,]+ gas, over the node's limit of 60,000 gas \(DATABANK_ACCEPTANCE_GAS_LIMIT\); nothing was sent, it will be retried$/,
      );
    });

    it("rejects garbage within the ceiling, sent with it as gas limit, for under 40k gas", async function () {
      const id = await submit({ not: "a resume" });

      await low.node.acceptance.pollOnce();

      const view = await getJson(`${low.node.url}/v1/contributions/${id}`);
      expect(view.body).to.include({ status: "rejected", reason: "SchemaMismatch" });
      const [rejected] = await chain.publicClient.getContractEvents({
        abi: databankAbi,
        address: chain.databank.address,
        eventName: "ContributionRejected",
        args: { contributionId: id },
        fromBlock: 0n,
        strict: true,
      });
      const hash = rejected!.transactionHash;
      expect((await chain.publicClient.getTransaction({ hash })).gas).to.equal(60_000n);
      const { gasUsed } = await chain.publicClient.getTransactionReceipt({ hash });
      expect(gasUsed <= 40_000n, `${gasUsed} gas`).to.equal(true);
    });
  });
});
