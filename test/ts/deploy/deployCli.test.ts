import { spawnSync } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { expect } from "chai";

function deploy(...args: string[]) {
  const result = spawnSync(process.execPath, ["--import", "tsx", "scripts/deploy.ts", ...args], {
    encoding: "utf8",
    // No RPC URL or key: a dry run must not need them.
    env: { ...process.env, SEPOLIA_RPC_URL: "", DEPLOYER_PRIVATE_KEY: "" },
  });
  return { code: result.status, out: result.stdout, err: result.stderr };
}

describe("npm run deploy (scripts/deploy.ts)", function () {
  this.timeout(120_000);
  const dir = mkdtempSync(join(tmpdir(), "databank-deploy-"));

  it("--dry-run prints the plan for Sepolia, rehearsed on a simulated chain, and sends nothing", () => {
    const parameters = join(dir, "sepolia.json");
    writeFileSync(
      parameters,
      JSON.stringify({
        Databank: {
          owner: "0x1000000000000000000000000000000000000001",
          treasury: "0x2000000000000000000000000000000000000002",
          platformFeeBps: 300,
        },
      }),
    );
    const { code, out, err } = deploy(
      "--network",
      "sepolia",
      "--dry-run",
      "--parameters",
      parameters,
    );
    expect(code, err).to.equal(0);
    expect(out).to.include('network "sepolia" (chain id 11155111)');
    expect(out).to.include("treasury    0x2000000000000000000000000000000000000002");
    expect(out).to.include("3% of every sale");
    expect(out).to.match(/databank\s+runtime\s+\d+ bytes\s+deploy gas [\d,]+/);
    expect(out).to.match(/renderer\s+runtime\s+\d+ bytes/);
    expect(out).to.include("Dry run: nothing was sent");
    expect(out).to.include(`--network sepolia --parameters ${parameters}`);
  });

  it("refuses placeholder addresses and unknown networks with one line and exit code 2", () => {
    const placeholder = deploy("--network", "sepolia", "--dry-run");
    expect(placeholder.code).to.equal(2);
    expect(placeholder.err.trim()).to.match(
      /^deploy: ignition\/parameters\/sepolia\.json: Databank\.owner .* not a real address/,
    );
    const unknown = deploy("--network", "atlantis", "--dry-run");
    expect(unknown.code).to.equal(2);
    expect(unknown.err).to.match(/--network must be one of: .*sepolia.*baseSepolia/);
    const fee = join(dir, "fee.json");
    writeFileSync(fee, JSON.stringify({ Databank: { platformFeeBps: 5000 } }));
    const tooHigh = deploy("--network", "localhost", "--dry-run", "--parameters", fee);
    expect(tooHigh.code).to.equal(2);
    expect(tooHigh.err).to.include("platformFeeBps must be 0…1000");
  });
});
