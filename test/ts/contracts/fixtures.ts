import { base32 } from "multiformats/bases/base32";
import { network } from "hardhat";
import { consentTypes, dataCommitment } from "../../../lib/contracts/client.js";
import { DATABANK_LIBRARIES } from "../../../lib/contracts/libraries.js";
import type { HardhatEthersSigner } from "@nomicfoundation/hardhat-ethers/types";
import type { EventLog, Signature, TransactionResponse } from "ethers";

import type {
  Databank,
  TestStablecoin,
  FeeOnTransferToken,
} from "../../../types/ethers-contracts/index.js";

/** One network for every test file that imports this module; loadFixture snapshots it. */
export const connection = await network.create();
export const { ethers, networkHelpers } = connection;

export const ZERO = ethers.ZeroAddress;
export const PLATFORM_FEE_BPS = 250n;
export const BUYER_KEY = ethers.id("buyer x25519 key");
export const CUSTODIAN_KEY = ethers.id("custodian x25519 key");
export const PURPOSE_ANALYTICS = 1;
export const PURPOSE_RESEARCH = 4;
export const PURPOSE_MODEL_TRAINING = 16;

export interface PoolParams {
  paymentToken: string;
  price: bigint;
  contributorShareBps: number;
  minContributors: number;
  maxContributors: number;
  bountyPerContribution: bigint;
  deliveryWindow: number;
  purposes: number;
  custodian: string;
  custodianKey: string;
  schemaCid: string;
  termsCid: string;
  products: number;
  queryPrice: bigint;
  epsilonBudget: number;
  maxEpsilonPerQuery: number;
}

/**
 * A canonical CID string (lowercase base32, as the contract requires) standing for `label`: the
 * label's bytes in base32 after the "bafy" prefix, so distinct labels never collide.
 */
export function testCid(label: string): string {
  return `bafy${base32.baseEncode(new TextEncoder().encode(label))}`;
}

/** A purchase as the contract takes it back. */
export interface Purchase {
  id: bigint;
  poolId: bigint;
  buyer: string;
  amount: bigint;
  deadline: bigint;
  erasureMark: bigint;
  epsilon: bigint;
}

export interface ConsentRequest {
  contributor: string;
  poolId: bigint | number;
  dataCid: string;
  expiresAt: bigint | number;
  deadline: bigint | number;
  scope: number;
}

/** The data commitment of a CID, from the shared library (the contract computes the same). */
export function commitment(dataCid: string): string {
  return dataCommitment(dataCid);
}

export async function now(): Promise<bigint> {
  return BigInt(await networkHelpers.time.latest());
}

/** Deploys the renderer, Databank and the test tokens, and names the accounts. */
export async function deployFixture() {
  const signers = await ethers.getSigners();
  const [owner, treasury, curator, custodian] = signers;
  const buyers = signers.slice(4, 8);
  const contributors = signers.slice(8, 20);

  const renderer = await ethers.deployContract("ConsentReceiptRenderer");
  const libraries: Record<string, string> = {};
  for (const name of DATABANK_LIBRARIES) {
    libraries[name] = await (await ethers.deployContract(name)).getAddress();
  }
  const databank = (await ethers.deployContract(
    "Databank",
    [owner.address, treasury.address, PLATFORM_FEE_BPS, await renderer.getAddress()],
    { libraries },
  )) as unknown as Databank;
  const stablecoin = (await ethers.deployContract("TestStablecoin")) as unknown as TestStablecoin;
  const feeToken = (await ethers.deployContract(
    "FeeOnTransferToken",
  )) as unknown as FeeOnTransferToken;
  for (const buyer of buyers) {
    await stablecoin.mint(buyer.address, 1_000_000n * 10n ** 6n);
    await feeToken.mint(buyer.address, 1_000_000n * 10n ** 18n);
  }
  const chainId = (await ethers.provider.getNetwork()).chainId;
  return {
    databank,
    renderer,
    stablecoin,
    feeToken,
    owner,
    treasury,
    curator,
    custodian,
    buyers,
    contributors,
    chainId,
  };
}

export type Deployment = Awaited<ReturnType<typeof deployFixture>>;

export async function loadDeployment(): Promise<Deployment> {
  return networkHelpers.loadFixture(deployFixture);
}

export function defaultPoolParams(d: Deployment, overrides: Partial<PoolParams> = {}): PoolParams {
  return {
    paymentToken: ZERO,
    price: ethers.parseEther("1"),
    contributorShareBps: 7_000,
    minContributors: 1,
    maxContributors: 0,
    bountyPerContribution: 0n,
    deliveryWindow: 86_400,
    purposes: PURPOSE_ANALYTICS | PURPOSE_RESEARCH,
    custodian: d.custodian.address,
    custodianKey: CUSTODIAN_KEY,
    schemaCid: "bafySchemaHealthSurvey",
    termsCid: "bafyTermsHealthSurvey",
    products: 1,
    queryPrice: 0n,
    epsilonBudget: 0,
    maxEpsilonPerQuery: 0,
    ...overrides,
  };
}

/** Opens a pool as the curator (or `as`) and returns its id. */
export async function createPool(
  d: Deployment,
  overrides: Partial<PoolParams> = {},
  as: HardhatEthersSigner = d.curator,
): Promise<bigint> {
  await (await d.databank.connect(as).createPool(defaultPoolParams(d, overrides))).wait();
  return BigInt(await d.databank.poolCount());
}

/** Signs the EIP-712 consent for `request` with the next nonce (or `opts.nonce`) on `opts.chainId`. */
export async function signConsent(
  d: Deployment,
  contributor: HardhatEthersSigner,
  request: ConsentRequest,
  opts: { nonce?: bigint; chainId?: bigint } = {},
): Promise<string> {
  const pool = await d.databank.getPool(request.poolId);
  const nonce = opts.nonce ?? (await d.databank.nonces(contributor.address));
  const domain = {
    name: "Databank",
    version: "1",
    chainId: opts.chainId ?? d.chainId,
    verifyingContract: await d.databank.getAddress(),
  };
  const [, termsCid] = await d.databank.poolDocuments(request.poolId);
  const termsDigest = ethers.keccak256(ethers.toUtf8Bytes(termsCid));
  if (termsDigest !== pool.termsDigest) throw new Error("terms digest differs from the pool's");
  return contributor.signTypedData(
    domain,
    { Consent: [...consentTypes.Consent] },
    {
      contributor: request.contributor,
      poolId: request.poolId,
      dataCommitment: commitment(request.dataCid),
      termsDigest,
      purposes: pool.purposes,
      expiresAt: request.expiresAt,
      nonce,
      deadline: request.deadline,
      scope: request.scope,
    },
  );
}

export async function consentRequest(
  contributor: HardhatEthersSigner,
  poolId: bigint,
  dataCid: string,
  expiresAt: bigint = 0n,
): Promise<ConsentRequest> {
  return {
    contributor: contributor.address,
    poolId,
    dataCid,
    expiresAt,
    deadline: (await now()) + 3_600n,
    scope: 1,
  };
}

/** The contributor signs a consent and the custodian relays it; returns the new contribution id. */
export async function contributeRelayed(
  d: Deployment,
  contributor: HardhatEthersSigner,
  poolId: bigint,
  dataCid: string,
  expiresAt: bigint = 0n,
): Promise<bigint> {
  const request = await consentRequest(contributor, poolId, dataCid, expiresAt);
  const signature = await signConsent(d, contributor, request);
  const receipt = await (
    await d.databank.connect(d.custodian).contributeWithSignature(request, signature)
  ).wait();
  const granted = findEvent(d, receipt!.logs, "ConsentGranted");
  return granted.args.contributionId as bigint;
}

export function findEvent(d: Deployment, logs: readonly unknown[], name: string): EventLog {
  const target = (d.databank.target as string).toLowerCase();
  for (const log of logs as { address: string; topics: string[]; data: string }[]) {
    if (log.address.toLowerCase() !== target) continue;
    const parsed = d.databank.interface.parseLog(log);
    if (parsed?.name === name) return parsed as unknown as EventLog;
  }
  throw new Error(`no ${name} event`);
}

export function purchaseFromEvent(d: Deployment, logs: readonly unknown[]): Purchase {
  const { args } = findEvent(d, logs, "PurchaseCreated");
  return {
    id: args.purchaseId as bigint,
    poolId: BigInt(args.poolId),
    buyer: args.buyer as string,
    amount: args.amount as bigint,
    deadline: args.deadline as bigint,
    erasureMark: BigInt(args.erasureMark),
    epsilon: 0n,
  };
}

/** Pays the pool's current price (approving the ERC-20 first when the pool takes one). */
export async function purchaseTx(
  d: Deployment,
  buyer: HardhatEthersSigner,
  poolId: bigint,
): Promise<TransactionResponse> {
  const pool = await d.databank.getPool(poolId);
  if (pool.paymentToken === ZERO) {
    return d.databank.connect(buyer).purchase(poolId, pool.price, BUYER_KEY, { value: pool.price });
  }
  const token = new ethers.Contract(
    pool.paymentToken,
    ["function approve(address,uint256) returns (bool)"],
    buyer,
  );
  await (await token.getFunction("approve")(await d.databank.getAddress(), pool.price)).wait();
  return d.databank.connect(buyer).purchase(poolId, pool.price, BUYER_KEY);
}

/** Buys one delivery of a pool and returns the purchase from its PurchaseCreated event. */
export async function purchase(
  d: Deployment,
  buyer: HardhatEthersSigner,
  poolId: bigint,
): Promise<Purchase> {
  const receipt = await (await purchaseTx(d, buyer, poolId)).wait();
  return purchaseFromEvent(d, receipt!.logs);
}

/** The custodian delivers every active record of the purchase's pool, as they are now. */
export async function fulfilTx(
  d: Deployment,
  sale: Purchase,
  deliveryCid = "bafyDelivery",
): Promise<TransactionResponse> {
  const pool = await d.databank.getPool(sale.poolId);
  return d.databank
    .connect(d.custodian)
    .fulfill(
      sale,
      deliveryCid,
      ethers.id(`records of ${sale.id}`),
      pool.recordsActive,
      pool.erasureCount,
    );
}

export async function fulfil(
  d: Deployment,
  sale: Purchase,
  deliveryCid = "bafyDelivery",
): Promise<void> {
  await (await fulfilTx(d, sale, deliveryCid)).wait();
}

export type { Signature };
