/**
 * Comparison baselines for the gas benchmark: the designs Databank's O(1) revenue split is
 * measured against, deployed and exercised on whatever network connection the caller passes in,
 * so that every figure comes from a real receipt in the same run on the same network.
 *
 * - NaivePushSplit (contracts/bench): pay() pushes an equal share to each of N recipients.
 * - PaymentSplitterV4 (contracts/bench): OpenZeppelin 4.9.6 pull-payment splitter.
 * - Ocean Protocol v4 contracts (npm @oceanprotocol/contracts 2.6.0, deployed from its compiled
 *   artifacts): publish a data NFT + datatoken + fixed-rate exchange, then buy and order.
 *
 * Run on its own with `npx hardhat run scripts/bench/baselines.ts` to print a table.
 */
import { printTable } from "./table.js";
import { createRequire } from "node:module";
import path from "node:path";
import { fileURLToPath } from "node:url";

import { network } from "hardhat";
import type { NetworkConfig } from "hardhat/types/config";
import type {
  HardhatViemHelpers,
  PublicClient,
  WalletClient,
} from "@nomicfoundation/hardhat-viem/types";
import {
  encodePacked,
  getAddress,
  keccak256,
  parseEther,
  parseEventLogs,
  parseSignature,
  slice,
  toHex,
  zeroAddress,
  type Abi,
  type Address,
  type Hash,
  type Hex,
} from "viem";

export type Viem = HardhatViemHelpers;

export interface NaivePushSplitGas {
  /** Constructor stores the N recipients. */
  deploy: bigint;
  /** One pay() pushing a share to each of the N recipients (all existing, non-empty accounts). */
  pay: bigint;
}

export interface PaymentSplitterGas {
  /** Constructor registers the N payees with one share each. */
  deploy: bigint;
  /** A plain ETH payment into the splitter (receive() only emits an event). */
  payIn: bigint;
  /** The first release() of one payee's due part. */
  releaseOne: bigint;
}

export interface OceanPurchaseGas {
  /** createNftWithErc20WithFixedRate: data NFT + datatoken + fixed-rate exchange in one tx. */
  publish: bigint;
  /** A buyer's first purchase: approve + buyDT + startOrder. */
  firstPurchase: bigint;
  /** The same buyer buying again: approve + buyDT + startOrder. */
  repeatPurchase: bigint;
  /**
   * Seller side, not in the purchase sums: buyDT parks the base tokens in the exchange and only
   * `collectBT` moves them to the datatoken's payment collector. Gas of that call after the first
   * purchase (collector's first base-token credit) and after the repeat purchase.
   */
  firstCollect: bigint;
  repeatCollect: bigint;
  /** Gas of every transaction sent, infrastructure deployment included, in sending order. */
  details: Record<string, bigint>;
}

/** An Ocean run: the gas figures plus what a caller needs to check where the money went. */
export interface OceanPurchaseRun {
  gas: OceanPurchaseGas;
  baseToken: Address;
  datatoken: Address;
  /** The datatoken's payment collector, the single address the seller's revenue goes to. */
  collector: Address;
  /** Base tokens the collector receives per purchase: rate × 1 datatoken, before Ocean's fees. */
  pricePerPurchase: bigint;
  /** Base tokens the buyer pays per purchase: the price plus Ocean's community swap fee. */
  buyerCostPerPurchase: bigint;
  purchases: number;
}

// ---------------------------------------------------------------------------------------------
// Shared helpers
// ---------------------------------------------------------------------------------------------

/** Waits for `hash`, insists it succeeded, and returns the receipt. */
async function successfulReceipt(publicClient: PublicClient, hash: Hash) {
  const receipt = await publicClient.waitForTransactionReceipt({ hash });
  if (receipt.status !== "success") {
    throw new Error(`transaction ${hash} reverted (gas used ${receipt.gasUsed})`);
  }
  return receipt;
}

async function gasUsedBy(publicClient: PublicClient, hash: Hash): Promise<bigint> {
  return (await successfulReceipt(publicClient, hash)).gasUsed;
}

/**
 * N distinct recipient addresses derived from a label. Hashing (rather than 0x…01, 0x…02) keeps
 * clear of the precompiles, which are always warm and would make transfers look cheaper.
 */
export function benchAddresses(count: number, label: string): Address[] {
  return Array.from({ length: count }, (_, index) =>
    getAddress(slice(keccak256(toHex(`databank-bench:${label}:${index}`)), 12)),
  );
}

/**
 * Gives each account 1 wei without a transaction, so it "exists". Real payees already hold ETH;
 * paying a never-used address would add EIP-161's 25,000 gas new-account charge per recipient,
 * an artefact of synthetic addresses rather than a property of the split design.
 */
async function makeAccountsExist(viem: Viem, accounts: readonly Address[]): Promise<void> {
  const testClient = await viem.getTestClient();
  for (const address of accounts) {
    await testClient.setBalance({ address, value: 1n });
  }
}

// ---------------------------------------------------------------------------------------------
// Baseline 1: naive push split
// ---------------------------------------------------------------------------------------------

/**
 * Deploys NaivePushSplit with `n` existing recipients and measures one `pay()`.
 * Deployment stores the list, so its cost grows with `n` as well.
 */
export async function measureNaivePushSplit(viem: Viem, n: number): Promise<NaivePushSplitGas> {
  const publicClient = await viem.getPublicClient();
  const [payer] = await viem.getWalletClients();
  const recipients = benchAddresses(n, "push-recipient");
  await makeAccountsExist(viem, recipients);

  const { contract, deploymentTransaction } = await viem.sendDeploymentTransaction(
    "NaivePushSplit",
    [recipients],
  );
  const deploy = await gasUsedBy(publicClient, deploymentTransaction.hash);

  const payHash = await payer.writeContract({
    address: contract.address,
    abi: contract.abi,
    functionName: "pay",
    value: BigInt(n) * 1_000_000n,
  });
  const pay = await gasUsedBy(publicClient, payHash);
  return { deploy, pay };
}

// ---------------------------------------------------------------------------------------------
// Baseline 2: OpenZeppelin 4.9 PaymentSplitter (pull payments)
// ---------------------------------------------------------------------------------------------

/**
 * Deploys PaymentSplitterV4 with `n` equal-share payees, sends it one payment (plain ETH
 * transfer into `receive()`), then releases the first payee's part.
 */
export async function measurePaymentSplitter(viem: Viem, n: number): Promise<PaymentSplitterGas> {
  const publicClient = await viem.getPublicClient();
  const [payer] = await viem.getWalletClients();
  const payees = benchAddresses(n, "splitter-payee");
  await makeAccountsExist(viem, payees);

  const { contract, deploymentTransaction } = await viem.sendDeploymentTransaction(
    "PaymentSplitterV4",
    [payees, payees.map(() => 1n)],
  );
  const deploy = await gasUsedBy(publicClient, deploymentTransaction.hash);

  const payInHash = await payer.sendTransaction({
    to: contract.address,
    value: BigInt(n) * 1_000_000n,
  });
  const payIn = await gasUsedBy(publicClient, payInHash);

  // Anyone may trigger a release; the payer does it because the derived payees have no keys.
  const releaseHash = await payer.writeContract({
    address: contract.address,
    abi: contract.abi,
    functionName: "release",
    args: [payees[0]],
  });
  const releaseOne = await gasUsedBy(publicClient, releaseHash);
  return { deploy, payIn, releaseOne };
}

// ---------------------------------------------------------------------------------------------
// Baseline 3: Ocean Protocol fixed-rate purchase
// ---------------------------------------------------------------------------------------------

interface CompiledArtifact {
  abi: Abi;
  bytecode: Hex;
}

const requireFromHere = createRequire(import.meta.url);

/** Loads a Hardhat artifact shipped in @oceanprotocol/contracts (no linking needed for these). */
function oceanArtifact(relativePath: string): CompiledArtifact {
  const artifact = requireFromHere(
    `@oceanprotocol/contracts/artifacts/contracts/${relativePath}.json`,
  ) as CompiledArtifact;
  return { abi: artifact.abi, bytecode: artifact.bytecode };
}

const OCEAN = {
  mockOcean: oceanArtifact("utils/mock/MockOcean.sol/MockOcean"),
  opfCollector: oceanArtifact("communityFee/OPFCommunityFeeCollector.sol/OPFCommunityFeeCollector"),
  router: oceanArtifact("pools/FactoryRouter.sol/FactoryRouter"),
  fixedRate: oceanArtifact("pools/fixedRate/FixedRateExchange.sol/FixedRateExchange"),
  erc20Template: oceanArtifact("templates/ERC20Template.sol/ERC20Template"),
  erc721Template: oceanArtifact("templates/ERC721Template.sol/ERC721Template"),
  erc721Factory: oceanArtifact("ERC721Factory.sol/ERC721Factory"),
} as const;

/** 1 datatoken costs 1 base token; `startOrder` always consumes exactly 1 datatoken (1e18). */
const OCEAN_RATE = parseEther("1");
const ONE_DATATOKEN = parseEther("1");

/** Records every transaction's gas under a readable label, in sending order. */
class GasLedger {
  readonly entries: Record<string, bigint> = {};

  constructor(private readonly publicClient: PublicClient) {}

  async record(label: string, hash: Hash) {
    const receipt = await successfulReceipt(this.publicClient, hash);
    if (label in this.entries) throw new Error(`duplicate gas label ${label}`);
    this.entries[label] = receipt.gasUsed;
    return receipt;
  }

  sum(labels: readonly string[]): bigint {
    return labels.reduce((total, label) => total + this.entries[label], 0n);
  }
}

interface OceanActors {
  /** Deploys the infrastructure and owns the router (Ocean's "routerOwner"). */
  deployer: WalletClient;
  publisher: WalletClient;
  buyer: WalletClient;
  /** Ocean Provider: signs the provider-fee message every order must carry. */
  provider: WalletClient;
  /** The datatoken's payment collector: the publisher's single revenue address. */
  collector: WalletClient;
}

interface OceanInfrastructure {
  baseToken: Address;
  router: Address;
  fixedRateExchange: Address;
  erc721Factory: Address;
  opfCollector: Address;
}

interface OceanListing {
  datatoken: Address;
  exchangeId: Hex;
}

async function deployArtifact(
  ledger: GasLedger,
  from: WalletClient,
  name: string,
  artifact: CompiledArtifact,
  args: readonly unknown[],
): Promise<Address> {
  const hash = await from.deployContract({ abi: artifact.abi, bytecode: artifact.bytecode, args });
  const receipt = await ledger.record(`deploy ${name}`, hash);
  if (!receipt.contractAddress) throw new Error(`${name} deployment returned no address`);
  return receipt.contractAddress;
}

async function getOceanActors(viem: Viem): Promise<OceanActors> {
  const [deployer, publisher, buyer, provider, collector] = await viem.getWalletClients();
  if (!collector) throw new Error("Ocean baseline needs 5 funded accounts");
  return { deployer, publisher, buyer, provider, collector };
}

/**
 * Deploys Ocean's v4 stack in the order of Ocean's own deployment script / FixedRateExchange
 * tests: base token, OPF fee collector, router, fixed-rate exchange, templates, NFT factory, then
 * registers the factory and the exchange with the router.
 */
async function deployOceanInfrastructure(
  ledger: GasLedger,
  actors: OceanActors,
): Promise<OceanInfrastructure> {
  const { deployer } = actors;
  const owner = deployer.account.address;
  const deploy = (name: string, artifact: CompiledArtifact, args: readonly unknown[] = []) =>
    deployArtifact(ledger, deployer, name, artifact, args);

  // MockOcean mints its whole supply to `owner`; the router treats it as OCEAN (approved token).
  const baseToken = await deploy("MockOcean", OCEAN.mockOcean, [owner]);
  const opfCollector = await deploy("OPFCommunityFeeCollector", OCEAN.opfCollector, [owner, owner]);
  // Pool template: unused by fixed-rate sales; Ocean's FixedRateExchange test passes OCEAN here too.
  const router = await deploy("FactoryRouter", OCEAN.router, [
    owner,
    baseToken,
    baseToken,
    opfCollector,
    [],
  ]);
  const fixedRateExchange = await deploy("FixedRateExchange", OCEAN.fixedRate, [router]);
  const erc20Template = await deploy("ERC20Template", OCEAN.erc20Template);
  const erc721Template = await deploy("ERC721Template", OCEAN.erc721Template);
  const erc721Factory = await deploy("ERC721Factory", OCEAN.erc721Factory, [
    erc721Template,
    erc20Template,
    router,
  ]);

  const routerCall = (functionName: string, address: Address) =>
    deployer.writeContract({
      address: router,
      abi: OCEAN.router.abi,
      functionName,
      args: [address],
    });
  await ledger.record("router.addFactory", await routerCall("addFactory", erc721Factory));
  await ledger.record(
    "router.addFixedRateContract",
    await routerCall("addFixedRateContract", fixedRateExchange),
  );
  return { baseToken, router, fixedRateExchange, erc721Factory, opfCollector };
}

/**
 * One transaction creates the data NFT, its datatoken (payment collector = `collector`) and a
 * minting fixed-rate exchange at 1 base token per datatoken, no publish-market fee.
 */
async function publishOceanAsset(
  ledger: GasLedger,
  actors: OceanActors,
  infra: OceanInfrastructure,
): Promise<OceanListing> {
  const publisherAddress = actors.publisher.account.address;
  const nftCreateData = {
    name: "Databank baseline NFT",
    symbol: "DBNFT",
    templateIndex: 1n,
    tokenURI: "https://example.invalid/nft/1",
    transferable: true,
    owner: publisherAddress,
  };
  const ercCreateData = {
    templateIndex: 1n,
    strings: ["Databank baseline DT", "DBDT"],
    // [minter, paymentCollector, publishMarketFeeAddress, publishMarketFeeToken]
    addresses: [publisherAddress, actors.collector.account.address, zeroAddress, zeroAddress],
    // [cap, publishMarketFeeAmount]
    uints: [parseEther("1000000"), 0n],
    bytess: [],
  };
  const fixedData = {
    fixedPriceAddress: infra.fixedRateExchange,
    // [baseToken, exchangeOwner, marketFeeCollector, allowedSwapper (0 = anyone)]
    addresses: [infra.baseToken, publisherAddress, publisherAddress, zeroAddress],
    // [baseTokenDecimals, datatokenDecimals, fixedRate, marketFee, withMint (1 = mint on buy)]
    uints: [18n, 18n, OCEAN_RATE, 0n, 1n],
  };
  const hash = await actors.publisher.writeContract({
    address: infra.erc721Factory,
    abi: OCEAN.erc721Factory.abi,
    functionName: "createNftWithErc20WithFixedRate",
    args: [nftCreateData, ercCreateData, fixedData],
  });
  const receipt = await ledger.record("publish createNftWithErc20WithFixedRate", hash);

  const [tokenCreated] = parseEventLogs({
    abi: OCEAN.erc721Factory.abi,
    eventName: "TokenCreated",
    logs: receipt.logs,
  });
  const [exchangeCreated] = parseEventLogs({
    abi: OCEAN.fixedRate.abi,
    eventName: "ExchangeCreated",
    logs: receipt.logs,
  });
  if (!tokenCreated || !exchangeCreated)
    throw new Error("publish emitted no TokenCreated/ExchangeCreated");
  const tokenArgs = tokenCreated.args as { newTokenAddress: Address };
  const exchangeArgs = exchangeCreated.args as { exchangeId: Hex };
  return { datatoken: tokenArgs.newTokenAddress, exchangeId: exchangeArgs.exchangeId };
}

/** The provider-fee struct every `startOrder` needs, signed the way ERC20Template checks it. */
async function signedZeroProviderFee(provider: WalletClient, feeToken: Address) {
  const providerData = toHex(JSON.stringify({ environment: "databank-bench" }));
  const providerFeeAmount = 0n;
  const validUntil = BigInt(Math.floor(Date.now() / 1000) + 86_400);
  const messageHash = keccak256(
    encodePacked(
      ["bytes", "address", "address", "uint256", "uint256"],
      [providerData, provider.account.address, feeToken, providerFeeAmount, validUntil],
    ),
  );
  // signMessage adds the "\x19Ethereum Signed Message:\n32" prefix that the template recomputes.
  const signature = await provider.signMessage({ message: { raw: messageHash } });
  const { r, s, v } = parseSignature(signature);
  if (v === undefined) throw new Error("provider signature lacks v");
  return {
    providerFeeAddress: provider.account.address,
    providerFeeToken: feeToken,
    providerFeeAmount,
    v: Number(v),
    r,
    s,
    validUntil,
    providerData,
  };
}

/**
 * One purchase as a buyer does it against Ocean's contracts (ocean.js' order flow): approve the
 * exact base-token cost, buyDT 1 datatoken on the fixed-rate exchange, then startOrder, which
 * spends that datatoken towards the payment collector. Returns the labels it recorded.
 */
async function baseTokenCostOfOneDatatoken(
  publicClient: PublicClient,
  infra: OceanInfrastructure,
  listing: OceanListing,
): Promise<bigint> {
  const [baseTokenCost] = (await publicClient.readContract({
    address: infra.fixedRateExchange,
    abi: OCEAN.fixedRate.abi,
    functionName: "calcBaseInGivenOutDT",
    args: [listing.exchangeId, ONE_DATATOKEN, 0n],
  })) as readonly [bigint, bigint, bigint, bigint];
  return baseTokenCost;
}

async function buyAndOrder(
  ledger: GasLedger,
  actors: OceanActors,
  infra: OceanInfrastructure,
  listing: OceanListing,
  baseTokenCost: bigint,
  purchase: string,
): Promise<string[]> {
  const { buyer } = actors;

  const labels = [`${purchase} approve`, `${purchase} buyDT`, `${purchase} startOrder`];
  await ledger.record(
    labels[0],
    await buyer.writeContract({
      address: infra.baseToken,
      abi: OCEAN.mockOcean.abi,
      functionName: "approve",
      args: [infra.fixedRateExchange, baseTokenCost],
    }),
  );
  await ledger.record(
    labels[1],
    await buyer.writeContract({
      address: infra.fixedRateExchange,
      abi: OCEAN.fixedRate.abi,
      functionName: "buyDT",
      args: [listing.exchangeId, ONE_DATATOKEN, baseTokenCost, zeroAddress, 0n],
    }),
  );
  const noConsumeMarketFee = {
    consumeMarketFeeAddress: zeroAddress,
    consumeMarketFeeToken: zeroAddress,
    consumeMarketFeeAmount: 0n,
  };
  await ledger.record(
    labels[2],
    await buyer.writeContract({
      address: listing.datatoken,
      abi: OCEAN.erc20Template.abi,
      functionName: "startOrder",
      args: [
        buyer.account.address,
        0n,
        await signedZeroProviderFee(actors.provider, infra.baseToken),
        noConsumeMarketFee,
      ],
    }),
  );
  return labels;
}

async function fundBuyer(
  ledger: GasLedger,
  actors: OceanActors,
  infra: OceanInfrastructure,
): Promise<void> {
  const hash = await actors.deployer.writeContract({
    address: infra.baseToken,
    abi: OCEAN.mockOcean.abi,
    functionName: "transfer",
    args: [actors.buyer.account.address, parseEther("100")],
  });
  await ledger.record("fund buyer with base token", hash);
}

async function baseTokenBalance(
  publicClient: PublicClient,
  token: Address,
  holder: Address,
): Promise<bigint> {
  return (await publicClient.readContract({
    address: token,
    abi: OCEAN.mockOcean.abi,
    functionName: "balanceOf",
    args: [holder],
  })) as bigint;
}

/**
 * The seller collects one purchase's base tokens from the exchange. collectBT is permissionless
 * and always pays the datatoken's payment collector; the collector sends it here. Throws unless
 * the collector's balance rose by exactly `price`, so a silently changed flow cannot go unnoticed.
 */
async function collectSale(
  ledger: GasLedger,
  publicClient: PublicClient,
  actors: OceanActors,
  infra: OceanInfrastructure,
  listing: OceanListing,
  price: bigint,
  label: string,
): Promise<bigint> {
  const collector = actors.collector.account.address;
  const before = await baseTokenBalance(publicClient, infra.baseToken, collector);
  const hash = await actors.collector.writeContract({
    address: infra.fixedRateExchange,
    abi: OCEAN.fixedRate.abi,
    functionName: "collectBT",
    args: [listing.exchangeId, price],
  });
  const receipt = await ledger.record(label, hash);
  const gained = (await baseTokenBalance(publicClient, infra.baseToken, collector)) - before;
  if (gained !== price) throw new Error(`${label}: collector gained ${gained}, expected ${price}`);
  return receipt.gasUsed;
}

/**
 * Deploys Ocean Protocol's contracts from @oceanprotocol/contracts' artifacts, publishes one
 * asset, has one buyer purchase it twice and the seller collect after each purchase.
 */
export async function runOceanPurchase(viem: Viem): Promise<OceanPurchaseRun> {
  const publicClient = await viem.getPublicClient();
  const ledger = new GasLedger(publicClient);
  const actors = await getOceanActors(viem);

  const infra = await deployOceanInfrastructure(ledger, actors);
  const listing = await publishOceanAsset(ledger, actors, infra);
  await fundBuyer(ledger, actors, infra);

  const price = (ONE_DATATOKEN * OCEAN_RATE) / parseEther("1");
  const buyerCost = await baseTokenCostOfOneDatatoken(publicClient, infra, listing);
  const purchase = (name: string) => buyAndOrder(ledger, actors, infra, listing, buyerCost, name);
  const collect = (label: string) =>
    collectSale(ledger, publicClient, actors, infra, listing, price, label);

  const first = await purchase("purchase 1");
  const firstCollect = await collect("purchase 1 collectBT (seller)");
  const repeat = await purchase("purchase 2");
  const repeatCollect = await collect("purchase 2 collectBT (seller)");

  return {
    gas: {
      publish: ledger.entries["publish createNftWithErc20WithFixedRate"],
      firstPurchase: ledger.sum(first),
      repeatPurchase: ledger.sum(repeat),
      firstCollect,
      repeatCollect,
      details: ledger.entries,
    },
    baseToken: infra.baseToken,
    datatoken: listing.datatoken,
    collector: actors.collector.account.address,
    pricePerPurchase: price,
    buyerCostPerPurchase: buyerCost,
    purchases: 2,
  };
}

/** Gas figures of {@link runOceanPurchase}. */
export async function measureOceanPurchase(viem: Viem): Promise<OceanPurchaseGas> {
  return (await runOceanPurchase(viem)).gas;
}

// ---------------------------------------------------------------------------------------------
// Stand-alone run: `npx hardhat run scripts/bench/baselines.ts`
// ---------------------------------------------------------------------------------------------

const TABLE_SIZES = [10, 1000, 10000] as const;

/** EIP-7825 (Osaka): no transaction may use more than 2^24 gas, whatever the block gas limit. */
const EIP_7825_TX_GAS_CAP = 2n ** 24n;

/** Room for the largest baseline (PaymentSplitter with 10,000 payees) on the uncapped copy. */
const UNCAPPED_BLOCK_GAS_LIMIT = 2_000_000_000n;

interface GasLimits {
  blockGasLimit: bigint;
  txGasCap: bigint;
}

/** Reads the block gas limit, and finds the per-tx cap by asking for one gas more than EIP-7825. */
async function readGasLimits(viem: Viem): Promise<GasLimits> {
  const publicClient = await viem.getPublicClient();
  const [caller] = await viem.getWalletClients();
  const { gasLimit: blockGasLimit } = await publicClient.getBlock();
  try {
    await publicClient.call({
      account: caller.account.address,
      to: caller.account.address,
      gas: EIP_7825_TX_GAS_CAP + 1n,
    });
    return { blockGasLimit, txGasCap: blockGasLimit };
  } catch (error) {
    if (limitRefusalOf(error) !== "gas") throw error;
    return { blockGasLimit, txGasCap: EIP_7825_TX_GAS_CAP };
  }
}

/** EIP-3860 (Shanghai): contract-creation code, constructor arguments included, ≤ 49,152 bytes. */
const EIP_3860_MAX_INITCODE_BYTES = 49_152;

/** Which protocol limit made the default network refuse a transaction. */
type LimitRefusal = "initcode size" | "gas";

/** Classifies an error (or any of its causes) as a limit refusal; undefined for real failures. */
function limitRefusalOf(error: unknown): LimitRefusal | undefined {
  for (let cause = error; cause instanceof Error; cause = cause.cause) {
    if (/initcode size limit/i.test(cause.message)) return "initcode size";
    if (/ran out of gas|gas limit|greater than the cap|exceeds block gas/i.test(cause.message)) {
      return "gas";
    }
  }
  return undefined;
}

interface Measurement<T> {
  figures: T;
  /** Set when the default network refused a transaction and the uncapped copy measured it. */
  refusal?: LimitRefusal;
}

/**
 * Measures on the default network; if a transaction does not fit a protocol limit, measures again
 * on a copy with the limits lifted (same hardfork and EVM, so identical gas) so the table can say
 * by how much it does not fit instead of only that it failed.
 */
async function measureOrMeasureUncapped<T>(
  measure: (viem: Viem) => Promise<T>,
  viem: Viem,
  uncappedViem: () => Promise<Viem>,
): Promise<Measurement<T>> {
  try {
    return { figures: await measure(viem) };
  } catch (error) {
    const refusal = limitRefusalOf(error);
    if (refusal === undefined) throw error;
    return { figures: await measure(await uncappedViem()), refusal };
  }
}

function formatGas(gas: bigint): string {
  return gas.toLocaleString("en-US");
}

/** Short cell markers, explained by {@link limitLegend} under the table. */
const MARK = { initcode: "[I]", block: "[B]", txCap: "[C]", uncappedOnly: "[*]" } as const;

function describeCell(
  metric: string,
  gas: bigint,
  limits: GasLimits,
  refusal: LimitRefusal | undefined,
): string {
  const marks: string[] = [];
  // Only a creation carries initcode, so a size refusal belongs to the deploy figure.
  if (refusal === "initcode size" && metric === "deploy") marks.push(MARK.initcode);
  if (gas > limits.blockGasLimit) marks.push(MARK.block);
  else if (gas > limits.txGasCap) marks.push(MARK.txCap);
  if (refusal !== undefined && marks.length === 0) marks.push(MARK.uncappedOnly);
  return [formatGas(gas), ...marks].join(" ");
}

function limitLegend(limits: GasLimits): string[] {
  return [
    `${MARK.block} exceeds block gas limit (${formatGas(limits.blockGasLimit)})`,
    `${MARK.txCap} exceeds EIP-7825 per-transaction gas cap (${formatGas(limits.txGasCap)})`,
    `${MARK.initcode} exceeds EIP-3860 initcode size limit (${formatGas(BigInt(EIP_3860_MAX_INITCODE_BYTES))} bytes, ` +
      "constructor arguments included): cannot be deployed at all",
    `${MARK.uncappedOnly} fits, but needs a deployment that does not; measured like every ` +
      "marked figure on an uncapped copy of the network (same hardfork and EVM, limits lifted)",
  ];
}

/** Runs `measure` for each N in order (one connection, so transactions must not interleave). */
async function measureEachSize<T>(
  measure: (viem: Viem, n: number) => Promise<T>,
  viem: Viem,
  uncappedViem: () => Promise<Viem>,
): Promise<Measurement<T>[]> {
  const results: Measurement<T>[] = [];
  for (const n of TABLE_SIZES) {
    results.push(await measureOrMeasureUncapped((v) => measure(v, n), viem, uncappedViem));
  }
  return results;
}

function rowsFor<T extends object>(
  design: string,
  measurements: readonly Measurement<T>[],
  limits: GasLimits,
): string[][] {
  const metrics = Object.keys(measurements[0].figures) as (keyof T & string)[];
  return metrics.map((metric) => [
    `${design} ${metric}`,
    ...measurements.map(({ figures, refusal }) =>
      describeCell(metric, figures[metric] as bigint, limits, refusal),
    ),
  ]);
}

function hardforkOf(config: NetworkConfig): string {
  return config.type === "edr-simulated" ? config.hardfork : "of the remote node";
}

export async function printBaselines(): Promise<void> {
  const connection = await network.create();
  let uncapped: Viem | undefined;
  const uncappedViem = async (): Promise<Viem> => {
    uncapped ??= (
      await network.create({
        override: {
          blockGasLimit: UNCAPPED_BLOCK_GAS_LIMIT,
          transactionGasCap: false,
          // In EDR this lifts EIP-170 (code size) and EIP-3860 (initcode size) checks.
          allowUnlimitedContractSize: true,
        },
      })
    ).viem;
    return uncapped;
  };
  const viem = connection.viem;
  const limits = await readGasLimits(viem);
  console.log(
    `network "${connection.networkName}" (hardfork ${hardforkOf(connection.networkConfig)}): ` +
      `block gas limit ${formatGas(limits.blockGasLimit)}, ` +
      `per-transaction gas cap ${formatGas(limits.txGasCap)}`,
  );

  const push = await measureEachSize(measureNaivePushSplit, viem, uncappedViem);
  const splitter = await measureEachSize(measurePaymentSplitter, viem, uncappedViem);
  printTable(
    "Baselines by number of recipients N (gas used, from receipts)",
    ["design / metric", ...TABLE_SIZES.map((n) => `N = ${n}`)],
    [...rowsFor("NaivePushSplit", push, limits), ...rowsFor("PaymentSplitter", splitter, limits)],
  );
  for (const line of limitLegend(limits)) console.log(line);

  const ocean = await runOceanPurchase(viem);
  const { details, ...summary } = ocean.gas;
  printTable(
    "Ocean Protocol fixed-rate purchase (one payment collector, independent of N)",
    ["metric", "gas"],
    Object.entries(summary).map(([metric, gas]) => [metric, formatGas(gas)]),
  );
  printTable(
    "Ocean Protocol: every transaction",
    ["transaction", "gas"],
    Object.entries(details).map(([label, gas]) => [label, formatGas(gas)]),
  );
}

/** True when Hardhat was asked to run this very file (not when another script imports it). */
function isRunDirectly(): boolean {
  const thisFile = fileURLToPath(import.meta.url);
  return process.argv.some((argument) => path.resolve(argument) === thisFile);
}

if (isRunDirectly()) {
  await printBaselines();
}
