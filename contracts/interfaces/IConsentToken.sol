// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {IERC5192} from "./IERC5192.sol";

/// @title Databank consent token
/// @notice One non-transferable ERC-721 token per accepted contribution. It is the contributor's
/// on-chain receipt of what it agreed to: the pool, a commitment to the encrypted data, the terms
/// and purposes, when consent was granted and until when.
interface IConsentToken is IERC5192 {
    /// @notice Lifecycle of a contribution. A token exists only while `Active`.
    enum ContributionStatus {
        None,
        Pending,
        Active,
        Revoked
    }

    /// @notice A consent record as stored: one slot of packed fields plus the data commitment.
    /// `purposes` are the pool's (they fit in 5 bits); `scope` is the uses the contributor allowed
    /// (see `ConsentScope`: records, statistics or both).
    /// @dev `rewardCheckpoint` is the pool's cumulative record-sale reward per contribution when this
    /// contribution last settled; the difference to the pool's current value is what it earned since.
    /// (The query reward checkpoint of a contribution that allows statistics is kept apart.)
    struct Consent {
        uint32 poolId;
        uint40 grantedAt;
        uint40 expiresAt;
        uint24 purposes;
        uint8 scope;
        ContributionStatus status;
        uint104 rewardCheckpoint;
        bytes32 dataCommitment;
    }

    /// @notice The contract rendering token URIs changed.
    event ReceiptRendererChanged(address oldRenderer, address newRenderer);

    /// @notice The consent token cannot be transferred or approved: consent is personal.
    error ConsentNonTransferable();

    /// @notice The receipt renderer must be a contract.
    error InvalidReceiptRenderer(address renderer);

    /// @notice Returns the consent record of a contribution, including revoked ones.
    /// @param contributionId The contribution (and token) id.
    function consentOf(uint256 contributionId) external view returns (Consent memory);
}
