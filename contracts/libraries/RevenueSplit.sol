// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

/// @title Revenue split arithmetic
/// @notice Pure functions that split a sale and spread the contributors' share over a pool in
/// constant time. Kept apart from storage so they can be fuzzed on their own.
library RevenueSplit {
    /// @notice 100% in basis points.
    uint256 internal constant BPS = 10_000;

    /// @notice Splits a sale: the platform fee first, then the net between contributors and curator.
    /// @dev Rounds down the fee and the contributors' share; the curator takes the rounding, so the
    /// three parts always add up to `amount`.
    function split(
        uint256 amount,
        uint16 platformFeeBps,
        uint16 contributorShareBps
    ) internal pure returns (uint256 platform, uint256 curator, uint256 contributors) {
        platform = (amount * platformFeeBps) / BPS;
        uint256 net = amount - platform;
        contributors = (net * contributorShareBps) / BPS;
        curator = net - contributors;
    }

    /// @notice Spreads `amount` plus the pool's carried remainder evenly over `count` contributions.
    /// @dev The remainder is smaller than `count`, so it always fits the 32-bit carry and is paid
    /// out with a later sale instead of being lost.
    function distribute(
        uint256 amount,
        uint32 carry,
        uint32 count
    ) internal pure returns (uint256 perContribution, uint32 newCarry) {
        uint256 total = amount + carry;
        perContribution = total / count;
        newCarry = uint32(total - perContribution * count);
    }
}
