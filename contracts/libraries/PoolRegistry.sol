// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {IDatabank} from "../interfaces/IDatabank.sol";
import {ConsentReceipt} from "./ConsentReceipt.sol";
import {ConsentScope} from "./ConsentScope.sol";
import {PoolAccess} from "./PoolAccess.sol";
import {RevenueSplit} from "./RevenueSplit.sol";

/// @title Opening and configuring pools
/// @notice Validates a curator's pool parameters and stores the new pool, and applies the
/// curator's later changes (prices, pause). An external library: these are rare and off every hot
/// path, so they run by DELEGATECALL on Databank's storage and keep their code out of its 24 KiB.
library PoolRegistry {
    using PoolAccess for mapping(uint32 => IDatabank.Pool);

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
        pool.purposes = uint24(params.purposes); // checked: within ALL_PURPOSES (5 bits)
        pool.products = params.products;
        pool.queryPrice = params.queryPrice;
        pool.epsilonBudget = params.epsilonBudget;
        pool.maxEpsilonPerQuery = params.maxEpsilonPerQuery;
        pool.custodianKey = params.custodianKey;
        pool.termsDigest = keccak256(bytes(params.termsCid));
        documents[poolId] = [params.schemaCid, params.termsCid];
        emit IDatabank.PoolCreated(poolId, curator, params.custodian, platformFeeBps, params);
    }

    /// @notice Sets the price of future sales of `product`. Curator only.
    function setPrice(
        mapping(uint32 => IDatabank.Pool) storage pools,
        uint32 poolId,
        IDatabank.Product product,
        uint96 newPrice
    ) external {
        IDatabank.Pool storage pool = pools.ofCurator(poolId);
        if (product == IDatabank.Product.Records) {
            if (!ConsentScope.allowsRecords(pool.products)) revert IDatabank.ProductNotOffered(poolId, product);
            emit IDatabank.PoolPriceChanged(poolId, pool.price, newPrice);
            pool.price = newPrice;
            return;
        }
        if (!ConsentScope.allowsStatistics(pool.products)) revert IDatabank.ProductNotOffered(poolId, product);
        emit IDatabank.QueryPriceChanged(poolId, pool.queryPrice, newPrice);
        pool.queryPrice = newPrice;
    }

    /// @notice The ABI encoding of pool `poolId`, as `IDatabank.getPool` returns it (which hands
    /// these bytes back unchanged).
    function encode(
        mapping(uint32 => IDatabank.Pool) storage pools,
        uint32 poolId
    ) external view returns (bytes memory) {
        IDatabank.Pool memory pool = pools.existing(poolId);
        return abi.encode(pool);
    }

    /// @notice Pauses or resumes sales. Curator only.
    function setPaused(mapping(uint32 => IDatabank.Pool) storage pools, uint32 poolId, bool paused) external {
        pools.ofCurator(poolId).paused = paused;
        emit IDatabank.PoolPausedSet(poolId, paused);
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
        _validateProducts(params);
        if (params.custodian == address(0) || params.custodianKey == bytes32(0)) revert IDatabank.InvalidCustodian();
        if (params.paymentToken != address(0) && params.paymentToken.code.length == 0) {
            revert IDatabank.InvalidPaymentToken(params.paymentToken);
        }
        if (bytes(params.schemaCid).length == 0 || bytes(params.termsCid).length == 0) revert IDatabank.EmptyCid();
    }

    /// @dev A pool selling queries states its privacy budget, immutable, and its per-query cap;
    /// one that does not leaves the query fields empty, so nobody reads a budget that means nothing.
    /// Likewise a pool selling no record copies leaves their price at 0.
    function _validateProducts(IDatabank.PoolParams calldata params) private pure {
        if (!ConsentScope.isValid(params.products, ConsentScope.ALL)) revert IDatabank.InvalidProducts(params.products);
        if (!ConsentScope.allowsRecords(params.products) && params.price != 0) {
            revert IDatabank.PriceForUnsoldProduct(params.products);
        }
        if (ConsentScope.allowsStatistics(params.products)) {
            if (params.maxEpsilonPerQuery == 0 || params.maxEpsilonPerQuery > params.epsilonBudget) {
                revert IDatabank.InvalidPrivacyBudget(params.epsilonBudget, params.maxEpsilonPerQuery);
            }
        } else if (params.epsilonBudget != 0 || params.maxEpsilonPerQuery != 0 || params.queryPrice != 0) {
            revert IDatabank.InvalidPrivacyBudget(params.epsilonBudget, params.maxEpsilonPerQuery);
        }
    }
}
