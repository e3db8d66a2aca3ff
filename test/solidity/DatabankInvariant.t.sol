// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {Databank} from "../../contracts/Databank.sol";
import {ConsentReceiptRenderer} from "../../contracts/ConsentReceiptRenderer.sol";
import {IDatabank} from "../../contracts/interfaces/IDatabank.sol";
import {DatabankHandler} from "./utils/DatabankHandler.sol";
import {TestBase} from "./utils/TestBase.sol";

/// @notice Invariants of Databank's accounting under random sequences of operations.
contract DatabankInvariantTest is TestBase {
    Databank internal db;
    DatabankHandler internal handler;
    uint32 internal poolId;

    address internal owner = address(uint160(uint256(keccak256("owner"))));
    address internal treasury = address(uint160(uint256(keccak256("treasury"))));
    address internal curator = address(uint160(uint256(keccak256("curator"))));
    address internal custodian = address(uint160(uint256(keccak256("custodian"))));

    function setUp() public {
        vm.warp(1_700_000_000);
        db = new Databank(owner, treasury, 250, new ConsentReceiptRenderer());
        vm.prank(curator);
        poolId = db.createPool(
            IDatabank.PoolParams({
                paymentToken: address(0),
                price: 1_000_003, // odd, so splits and per-contribution shares round
                contributorShareBps: 7_000,
                minContributors: 2,
                maxContributors: 0,
                bountyPerContribution: 1_000,
                deliveryWindow: 1 days,
                purposes: 1,
                custodian: custodian,
                custodianKey: keccak256("custodian key"),
                schemaCid: "bafyschema",
                termsCid: "bafyterms"
            })
        );
        handler = new DatabankHandler(db, poolId, curator, custodian, treasury);
        handler.fundBounty(15_000);

        targetContract(address(handler));
        bytes4[] memory selectors = new bytes4[](14);
        selectors[0] = DatabankHandler.contributeSigned.selector;
        selectors[1] = DatabankHandler.contributeSubmitted.selector;
        selectors[2] = DatabankHandler.fundBounty.selector;
        selectors[3] = DatabankHandler.withdrawBounty.selector;
        selectors[4] = DatabankHandler.setPrice.selector;
        selectors[5] = DatabankHandler.togglePause.selector;
        selectors[6] = DatabankHandler.purchase.selector;
        selectors[7] = DatabankHandler.fulfil.selector;
        selectors[8] = DatabankHandler.refund.selector;
        selectors[9] = DatabankHandler.revoke.selector;
        selectors[10] = DatabankHandler.retireExpired.selector;
        selectors[11] = DatabankHandler.claim.selector;
        selectors[12] = DatabankHandler.attestErasure.selector;
        selectors[13] = DatabankHandler.warp.selector;
        targetSelector(FuzzSelector({addr: address(handler), selectors: selectors}));
    }

    function _sumCredits() internal view returns (uint256 sum) {
        address[] memory list = handler.accounts();
        for (uint256 i = 0; i < list.length; ++i) {
            sum += db.creditOf(list[i], address(0));
        }
    }

    function _sumPendingEarnings() internal view returns (uint256 sum) {
        uint256[] memory ids = handler.activeIds();
        for (uint256 i = 0; i < ids.length; ++i) {
            sum += db.pendingEarnings(ids[i]);
        }
    }

    /// @notice Every wei Databank holds belongs to someone: escrow, credits, contributions' pending
    /// earnings, the pool's carried remainder, or the bounty budget.
    /// hardhat-config: invariant.runs = 64
    /// hardhat-config: invariant.depth = 64
    function invariant_EthBalanceFullyAccounted() public view {
        uint256 escrow;
        for (uint256 i = 0; i < handler.pendingCount(); ++i) {
            escrow += handler.pendingAmount(i);
        }
        assertEq(escrow, handler.escrow(), "escrow ghost matches pending purchases");
        IDatabank.Pool memory pool = db.getPool(poolId);
        assertEq(
            address(db).balance,
            escrow + _sumCredits() + _sumPendingEarnings() + pool.carry + pool.bountyBudget,
            "balance == escrow + credits + pending earnings + carry + bounty budget"
        );
        assertEq(pool.carry, handler.refCarry(), "carry matches the reference");
    }

    /// @notice Money is conserved: paid in == paid out + held.
    /// hardhat-config: invariant.runs = 64
    /// hardhat-config: invariant.depth = 64
    function invariant_PaidInEqualsPaidOutPlusHeld() public view {
        assertEq(handler.paidIn(), handler.paidOut() + address(db).balance, "paid in == paid out + held");
    }

    /// @notice No account ever withdrew more than the reference entitlement, and what it has not
    /// withdrawn is exactly what the contract still owes it (credit + pending earnings).
    /// hardhat-config: invariant.runs = 64
    /// hardhat-config: invariant.depth = 64
    function invariant_WithdrawalsWithinReferenceEntitlement() public view {
        address[] memory list = handler.accounts();
        uint256[] memory ids = handler.activeIds();
        for (uint256 i = 0; i < list.length; ++i) {
            address account = list[i];
            uint256 withdrawn = handler.withdrawn(account);
            uint256 entitled = handler.entitlement(account);
            assertLe(withdrawn, entitled, "withdrawn <= reference entitlement");
            uint256 owed = db.creditOf(account, address(0));
            for (uint256 k = 0; k < ids.length; ++k) {
                if (handler.holderOf(ids[k]) == account) owed += db.pendingEarnings(ids[k]);
            }
            assertEq(withdrawn + owed, entitled, "withdrawn + owed == reference entitlement");
        }
        assertEq(handler.mismatches(), 0, "claims, refunds and attestations returned the expected amounts");
        assertEq(handler.unexpectedReverts(), 0, "no valid operation reverted");
    }

    /// @notice The pool's active count is the number of live consent tokens the handler tracks,
    /// each held by its contributor; no buyer owes more erasures than were requested.
    /// hardhat-config: invariant.runs = 64
    /// hardhat-config: invariant.depth = 64
    function invariant_ActiveCountMatchesTokens() public view {
        uint256[] memory ids = handler.activeIds();
        IDatabank.Pool memory pool = db.getPool(poolId);
        assertEq(pool.activeCount, ids.length, "activeCount == tracked active tokens");
        for (uint256 i = 0; i < ids.length; ++i) {
            assertEq(db.ownerOf(ids[i]), handler.holderOf(ids[i]), "token held by its contributor");
        }
        address[2] memory buyers = handler.buyers();
        for (uint256 i = 0; i < 2; ++i) {
            assertLe(db.erasuresOwed(poolId, buyers[i]), pool.erasureCount, "erasures owed <= requested");
        }
    }
}
