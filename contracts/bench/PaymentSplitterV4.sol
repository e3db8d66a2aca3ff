// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {PaymentSplitter} from "@openzeppelin/contracts-v4/finance/PaymentSplitter.sol";

/**
 * @title PaymentSplitterV4
 * @notice Benchmark baseline only: OpenZeppelin 4.9.6's pull-payment PaymentSplitter (removed in
 *         OZ 5), from the npm alias contracts-v4 of OpenZeppelin 4.9.6, compiled unchanged.
 * @dev Hardhat 3 emits no artifact for a contract that is merely imported from an npm package
 *      (that would need `solidity.npmFilesToBuild` in the shared hardhat.config.ts). This empty
 *      subclass adds no function and no storage, so its runtime code and constructor work are
 *      OpenZeppelin's; it only gives scripts/bench/baselines.ts a deployable artifact.
 */
contract PaymentSplitterV4 is PaymentSplitter {
    /// @param payees Accounts that may later pull their part of every payment.
    /// @param shares_ Share weight of each payee, same order as `payees`.
    constructor(
        address[] memory payees,
        uint256[] memory shares_
    ) payable PaymentSplitter(payees, shares_) {}
}
