import { readFileSync } from "node:fs";
import { Ajv2020 } from "ajv/dist/2020.js";
import { expect } from "chai";
import {
  EXPORT_BUNDLE_SCHEMA_ID,
  ExportBundleError,
  exportBundleJsonSchema,
  parseExportBundle,
  purposeNames,
  type ExportBundle,
} from "../../../../lib/portability/index.js";

const TX = `0x${"ab".repeat(32)}` as const;

function sampleBundle(): ExportBundle {
  return {
    $schema: EXPORT_BUNDLE_SCHEMA_ID,
    format: "databank-export",
    version: 1,
    exportedAt: "2026-11-23T12:00:00.000Z",
    wallet: "0x70997970C51812dc3A010C7d01b50e0d17dc79C8",
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
        submittedTx: TX,
        consent: {
          grantedTx: TX,
          termsCid: "bafkreigh2akiscaildcqabsyg3dfr6chu3fgpregiymsck7e7aqa4s52zy",
          termsDigest: `0x${"34".repeat(32)}`,
          terms: "You share your resume.",
          purposes: ["analytics", "recruitment"],
          bounty: "1000000000000000",
        },
        record: { contentType: "application/json", json: { title: "Engineer" } },
      },
    ],
    payouts: [
      {
        kind: "withdrawn",
        token: "0x0000000000000000000000000000000000000000",
        amount: "5",
        tx: TX,
        blockNumber: "9",
      },
    ],
  };
}

describe("lib/portability: the export bundle format", () => {
  it("accepts a valid bundle, and the committed JSON Schema agrees with the parser", () => {
    const bundle = sampleBundle();
    expect(parseExportBundle(JSON.parse(JSON.stringify(bundle)))).to.deep.equal(bundle);
    const committed = JSON.parse(readFileSync("docs/schemas/export-bundle.v1.schema.json", "utf8"));
    expect(committed, "regenerate docs/schemas/export-bundle.v1.schema.json").to.deep.equal(
      exportBundleJsonSchema(),
    );
    const validate = new Ajv2020({ strict: false }).compile(committed);
    expect(validate(bundle), JSON.stringify(validate.errors)).to.equal(true);
    expect(validate({ ...bundle, version: 2 })).to.equal(false);
  });

  it("names the first bad field of an invalid bundle", () => {
    const bad = sampleBundle() as unknown as { contributions: { status: string }[] };
    bad.contributions[0]!.status = "lost";
    expect(() => parseExportBundle(bad)).to.throw(ExportBundleError, /contributions\.0\.status/);
    expect(() => parseExportBundle({ format: "something else" })).to.throw(
      ExportBundleError,
      /not a Databank export bundle/,
    );
  });

  it("names the purposes of a bitmask in ConsentReceipt's bit order", () => {
    expect(purposeNames(0b11)).to.deep.equal(["analytics", "recruitment"]);
    expect(purposeNames(0b10000)).to.deep.equal(["model-training"]);
    expect(purposeNames(0)).to.deep.equal([]);
  });
});
