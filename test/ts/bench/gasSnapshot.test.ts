import { readFile } from "node:fs/promises";
import { expect } from "chai";
import { network } from "hardhat";
import { measureDatabankGas, type GasSnapshot } from "../../../scripts/bench/databankGas.js";
import {
  CONTRIBUTOR_COUNTS,
  GAS_SNAPSHOT_PATH,
  GAS_TARGETS,
  gasRegressions,
} from "../../../scripts/bench/gasTargets.js";

describe("gas: every operation against bench/gas-snapshot.json and the targets", function () {
  this.timeout(300_000);
  let measured: GasSnapshot;
  let snapshot: GasSnapshot;

  before(async function () {
    const { viem } = await network.create();
    measured = await measureDatabankGas(viem, CONTRIBUTOR_COUNTS);
    snapshot = JSON.parse(await readFile(GAS_SNAPSHOT_PATH, "utf8")) as GasSnapshot;
  });

  it("no operation costs more than 1% above the committed snapshot (run npm run bench to update it)", function () {
    expect(gasRegressions(snapshot, measured)).to.deep.equal([]);
  });

  it("gasRegressions reports a figure 1% above its snapshot", function () {
    const inflated: GasSnapshot = { purchase: { "10": Math.ceil(snapshot.purchase["10"] * 1.011) } };
    expect(gasRegressions(snapshot, inflated)).to.have.lengthOf(1);
  });

  for (const [operation, target] of Object.entries(GAS_TARGETS)) {
    it(`${operation} stays within ${target} gas at every contributor count`, function () {
      for (const count of CONTRIBUTOR_COUNTS) {
        expect(measured[operation][String(count)], `N=${count}`).to.be.at.most(target);
      }
    });
  }

  it("purchases, fulfilments and claims of both products do not grow with the number of contributions", function () {
    for (const operation of [
      "purchase",
      "fulfill",
      "purchaseQuery",
      "fulfillQuery",
      "claim (1 contribution)",
    ]) {
      const [smallest, ...others] = CONTRIBUTOR_COUNTS.map((count) => measured[operation][String(count)]);
      // Only the calldata of the record count differs (a few non-zero bytes), never per contributor.
      for (const gas of others) expect(Math.abs(gas - smallest), operation).to.be.below(100);
    }
  });
});
