/** EIP-2612 permit typed data, for buying with an ERC-20 in one transaction. */
import type { Address } from "viem";

export interface PermitParameters {
  /** The token's EIP-712 domain name and version (from eip712Domain()). */
  name: string;
  version: string;
  chainId: number;
  token: Address;
  owner: Address;
  spender: Address;
  value: bigint;
  nonce: bigint;
  deadline: bigint;
}

export const permitTypes = {
  Permit: [
    { name: "owner", type: "address" },
    { name: "spender", type: "address" },
    { name: "value", type: "uint256" },
    { name: "nonce", type: "uint256" },
    { name: "deadline", type: "uint256" },
  ],
} as const;

/** The typed data a wallet signs to permit `spender` to take `value`. */
export function permitTypedData(params: PermitParameters) {
  return {
    domain: {
      name: params.name,
      version: params.version,
      chainId: params.chainId,
      verifyingContract: params.token,
    },
    types: permitTypes,
    primaryType: "Permit",
    message: {
      owner: params.owner,
      spender: params.spender,
      value: params.value,
      nonce: params.nonce,
      deadline: params.deadline,
    },
  } as const;
}

/** ABI of what the dApp reads from a permit token (EIP-2612 + ERC-5267). */
export const permitTokenAbi = [
  {
    type: "function",
    name: "nonces",
    stateMutability: "view",
    inputs: [{ name: "owner", type: "address" }],
    outputs: [{ name: "", type: "uint256" }],
  },
  {
    type: "function",
    name: "eip712Domain",
    stateMutability: "view",
    inputs: [],
    outputs: [
      { name: "fields", type: "bytes1" },
      { name: "name", type: "string" },
      { name: "version", type: "string" },
      { name: "chainId", type: "uint256" },
      { name: "verifyingContract", type: "address" },
      { name: "salt", type: "bytes32" },
      { name: "extensions", type: "uint256[]" },
    ],
  },
] as const;
