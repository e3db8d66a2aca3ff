// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {SafeCast} from "@openzeppelin/contracts/utils/math/SafeCast.sol";
import {IDatabank} from "../interfaces/IDatabank.sol";
import {RevenueSplit} from "./RevenueSplit.sol";

/// @title Escrowed purchases and their settlement
/// @notice What both products share: a purchase is stored as one digest until it settles, the set
/// of records a delivery or an answer used is checked against the pool's counts, and the escrow is
/// split between the platform, the curator and the product's accumulator in constant gas.
library SaleLedger {
    using SafeCast for uint256;

    /// @notice The parts of one sale.
    struct SaleSplit {
        uint256 platform;
        uint256 curator;
        uint256 contributors;
        uint256 perContribution;
        uint32 carry;
    }

    /// @dev Purchase slots hold the purchase's digest while pending, then one of these markers.
    bytes32 internal constant FULFILLED = bytes32(uint256(1));
    bytes32 internal constant REFUNDED = bytes32(uint256(2));

    /// @notice Stores a new pending purchase.
    function open(mapping(uint64 => bytes32) storage purchases, IDatabank.Purchase memory sale) internal {
        purchases[sale.id] = keccak256(abi.encode(sale));
    }

    /// @notice Checks that `sale` is a pending purchase exactly as made, and marks it settled.
    function close(
        mapping(uint64 => bytes32) storage purchases,
        IDatabank.Purchase calldata sale,
        bytes32 outcome
    ) internal {
        bytes32 stored = purchases[sale.id];
        if (stored != keccak256(abi.encode(sale))) {
            if (stored == FULFILLED) revert IDatabank.PurchaseSettled(sale.id, IDatabank.PurchaseStatus.Fulfilled);
            if (stored == REFUNDED) revert IDatabank.PurchaseSettled(sale.id, IDatabank.PurchaseStatus.Refunded);
            revert IDatabank.UnknownPurchase(sale.id);
        }
        purchases[sale.id] = outcome;
    }

    /// @notice Settles a purchase as delivered, in time and with something delivered.
    function closeDelivered(
        mapping(uint64 => bytes32) storage purchases,
        IDatabank.Purchase calldata sale,
        string calldata deliveryCid
    ) internal {
        close(purchases, sale, FULFILLED);
        if (block.timestamp > sale.deadline) revert IDatabank.DeliveryOverdue(sale.id, sale.deadline);
        if (bytes(deliveryCid).length == 0) revert IDatabank.EmptyDelivery();
    }

    /// @notice Checks the set a delivery or an answer used. It was taken when `seen` consents of the
    /// product's scope had ended, from the purchase's mark up to now; every consent that ended
    /// since was in it (the custodian accepts no one in between), so it counts as used.
    /// @param active The product's active contributions now.
    /// @param ended The product's ended consents now.
    function checkSetUsed(
        IDatabank.Purchase calldata sale,
        IDatabank.Pool storage pool,
        uint32 active,
        uint32 ended,
        uint32 recordCount,
        uint32 seen
    ) internal view {
        if (seen < sale.erasureMark || seen > ended) revert IDatabank.StaleDeliverySet(seen, sale.erasureMark, ended);
        uint32 expected = active + (ended - seen);
        if (recordCount != expected) revert IDatabank.RecordCountMismatch(recordCount, expected);
        uint32 threshold = pool.minContributors;
        if (recordCount < threshold) revert IDatabank.BelowThreshold(sale.poolId, recordCount, threshold);
        if (active == 0) revert IDatabank.NoActiveContributions(sale.poolId);
    }

    /// @notice Splits a sale and credits every party: the platform and curator directly, the
    /// `active` contributions of the product through its accumulator, whatever their number.
    function credit(
        IDatabank.Pool storage pool,
        mapping(address => mapping(address => uint256)) storage credits,
        address treasury,
        uint96 amount,
        uint32 active,
        IDatabank.Product product
    ) internal returns (SaleSplit memory split) {
        (split.platform, split.curator, split.contributors) = RevenueSplit.split(
            amount,
            pool.platformFeeBps,
            pool.contributorShareBps
        );
        if (product == IDatabank.Product.Records) {
            (split.perContribution, split.carry) = RevenueSplit.distribute(split.contributors, pool.carry, active);
            pool.rewardPerContribution = (pool.rewardPerContribution + split.perContribution).toUint104();
            pool.carry = split.carry;
        } else {
            (split.perContribution, split.carry) = RevenueSplit.distribute(
                split.contributors,
                pool.statisticsCarry,
                active
            );
            pool.statisticsRewardPerContribution = (pool.statisticsRewardPerContribution + split.perContribution)
                .toUint104();
            pool.statisticsCarry = split.carry;
        }
        address token = pool.paymentToken;
        if (split.curator != 0) credits[pool.curator][token] += split.curator;
        if (split.platform != 0) credits[treasury][token] += split.platform;
    }
}
