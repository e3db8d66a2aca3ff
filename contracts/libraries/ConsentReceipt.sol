// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

// JSON is built from single-quoted literals so its double quotes need no escaping.
// solhint-disable quotes

import {Base64} from "@openzeppelin/contracts/utils/Base64.sol";
import {Strings} from "@openzeppelin/contracts/utils/Strings.sol";
import {IConsentToken} from "../interfaces/IConsentToken.sol";
import {ConsentScope} from "./ConsentScope.sol";

/// @title Consent receipt rendering
/// @notice Renders a consent token's metadata as on-chain JSON, so any block explorer or wallet
/// shows the contributor a readable receipt of what it agreed to, without trusting a server.
library ConsentReceipt {
    using Strings for uint256;

    /// @notice Processing purposes a pool can ask consent for, one bit each.
    uint32 internal constant PURPOSE_ANALYTICS = 1 << 0;
    uint32 internal constant PURPOSE_RECRUITMENT = 1 << 1;
    uint32 internal constant PURPOSE_RESEARCH = 1 << 2;
    uint32 internal constant PURPOSE_MARKETING = 1 << 3;
    uint32 internal constant PURPOSE_MODEL_TRAINING = 1 << 4;
    /// @notice Mask of every defined purpose; pools may not ask for undefined ones.
    uint32 internal constant ALL_PURPOSES = (1 << 5) - 1;

    /// @notice Human-readable list of the purposes in a bitmask, e.g. "analytics, recruitment".
    function purposeNames(uint24 purposes) internal pure returns (string memory names) {
        string[5] memory labels = ["analytics", "recruitment", "research", "marketing", "model training"];
        for (uint256 bit = 0; bit < labels.length; ++bit) {
            if (purposes & (uint24(1) << uint24(bit)) != 0) {
                names = bytes(names).length == 0 ? labels[bit] : string.concat(names, ", ", labels[bit]);
            }
        }
    }

    /// @notice The token URI: a base64 JSON document with the consent's fields as attributes.
    function tokenURI(
        uint256 tokenId,
        IConsentToken.Consent memory consent,
        string memory termsCid,
        bytes32 termsDigest
    ) internal pure returns (string memory) {
        string memory json = string.concat(
            '{"name":"Databank consent #',
            tokenId.toString(),
            '","description":"Non-transferable receipt of consent to share personal data with Databank pool #',
            uint256(consent.poolId).toString(),
            " under the terms at ipfs://",
            Strings.escapeJSON(termsCid),
            '. Revocable at any time by its holder.","attributes":[',
            _attributes(consent, termsCid, termsDigest),
            "]}"
        );
        return string.concat("data:application/json;base64,", Base64.encode(bytes(json)));
    }

    function _attributes(
        IConsentToken.Consent memory consent,
        string memory termsCid,
        bytes32 termsDigest
    ) private pure returns (string memory) {
        return
            string.concat(
                _trait("Pool", uint256(consent.poolId).toString()),
                ",",
                _trait("Purposes", purposeNames(consent.purposes)),
                ",",
                _trait("Scope", ConsentScope.describe(consent.scope)),
                ",",
                _trait("Terms", string.concat("ipfs://", Strings.escapeJSON(termsCid))),
                ",",
                _trait("Terms digest", uint256(termsDigest).toHexString(32)),
                ",",
                _trait("Data commitment", uint256(consent.dataCommitment).toHexString(32)),
                ",",
                _dateTrait("Granted", consent.grantedAt),
                ",",
                consent.expiresAt == 0 ? _trait("Expires", "never") : _dateTrait("Expires", consent.expiresAt)
            );
    }

    function _trait(string memory name, string memory value) private pure returns (string memory) {
        return string.concat('{"trait_type":"', name, '","value":"', value, '"}');
    }

    function _dateTrait(string memory name, uint40 timestamp) private pure returns (string memory) {
        return
            string.concat(
                '{"trait_type":"',
                name,
                '","display_type":"date","value":',
                uint256(timestamp).toString(),
                "}"
            );
    }
}
