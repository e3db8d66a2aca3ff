import { expect } from "chai";
import { keccak256, parseEther, zeroAddress } from "viem";
import { generatePrivateKey, privateKeyToAccount } from "viem/accounts";
import { createNodeApiClient } from "../../../lib/api/index.js";
import { CONSENT_SCOPE, createDatabankClient } from "../../../lib/contracts/client.js";
import { generateKeyPair, toHex32 } from "../../../lib/crypto/index.js";
import { QUERY_POLICY_KEYWORD, openAnswer } from "../../../lib/query/index.js";
import { demoQueryPolicy } from "../../../scripts/demo/queryPolicy.js";
import { demoResume } from "../../../scripts/demo/resumes.js";
import {
  TERMS,
  deployChain,
  expectNoSecrets,
  newContributor,
  resumeSchema,
  seal,
  startNode,
  submitOnChain,
  type Chain,
  type TestNode,
} from "./helpers.js";

describe("service: the node answers a query end to end", function () {
  this.timeout(240_000);

  let chain: Chain;
  let t: TestNode;

  before(async () => {
    chain = await deployChain();
    t = await startNode(chain);
  });

  after(async () => {
    await t?.cleanup();
  });

  it("accepts scoped contributions, answers over the statistics-scoped ones, and serves the sealed answer", async () => {
    const { node } = t;
    // The curator publishes the policy inside the record schema.
    const schema = { ...resumeSchema, [QUERY_POLICY_KEYWORD]: demoQueryPolicy() };
    const schemaCid = await node.store.put(new TextEncoder().encode(JSON.stringify(schema)));
    const termsCid = await node.store.put(new TextEncoder().encode(TERMS));
    await chain.publicClient.waitForTransactionReceipt({
      hash: await chain.asCurator.contract.write.createPool([
        {
          paymentToken: zeroAddress,
          price: parseEther("1"),
          contributorShareBps: 7_000,
          minContributors: 1,
          maxContributors: 0,
          bountyPerContribution: 0n,
          deliveryWindow: 86_400,
          purposes: 3,
          custodian: node.address,
          custodianKey: node.custodianPublicKey,
          schemaCid,
          termsCid,
          products: CONSENT_SCOPE.both,
          queryPrice: parseEther("0.5"),
          epsilonBudget: 2_000_000,
          maxEpsilonPerQuery: 1_000_000,
        },
      ]),
    });
    const poolId = Number(await chain.reader.contract.read.poolCount());

    // Six contributors: records only, statistics only, both, twice over.
    const scopes = [1, 2, 3, 1, 2, 3];
    for (const [index, scope] of scopes.entries()) {
      const contributor = newContributor();
      const envelope = await seal(node, contributor, demoResume(index), poolId);
      const dataCid = await node.store.put(envelope);
      await submitOnChain(chain, contributor, poolId, dataCid, scope);
    }
    await node.acceptance.pollOnce();
    const pool = await chain.reader.contract.read.getPool([poolId]);
    expect([pool.recordsActive, pool.statisticsActive]).to.deep.equal([4, 4]);

    const buyer = privateKeyToAccount(generatePrivateKey());
    await chain.fund(buyer.address);
    const buyerKeys = generateKeyPair();
    const query = { version: 1, aggregates: [{ kind: "count" }] };
    const bytes = new TextEncoder().encode(JSON.stringify(query));
    const queryCid = await node.store.put(bytes);
    const asBuyer = createDatabankClient({
      publicClient: chain.publicClient,
      walletClient: chain.localWallet(buyer),
      address: chain.databank.address,
    });
    const receipt = await chain.publicClient.waitForTransactionReceipt({
      hash: await asBuyer.contract.write.purchaseQuery(
        [
          poolId,
          parseEther("0.5"),
          toHex32(buyerKeys.publicKey),
          500_000,
          queryCid,
          keccak256(bytes),
        ],
        { value: parseEther("0.5") },
      ),
    });
    const purchase = asBuyer.purchaseFromEvent(receipt);

    await node.queries.answerPending();
    const api = createNodeApiClient({ baseUrl: node.url });
    const status = await api.answerStatus(purchase.id);
    expect(status).to.include({ status: "answered", epsilonSpent: "0.5", recordCount: 4 });
    const bundle = await openAnswer({
      envelope: await api.getContent(status.answerCid!),
      answerCid: status.answerCid!,
      sealedKey: status.answerKey!,
      buyerPrivateKey: buyerKeys.privateKey,
      binding: {
        chainId: await chain.publicClient.getChainId(),
        databank: chain.databank.address,
        purchaseId: purchase.id,
        poolId,
        buyer: buyer.address,
      },
    });
    expect(bundle.answer.epsilon).to.equal("0.5");
    expectNoSecrets(t.logs, [...t.custodian.secrets, status.answerKey!.slice(2)]);
    for (const line of t.logs) expect(line).to.not.include(demoResume(0).title);
  });
});
