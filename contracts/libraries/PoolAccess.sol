// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {IDatabank} from "../interfaces/IDatabank.sol";
import {ConsentScope} from "./ConsentScope.sol";

/// @title Who may act on a pool, and when it sells
/// @notice The access and availability rules every pool operation starts with, shared by
/// Databank and its external libraries so each rule is written once.
library PoolAccess {
    /// @notice The pool, which must exist. Every pool has a custodian (checked at creation), read
    /// from slot 0, which the callers read anyway.
    function existing(
        mapping(uint32 => IDatabank.Pool) storage pools,
        uint32 poolId
    ) internal view returns (IDatabank.Pool storage pool) {
        pool = pools[poolId];
        if (pool.custodian == address(0)) revert IDatabank.UnknownPool(poolId);
    }

    /// @notice The pool, whose curator must be the caller.
    function ofCurator(
        mapping(uint32 => IDatabank.Pool) storage pools,
        uint32 poolId
    ) internal view returns (IDatabank.Pool storage pool) {
        pool = existing(pools, poolId);
        if (pool.curator != msg.sender) revert IDatabank.NotCurator(poolId, msg.sender);
    }

    /// @notice The pool, whose custodian must be the caller.
    function ofCustodian(
        mapping(uint32 => IDatabank.Pool) storage pools,
        uint32 poolId
    ) internal view returns (IDatabank.Pool storage pool) {
        pool = pools[poolId];
        if (pool.custodian != msg.sender) revert IDatabank.NotCustodian(poolId, msg.sender);
    }

    /// @notice The pool, if it sells `product` now: not paused, with at least its threshold of
    /// active contributions of the product's scope. (A pool that does not sell a product never has
    /// any, so the product is checked only to name the problem.)
    function openForSale(
        mapping(uint32 => IDatabank.Pool) storage pools,
        uint32 poolId,
        IDatabank.Product product
    ) internal view returns (IDatabank.Pool storage pool) {
        pool = existing(pools, poolId);
        if (pool.paused) revert IDatabank.PoolPaused(poolId);
        bool records = product == IDatabank.Product.Records;
        uint32 active = records ? pool.recordsActive : pool.statisticsActive;
        if (active < pool.minContributors) {
            if (pool.products & (records ? ConsentScope.RECORDS : ConsentScope.STATISTICS) == 0) {
                revert IDatabank.ProductNotOffered(poolId, product);
            }
            revert IDatabank.BelowThreshold(poolId, active, pool.minContributors);
        }
    }
}
