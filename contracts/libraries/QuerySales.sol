// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {IDatabank} from "../interfaces/IDatabank.sol";
import {PoolAccess} from "./PoolAccess.sol";
import {SaleLedger} from "./SaleLedger.sol";

/// @title Selling differentially private answers
/// @notice The query product: a buyer pays for one answer that may spend up to its ε; the custodian
/// answers over every record that allows statistics, spends at most that ε and never past the
/// pool's budget, and the escrow goes to exactly those contributions. The purchase runs inline in
/// Databank (shared with record sales); the answer runs by DELEGATECALL on Databank's storage, so
/// its code stays out of Databank's 24 KiB.
library QuerySales {
    using PoolAccess for mapping(uint32 => IDatabank.Pool);
    using SaleLedger for mapping(uint64 => bytes32);

    /// @notice What the custodian answered, as passed to `Databank.fulfillQuery`.
    struct Answer {
        bytes32 recordsRoot;
        uint32 recordCount;
        uint32 statisticsSeen;
        uint32 epsilonSpent;
    }

    /// @notice Checks a query's ε at purchase: above 0 and at most the pool's per-query maximum.
    /// Whether the budget still has it is checked when the answer lands, which is what spends it
    /// (clients read what is left from `getPool` before paying; a query that no longer fits is
    /// declined and refunded at once). Inline in `Databank.purchaseQuery`.
    function checkEpsilon(IDatabank.Pool storage pool, uint32 epsilon) internal view {
        uint32 maxPerQuery = pool.maxEpsilonPerQuery;
        if (epsilon == 0 || epsilon > maxPerQuery) revert IDatabank.InvalidEpsilon(epsilon, maxPerQuery);
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

    /// @dev Reverts unless the pool's budget still has `epsilon` left.
    function _checkBudget(uint32 poolId, IDatabank.Pool storage pool, uint32 epsilon) private view {
        uint32 remaining = pool.epsilonBudget - pool.epsilonSpent;
        if (epsilon > remaining) revert IDatabank.PrivacyBudgetExhausted(poolId, remaining, epsilon);
    }
}
