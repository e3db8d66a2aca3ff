/**
 * Gas of every Databank operation, measured from real receipts on Hardhat's simulated network
 * with N contributions really joined (relayed, gasless consents signed by N distinct wallets).
 */
import { writeFile } from "node:fs/promises";
import { base32 } from "multiformats/bases/base32";
import { keccak256, parseEther, toHex, type Hex } from "viem";
import { privateKeyToAccount, type PrivateKeyAccount } from "viem/accounts";
import {
  CONSENT_SCOPE,
  consentTypedData,
  purchaseFromEvent,
  type Purchase,
} from "../../lib/contracts/client.js";
import type { Viem } from "./baselines.js";
import { deployDatabankWithViem } from "../stack/deploy.js";
import { testPoolParams } from "../stack/deploy.js";
import { CONTRIBUTOR_COUNTS, GAS_SNAPSHOT_PATH, GAS_TARGETS } from "./gasTargets.js";
import { printTable } from "./table.js";

/** Operation -> contributor count -> gas used. */
export type GasSnapshot = Record<string, Record<string, number>>;

export const SNAPSHOT_OPERATIONS = [
  "createPool",
  "contributeRelayed",
  "contributeRelayed (records + statistics)",
  "submitContribution",
  "acceptContribution",
  "rejectContribution",
  "purchase",
  "fulfill",
  "purchase+fulfill",
  "purchaseQuery",
  "fulfillQuery",
  "purchaseQuery+fulfillQuery",
  "rejectPurchase (query)",
  "claim (1 contribution)",
  "revokeConsent",
  "attestErasure",
] as const;

// Real CIDv1 strings are 59 characters; their length is part of the calldata and event cost.
const TERMS_CID = benchCid("terms");
const SCHEMA_CID = benchCid("schema");
const CUSTODIAN_KEY = keccak256(toHex("bench custodian x25519 key"));
const BUYER_KEY = keccak256(toHex("bench buyer x25519 key"));
const PRICE = parseEther("1");
const QUERY_PRICE = parseEther("0.2");
// ε in millionths: a budget of 100 and at most 1 per query, as a real pool would state it.
const EPSILON_BUDGET = 100_000_000;
const EPSILON_PER_QUERY = 1_000_000;
const QUERY_CID = benchCid("query");
const QUERY_DIGEST = keccak256(toHex("bench query document"));


function benchCid(label: string): string {
  // Lowercase base32 after the prefix: the contract accepts only canonical CID spellings.
  return `bafkrei${base32.baseEncode(keccak256(toHex(label), "bytes"))}`;
}

function benchContributor(index: number): PrivateKeyAccount {
  return privateKeyToAccount(keccak256(toHex(`databank bench contributor ${index}`)));
}

/** Deploys a fresh Databank, joins `count` contributions and measures every operation once. */
export async function measureDatabankAt(viem: Viem, count: number): Promise<Record<string, number>> {
  if (count < 4) throw new Error("measureDatabankAt needs at least 4 contributions");
  const publicClient = await viem.getPublicClient();
  const testClient = await viem.getTestClient();
  const [owner, treasury, curator, custodian, buyer, directContributor] = await viem.getWalletClients();
  const { databank } = await deployDatabankWithViem(viem, {
    owner: owner.account.address,
    treasury: treasury.account.address,
  });
  const chainId = await publicClient.getChainId();
  const gasOf = async (hash: Hex): Promise<number> =>
    Number((await publicClient.waitForTransactionReceipt({ hash })).gasUsed);
  const gas: Record<string, number> = {};

  gas.createPool = await gasOf(
    await databank.write.createPool(
      [
        testPoolParams({
          custodian: custodian.account.address,
          custodianKey: CUSTODIAN_KEY,
          price: PRICE,
          schemaCid: SCHEMA_CID,
          termsCid: TERMS_CID,
          products: CONSENT_SCOPE.both,
          queryPrice: QUERY_PRICE,
          epsilonBudget: EPSILON_BUDGET,
          maxEpsilonPerQuery: EPSILON_PER_QUERY,
        }),
      ],
      { account: curator.account },
    ),
  );
  const poolId = await databank.read.poolCount();
  const { termsDigest, purposes } = await databank.read.getPool([poolId]);

  const relay = async (index: number, scope: number): Promise<Hex> => {
    const contributor = benchContributor(index);
    const dataCid = benchCid(`record ${index}`);
    const request = { contributor: contributor.address, poolId, dataCid, expiresAt: 0, deadline: 2n ** 40n, scope };
    const signature = await contributor.signTypedData(
      consentTypedData({ chainId, databank: databank.address, request, termsDigest, purposes, nonce: 0n }),
    );
    return databank.write.contributeWithSignature([request, signature], { account: custodian.account });
  };

  const buy = async (): Promise<{ gas: number; purchase: Purchase }> => {
    const hash = await databank.write.purchase([poolId, PRICE, BUYER_KEY], {
      account: buyer.account,
      value: PRICE,
    });
    const receipt = await publicClient.waitForTransactionReceipt({ hash });
    return { gas: Number(receipt.gasUsed), purchase: purchaseFromEvent(receipt) };
  };
  const fulfill = async (purchase: Purchase): Promise<number> => {
    const { recordsActive, erasureCount } = await databank.read.getPool([poolId]);
    return gasOf(
      await databank.write.fulfill(
        [purchase, benchCid("manifest"), keccak256(toHex(purchase.id)), recordsActive, erasureCount],
        { account: custodian.account },
      ),
    );
  };
  const buyQuery = async (): Promise<{ gas: number; purchase: Purchase }> => {
    const hash = await databank.write.purchaseQuery(
      [poolId, QUERY_PRICE, BUYER_KEY, EPSILON_PER_QUERY, QUERY_CID, QUERY_DIGEST],
      { account: buyer.account, value: QUERY_PRICE },
    );
    const receipt = await publicClient.waitForTransactionReceipt({ hash });
    return { gas: Number(receipt.gasUsed), purchase: purchaseFromEvent(receipt) };
  };
  const answer = async (purchase: Purchase): Promise<number> => {
    const { statisticsActive, statisticsEnded } = await databank.read.getPool([poolId]);
    return gasOf(
      await databank.write.fulfillQuery(
        [purchase, benchCid("answer"), keccak256(toHex(purchase.id)), statisticsActive, statisticsEnded, EPSILON_PER_QUERY / 2],
        { account: custodian.account },
      ),
    );
  };

  // Join all but three silently, allowing both products (automine: each is mined as it is sent).
  for (let index = 0; index < count - 3; index++) await relay(index, CONSENT_SCOPE.both);
  // The first sale of each product creates the curator's and treasury's credit slots and spends
  // ε, so every figure below is for the steady state of a pool already selling.
  await fulfill((await buy()).purchase);
  await answer((await buyQuery()).purchase);
  gas.contributeRelayed = await gasOf(await relay(count - 3, CONSENT_SCOPE.records));
  gas["contributeRelayed (records + statistics)"] = await gasOf(await relay(count - 2, CONSENT_SCOPE.both));
  gas.submitContribution = await gasOf(
    await databank.write.submitContribution([poolId, benchCid("direct"), 0, CONSENT_SCOPE.both], {
      account: directContributor.account,
    }),
  );
  const directId = await databank.read.contributionCount();
  gas.acceptContribution = await gasOf(
    await databank.write.acceptContribution([directId], { account: custodian.account }),
  );
  // Garbage submitted directly on-chain costs its sender submitContribution; rejecting it costs the
  // custodian this, which must not grow.
  await gasOf(
    await databank.write.submitContribution([poolId, benchCid("garbage"), 0, CONSENT_SCOPE.both], {
      account: directContributor.account,
    }),
  );
  const garbageId = await databank.read.contributionCount();
  gas.rejectContribution = await gasOf(
    await databank.write.rejectContribution([garbageId, 1], { account: custodian.account }),
  );

  const sale = await buy();
  gas.purchase = sale.gas;
  gas.fulfill = await fulfill(sale.purchase);
  gas["purchase+fulfill"] = gas.purchase + gas.fulfill;
  const query = await buyQuery();
  gas.purchaseQuery = query.gas;
  gas.fulfillQuery = await answer(query.purchase);
  gas["purchaseQuery+fulfillQuery"] = gas.purchaseQuery + gas.fulfillQuery;
  const declined = await buyQuery();
  gas["rejectPurchase (query)"] = await gasOf(
    await databank.write.rejectPurchase([declined.purchase, "group-by field not allowed"], {
      account: custodian.account,
    }),
  );

  const claimant = benchContributor(0);
  const revoker = benchContributor(1);
  for (const account of [claimant, revoker]) {
    await testClient.setBalance({ address: account.address, value: parseEther("1") });
  }
  gas["claim (1 contribution)"] = await gasOf(
    await databank.write.claim(["0x0000000000000000000000000000000000000000", [1n]], {
      account: claimant,
    }),
  );
  gas.revokeConsent = await gasOf(await databank.write.revokeConsent([2n], { account: revoker }));
  gas.attestErasure = await gasOf(
    await databank.write.attestErasure([poolId, 1], { account: buyer.account }),
  );
  return gas;
}

/** Measures every operation at each contributor count, as a snapshot. */
export async function measureDatabankGas(viem: Viem, counts: readonly number[]): Promise<GasSnapshot> {
  const snapshot: GasSnapshot = Object.fromEntries(SNAPSHOT_OPERATIONS.map((op) => [op, {}]));
  for (const count of counts) {
    const gas = await measureDatabankAt(viem, count);
    for (const operation of SNAPSHOT_OPERATIONS) snapshot[operation][String(count)] = gas[operation];
  }
  return snapshot;
}

/**
 * Measures every operation at each contributor count, prints the table beside the targets and
 * rewrites the committed snapshot (so every gas change lands as a deliberate diff).
 */
export async function writeGasSnapshot(viem: Viem): Promise<GasSnapshot> {
  const snapshot = await measureDatabankGas(viem, CONTRIBUTOR_COUNTS);
  printTable(
    "Databank gas per operation by active contributions N (from receipts, ETH pool; purchase/fulfil: a repeat record sale; purchaseQuery/fulfillQuery: a query bought, then answered over the N contributions allowing statistics, the two summed on their own row; targets: a record sale ≤ 130,000, a query ≤ 140,000, both flat in N)",
    ["operation", ...CONTRIBUTOR_COUNTS.map((count) => `N = ${count}`), "target"],
    SNAPSHOT_OPERATIONS.map((operation) => [
      operation,
      ...CONTRIBUTOR_COUNTS.map((count) => snapshot[operation]![String(count)]!.toLocaleString("en-US")),
      GAS_TARGETS[operation] ? `<= ${GAS_TARGETS[operation].toLocaleString("en-US")}` : "",
    ]),
  );
  await writeFile(GAS_SNAPSHOT_PATH, `${JSON.stringify(snapshot, null, 2)}\n`);
  console.log(`\nwrote ${GAS_SNAPSHOT_PATH}`);
  return snapshot;
}
