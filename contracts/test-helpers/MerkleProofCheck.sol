// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {MerkleProof} from "@openzeppelin/contracts/utils/cryptography/MerkleProof.sol";

/// @title Records Merkle proof check (test helper)
/// @notice Verifies a proof of lib/contracts/recordsMerkle.ts with OpenZeppelin's MerkleProof, so the
/// TypeScript tree is checked against the on-chain verifier buyers and auditors rely on. Not deployed.
contract MerkleProofCheck {
    /// @notice Whether `proof` shows the record (`tokenId`, `dataCommitment`) is in the tree of `root`.
    /// @param proof Sibling hashes from the leaf up.
    /// @param root The records root committed by `fulfill`.
    /// @param tokenId The record's consent token id.
    /// @param dataCommitment The record's data commitment.
    /// @return True when the proof is valid.
    function verify(
        bytes32[] calldata proof,
        bytes32 root,
        uint256 tokenId,
        bytes32 dataCommitment
    ) external pure returns (bool) {
        bytes32 leaf = keccak256(bytes.concat(keccak256(abi.encode(tokenId, dataCommitment))));
        return MerkleProof.verify(proof, root, leaf);
    }
}
