/**
 * Data portability (GDPR art. 20) across two independent data banks: two chains, two deployments,
 * two nodes. A contributor exports its bundle from the first with `npm run export`, imports it
 * into a pool of the second with `npm run import`, and a buyer there decrypts the same records.
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { expect } from "chai";
import { parseEther } from "viem";
import { parseExportBundle } from "../../../lib/portability/index.js";
import { LOCAL_ROLES, localAccount } from "../../../scripts/stack/accounts.js";
import {
  buyAndDecrypt,
  contributeRecord,
  demoActors,
  newContributors,
  openResumePool,
} from "../../../scripts/demo/scenario.js";
import { demoResume } from "../../../scripts/demo/resumes.js";
import { startE2EStack, type E2EStack } from "./stack.js";

function cli(script: string, args: string[], stack: E2EStack, walletKey: string) {
  const result = spawnSync(process.execPath, ["--import", "tsx", script, ...args], {
    encoding: "utf8",
    env: {
      ...process.env,
      DATABANK_RPC_URL: stack.chain.rpcUrl,
      DATABANK_NODE_URL: stack.node.url,
      DATABANK_ADDRESS: stack.deployment.databank,
      DATABANK_WALLET_PRIVATE_KEY: walletKey,
    },
  });
  return { code: result.status, out: result.stdout, err: result.stderr };
}

describe("end to end: export from one data bank, import into another", function () {
  this.timeout(300_000);
  let origin: E2EStack;
  let destination: E2EStack;
  let bundleFile: string;

  before(async () => {
    [origin, destination] = await Promise.all([startE2EStack(), startE2EStack()]);
  });
  after(async () => Promise.all([origin?.stop(), destination?.stop()]));

  it("moves the active records; a buyer of the new pool decrypts them identically", async () => {
    const from = demoActors(origin.demoEnvironment());
    const fromPool = await openResumePool(from, {
      price: parseEther("0.1"),
      bounty: 0n,
      minContributors: 1,
      fundedBounties: 0,
    });
    const [mover] = await newContributors(from, 1);
    const resumes = [demoResume(500), demoResume(501), demoResume(502)];
    const ids = [];
    for (const resume of resumes) ids.push(await contributeRecord(from, fromPool, mover!, resume));
    await from.mined(await from.as(mover!).contract.write.revokeConsent([ids[2]!]));

    const out = (bundleFile = join(mkdtempSync(join(tmpdir(), "databank-export-")), "bundle.json"));
    const moverKey = mover!.privateKey;
    const exported = cli("scripts/export.ts", ["--out", out], origin, moverKey);
    expect(exported.code, exported.err).to.equal(0);
    const bundle = parseExportBundle(JSON.parse(readFileSync(out, "utf8")));
    expect(bundle.wallet).to.equal(mover!.address);
    expect(bundle.contributions.map((c) => c.status)).to.deep.equal([
      "active",
      "active",
      "revoked",
    ]);
    expect(bundle.contributions.map((c) => c.record?.json)).to.deep.equal(resumes);
    expect(bundle.contributions[0]!.consent?.terms).to.match(/consent terms/);
    expect(bundle.contributions[0]!.consent?.purposes).to.deep.equal(["analytics", "recruitment"]);

    const to = demoActors(destination.demoEnvironment());
    const toPool = await openResumePool(to, {
      price: parseEther("0.2"),
      bounty: 0n,
      minContributors: 1,
      fundedBounties: 0,
    });
    const imported = cli(
      "scripts/import.ts",
      ["--bundle", out, "--pool", String(toPool)],
      destination,
      moverKey,
    );
    expect(imported.code, imported.err + imported.out).to.equal(0);
    expect(imported.out.trim().split("\n")).to.have.length(2);

    const delivery = await buyAndDecrypt(to, toPool, localAccount(LOCAL_ROLES.buyer));
    const decrypted = delivery.records.map((r) =>
      JSON.parse(new TextDecoder().decode(r.plaintext)),
    );
    expect(decrypted).to.have.deep.members(resumes.slice(0, 2));
  });

  it("refuses a bundle of another wallet, and a file that is not a bundle, with exit code 2", () => {
    const stranger = cli(
      "scripts/import.ts",
      ["--bundle", bundleFile, "--pool", "1"],
      destination,
      `0x${"22".repeat(32)}`,
    );
    expect(stranger.code).to.equal(2);
    expect(stranger.err).to.match(/^import: the bundle belongs to 0x[0-9a-fA-F]{40}/);
    const other = cli(
      "scripts/import.ts",
      ["--bundle", "package.json", "--pool", "1"],
      destination,
      `0x${"11".repeat(32)}`,
    );
    expect(other.code).to.equal(2);
    expect(other.err).to.match(/^import: not a Databank export bundle/);
    const usage = cli("scripts/import.ts", ["--pool", "x"], destination, `0x${"11".repeat(32)}`);
    expect(usage.code).to.equal(2);
    expect(usage.err).to.include("usage: npm run import");
  });
});
