import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { expect } from "chai";
import { createPublicClient, getAddress, http } from "viem";
import { hardhat } from "viem/chains";
import { readDeployedAddresses } from "../../../lib/config/index.js";
import { databankAbi } from "../../../lib/contracts/index.js";
import { LOCAL_ROLES, localAccount } from "../../../scripts/stack/accounts.js";
import { deployLocalDemo } from "../../../scripts/stack/deploy.js";
import { startLocalChain, type LocalChain } from "../../../scripts/stack/localChain.js";
import { freePort } from "../../../scripts/stack/ports.js";

describe("npm start's local chain and Ignition deployment", function () {
  this.timeout(120_000);
  let chain: LocalChain;
  const deploymentId = `test-local-${process.pid}`;

  before(async () => {
    chain = await startLocalChain({ port: await freePort() });
  });
  after(async () => chain?.stop());

  it("listens on loopback only and deploys Databank and the stablecoin, recorded for the library", async () => {
    expect(new URL(chain.rpcUrl).hostname).to.equal("127.0.0.1");
    const deployment = await deployLocalDemo({ rpcUrl: chain.rpcUrl, deploymentId });
    try {
      const client = createPublicClient({ chain: hardhat, transport: http(chain.rpcUrl) });
      expect(await client.getCode({ address: deployment.stablecoin })).to.match(
        /^0x[0-9a-f]{100,}/,
      );
      const treasury = await client.readContract({
        abi: databankAbi,
        address: deployment.databank,
        functionName: "treasury",
      });
      expect(treasury).to.equal(getAddress(localAccount(LOCAL_ROLES.treasury).address));
      const recorded = JSON.parse(
        readFileSync(join(deployment.deploymentDir, "deployed_addresses.json"), "utf8"),
      ) as Record<string, string>;
      expect(getAddress(recorded["Databank#Databank"]!)).to.equal(deployment.databank);
      expect(readDeployedAddresses(31337, "/nonexistent")).to.equal(undefined);
    } finally {
      const { rmSync } = await import("node:fs");
      rmSync(deployment.deploymentDir, { recursive: true, force: true });
      expect(existsSync(deployment.deploymentDir)).to.equal(false);
    }
  });
});
