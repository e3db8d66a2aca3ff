// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {IConsentToken} from "./IConsentToken.sol";

/// @title Consent receipt renderer
/// @notice Renders a consent token's metadata. A separate contract so the marketplace stays under
/// the contract size limit and the receipt's presentation can improve without touching funds.
interface IConsentReceiptRenderer {
    /// @notice The token URI of a consent token: a data URI with JSON metadata.
    /// @param tokenId The consent token id.
    /// @param consent The consent record.
    /// @param termsCid CID of the pool's terms.
    /// @param termsDigest keccak256 of the terms CID, as signed by the contributor.
    function tokenURI(
        uint256 tokenId,
        IConsentToken.Consent calldata consent,
        string calldata termsCid,
        bytes32 termsDigest
    ) external pure returns (string memory);
}
