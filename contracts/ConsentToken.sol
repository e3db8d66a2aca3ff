// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {ERC721} from "@openzeppelin/contracts/token/ERC721/ERC721.sol";
import {IConsentToken} from "./interfaces/IConsentToken.sol";
import {IERC5192} from "./interfaces/IERC5192.sol";
import {IConsentReceiptRenderer} from "./interfaces/IConsentReceiptRenderer.sol";

/// @title Non-transferable consent token (ERC-721 + ERC-5192)
/// @notice Holds the consent records and enforces that consent tokens are only ever minted to the
/// contributor and burned on revocation: never transferred or approved.
abstract contract ConsentToken is ERC721, IConsentToken {
    /// @dev Contribution id => consent record. Kept after burning so the history stays readable.
    mapping(uint256 contributionId => Consent) internal _consents;

    /// @notice Contract that renders the token URI.
    IConsentReceiptRenderer public receiptRenderer;

    constructor(IConsentReceiptRenderer renderer) ERC721("Databank Consent", "DBC") {
        _setReceiptRenderer(renderer);
    }

    /// @inheritdoc IConsentToken
    function consentOf(uint256 contributionId) external view returns (Consent memory) {
        return _consents[contributionId];
    }

    /// @inheritdoc IERC5192
    function locked(uint256 tokenId) external view returns (bool) {
        _requireOwned(tokenId);
        return true;
    }

    /// @notice On-chain JSON consent receipt (pool, terms, purposes, data commitment, dates).
    /// @param tokenId An existing consent token.
    function tokenURI(uint256 tokenId) public view override returns (string memory) {
        _requireOwned(tokenId);
        Consent memory consent = _consents[tokenId];
        (string memory termsCid, bytes32 termsDigest) = _termsOf(consent.poolId);
        return receiptRenderer.tokenURI(tokenId, consent, termsCid, termsDigest);
    }

    /// @notice Always reverts: consent tokens cannot be approved.
    function approve(address, uint256) public pure override {
        revert ConsentNonTransferable();
    }

    /// @notice Always reverts: consent tokens cannot be approved.
    function setApprovalForAll(address, bool) public pure override {
        revert ConsentNonTransferable();
    }

    /// @notice ERC-165: also ERC-5192.
    /// @param interfaceId The interface queried.
    function supportsInterface(bytes4 interfaceId) public view virtual override returns (bool) {
        return interfaceId == type(IERC5192).interfaceId || super.supportsInterface(interfaceId);
    }

    /// @dev Mints a locked token; `_mint` makes no receiver callback, so this cannot re-enter.
    function _mintConsent(address contributor, uint256 contributionId) internal {
        _mint(contributor, contributionId);
        emit Locked(contributionId);
    }

    function _setReceiptRenderer(IConsentReceiptRenderer renderer) internal {
        if (address(renderer).code.length == 0) revert InvalidReceiptRenderer(address(renderer));
        emit ReceiptRendererChanged(address(receiptRenderer), address(renderer));
        receiptRenderer = renderer;
    }

    /// @dev Only minting (from zero) and burning (to zero) may change a token's owner.
    function _update(address to, uint256 tokenId, address auth) internal override returns (address) {
        if (to != address(0) && _ownerOf(tokenId) != address(0)) revert ConsentNonTransferable();
        return super._update(to, tokenId, auth);
    }

    /// @dev The terms a pool's consents refer to, for the receipt.
    function _termsOf(uint32 poolId) internal view virtual returns (string memory termsCid, bytes32 termsDigest);
}
