// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {IDatabank} from "../interfaces/IDatabank.sol";
import {PoolAccess} from "./PoolAccess.sol";

/// @title What each record buyer owes in erasures
/// @notice A buyer owes the erasure of every contribution whose consent ended after the earliest
/// set it was delivered was taken, and attests erasures in order. Recording a delivery is on the
/// sale's hot path and stays inline (`recordDelivery`); attesting and reading run by DELEGATECALL
/// (external functions), so their code stays out of Databank's 24 KiB.
library ErasureLedger {
    using PoolAccess for mapping(uint32 => IDatabank.Pool);

    /// @notice Notes a delivery to `buyer` of the set taken when `erasuresSeen` consents had ended.
    /// A delivery whose set was taken before erasures the buyer already attested (it attested while
    /// this delivery was in flight, or deliveries landed out of order) gave it those records again:
    /// they are owed again.
    function recordDelivery(IDatabank.BuyerErasure storage erasure, uint32 erasuresSeen) internal {
        if (!erasure.delivered) {
            erasure.delivered = true;
            erasure.owedFrom = erasuresSeen;
            return;
        }
        if (erasure.owedFrom > erasuresSeen) erasure.owedFrom = erasuresSeen;
        if (erasure.attestedUpTo > erasuresSeen) erasure.attestedUpTo = erasuresSeen;
    }

    /// @notice The caller attests it erased every record of pool `poolId` whose erasure was
    /// requested with an index below `upToIndex`.
    function attest(
        mapping(uint32 => IDatabank.Pool) storage pools,
        mapping(uint32 => mapping(address => IDatabank.BuyerErasure)) storage erasures,
        uint32 poolId,
        uint32 upToIndex
    ) external {
        uint32 erasureCount = pools.existing(poolId).erasureCount;
        IDatabank.BuyerErasure storage erasure = erasures[poolId][msg.sender];
        uint32 attested = _attestedUpTo(erasure);
        if (!erasure.delivered || upToIndex <= attested || upToIndex > erasureCount) {
            revert IDatabank.InvalidErasureIndex(upToIndex, attested, erasureCount);
        }
        erasure.attestedUpTo = upToIndex;
        emit IDatabank.ErasureAttested(poolId, msg.sender, attested, upToIndex);
    }

    /// @notice Erasure requests `buyer` has not attested yet in pool `poolId`.
    function owed(
        mapping(uint32 => IDatabank.Pool) storage pools,
        mapping(uint32 => mapping(address => IDatabank.BuyerErasure)) storage erasures,
        uint32 poolId,
        address buyer
    ) external view returns (uint32) {
        IDatabank.BuyerErasure storage erasure = erasures[poolId][buyer];
        if (!erasure.delivered) return 0;
        return pools[poolId].erasureCount - _attestedUpTo(erasure);
    }

    function _attestedUpTo(IDatabank.BuyerErasure storage erasure) private view returns (uint32) {
        return erasure.attestedUpTo > erasure.owedFrom ? erasure.attestedUpTo : erasure.owedFrom;
    }
}
