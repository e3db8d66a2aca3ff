// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {SafeCast} from "@openzeppelin/contracts/utils/math/SafeCast.sol";
import {IDatabank} from "../interfaces/IDatabank.sol";
import {Payments} from "./Payments.sol";
import {PoolAccess} from "./PoolAccess.sol";

/// @title Funding and withdrawing a pool's bounty budget
/// @notice Anyone may fund a pool's bounties; third-party funding is a gift to its contributors,
/// spent first and never withdrawable, while the curator may take back what is left of its own.
/// An external library, run by DELEGATECALL on Databank's storage: funding is rare and off every
/// hot path, so its code stays out of Databank's 24 KiB.
library BountyBudget {
    using SafeCast for uint256;
    using PoolAccess for mapping(uint32 => IDatabank.Pool);

    /// @notice Adds `amount`, collected from the caller, to pool `poolId`'s budget.
    function fund(mapping(uint32 => IDatabank.Pool) storage pools, uint32 poolId, uint128 amount) external {
        IDatabank.Pool storage pool = pools.existing(poolId);
        Payments.collect(pool.paymentToken, amount);
        uint96 added = uint256(amount).toUint96();
        uint96 curatorBounty = curatorBountyLeft(pool);
        if (msg.sender == pool.curator) curatorBounty += added;
        pool.curatorBounty = curatorBounty;
        pool.bountyBudget += added;
        emit IDatabank.BountyFunded(poolId, msg.sender, amount);
    }

    /// @notice Moves `amount` of the curator's own unused funding to its credit. Curator only.
    function withdraw(
        mapping(uint32 => IDatabank.Pool) storage pools,
        mapping(address => mapping(address => uint256)) storage credits,
        uint32 poolId,
        uint128 amount
    ) external {
        IDatabank.Pool storage pool = pools.ofCurator(poolId);
        uint96 withdrawable = _min(pool.curatorBounty, pool.bountyBudget);
        if (withdrawable < amount) revert IDatabank.BountyBudgetTooSmall(poolId, withdrawable, amount);
        pool.curatorBounty = curatorBountyLeft(pool) - uint96(amount);
        pool.bountyBudget -= uint96(amount);
        Payments.credit(credits, msg.sender, pool.paymentToken, poolId, amount);
        emit IDatabank.BountyWithdrawn(poolId, msg.sender, amount);
    }

    /// @notice What is left of the curator's own funding: what it funded, less what bounties paid
    /// since beyond third-party funding (spent first). Bounty money still held is the budget plus
    /// the reservations, so a reservation never counts as spent (it may come back).
    function curatorBountyLeft(IDatabank.Pool storage pool) internal view returns (uint96) {
        return _min(pool.curatorBounty, pool.bountyBudget + pool.bountyReserved);
    }

    function _min(uint96 a, uint96 b) private pure returns (uint96) {
        return a < b ? a : b;
    }
}
