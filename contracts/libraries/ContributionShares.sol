// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {IConsentToken} from "../interfaces/IConsentToken.sol";
import {IDatabank} from "../interfaces/IDatabank.sol";
import {ConsentScope} from "./ConsentScope.sol";

/// @title A contribution's share of each product
/// @notice A contribution earns from each product its scope allows through that product's
/// accumulator: the record-sale checkpoint sits in its consent, the query checkpoint here, with
/// the pool's ε spent when it joined and when its consent ended, which give its privacy loss.
/// Updating a share is inline; reading one (`earnings`, `privacyLoss`) runs by DELEGATECALL, so
/// the views' code stays out of Databank's 24 KiB.
library ContributionShares {
    /// @notice The query side of a contribution that allows statistics. `joined` is always true
    /// once written: it keeps the slot non-zero from the join on, so a settlement rewrites it
    /// (2,900 gas) instead of creating it (22,100) when the pool had sold no query yet.
    struct StatisticsShare {
        uint104 rewardCheckpoint;
        uint32 epsilonAtJoin;
        uint32 epsilonAtEnd;
        bool joined;
    }

    /// @notice Adds a contribution to the query product: it earns from the next query on and its
    /// privacy loss counts from the pool's ε spent so far.
    function joinStatistics(
        IDatabank.Pool storage pool,
        StatisticsShare storage share,
        uint8 scope
    ) internal returns (uint104 checkpoint) {
        pool.statisticsActive += 1;
        if (scope == ConsentScope.STATISTICS) pool.statisticsOnlyActive += 1;
        checkpoint = pool.statisticsRewardPerContribution;
        share.rewardCheckpoint = checkpoint;
        share.epsilonAtJoin = pool.epsilonSpent;
        share.joined = true;
    }

    /// @notice Takes an ended consent out of the query product and freezes its privacy loss.
    function leaveStatistics(IDatabank.Pool storage pool, StatisticsShare storage share, uint8 scope) internal {
        pool.statisticsActive -= 1;
        if (scope == ConsentScope.STATISTICS) pool.statisticsOnlyActive -= 1;
        pool.statisticsEnded += 1;
        share.epsilonAtEnd = pool.epsilonSpent;
    }

    /// @notice Moves a contribution's checkpoints up to its pool's accumulators, one per product
    /// it allows, and returns what it earned since its last settlement.
    function settle(
        IDatabank.Pool storage pool,
        IConsentToken.Consent storage consent,
        StatisticsShare storage share
    ) internal returns (uint256 earned) {
        uint8 scope = consent.scope;
        if (ConsentScope.allowsRecords(scope)) {
            uint104 accumulated = pool.rewardPerContribution;
            earned = accumulated - consent.rewardCheckpoint;
            if (earned != 0) consent.rewardCheckpoint = accumulated;
        }
        if (ConsentScope.allowsStatistics(scope)) {
            uint104 accumulated = pool.statisticsRewardPerContribution;
            uint256 fromQueries = accumulated - share.rewardCheckpoint;
            if (fromQueries != 0) {
                share.rewardCheckpoint = accumulated;
                earned += fromQueries;
            }
        }
    }

    /// @notice What an active contribution has earned and not settled yet, from both products.
    function earnings(
        mapping(uint32 => IDatabank.Pool) storage pools,
        IConsentToken.Consent storage consent,
        StatisticsShare storage share
    ) external view returns (uint256 earned) {
        if (consent.status != IConsentToken.ContributionStatus.Active) return 0;
        IDatabank.Pool storage pool = pools[consent.poolId];
        if (ConsentScope.allowsRecords(consent.scope)) earned = pool.rewardPerContribution - consent.rewardCheckpoint;
        if (ConsentScope.allowsStatistics(consent.scope)) {
            earned += pool.statisticsRewardPerContribution - share.rewardCheckpoint;
        }
    }

    /// @notice A contribution's privacy loss so far (see `IDatabank.privacyLoss`).
    function privacyLoss(
        mapping(uint32 => IDatabank.Pool) storage pools,
        IConsentToken.Consent storage consent,
        StatisticsShare storage share
    ) external view returns (uint32) {
        if (!ConsentScope.allowsStatistics(consent.scope)) return 0;
        if (consent.status == IConsentToken.ContributionStatus.Active) {
            return pools[consent.poolId].epsilonSpent - share.epsilonAtJoin;
        }
        if (consent.status == IConsentToken.ContributionStatus.Revoked) return share.epsilonAtEnd - share.epsilonAtJoin;
        return 0;
    }
}
