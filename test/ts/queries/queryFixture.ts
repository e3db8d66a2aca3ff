/**
 * A pool selling both products on the delivery tests' real chain and Helia store
 * (test/ts/delivery/chainFixture.ts): its record schema carries a query policy, contributors join
 * with records, statistics or both scopes, buyers pay for record copies or for query answers, and
 * a query worker and a delivery worker share one key custody as in the node.
 */
import type { DatabaseSync } from "node:sqlite";
import { keccak256, parseEther, parseEventLogs, zeroAddress, type Hex } from "viem";
import { generatePrivateKey, privateKeyToAccount } from "viem/accounts";
import { databankAbi } from "../../../lib/contracts/abis.js";
import {
  CONSENT_SCOPE,
  consentRequestArgs,
  type ConsentScopeBits,
  type Purchase,
} from "../../../lib/contracts/client.js";
import {
  generateKeyPair,
  sealEnvelope,
  toHex32,
  type X25519KeyPair,
} from "../../../lib/crypto/index.js";
import { QUERY_POLICY_KEYWORD, openAnswer, type AnswerBundle } from "../../../lib/query/index.js";
import { createKeyCustody, type DeliveryWorker } from "../../../service/custodian/delivery.js";
import {
  createQueryWorker,
  type QueryWorker,
  type QueryWorkerDeps,
} from "../../../service/custodian/queries.js";
import { createChainFixture, PRICE, type ChainFixture } from "../delivery/chainFixture.js";
import type { ContentStore } from "../../../lib/storage/types.js";

export const QUERY_PRICE = parseEther("0.5");
/** The pool's total privacy budget (micro-ε): two queries of 0.5. */
export const EPSILON_BUDGET = 1_000_000;
export const MAX_EPSILON_PER_QUERY = 500_000;
export const CITIES = ["Berlin", "Paris"] as const;

/** The pool's record schema, with its query policy under the extension keyword. */
export const cityRecordSchema = {
  $schema: "https://json-schema.org/draft/2020-12/schema",
  type: "object",
  required: ["name", "city", "years"],
  properties: {
    name: { type: "string" },
    city: { type: "string", enum: [...CITIES] },
    years: { type: "integer", minimum: 0, maximum: 60 },
  },
  [QUERY_POLICY_KEYWORD]: {
    version: 1,
    maxEpsilon: "1",
    // 0: every group is released, so a test can see them all (a real pool sets a threshold).
    minNoisyCount: 0,
    maxGroupBy: 1,
    fields: { city: {}, years: { bounds: { lo: 0, hi: 60 } } },
  },
};

/** Mean years by city: what the policy allows. */
export const allowedQuery = {
  version: 1,
  groupBy: [{ field: "city" }],
  aggregates: [{ kind: "count" }, { kind: "mean", field: "years", lo: 0, hi: 60 }],
};

/** Filters on the contributors' names: a field the policy does not expose. */
export const forbiddenQuery = {
  version: 1,
  filters: [{ field: "name", op: "eq", value: "Contributor 1" }],
  aggregates: [{ kind: "count" }],
};

/** One contribution to the query pool. */
export interface ScopedContribution {
  tokenId: bigint;
  dataCid: string;
  scope: ConsentScopeBits;
  record: { name: string; city: string; years: number };
}

/** The delivery fixture plus a pool selling records and queries. */
export async function createQueryFixture(store: ContentStore) {
  const base: ChainFixture = await createChainFixture(store);
  const { publicClient, address, custodian, custodianKeys } = base;
  const curator = base.clientOf(5);
  const schemaCid = await store.put(new TextEncoder().encode(JSON.stringify(cityRecordSchema)));
  await publicClient.waitForTransactionReceipt({
    hash: await curator.contract.write.createPool([
      {
        paymentToken: zeroAddress,
        price: PRICE,
        contributorShareBps: 7_000,
        minContributors: 1,
        maxContributors: 0,
        bountyPerContribution: 0n,
        deliveryWindow: 86_400,
        purposes: 3,
        custodian: custodian.walletClient.account.address,
        custodianKey: toHex32(custodianKeys.publicKey),
        schemaCid,
        termsCid: "bafkreiterms",
        products: CONSENT_SCOPE.both,
        queryPrice: QUERY_PRICE,
        epsilonBudget: EPSILON_BUDGET,
        maxEpsilonPerQuery: MAX_EPSILON_PER_QUERY,
      },
    ]),
  });
  const poolId = await base.reader.contract.read.poolCount();
  const contributions: ScopedContribution[] = [];

  /** A contributor seals a record to the custodian and joins through a relayed consent. */
  async function contribute(index: number, scope: ConsentScopeBits): Promise<ScopedContribution> {
    const contributor = privateKeyToAccount(generatePrivateKey());
    const record = {
      name: `Contributor ${index}`,
      city: CITIES[index % CITIES.length]!,
      years: 2 + (index % 7),
    };
    const envelope = await sealEnvelope({
      plaintext: new TextEncoder().encode(JSON.stringify(record)),
      contentType: "application/json",
      recipients: [
        { role: "custodian", publicKey: custodianKeys.publicKey },
        { role: "contributor", publicKey: generateKeyPair().publicKey },
      ],
      binding: {
        chainId: await publicClient.getChainId(),
        databank: address,
        poolId,
        contributor: contributor.address,
      },
    });
    const dataCid = await store.put(envelope);
    const request = {
      contributor: contributor.address,
      poolId,
      dataCid,
      expiresAt: 0,
      deadline: 2n ** 40n,
      scope,
    };
    const signature = await contributor.signTypedData(await custodian.consentTypedData(request));
    const receipt = await publicClient.waitForTransactionReceipt({
      hash: await custodian.contract.write.contributeWithSignature([
        consentRequestArgs(request),
        signature,
      ]),
    });
    const [granted] = parseEventLogs({
      abi: databankAbi,
      eventName: "ConsentGranted",
      logs: receipt.logs,
    });
    const made = { tokenId: granted!.args.contributionId, dataCid, scope, record };
    contributions.push(made);
    return made;
  }

  /** Buyer wallet `index` uploads `query` and pays for its answer with a fresh X25519 key. */
  async function buyQuery(
    query: unknown,
    options: { index?: number; epsilon?: number } = {},
  ): Promise<{ purchase: Purchase; keys: X25519KeyPair; queryCid: string }> {
    const keys = generateKeyPair();
    const bytes = new TextEncoder().encode(JSON.stringify(query));
    const queryCid = await store.put(bytes);
    const buyer = base.clientOf(options.index ?? 0);
    const receipt = await publicClient.waitForTransactionReceipt({
      hash: await buyer.contract.write.purchaseQuery(
        [
          poolId,
          QUERY_PRICE,
          toHex32(keys.publicKey),
          options.epsilon ?? MAX_EPSILON_PER_QUERY,
          queryCid,
          keccak256(bytes),
        ],
        { value: QUERY_PRICE },
      ),
    });
    return { purchase: buyer.purchaseFromEvent(receipt), keys, queryCid };
  }

  /** The node's two workers on `db`, sharing one key custody. */
  function workers(
    db: DatabaseSync,
    log?: (event: string, fields: object) => void,
    overrides: Partial<QueryWorkerDeps> = {},
  ) {
    const keyCustody = createKeyCustody({ db, custodianPrivateKey: custodianKeys.privateKey });
    const queries: QueryWorker = createQueryWorker({
      db,
      databank: custodian,
      store,
      custodianAddress: custodian.walletClient.account.address,
      custodianPrivateKey: custodianKeys.privateKey,
      keyCustody,
      fromBlock: base.deployBlock,
      pollIntervalMs: 50,
      log,
      ...overrides,
    });
    const delivery: DeliveryWorker = base.worker(db, { keyCustody });
    return { queries, delivery, keyCustody };
  }

  /** Opens an answered query as its buyer, from the chain's event and the node's released key. */
  async function openAsBuyer(
    purchase: Purchase,
    keys: X25519KeyPair,
    queries: Pick<QueryWorker, "status">,
  ): Promise<AnswerBundle> {
    const [answered] = await base.reader.contract.getEvents.QueryAnswered(
      { purchaseId: purchase.id },
      { fromBlock: base.deployBlock },
    );
    if (answered === undefined) throw new Error(`query ${purchase.id} is not answered`);
    const status = await queries.status(purchase.id);
    return openAnswer({
      envelope: await store.get(answered.args.answerCid!),
      answerCid: answered.args.answerCid!,
      sealedKey: status!.answerKey! as Hex,
      buyerPrivateKey: keys.privateKey,
      binding: {
        chainId: await publicClient.getChainId(),
        databank: address,
        purchaseId: purchase.id,
        poolId,
        buyer: purchase.buyer,
      },
    });
  }

  return { base, poolId, schemaCid, contributions, contribute, buyQuery, workers, openAsBuyer };
}

export type QueryFixture = Awaited<ReturnType<typeof createQueryFixture>>;
