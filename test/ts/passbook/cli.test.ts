/**
 * `npm run passbook` against a `hardhat node` child on a free loopback port: its JSON is the
 * library's passbook, its statement and CSV show money in token units, and bad input exits 2 with
 * one line saying what to fix.
 */
import { spawnSync } from "node:child_process";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { expect } from "chai";
import { network } from "hardhat";
import { zeroAddress } from "viem";
import { buildPassbook, parsePassbookArgs } from "../../../lib/passbook/index.js";
import { startLocalChain, type LocalChain } from "../../../scripts/stack/localChain.js";
import { freePort } from "../../../scripts/stack/ports.js";
import { deployMarket, type Market } from "../audit/market.js";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../..");

/**
 * Runs `scripts/passbook.ts` (what `npm run passbook` runs) to completion. Synchronous: the chain
 * it reads is a child process, so blocking this one holds nothing up.
 */
function runCli(args: string[]): { status: number | null; stdout: string; stderr: string } {
  const { status, stdout, stderr } = spawnSync(
    process.execPath,
    ["--import", "tsx", "scripts/passbook.ts", ...args],
    {
      cwd: ROOT,
      encoding: "utf8",
      env: { ...process.env, DATABANK_RPC_URL: "", DATABANK_ADDRESS: "" },
    },
  );
  return { status, stdout, stderr };
}

describe("passbook CLI", function () {
  this.timeout(240_000);

  describe("bad input", () => {
    for (const [args, message] of [
      [[], /--wallet <0x…> is required/],
      [["--wallet", "0x1234"], /--wallet must be a 0x-prefixed 20-byte address, got "0x1234"/],
      [["--wallet", zeroAddress, "--json", "--csv"], /give either --json or --csv/],
      [["--wallet", zeroAddress, "--pool", "1"], /unknown argument "--pool"/],
      [["--wallet", zeroAddress, "--rpc-url", "ftp://x"], /--rpc-url must be an http\(s\) URL/],
    ] as const) {
      it(`exits 2 with one line for ${args.join(" ") || "no arguments"}`, async () => {
        const result = runCli([...args]);
        expect(result.status, result.stderr).to.equal(2);
        expect(result.stdout).to.equal("");
        expect(result.stderr.trim().split("\n")).to.have.length(1);
        expect(result.stderr).to.match(message);
      });
    }

    it("parses --wallet, the format and the grace period", () => {
      const options = parsePassbookArgs(
        [
          "--wallet",
          "0x70997970c51812dc3a010c7d01b50e0d17dc79c8",
          "--csv",
          "--erasure-grace",
          "60",
        ],
        { rpcUrl: "http://127.0.0.1:1", startBlock: 7n },
      );
      expect(options.wallet).to.equal("0x70997970C51812dc3A010C7d01b50e0d17dc79C8");
      expect(options.format).to.equal("csv");
      expect(options.erasureGraceSeconds).to.equal(60);
      expect(options.fromBlock, "the configured start block").to.equal(7n);
    });
  });

  describe("against a hardhat node", () => {
    let chain: LocalChain;
    let market: Market;
    let chainArgs: string[];
    let common: string[];

    before(async () => {
      chain = await startLocalChain({ port: await freePort() });
      const { viem } = await network.create({
        network: "localhost",
        override: { url: chain.rpcUrl },
      });
      market = await deployMarket(viem);
      const pool = await market.createPool({ bounty: 1_000n });
      await market.contribute(pool, market.contributors[0]!);
      await market.fulfil(await market.purchase(pool, market.buyers[0]!));
      chainArgs = [
        "--rpc-url",
        chain.rpcUrl,
        "--from-block",
        String(market.fromBlock),
        "--wallet",
        market.contributors[0]!.account.address,
      ];
      common = [...chainArgs, "--databank", market.address];
    });
    after(async () => chain?.stop());

    it("prints, with --json, exactly the library's passbook", async () => {
      const result = runCli([...common, "--json"]);
      expect(result.status, result.stderr).to.equal(0);
      const library = await buildPassbook({
        client: market.publicClient,
        databank: market.address,
        wallet: market.contributors[0]!.account.address,
        fromBlock: market.fromBlock,
      });
      expect(JSON.parse(result.stdout)).to.deep.equal(JSON.parse(JSON.stringify(library)));
      expect(library.contributions[0]!.deliveries).to.have.length(1);
    });

    it("prints a statement in token units by default, and CSV with --csv", async () => {
      const text = runCli(common);
      expect(text.status, text.stderr).to.equal(0);
      expect(text.stdout).to.match(/^Passbook of 0x/);
      expect(text.stdout).to.match(/record sale .* \d+\.\d+ ETH/);
      expect(text.stdout).to.include("Totals");
      const csv = runCli([...common, "--csv"]);
      expect(csv.status, csv.stderr).to.equal(0);
      const [header, ...rows] = csv.stdout.trim().split("\n");
      expect(header).to.match(/^entry,contribution,pool,date/);
      expect(rows.some((row) => row.startsWith("delivery,") && row.includes(",ETH,"))).to.equal(
        true,
      );
    });

    it("exits 2 with one line when --databank is not a Databank", async () => {
      const result = runCli([...chainArgs, "--databank", market.buyers[2]!.account.address]);
      expect(result.status).to.equal(2);
      expect(result.stderr).to.match(/no contract at 0x.*check --databank/);
      expect(result.stderr.trim().split("\n")).to.have.length(1);
    });
  });
});
