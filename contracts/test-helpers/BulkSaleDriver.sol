// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {IDatabank} from "../interfaces/IDatabank.sol";

/// @title Bulk sale driver (benchmark helper)
/// @notice Acts as both the custodian and the buyer of a pool so that one transaction can make and
/// fulfil hundreds of sales: the audit benchmark needs a long event history, and one transaction
/// per event would take far longer to generate than to audit. Not deployed.
contract BulkSaleDriver {
    /// @notice The marketplace driven.
    IDatabank public immutable DATABANK;

    /// @param target The Databank to drive.
    constructor(IDatabank target) {
        DATABANK = target;
    }

    /// @notice Receives the native coin that pays for the sales.
    receive() external payable {}

    /// @notice Accepts pending contributions; the driver must be the pools' custodian.
    /// @param contributionIds The pending contributions.
    function acceptAll(uint256[] calldata contributionIds) external {
        for (uint256 i = 0; i < contributionIds.length; ++i) {
            DATABANK.acceptContribution(contributionIds[i]);
        }
    }

    /// @notice Buys and fulfils `count` sales of a native-coin pool the driver is custodian of.
    /// @param poolId The pool.
    /// @param count Sales made.
    /// @param deliveryCid Delivery CID recorded with every sale.
    /// @param recordsRoot Records root recorded with every sale.
    function sell(uint32 poolId, uint32 count, string calldata deliveryCid, bytes32 recordsRoot) external {
        IDatabank.Pool memory pool = DATABANK.getPool(poolId);
        bytes32 buyerKey = keccak256("bulk sale driver buyer key");
        for (uint256 i = 0; i < count; ++i) {
            IDatabank.Purchase memory sale = DATABANK.purchase{value: pool.price}(poolId, pool.price, buyerKey);
            DATABANK.fulfill(sale, deliveryCid, recordsRoot, pool.recordsActive, pool.erasureCount);
        }
    }
}
