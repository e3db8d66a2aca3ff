// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {IERC1271} from "@openzeppelin/contracts/interfaces/IERC1271.sol";
import {ECDSA} from "@openzeppelin/contracts/utils/cryptography/ECDSA.sol";

/// @title ERC-1271 contract wallet whose signature check can burn gas (test helper)
/// @notice Accepts a digest signed by its owner key. With `burn` zero it is an honest wallet with a
/// cheap check. Otherwise `isValidSignature` first spins until it has used `burn` gas (and fails if it
/// was given less), so whoever relays a consent signed for it, the data bank node's custodian, would
/// pay that gas. Not deployed.
contract GasBurningWallet is IERC1271 {
    /// @notice The key whose signatures the wallet accepts.
    address public immutable OWNER;
    /// @notice Gas every signature check spins away before checking (0: none).
    uint256 public immutable BURN;

    /// @param owner The key whose signatures the wallet accepts.
    /// @param burn Gas every signature check spins away (0: an honest wallet).
    constructor(address owner, uint256 burn) {
        OWNER = owner;
        BURN = burn;
    }

    /// @inheritdoc IERC1271
    function isValidSignature(bytes32 digest, bytes calldata signature) external view returns (bytes4) {
        if (BURN != 0) {
            // Reverts (an invalid signature for the caller) when given less than `burn` gas.
            uint256 stop = gasleft() - BURN;
            while (gasleft() > stop) {}
        }
        (address signer, ECDSA.RecoverError error, ) = ECDSA.tryRecover(digest, signature);
        if (error == ECDSA.RecoverError.NoError && signer == OWNER) return IERC1271.isValidSignature.selector;
        return 0xffffffff;
    }
}
