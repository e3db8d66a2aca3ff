// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {IDatabank} from "../interfaces/IDatabank.sol";
import {ConsentReceipt} from "./ConsentReceipt.sol";
import {RevenueSplit} from "./RevenueSplit.sol";

/// @title Opening pools
/// @notice Validates a curator's pool parameters and stores the new pool. An external library:
/// opening a pool is rare and not on any hot path, so it runs by DELEGATECALL from Databank's
/// storage and keeps its code out of Databank's 24 KiB.
library PoolRegistry {
    /// @notice Shortest delivery window a pool may set.
    uint32 internal constant MIN_DELIVERY_WINDOW = 1 hours;
    /// @notice Longest delivery window a pool may set.
    uint32 internal constant MAX_DELIVERY_WINDOW = 30 days;

    /// @notice Checks `params` and stores pool `poolId`, curated by `curator` at `platformFeeBps`.
    /// @param pools Databank's pools.
    /// @param documents Databank's pool documents (schema and terms CIDs).
    function create(
        mapping(uint32 => IDatabank.Pool) storage pools,
        mapping(uint32 => string[2]) storage documents,
        uint32 poolId,
        IDatabank.PoolParams calldata params,
        address curator,
        uint16 platformFeeBps
    ) external {
        _validate(params);
        IDatabank.Pool storage pool = pools[poolId];
        pool.custodian = params.custodian;
        pool.minContributors = params.minContributors;
        pool.paymentToken = params.paymentToken;
        pool.contributorShareBps = params.contributorShareBps;
        pool.platformFeeBps = platformFeeBps;
        pool.deliveryWindow = params.deliveryWindow;
        pool.curator = curator;
        pool.price = params.price;
        pool.bountyPerContribution = params.bountyPerContribution;
        pool.maxContributors = params.maxContributors;
        pool.purposes = params.purposes;
        pool.custodianKey = params.custodianKey;
        pool.termsDigest = keccak256(bytes(params.termsCid));
        documents[poolId] = [params.schemaCid, params.termsCid];
        emit IDatabank.PoolCreated(poolId, curator, params.custodian, platformFeeBps, params);
    }

    function _validate(IDatabank.PoolParams calldata params) private view {
        if (params.contributorShareBps > RevenueSplit.BPS) revert IDatabank.InvalidShare(params.contributorShareBps);
        if (
            params.minContributors == 0 ||
            (params.maxContributors != 0 && params.maxContributors < params.minContributors)
        ) {
            revert IDatabank.InvalidThreshold(params.minContributors, params.maxContributors);
        }
        if (params.deliveryWindow < MIN_DELIVERY_WINDOW || params.deliveryWindow > MAX_DELIVERY_WINDOW) {
            revert IDatabank.InvalidDeliveryWindow(params.deliveryWindow, MIN_DELIVERY_WINDOW, MAX_DELIVERY_WINDOW);
        }
        if (params.purposes == 0 || params.purposes & ~ConsentReceipt.ALL_PURPOSES != 0) {
            revert IDatabank.InvalidPurposes(params.purposes);
        }
        if (params.custodian == address(0) || params.custodianKey == bytes32(0)) revert IDatabank.InvalidCustodian();
        if (params.paymentToken != address(0) && params.paymentToken.code.length == 0) {
            revert IDatabank.InvalidPaymentToken(params.paymentToken);
        }
        if (bytes(params.schemaCid).length == 0 || bytes(params.termsCid).length == 0) revert IDatabank.EmptyCid();
    }
}
