import { buildModule } from "@nomicfoundation/hardhat-ignition/modules";
import DatabankModule from "./Databank.js";

/**
 * What `npm start` deploys on its local chain: the whole Databank system (the same module as on
 * any network) plus a test stablecoin with open minting, so the ERC-20 payment path can be tried.
 */
export default buildModule("LocalDemo", (m) => {
  const { databank, renderer } = m.useModule(DatabankModule);
  const stablecoin = m.contract("TestStablecoin");
  return { databank, renderer, stablecoin };
});
