import { buildModule } from "@nomicfoundation/hardhat-ignition/modules";

/**
 * Deploys the whole Databank system: the consent receipt renderer, the pool registry library and
 * the marketplace.
 * Parameters per network live in ignition/parameters/<network>.json (owner, treasury, fee).
 */
export default buildModule("Databank", (m) => {
  const deployer = m.getAccount(0);
  const owner = m.getParameter("owner", deployer);
  const treasury = m.getParameter("treasury", deployer);
  const platformFeeBps = m.getParameter("platformFeeBps", 250);

  const renderer = m.contract("ConsentReceiptRenderer");
  // Pool opening lives in an external library, linked into Databank (keeps it under 24 KiB).
  const poolRegistry = m.library("PoolRegistry");
  const databank = m.contract("Databank", [owner, treasury, platformFeeBps, renderer], {
    libraries: { PoolRegistry: poolRegistry },
  });
  return { databank, renderer, poolRegistry };
});
