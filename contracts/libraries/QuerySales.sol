// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {IDatabank} from "../interfaces/IDatabank.sol";
import {CanonicalCid} from "./CanonicalCid.sol";
import {PoolAccess} from "./PoolAccess.sol";
import {SaleLedger} from "./SaleLedger.sol";

/// @title Selling differentially private answers
/// @notice The query product: a buyer pays for one answer that may spend up to its ε; the custodian
/// answers over every record that allows statistics, spends at most that ε and never past the
/// pool's budget, and the escrow goes to exactly those contributions. An external library, run by
/// DELEGATECALL on Databank's storage, so the product's code stays out of Databank's 24 KiB.
library QuerySales {
    using PoolAccess for mapping(uint32 => IDatabank.Pool);
    using SaleLedger for mapping(uint64 => bytes32);

    /// @notice What a buyer asks for, as passed to `Databank.purchaseQuery`.
    struct Order {
        uint32 poolId;
        uint96 maxPrice;
        bytes32 buyerKey;
        uint32 epsilon;
        bytes32 queryDigest;
    }

    /// @notice What the custodian answered, as passed to `Databank.fulfillQuery`.
    struct Answer {
        bytes32 recordsRoot;
        uint32 recordCount;
        uint32 statisticsSeen;
        uint32 epsilonSpent;
    }

    /// @notice Opens a query purchase `purchaseId`. The caller collects the payment.
    function purchase(
        mapping(uint32 => IDatabank.Pool) storage pools,
        mapping(uint64 => bytes32) storage purchases,
        uint64 purchaseId,
        Order calldata order,
        string calldata queryCid
    ) external returns (IDatabank.Purchase memory sale) {
        IDatabank.Pool storage pool = pools.openForSale(order.poolId, IDatabank.Product.Query);
        uint96 price = pool.queryPrice;
        if (price > order.maxPrice) revert IDatabank.PriceAboveMax(price, order.maxPrice);
        if (order.buyerKey == bytes32(0)) revert IDatabank.MissingBuyerKey();
        if (!CanonicalCid.isCanonical(queryCid)) revert IDatabank.NonCanonicalCid(queryCid);
        uint32 maxPerQuery = pool.maxEpsilonPerQuery;
        if (order.epsilon == 0 || order.epsilon > maxPerQuery)
            revert IDatabank.InvalidEpsilon(order.epsilon, maxPerQuery);
        _checkBudget(order.poolId, pool, order.epsilon);

        sale = IDatabank.Purchase({
            id: purchaseId,
            poolId: order.poolId,
            buyer: msg.sender,
            amount: price,
            deadline: uint40(block.timestamp + pool.deliveryWindow),
            erasureMark: pool.statisticsEnded,
            epsilon: order.epsilon
        });
        purchases.open(sale);
        emit IDatabank.QueryPurchased(
            purchaseId,
            order.poolId,
            msg.sender,
            price,
            sale.deadline,
            order.buyerKey,
            sale.erasureMark,
            order.epsilon,
            queryCid,
            order.queryDigest
        );
    }

    /// @notice Records the answer to a query: checks the set used, spends its ε within the budget,
    /// and splits the escrow over the contributions that allow statistics.
    function answer(
        mapping(uint32 => IDatabank.Pool) storage pools,
        mapping(uint64 => bytes32) storage purchases,
        mapping(address => mapping(address => uint256)) storage credits,
        address treasury,
        IDatabank.Purchase calldata sale,
        Answer calldata result,
        string calldata answerCid
    ) external {
        IDatabank.Pool storage pool = pools.ofCustodian(sale.poolId);
        if (sale.epsilon == 0) revert IDatabank.WrongProduct(sale.id, IDatabank.Product.Records);
        purchases.closeDelivered(sale, answerCid);
        uint32 spent = result.epsilonSpent;
        if (spent == 0 || spent > sale.epsilon) revert IDatabank.InvalidEpsilon(spent, sale.epsilon);
        uint32 active = pool.statisticsActive;
        SaleLedger.checkSetUsed(sale, pool, active, pool.statisticsEnded, result.recordCount, result.statisticsSeen);
        _checkBudget(sale.poolId, pool, spent);
        pool.epsilonSpent += spent;

        SaleLedger.SaleSplit memory split = SaleLedger.credit(
            pool,
            credits,
            treasury,
            sale.amount,
            active,
            IDatabank.Product.Query
        );
        emit IDatabank.QueryAnswered(
            sale.id,
            sale.poolId,
            sale.buyer,
            split.perContribution,
            split.carry,
            result.recordCount,
            result.recordsRoot,
            answerCid,
            result.statisticsSeen,
            spent
        );
    }

    /// @dev Reverts unless the pool's budget still has `epsilon` left. At purchase this only saves a
    /// buyer from paying for an answer that cannot come; at fulfilment it is the guarantee.
    function _checkBudget(uint32 poolId, IDatabank.Pool storage pool, uint32 epsilon) private view {
        uint32 remaining = pool.epsilonBudget - pool.epsilonSpent;
        if (epsilon > remaining) revert IDatabank.PrivacyBudgetExhausted(poolId, remaining, epsilon);
    }
}
