// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {IDatabank} from "../interfaces/IDatabank.sol";
import {Payments} from "./Payments.sol";
import {PoolAccess} from "./PoolAccess.sol";
import {SaleLedger} from "./SaleLedger.sol";

/// @title Giving escrow back
/// @notice A pending purchase of either product goes back to its buyer in two ways: the custodian
/// declines it at once, or anyone refunds it after its deadline. An external library, run by
/// DELEGATECALL on Databank's storage: returns are rare, so their code stays out of Databank's 24 KiB.
library EscrowReturns {
    using PoolAccess for mapping(uint32 => IDatabank.Pool);
    using SaleLedger for mapping(uint64 => bytes32);

    /// @notice The custodian declines `sale`; the buyer is credited in full at once. Credited, not
    /// pushed: a buyer whose wallet refuses the coin cannot make the custodian's transaction fail.
    function reject(
        mapping(uint32 => IDatabank.Pool) storage pools,
        mapping(uint64 => bytes32) storage purchases,
        mapping(address => mapping(address => uint256)) storage credits,
        IDatabank.Purchase calldata sale,
        string calldata reason
    ) external {
        IDatabank.Pool storage pool = pools.ofCustodian(sale.poolId);
        purchases.close(sale, SaleLedger.REFUNDED);
        Payments.credit(credits, sale.buyer, pool.paymentToken, sale.poolId, sale.amount);
        emit IDatabank.PurchaseRejected(sale.id, sale.poolId, sale.buyer, sale.amount, reason);
    }

    /// @notice Pays an undelivered purchase back to its buyer once its deadline passed. Never
    /// earlier: revocations after the purchase do not stop a delivery, so nobody can race a
    /// delivery with a refund or refund another buyer's purchase.
    function refund(
        mapping(uint32 => IDatabank.Pool) storage pools,
        mapping(uint64 => bytes32) storage purchases,
        IDatabank.Purchase calldata sale
    ) external {
        IDatabank.Pool storage pool = pools.existing(sale.poolId);
        purchases.close(sale, SaleLedger.REFUNDED);
        if (block.timestamp <= sale.deadline) revert IDatabank.RefundNotYetAvailable(sale.id, sale.deadline);
        Payments.pay(pool.paymentToken, sale.buyer, sale.amount);
        emit IDatabank.PurchaseRefunded(sale.id, sale.poolId, sale.buyer, sale.amount);
    }
}
