// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

/**
 * @title NaivePushSplit
 * @notice Benchmark baseline only: the "obvious" revenue split that pushes an equal share of every
 *         payment to each of N recipients in a loop. Its cost per payment grows linearly with N,
 *         which is what Databank's O(1) split is compared against. Not for production use: one
 *         reverting recipient blocks every payment, and a large N cannot fit in a block.
 */
contract NaivePushSplit {
    /// @notice The constructor was given no recipients.
    error NoRecipients();
    /// @notice A recipient address is the zero address.
    error ZeroRecipient(uint256 index);
    /// @notice `pay()` was called without value, or with less than one wei per recipient.
    error PaymentTooSmall(uint256 value, uint256 recipientCount);
    /// @notice Pushing a share to a recipient failed.
    error TransferFailed(address recipient, uint256 amount);

    /// @notice Emitted once per `pay()`, after every share has been pushed.
    event Paid(address indexed payer, uint256 amount, uint256 sharePerRecipient);

    /// @dev Stored (not derived) on purpose: a real push split reads its payee list from storage.
    address payable[] private _recipients;

    /// @param recipients The N accounts that receive an equal share of every payment.
    constructor(address payable[] memory recipients) {
        uint256 count = recipients.length;
        if (count == 0) revert NoRecipients();
        for (uint256 i = 0; i < count; ++i) {
            if (recipients[i] == address(0)) revert ZeroRecipient(i);
            _recipients.push(recipients[i]);
        }
    }

    /// @notice Splits `msg.value` equally and pushes each share; the indivisible rest goes to the last recipient.
    function pay() external payable {
        uint256 count = _recipients.length;
        uint256 share = msg.value / count;
        if (share == 0) revert PaymentTooSmall(msg.value, count);

        uint256 remainder = msg.value - share * count;
        for (uint256 i = 0; i < count; ++i) {
            address payable recipient = _recipients[i];
            uint256 amount = i == count - 1 ? share + remainder : share;
            // Forwards all gas: the naive design trusts every recipient, which is part of what it costs.
            (bool ok, ) = recipient.call{value: amount}("");
            if (!ok) revert TransferFailed(recipient, amount);
        }
        emit Paid(msg.sender, msg.value, share);
    }

    /// @notice Number of recipients N.
    function recipientCount() external view returns (uint256) {
        return _recipients.length;
    }

    /// @notice The recipient at `index`.
    function recipientAt(uint256 index) external view returns (address) {
        return _recipients[index];
    }
}
