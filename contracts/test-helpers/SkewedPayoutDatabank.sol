// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {Databank} from "../Databank.sol";
import {IConsentReceiptRenderer} from "../interfaces/IConsentReceiptRenderer.sol";
import {SaleLedger} from "../libraries/SaleLedger.sol";

/// @title Databank that pays contributions one wei off (test helper)
/// @notice Identical to Databank except that every sale moves the pool's reward accumulator by
/// `SKEW_WEI` more than the sale's `PurchaseFulfilled` event says, so each active contribution is
/// credited one wei too much (+1) or too little (-1). The audit tool must catch it. Not deployed.
contract SkewedPayoutDatabank is Databank {
    /// @notice Wei added to every contribution's credit of every sale (+1 or -1 in the tests).
    int8 public immutable SKEW_WEI;

    /// @param initialOwner See {Databank}.
    /// @param initialTreasury See {Databank}.
    /// @param initialFeeBps See {Databank}.
    /// @param renderer See {Databank}.
    /// @param skew Wei added to every contribution's credit of every sale.
    constructor(
        address initialOwner,
        address initialTreasury,
        uint16 initialFeeBps,
        IConsentReceiptRenderer renderer,
        int8 skew
    ) Databank(initialOwner, initialTreasury, initialFeeBps, renderer) {
        SKEW_WEI = skew;
    }

    /// @dev Credits the sale as Databank does, then silently moves the accumulator by `SKEW_WEI`.
    function _creditSale(
        Pool storage pool,
        uint96 amount,
        uint32 active
    ) internal override returns (SaleLedger.SaleSplit memory split) {
        split = super._creditSale(pool, amount, active);
        pool.rewardPerContribution = uint104(uint256(int256(uint256(pool.rewardPerContribution)) + SKEW_WEI));
    }
}
