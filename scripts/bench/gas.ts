/**
 * `npm run bench:gas`: only the gas per operation against the contributor count, and the
 * committed snapshot rewritten (bench/gas-snapshot.json). `npm run bench` runs this and the rest.
 */
import { network } from "hardhat";
import { writeGasSnapshot } from "./databankGas.js";

const { viem } = await network.create();
await writeGasSnapshot(viem);
