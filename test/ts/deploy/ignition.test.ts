import { expect } from "chai";
import { network } from "hardhat";
import { getAddress } from "viem";
import DatabankModule from "../../../ignition/modules/Databank.js";

describe("Ignition module: ignition/modules/Databank.ts", function () {
  it("deploys the renderer and the marketplace with the network's parameters", async function () {
    const { ignition, viem } = await network.create();
    const [, owner, treasury] = await viem.getWalletClients();
    const { databank, renderer } = await ignition.deploy(DatabankModule, {
      parameters: {
        Databank: {
          owner: owner.account.address,
          treasury: treasury.account.address,
          platformFeeBps: 300,
        },
      },
    });
    expect(await databank.read.owner()).to.equal(getAddress(owner.account.address));
    expect(await databank.read.treasury()).to.equal(getAddress(treasury.account.address));
    expect(await databank.read.platformFeeBps()).to.equal(300);
    expect(await databank.read.receiptRenderer()).to.equal(getAddress(renderer.address));
  });

  it("rejects a platform fee above the 10% cap at deployment", async function () {
    const { ignition } = await network.create();
    let failure: unknown;
    try {
      await ignition.deploy(DatabankModule, {
        parameters: { Databank: { platformFeeBps: 1_001 } },
      });
    } catch (error) {
      failure = error;
    }
    expect(String(failure)).to.match(/PlatformFeeTooHigh|reverted/);
  });
});
