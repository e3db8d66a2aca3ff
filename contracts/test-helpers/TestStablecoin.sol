// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {ERC20} from "@openzeppelin/contracts/token/ERC20/ERC20.sol";
import {ERC20Permit} from "@openzeppelin/contracts/token/ERC20/extensions/ERC20Permit.sol";

/// @title Test stablecoin
/// @notice A 6-decimal ERC-20 with EIP-2612 permits and an open mint. For tests only.
contract TestStablecoin is ERC20, ERC20Permit {
    constructor() ERC20("Test USD", "tUSD") ERC20Permit("Test USD") {}

    /// @notice Mints `amount` to `to`; anyone may call it.
    /// @param to The recipient.
    /// @param amount The amount minted.
    function mint(address to, uint256 amount) external {
        _mint(to, amount);
    }

    /// @notice Six decimals, like USDC.
    function decimals() public pure override returns (uint8) {
        return 6;
    }
}
