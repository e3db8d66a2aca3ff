import { buildModule } from "@nomicfoundation/hardhat-ignition/modules";
import { DATABANK_LIBRARIES } from "../../lib/contracts/libraries.js";

/**
 * Deploys the whole Databank system: the consent receipt renderer, the external libraries
 * Databank links to (see lib/contracts/libraries.ts) and the marketplace.
 * Parameters per network live in ignition/parameters/<network>.json (owner, treasury, fee).
 */
export default buildModule("Databank", (m) => {
  const deployer = m.getAccount(0);
  const owner = m.getParameter("owner", deployer);
  const treasury = m.getParameter("treasury", deployer);
  const platformFeeBps = m.getParameter("platformFeeBps", 250);

  const renderer = m.contract("ConsentReceiptRenderer");
  const libraries = Object.fromEntries(DATABANK_LIBRARIES.map((name) => [name, m.library(name)]));
  const databank = m.contract("Databank", [owner, treasury, platformFeeBps, renderer], {
    libraries,
  });
  return { databank, renderer, ...libraries };
});
