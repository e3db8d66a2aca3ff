/**
 * `importBundle` re-seals each record for the new pool: the envelopes it uploads must be format v2,
 * bound to the importing contributor, the new pool and the target deployment (a custodian refuses
 * anything else), and the CID it signs for must be the envelope's, in the canonical spelling.
 */
import { expect } from "chai";
import { bases } from "multiformats/basics";
import { CID } from "multiformats/cid";
import { getAddress, type Hex } from "viem";
import { generatePrivateKey, privateKeyToAccount } from "viem/accounts";
import type { ConsentRequest } from "../../../../lib/contracts/client.js";
import {
  generateKeyPair,
  openEnvelope,
  parseEnvelopeHeader,
} from "../../../../lib/crypto/index.js";
import {
  EXPORT_BUNDLE_SCHEMA_ID,
  importBundle,
  type ExportBundle,
} from "../../../../lib/portability/index.js";
import { computeCid } from "../../../../lib/storage/cid.js";

const TARGET_DATABANK = getAddress("0xe7f1725e7734ce288f8367e1bb143e90bb3f0512");
const TARGET_CHAIN = 8453;
const TARGET_POOL = 7;

function bundleOf(wallet: string): ExportBundle {
  return {
    $schema: EXPORT_BUNDLE_SCHEMA_ID,
    format: "databank-export",
    version: 1,
    exportedAt: "2026-11-23T12:00:00.000Z",
    wallet,
    chainId: 31337,
    databank: "0x5FbDB2315678afecb367f032d93F642f64180aa3",
    contributions: [
      {
        contributionId: "1",
        poolId: 1,
        status: "active",
        dataCid: "bafkreigh2akiscaildcqabsyg3dfr6chu3fgpregiymsck7e7aqa4s52zy",
        dataCommitment: `0x${"12".repeat(32)}`,
        expiresAt: 0,
        submittedTx: `0x${"ab".repeat(32)}`,
        record: { contentType: "application/json", json: { title: "Engineer" } },
      },
    ],
    payouts: [],
  } as ExportBundle;
}

/** A target node that stores uploads and records relayed consents; `spell` rewrites the CID it answers. */
function fakeNode(spell: (cid: string) => string = (cid) => cid) {
  const uploads: Uint8Array[] = [];
  const relayed: ConsentRequest[] = [];
  return {
    uploads,
    relayed,
    api: {
      async uploadContent(bytes: Uint8Array) {
        uploads.push(bytes);
        return { cid: spell(await computeCid(bytes)) };
      },
      async relayConsent(body: { request: ConsentRequest; signature: Hex }) {
        relayed.push(body.request);
        return { contributionId: "42", transactionHash: `0x${"cd".repeat(32)}` as Hex };
      },
    },
  };
}

describe("lib/portability: importBundle re-seals for the new pool", function () {
  const account = privateKeyToAccount(generatePrivateKey());
  const custodian = generateKeyPair();
  const contributor = generateKeyPair();
  const databank = {
    address: TARGET_DATABANK,
    chainId: async () => TARGET_CHAIN,
    consentTypedData: async (request: ConsentRequest) => ({
      domain: { name: "Databank", chainId: TARGET_CHAIN, verifyingContract: TARGET_DATABANK },
      types: { Consent: [{ name: "dataCid", type: "string" }] },
      primaryType: "Consent" as const,
      message: { dataCid: request.dataCid },
    }),
  };
  const params = (api: ReturnType<typeof fakeNode>["api"]) => ({
    bundle: bundleOf(account.address),
    api,
    databank,
    poolId: TARGET_POOL,
    custodianPublicKey: custodian.publicKey,
    signer: account,
    contributorPublicKey: contributor.publicKey,
  });

  it("uploads a v2 envelope bound to the importing contributor, the new pool and deployment", async function () {
    const node = fakeNode();
    const [outcome] = await importBundle(params(node.api));
    expect(outcome).to.include({ ok: true });
    const [envelope] = node.uploads;
    const header = parseEnvelopeHeader(envelope!);
    expect(header.version).to.equal(2);
    expect(header.binding).to.deep.equal({
      chainId: TARGET_CHAIN,
      databank: TARGET_DATABANK,
      poolId: TARGET_POOL,
      contributor: account.address,
    });
    const opened = await openEnvelope(envelope!, custodian.privateKey);
    expect(JSON.parse(new TextDecoder().decode(opened))).to.deep.equal({ title: "Engineer" });
    expect(node.relayed[0]!.dataCid).to.equal(await computeCid(envelope!));
  });

  it("signs nothing when the node answers the CID in another spelling", async function () {
    const node = fakeNode((cid) => CID.parse(cid).toString(bases.base58btc));
    const [outcome] = await importBundle(params(node.api));
    expect(outcome).to.include({ ok: false });
    expect((outcome as { error: string }).error).to.match(
      /not spelled the one way Databank accepts/,
    );
    expect(node.relayed).to.deep.equal([]);
  });
});
