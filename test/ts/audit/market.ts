/**
 * A Databank marketplace driven through viem for the audit tests: deploys the contract (or a test
 * variant), and plays curators, contributors, buyers and an honest custodian that uploads a real v1
 * delivery manifest for every fulfilment. Content goes to a fake IPFS, an in-memory Map keyed by
 * real CIDs (so the CLI's CID verification passes when the Map is served over HTTP). The custodian
 * can be told to cheat on one delivery. Works on an in-process network and on a `hardhat node`.
 * Both products: contributors consent with a scope (records, statistics or both), buyers buy record
 * sales or queries, and the custodian answers a query (spending some ε of the pool's budget over
 * the active contributions allowing statistics, with a stand-in sealed answer) or rejects it.
 */
import type { HardhatViemHelpers } from "@nomicfoundation/hardhat-viem/types";
import { keccak256, toHex, zeroAddress, type Address, type Hex } from "viem";
import {
  CONSENT_SCOPE,
  purchaseFromEvent,
  type ConsentScopeBits,
  type Purchase,
} from "../../../lib/contracts/client.js";
import { recordsRoot, type DeliveredRecord } from "../../../lib/contracts/recordsMerkle.js";
import { computeCid } from "../../../lib/storage/cid.js";
import { MANIFEST_FORMAT } from "../../../lib/audit/manifest.js";
import { databankLibraries } from "../../../scripts/stack/deploy.js";
import { base32 } from "multiformats/bases/base32";

const utf8 = (text: string): Uint8Array => new TextEncoder().encode(text);

export const PLATFORM_FEE_BPS = 250;
export const DELIVERY_WINDOW = 3_600;
const CUSTODIAN_KEY = keccak256(toHex("audit test custodian key"));
const BUYER_KEY = keccak256(toHex("audit test buyer key"));

/** How a dishonest custodian cheats on one delivery (the contract only checks the count). */
export type Cheat =
  | { kind: "drop-record" } // lists one active record fewer; commits the full count
  | { kind: "list-revoked"; contributionId: bigint } // swaps an active record for a revoked one
  // swaps an active record for one whose consent allows statistics only
  | { kind: "list-statistics-only"; contributionId: bigint }
  | { kind: "wrong-root" }; // commits a root that is not the manifest's

/** How a dishonest custodian cheats on one query answer (the contract only checks the count). */
export type AnswerCheat =
  // computes over a records-only contribution in place of one allowing statistics (same count)
  { kind: "swap-in"; contributionId: bigint } | { kind: "wrong-root" }; // commits a root that is not the set's

/** Options of {@link deployMarket}. */
export interface MarketOptions {
  /** Deploy SkewedPayoutDatabank, crediting each contribution `skew` wei off per sale. */
  skew?: 1 | -1;
}

/** A contribution the test knows about. */
export interface KnownContribution {
  id: bigint;
  poolId: number;
  holder: Address;
  dataCid: string;
  active: boolean;
  /** The uses its consent allows. */
  scope: ConsentScopeBits;
}

export type Market = Awaited<ReturnType<typeof deployMarket>>;

/** Deploys a Databank (or variant) and a test stablecoin, and names the accounts. */
export async function deployMarket(viem: HardhatViemHelpers, options: MarketOptions = {}) {
  const publicClient = await viem.getPublicClient();
  const wallets = await viem.getWalletClients();
  const [owner, treasury, curatorA, custodian, curatorB] = wallets;
  const buyers = wallets.slice(5, 8);
  const contributors = wallets.slice(8, 16);
  const fromBlock = (await publicClient.getBlockNumber()) + 1n;
  const renderer = await viem.deployContract("ConsentReceiptRenderer");
  const constructorArgs = [
    owner!.account.address,
    treasury!.account.address,
    PLATFORM_FEE_BPS,
    renderer.address,
  ] as const;
  const libraries = await databankLibraries(viem);
  const databank =
    options.skew === undefined
      ? await viem.deployContract("Databank", [...constructorArgs], { libraries })
      : await viem.deployContract("SkewedPayoutDatabank", [...constructorArgs, options.skew], {
          libraries,
        });
  const stablecoin = await viem.deployContract("TestStablecoin");
  for (const buyer of buyers) {
    await stablecoin.write.mint([buyer.account.address, 10n ** 24n]);
  }
  const address = databank.address;
  // One ABI for both contracts: the variant adds only a getter the tests do not use.
  const contract = await viem.getContractAt("Databank", address);
  const ipfs = new Map<string, Uint8Array>();
  const contributions = new Map<bigint, KnownContribution>();
  const pools = new Map<
    number,
    {
      token: Address;
      price: bigint;
      curator: (typeof wallets)[number];
      products: ConsentScopeBits;
    }
  >();
  let cidCounter = 0;

  type Wallet = (typeof wallets)[number];
  const mined = async (hash: Hex) => {
    const receipt = await publicClient.waitForTransactionReceipt({ hash });
    if (receipt.status !== "success") throw new Error(`transaction ${hash} reverted`);
    return receipt;
  };

  const market = {
    viem,
    publicClient,
    address,
    contract,
    stablecoin,
    owner: owner!,
    treasury: treasury!,
    curators: [curatorA!, curatorB!],
    custodian: custodian!,
    buyers,
    contributors,
    fromBlock,
    ipfs,
    contributions,
    pools,
    /** The fake IPFS: content by CID from the in-memory Map. */
    fetchContent: async (cid: string): Promise<Uint8Array> => {
      const bytes = ipfs.get(cid);
      if (!bytes) throw new Error(`no content for ${cid}`);
      return bytes;
    },

    /** Opens a pool and funds four bounties; returns its id. */
    async createPool(
      params: {
        token?: "eth" | "stablecoin";
        price?: bigint;
        shareBps?: number;
        minContributors?: number;
        bounty?: bigint;
        curator?: Wallet;
        /** Products sold: 1 record sales (default), 2 queries, 3 both. */
        products?: ConsentScopeBits;
        /** Price of a query (default 10^15 when the pool sells queries). */
        queryPrice?: bigint;
        /** Total ε in millionths (default 5 ε when the pool sells queries). */
        epsilonBudget?: number;
        /** Most ε per query in millionths (default 1 ε when the pool sells queries). */
        maxEpsilonPerQuery?: number;
      } = {},
    ): Promise<number> {
      const curator = params.curator ?? curatorA!;
      const token = params.token === "stablecoin" ? stablecoin.address : zeroAddress;
      const products = params.products ?? CONSENT_SCOPE.records;
      // A pool that sells no record copies has no record price (PriceForUnsoldProduct otherwise).
      const price = (products & CONSENT_SCOPE.records) === 0 ? 0n : (params.price ?? 10n ** 18n);
      const bounty = params.bounty ?? 0n;
      const queries = (products & CONSENT_SCOPE.statistics) !== 0;
      await mined(
        await contract.write.createPool(
          [
            {
              paymentToken: token,
              price,
              contributorShareBps: params.shareBps ?? 7_000,
              minContributors: params.minContributors ?? 1,
              maxContributors: 0,
              bountyPerContribution: bounty,
              deliveryWindow: DELIVERY_WINDOW,
              purposes: 3,
              custodian: custodian!.account.address,
              custodianKey: CUSTODIAN_KEY,
              schemaCid: "bafkreiauditschema",
              termsCid: "bafkreiauditterms",
              products,
              queryPrice: queries ? (params.queryPrice ?? 10n ** 15n) : 0n,
              epsilonBudget: queries ? (params.epsilonBudget ?? 5_000_000) : 0,
              maxEpsilonPerQuery: queries ? (params.maxEpsilonPerQuery ?? 1_000_000) : 0,
            },
          ],
          { account: curator.account },
        ),
      );
      const poolId = await contract.read.poolCount();
      pools.set(poolId, { token, price, curator, products });
      if (bounty !== 0n) {
        const budget = bounty * 4n;
        if (token === zeroAddress) {
          await mined(
            await contract.write.fundBounty([poolId, budget], {
              account: curator.account,
              value: budget,
            }),
          );
        } else {
          await mined(await stablecoin.write.mint([curator.account.address, budget]));
          await mined(
            await stablecoin.write.approve([address, budget], { account: curator.account }),
          );
          await mined(
            await contract.write.fundBounty([poolId, budget], { account: curator.account }),
          );
        }
      }
      return poolId;
    },

    /**
     * A contributor submits data with a consent scope (records by default) and the custodian
     * accepts it; returns the contribution id.
     */
    async contribute(
      poolId: number,
      contributor: Wallet,
      scope: ConsentScopeBits = CONSENT_SCOPE.records,
    ): Promise<bigint> {
      const dataCid = `bafkreiauditdata${base32.baseEncode(utf8(String(cidCounter++)))}`;
      await mined(
        await contract.write.submitContribution([poolId, dataCid, 0, scope], {
          account: contributor.account,
        }),
      );
      const id = await contract.read.contributionCount();
      await mined(await contract.write.acceptContribution([id], { account: custodian!.account }));
      contributions.set(id, {
        id,
        poolId,
        holder: contributor.account.address,
        dataCid,
        active: true,
        scope,
      });
      return id;
    },

    /** The holder revokes a contribution. */
    async revoke(id: bigint): Promise<void> {
      const known = contributions.get(id)!;
      const holder = wallets.find((wallet) => wallet.account.address === known.holder)!;
      await mined(await contract.write.revokeConsent([id], { account: holder.account }));
      known.active = false;
    },

    /** A buyer pays the pool's price (approving the stablecoin first when needed). */
    async purchase(poolId: number, buyer: Wallet): Promise<Purchase> {
      const pool = await contract.read.getPool([poolId]);
      if (pool.paymentToken === zeroAddress) {
        return purchaseFromEvent(
          await mined(
            await contract.write.purchase([poolId, pool.price, BUYER_KEY], {
              account: buyer.account,
              value: pool.price,
            }),
          ),
          { address },
        );
      }
      await mined(
        await stablecoin.write.approve([address, pool.price], { account: buyer.account }),
      );
      return purchaseFromEvent(
        await mined(
          await contract.write.purchase([poolId, pool.price, BUYER_KEY], {
            account: buyer.account,
          }),
        ),
        { address },
      );
    },

    /** The active contributions of a pool whose consent allows `use` (records by default). */
    activeRecords(
      poolId: number,
      use: ConsentScopeBits = CONSENT_SCOPE.records,
    ): KnownContribution[] {
      return [...contributions.values()]
        .filter((c) => c.poolId === poolId && c.active && (c.scope & use) !== 0)
        .sort((a, b) => (a.id < b.id ? -1 : 1));
    },

    /**
     * A buyer pays the pool's query price for a query that may spend up to `epsilon` (millionths);
     * the query document goes to the fake IPFS.
     */
    async purchaseQuery(poolId: number, buyer: Wallet, epsilon: number): Promise<Purchase> {
      const pool = await contract.read.getPool([poolId]);
      const query = utf8(JSON.stringify({ aggregates: [{ op: "count" }], nonce: cidCounter++ }));
      const queryCid = await computeCid(query);
      ipfs.set(queryCid, query);
      const args = [
        poolId,
        pool.queryPrice,
        BUYER_KEY,
        epsilon,
        queryCid,
        keccak256(query),
      ] as const;
      if (pool.paymentToken === zeroAddress) {
        return purchaseFromEvent(
          await mined(
            await contract.write.purchaseQuery(args, {
              account: buyer.account,
              value: pool.queryPrice,
            }),
          ),
          { address },
        );
      }
      await mined(
        await stablecoin.write.approve([address, pool.queryPrice], { account: buyer.account }),
      );
      return purchaseFromEvent(
        await mined(await contract.write.purchaseQuery(args, { account: buyer.account })),
        { address },
      );
    },

    /**
     * The custodian answers a query over the active contributions allowing statistics, spending
     * `epsilonSpent` (default: all the query may spend) of the pool's budget, and uploads a
     * stand-in for the sealed answer (honest unless `cheat`). Returns the answer's CID.
     */
    async answer(
      sale: Purchase,
      epsilonSpent: number = sale.epsilon,
      cheat?: AnswerCheat,
    ): Promise<string> {
      const used = market.activeRecords(sale.poolId, CONSENT_SCOPE.statistics);
      const { statisticsEnded } = await contract.read.getPool([sale.poolId]);
      const committed =
        cheat?.kind === "swap-in"
          ? [...used.slice(1), contributions.get(cheat.contributionId)!]
          : used;
      const root =
        cheat?.kind === "wrong-root"
          ? keccak256(toHex("not the root"))
          : recordsRoot(
              committed.map((c) => ({
                tokenId: c.id,
                dataCommitment: keccak256(toHex(c.dataCid)),
              })),
            );
      const answer = utf8(JSON.stringify({ sealedFor: sale.buyer, purchaseId: String(sale.id) }));
      const cid = await computeCid(answer);
      ipfs.set(cid, answer);
      await mined(
        await contract.write.fulfillQuery(
          [sale, cid, root, used.length, statisticsEnded, epsilonSpent],
          { account: custodian!.account },
        ),
      );
      return cid;
    },

    /** The custodian declines a pending purchase; the buyer is credited at once. */
    async reject(sale: Purchase, reason = "the query's policy forbids it"): Promise<void> {
      await mined(
        await contract.write.rejectPurchase([sale, reason], { account: custodian!.account }),
      );
    },

    /**
     * The custodian uploads the delivery manifest (honest unless `cheat`) to the fake IPFS and
     * fulfils with its CID, root and the active count. Returns the manifest CID.
     */
    async fulfil(sale: Purchase, cheat?: Cheat): Promise<string> {
      let listed = market.activeRecords(sale.poolId);
      if (cheat?.kind === "drop-record") listed = listed.slice(1);
      if (cheat?.kind === "list-revoked" || cheat?.kind === "list-statistics-only") {
        listed = [...listed.slice(1), contributions.get(cheat.contributionId)!];
      }
      const activeCount = market.activeRecords(sale.poolId).length;
      const { erasureCount } = await contract.read.getPool([sale.poolId]);
      const records: DeliveredRecord[] = listed.map((c) => ({
        tokenId: c.id,
        dataCommitment: keccak256(toHex(c.dataCid)),
      }));
      const root = recordsRoot(records);
      const manifest = {
        format: MANIFEST_FORMAT,
        // v2, as the node writes: the audit reads the records, never the keys.
        version: 2,
        chainId: await publicClient.getChainId(),
        databank: address,
        purchaseId: sale.id.toString(),
        poolId: sale.poolId,
        buyer: sale.buyer,
        buyerKey: BUYER_KEY,
        recordsRoot: root,
        recordCount: activeCount,
        records: listed
          .sort((a, b) => (a.id < b.id ? -1 : 1))
          .map((c) => ({
            tokenId: c.id.toString(),
            dataCid: c.dataCid,
            dataCommitment: keccak256(toHex(c.dataCid)),
            sealedKey: { nonce: `0x${"00".repeat(12)}`, ciphertext: `0x${"00".repeat(48)}` },
          })),
      };
      const bytes = new TextEncoder().encode(JSON.stringify(manifest));
      const cid = await computeCid(bytes);
      ipfs.set(cid, bytes);
      const committedRoot = cheat?.kind === "wrong-root" ? keccak256(toHex("not the root")) : root;
      await mined(
        await contract.write.fulfill([sale, cid, committedRoot, activeCount, erasureCount], {
          account: custodian!.account,
        }),
      );
      return cid;
    },

    /** Refunds a pending purchase of either product after its deadline. */
    async refund(sale: Purchase, caller: Wallet): Promise<void> {
      await mined(await contract.write.refund([sale], { account: caller.account }));
    },

    /** Claims everything `who` has in `token`: its active contributions' dividends and its credit. */
    async claim(who: Wallet, token: Address): Promise<void> {
      const ids = [...contributions.values()]
        .filter(
          (c) =>
            c.active && c.holder === who.account.address && pools.get(c.poolId)!.token === token,
        )
        .map((c) => c.id);
      await mined(await contract.write.claim([token, ids], { account: who.account }));
    },

    /** A buyer attests every erasure it owes in a pool. */
    async attestErasures(poolId: number, buyer: Wallet): Promise<void> {
      const pool = await contract.read.getPool([poolId]);
      await mined(
        await contract.write.attestErasure([poolId, pool.erasureCount], {
          account: buyer.account,
        }),
      );
    },
  };
  return market;
}
