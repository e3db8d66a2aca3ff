import { expect } from "chai";
import { network } from "hardhat";
import {
  BaseError,
  ContractFunctionRevertedError,
  encodeErrorResult,
  formatUnits,
  getAddress,
  hashTypedData,
  keccak256,
  parseEventLogs,
  toHex,
  zeroAddress,
  type AbiParameter,
  type Hex,
} from "viem";
import { generatePrivateKey, privateKeyToAccount } from "viem/accounts";
import { databankAbi } from "../../../../lib/contracts/abis.js";
import {
  consentRequestArgs,
  consentTypedData,
  createDatabankClient,
  dataCommitment,
  databankErrorMessage,
  databankErrorNames,
  decodeDatabankError,
  DatabankError,
  purchaseFromEvent,
  recordProof,
  recordsRoot,
  verifyRecord,
} from "../../../../lib/contracts/index.js";
import { deployDatabankWithViem } from "../../../../scripts/stack/deploy.js";

const PRICE = 10n ** 18n;
const CUSTODIAN_KEY: Hex = `0x${"11".repeat(32)}`;
const BUYER_KEY: Hex = `0x${"22".repeat(32)}`;
const TERMS_CID = "bafkreitermsterms";
const PURCHASE_FULFILLED = 2;

/** The revert of `action`, which must throw. */
async function failureOf(action: () => Promise<unknown>): Promise<unknown> {
  try {
    await action();
  } catch (error) {
    return error;
  }
  throw new Error("expected the call to revert");
}

/** A fresh chain with a Databank and one pool (native coin, 1 ETH, k = `minContributors`). */
async function deployWithPool(minContributors = 1) {
  const { viem } = await network.create();
  const publicClient = await viem.getPublicClient();
  const [owner, treasury, curator, custodian, buyer, stranger] = await viem.getWalletClients();
  const { databank: deployed } = await deployDatabankWithViem(viem, {
    owner: owner.account.address,
    treasury: treasury.account.address,
  });
  const asCurator = createDatabankClient({
    publicClient,
    walletClient: curator,
    address: deployed.address,
  });
  await publicClient.waitForTransactionReceipt({
    hash: await asCurator.contract.write.createPool([
      {
        paymentToken: zeroAddress,
        price: PRICE,
        contributorShareBps: 7_000,
        minContributors,
        maxContributors: 0,
        bountyPerContribution: 0n,
        deliveryWindow: 86_400,
        purposes: 3,
        custodian: custodian.account.address,
        custodianKey: CUSTODIAN_KEY,
        schemaCid: "bafkreischemaschema",
        termsCid: TERMS_CID,
        products: 1,
        queryPrice: 0n,
        epsilonBudget: 0,
        maxEpsilonPerQuery: 0,
      },
    ]),
  });
  const poolId = await asCurator.contract.read.poolCount();
  const clientOf = (walletClient: typeof buyer) =>
    createDatabankClient({ publicClient, walletClient, address: deployed.address });
  return {
    viem,
    publicClient,
    address: deployed.address,
    poolId,
    owner,
    custodian,
    buyer,
    stranger,
    reader: createDatabankClient({ publicClient, address: deployed.address }),
    asCustodian: clientOf(custodian),
    asBuyer: clientOf(buyer),
    asStranger: clientOf(stranger),
  };
}

type Setup = Awaited<ReturnType<typeof deployWithPool>>;

/** Signs a consent with a fresh local account and relays it as the custodian. */
async function relayContribution(setup: Setup, dataCid: string) {
  const contributor = privateKeyToAccount(generatePrivateKey());
  const request = {
    contributor: contributor.address,
    poolId: setup.poolId,
    dataCid,
    expiresAt: 0,
    deadline: 2n ** 40n,
    scope: 1,
  };
  const typedData = await setup.asCustodian.consentTypedData(request);
  const signature = await contributor.signTypedData(typedData);
  const hash = await setup.asCustodian.contract.write.contributeWithSignature([
    consentRequestArgs(request),
    signature,
  ]);
  const receipt = await setup.publicClient.waitForTransactionReceipt({ hash });
  const [granted] = parseEventLogs({
    abi: databankAbi,
    eventName: "ConsentGranted",
    logs: receipt.logs,
  });
  return { contributor, request, typedData, receipt, tokenId: granted!.args.contributionId };
}

describe("lib/contracts/client", function () {
  describe("relayed consent", function () {
    it("builds typed data that the contract accepts in contributeWithSignature", async function () {
      const setup = await deployWithPool();
      const dataCid = "bafkreidatadataone";
      const { contributor, request, typedData, receipt, tokenId } = await relayContribution(
        setup,
        dataCid,
      );
      expect(receipt.status).to.equal("success");
      expect(await setup.reader.contract.read.ownerOf([tokenId])).to.equal(contributor.address);
      const consent = await setup.reader.contract.read.consentOf([tokenId]);
      expect(consent.dataCommitment).to.equal(dataCommitment(dataCid));
      expect(consent.poolId).to.equal(setup.poolId);
      expect(await setup.reader.contract.read.nonces([contributor.address])).to.equal(1n);

      // The standalone builder gives the same typed data, and its digest is the contract's.
      const pool = await setup.reader.contract.read.getPool([setup.poolId]);
      const standalone = consentTypedData({
        chainId: await setup.publicClient.getChainId(),
        databank: setup.address,
        request,
        termsDigest: pool.termsDigest,
        purposes: pool.purposes,
        nonce: 0n,
      });
      expect(standalone).to.deep.equal(typedData);
      expect(standalone.message.termsDigest).to.equal(keccak256(toHex(TERMS_CID)));
      expect(hashTypedData(standalone)).to.equal(
        await setup.reader.contract.read.consentDigest([consentRequestArgs(request), 0n]),
      );
    });

    it("is rejected with InvalidSignature when someone else signs", async function () {
      const setup = await deployWithPool();
      const contributor = privateKeyToAccount(generatePrivateKey());
      const impostor = privateKeyToAccount(generatePrivateKey());
      const request = {
        contributor: contributor.address,
        poolId: setup.poolId,
        dataCid: "bafkreiforged",
        expiresAt: 0,
        deadline: 2n ** 40n,
        scope: 1,
      };
      const signature = await impostor.signTypedData(
        await setup.asCustodian.consentTypedData(request),
      );
      const error = await failureOf(() =>
        setup.asCustodian.contract.simulate.contributeWithSignature([
          consentRequestArgs(request),
          signature,
        ]),
      );
      const decoded = decodeDatabankError(error);
      expect(decoded?.name).to.equal("InvalidSignature");
      expect(decoded?.args).to.deep.equal([contributor.address]);
      expect(decoded?.message).to.equal(
        `The signature is not ${contributor.address}'s for this consent and nonce.`,
      );
    });
  });

  describe("purchaseFromEvent", function () {
    it("turns a purchase receipt into the struct fulfill takes", async function () {
      const setup = await deployWithPool();
      const dataCid = "bafkreidatadelivered";
      const { tokenId } = await relayContribution(setup, dataCid);

      const hash = await setup.asBuyer.contract.write.purchase([setup.poolId, PRICE, BUYER_KEY], {
        value: PRICE,
      });
      const receipt = await setup.publicClient.waitForTransactionReceipt({ hash });
      const purchase = setup.asBuyer.purchaseFromEvent(receipt);
      const block = await setup.publicClient.getBlock({ blockNumber: receipt.blockNumber });
      expect(purchase).to.deep.equal({
        id: 1n,
        poolId: setup.poolId,
        buyer: getAddress(setup.buyer.account.address),
        amount: PRICE,
        deadline: Number(block.timestamp) + 86_400,
        erasureMark: 0,
        epsilon: 0,
      });
      expect(purchaseFromEvent(receipt.logs)).to.deep.equal(purchase);
      expect(await setup.reader.contract.read.purchaseStatus([purchase.id])).to.equal(1);

      const records = [{ tokenId, dataCommitment: dataCommitment(dataCid) }];
      const root = recordsRoot(records);
      const fulfilled = await setup.publicClient.waitForTransactionReceipt({
        hash: await setup.asCustodian.contract.write.fulfill([
          purchase,
          "bafkreidelivery",
          root,
          records.length,
          purchase.erasureMark,
        ]),
      });
      expect(fulfilled.status).to.equal("success");
      expect(await setup.reader.contract.read.purchaseStatus([purchase.id])).to.equal(
        PURCHASE_FULFILLED,
      );
      const [event] = parseEventLogs({
        abi: databankAbi,
        eventName: "PurchaseFulfilled",
        logs: fulfilled.logs,
      });
      expect(event!.args.recordsRoot).to.equal(root);
      expect(verifyRecord(event!.args.recordsRoot, records[0]!, recordProof(records, tokenId))).to
        .be.true;

      // The same struct cannot be settled twice; the error says so.
      const again = decodeDatabankError(
        await failureOf(() =>
          setup.asCustodian.contract.simulate.fulfill([purchase, "bafkreidelivery", root, 1, 0]),
        ),
      );
      expect(again?.name).to.equal("PurchaseSettled");
      expect(again?.message).to.equal("Purchase 1 is already fulfilled.");
    });

    it("refuses receipts without exactly one purchase, and logs of another contract", async function () {
      const setup = await deployWithPool();
      const { receipt } = await relayContribution(setup, "bafkreinopurchase");
      expect(() => purchaseFromEvent(receipt)).to.throw(/found 0/);

      const hash = await setup.asBuyer.contract.write.purchase([setup.poolId, PRICE, BUYER_KEY], {
        value: PRICE,
      });
      const bought = await setup.publicClient.waitForTransactionReceipt({ hash });
      expect(() => purchaseFromEvent(bought, { address: zeroAddress })).to.throw(/found 0/);
      expect(() => purchaseFromEvent({ logs: [...bought.logs, ...bought.logs] })).to.throw(
        /found 2/,
      );
    });
  });

  describe("decodeDatabankError", function () {
    it("decodes PriceAboveMax from a simulation and from a sent transaction", async function () {
      const setup = await deployWithPool();
      await relayContribution(setup, "bafkreiprice");
      const maxPrice = PRICE - 1n;
      const expected = `The price rose to ${PRICE} base units, above the maximum you accepted (${maxPrice} base units).`;

      const simulated = decodeDatabankError(
        await failureOf(() =>
          setup.asBuyer.contract.simulate.purchase([setup.poolId, maxPrice, BUYER_KEY], {
            value: maxPrice,
          }),
        ),
      );
      expect(simulated).to.be.instanceOf(DatabankError);
      expect(simulated?.name).to.equal("PriceAboveMax");
      expect(simulated?.args).to.deep.equal([PRICE, maxPrice]);
      expect(simulated?.message).to.equal(expected);

      const sent = decodeDatabankError(
        await failureOf(() =>
          setup.asBuyer.contract.write.purchase([setup.poolId, maxPrice, BUYER_KEY], {
            value: maxPrice,
          }),
        ),
      );
      expect(sent?.name).to.equal("PriceAboveMax");
      expect(sent?.args).to.deep.equal([PRICE, maxPrice]);
      expect(sent?.message).to.equal(expected);
    });

    it("decodes UnknownPool, BelowThreshold, NotCustodian and OpenZeppelin errors", async function () {
      const setup = await deployWithPool(2);
      await relayContribution(setup, "bafkreionlyone");

      const unknown = decodeDatabankError(
        await failureOf(() =>
          setup.asBuyer.contract.simulate.purchase([99, PRICE, BUYER_KEY], { value: PRICE }),
        ),
      );
      expect(unknown?.name).to.equal("UnknownPool");
      expect(unknown?.args).to.deep.equal([99]);
      expect(unknown?.message).to.equal("Pool 99 does not exist.");

      const below = decodeDatabankError(
        await failureOf(() =>
          setup.asBuyer.contract.simulate.purchase([setup.poolId, PRICE, BUYER_KEY], {
            value: PRICE,
          }),
        ),
      );
      expect(below?.name).to.equal("BelowThreshold");
      expect(below?.args).to.deep.equal([setup.poolId, 1, 2]);
      expect(below?.message).to.equal(
        "This pool has 1 active contributors; sales need at least 2.",
      );

      const notCustodian = decodeDatabankError(
        await failureOf(() =>
          setup.asStranger.contract.simulate.fulfill([
            {
              id: 1n,
              poolId: setup.poolId,
              buyer: zeroAddress,
              amount: 0n,
              deadline: 0,
              erasureMark: 0,
              epsilon: 0,
            },
            "bafkreidelivery",
            `0x${"00".repeat(32)}`,
            1,
            0,
          ]),
        ),
      );
      expect(notCustodian?.name).to.equal("NotCustodian");
      expect(notCustodian?.args).to.deep.equal([
        setup.poolId,
        getAddress(setup.stranger.account.address),
      ]);

      const notOwner = decodeDatabankError(
        await failureOf(() => setup.asStranger.contract.write.setPlatformFee([100])),
      );
      expect(notOwner?.name).to.equal("OwnableUnauthorizedAccount");
      expect(notOwner?.message).to.equal(
        `Only the platform owner can do this; ${getAddress(setup.stranger.account.address)} is not the owner.`,
      );

      const noToken = decodeDatabankError(
        await failureOf(() => setup.reader.contract.read.tokenURI([12_345n])),
      );
      expect(noToken?.name).to.equal("ERC721NonexistentToken");
      expect(noToken?.args).to.deep.equal([12_345n]);
      expect(noToken?.message).to.equal("Consent token 12345 does not exist.");
    });

    it("returns undefined for errors that are not reverts", function () {
      expect(decodeDatabankError(new Error("network down"))).to.equal(undefined);
      expect(decodeDatabankError(new BaseError("timeout"))).to.equal(undefined);
      expect(decodeDatabankError("PriceAboveMax")).to.equal(undefined);
      expect(decodeDatabankError(undefined)).to.equal(undefined);
    });

    it("has a plain sentence for every error in the ABI, and decodes each from revert data", function () {
      const errors = databankAbi.filter((item) => item.type === "error");
      expect(errors.length).to.be.greaterThan(50);
      for (const item of errors) {
        expect(databankErrorNames, item.name).to.include(item.name);
        const args = item.inputs.map(sampleValue);
        const data = encodeErrorResult({ abi: [item], errorName: item.name, args } as never);
        const reverted = new ContractFunctionRevertedError({
          abi: databankAbi,
          data,
          functionName: "purchase",
        });
        const decoded = decodeDatabankError(reverted);
        expect(decoded?.name, item.name).to.equal(item.name);
        expect(decoded?.args, item.name).to.deep.equal(args);
        expect(decoded?.data, item.name).to.equal(data);
        expect(decoded?.message, item.name).to.equal(databankErrorMessage(item.name, args));
        expect(decoded?.message, item.name).to.not.match(/refused with|undefined|\[object/);
        expect(decoded?.message, item.name).to.match(/^[A-Z0-9$].*\.$/);
      }
    });

    it("covers the OpenZeppelin errors named in the brief, and errors raised outside the ABI", function () {
      for (const name of [
        "ERC721NonexistentToken",
        "OwnableUnauthorizedAccount",
        "ReentrancyGuardReentrantCall",
        "SafeCastOverflowedUintDowncast",
        "SafeERC20FailedOperation",
        "AddressInsufficientBalance",
        "InsufficientBalance",
        "FailedCall",
        "ERC20InsufficientAllowance",
      ]) {
        expect(databankErrorNames, name).to.include(name);
      }
      // Revert data of an error the Databank ABI lacks (a payment token's), as an RPC error carries it.
      const data = encodeErrorResult({
        abi: [
          {
            type: "error",
            name: "ERC20InsufficientAllowance",
            inputs: [
              { name: "spender", type: "address" },
              { name: "allowance", type: "uint256" },
              { name: "needed", type: "uint256" },
            ],
          },
        ],
        errorName: "ERC20InsufficientAllowance",
        args: [zeroAddress, 1n, 5n],
      });
      const rpcError = new BaseError("execution reverted", {
        cause: Object.assign(new Error("execution reverted"), { data }),
      });
      const decoded = decodeDatabankError(rpcError);
      expect(decoded?.name).to.equal("ERC20InsufficientAllowance");
      expect(decoded?.message).to.match(
        /may spend 1 base units of your payment token, less than the 5 base units needed/,
      );
      // With the operation's token known, amounts are in its units and symbol, never base units.
      const tusd = (value: bigint) => `${formatUnits(value, 6)} TUSD`;
      expect(decodeDatabankError(rpcError, { amount: tusd })?.message).to.equal(
        `The Databank (${zeroAddress}) may spend 0.000001 TUSD of your payment token, less than the 0.000005 TUSD needed; approve it first.`,
      );
      expect(decodeDatabankError(decoded, { amount: tusd })?.message).to.match(/0\.000005 TUSD/);
      expect(
        databankErrorMessage("ERC20InsufficientBalance", [zeroAddress, 0n, 25_000_000n], {
          amount: tusd,
        }),
      ).to.equal(`${zeroAddress} has 0 TUSD of the payment token, less than the 25 TUSD needed.`);
      expect(
        databankErrorMessage("PriceAboveMax", [2_500_000n, 2_000_000n], { amount: tusd }),
      ).to.equal("The price rose to 2.5 TUSD, above the maximum you accepted (2 TUSD).");
      expect(databankErrorMessage("SignatureExpired", [2n ** 256n - 1n])).to.equal(
        `The signature expired at unix time ${2n ** 256n - 1n}.`,
      );
      expect(databankErrorMessage("SignatureExpired", [0n])).to.equal(
        "The signature expired at 1970-01-01T00:00:00Z.",
      );
      expect(databankErrorMessage("NoSuchError", [1n])).to.equal(
        "The transaction was refused with NoSuchError(1).",
      );
      expect(databankErrorMessage("Panic", [0x11n])).to.equal(
        "The contract stopped on an arithmetic operation overflowed.",
      );
    });
  });
});

/** A non-default value of an ABI parameter, as viem decodes it. */
function sampleValue(parameter: AbiParameter): unknown {
  const { type } = parameter;
  if (type === "address") return getAddress(`0x${"ab".repeat(20)}`);
  if (type === "bytes32") return `0x${"cd".repeat(32)}`;
  if (type === "string") return "bafkreisample";
  if (type === "bool") return true;
  const bits = /^uint(\d+)$/.exec(type);
  if (bits) return Number(bits[1]) > 48 ? 7n : 2;
  throw new Error(`no sample for ${type}`);
}
