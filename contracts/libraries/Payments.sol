// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {Address} from "@openzeppelin/contracts/utils/Address.sol";
import {IDatabank} from "../interfaces/IDatabank.sol";

/// @title Moving a pool's money in and out
/// @notice One place that takes payments (the native coin or an ERC-20) and pays them out.
library Payments {
    using SafeERC20 for IERC20;

    /// @notice Takes exactly `amount` from the caller: the native coin sent, or an ERC-20 transfer
    /// whose effect on our balance is checked, which rejects fee-on-transfer tokens.
    function collect(address token, uint256 amount) internal {
        if (token == address(0)) {
            if (msg.value != amount) revert IDatabank.IncorrectPayment(msg.value, amount);
            return;
        }
        if (msg.value != 0) revert IDatabank.UnexpectedNativePayment();
        uint256 balanceBefore = IERC20(token).balanceOf(address(this));
        IERC20(token).safeTransferFrom(msg.sender, address(this), amount);
        uint256 received = IERC20(token).balanceOf(address(this)) - balanceBefore;
        if (received != amount) revert IDatabank.UnsupportedToken(token, amount, received);
    }

    /// @notice Adds `amount` of `token` to what `account` can withdraw, and says so.
    function credit(
        mapping(address => mapping(address => uint256)) storage credits,
        address account,
        address token,
        uint32 poolId,
        uint256 amount
    ) internal {
        credits[account][token] += amount;
        emit IDatabank.Credited(account, token, poolId, amount);
    }

    /// @notice Pays `amount` of `token` (address(0): the native coin) to `to`.
    function pay(address token, address to, uint256 amount) internal {
        if (token == address(0)) {
            Address.sendValue(payable(to), amount);
        } else {
            IERC20(token).safeTransfer(to, amount);
        }
    }
}
