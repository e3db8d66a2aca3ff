// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {ERC20} from "@openzeppelin/contracts/token/ERC20/ERC20.sol";

/// @title Fee-on-transfer token
/// @notice An ERC-20 that burns 1% of every transfer, so the recipient gets less than was sent.
/// For tests only: Databank must reject it.
contract FeeOnTransferToken is ERC20 {
    /// @notice The burn on each transfer, in basis points.
    uint256 public constant FEE_BPS = 100;

    constructor() ERC20("Fee On Transfer", "FOT") {}

    /// @notice Mints `amount` to `to`; anyone may call it.
    /// @param to The recipient.
    /// @param amount The amount minted.
    function mint(address to, uint256 amount) external {
        _mint(to, amount);
    }

    /// @dev Burns 1% of every transfer between two accounts (not mints or burns).
    function _update(address from, address to, uint256 value) internal override {
        if (from == address(0) || to == address(0)) {
            super._update(from, to, value);
            return;
        }
        uint256 fee = (value * FEE_BPS) / 10_000;
        super._update(from, address(0), fee);
        super._update(from, to, value - fee);
    }
}
