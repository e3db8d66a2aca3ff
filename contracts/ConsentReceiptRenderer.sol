// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {IConsentReceiptRenderer} from "./interfaces/IConsentReceiptRenderer.sol";
import {IConsentToken} from "./interfaces/IConsentToken.sol";
import {ConsentReceipt} from "./libraries/ConsentReceipt.sol";

/// @title Consent receipt renderer
/// @notice Stateless: renders on-chain JSON consent receipts with {ConsentReceipt}.
contract ConsentReceiptRenderer is IConsentReceiptRenderer {
    /// @inheritdoc IConsentReceiptRenderer
    function tokenURI(
        uint256 tokenId,
        IConsentToken.Consent calldata consent,
        string calldata termsCid,
        bytes32 termsDigest
    ) external pure returns (string memory) {
        return ConsentReceipt.tokenURI(tokenId, consent, termsCid, termsDigest);
    }
}
