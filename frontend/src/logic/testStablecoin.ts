/**
 * The one function of the test stablecoin (contracts/test-helpers/TestStablecoin.sol) that the
 * Databank ABIs lack: its open `mint`, used by the local chain's faucet and by tests.
 */
export const TEST_STABLECOIN_MINT_ABI = [
  {
    type: "function",
    name: "mint",
    stateMutability: "nonpayable",
    inputs: [
      { name: "to", type: "address" },
      { name: "amount", type: "uint256" },
    ],
    outputs: [],
  },
] as const;
