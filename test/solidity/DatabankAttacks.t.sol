// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {Databank} from "../../contracts/Databank.sol";
import {ConsentReceiptRenderer} from "../../contracts/ConsentReceiptRenderer.sol";
import {IDatabank} from "../../contracts/interfaces/IDatabank.sol";
import {CanonicalCid} from "../../contracts/libraries/CanonicalCid.sol";
import {TestBase} from "./utils/TestBase.sol";

contract AttackCidHarness {
    function isCanonical(string calldata cid) external pure returns (bool) {
        return CanonicalCid.isCanonical(cid);
    }
}

/// @notice Attacks from the security review of the "No trust gaps" change, one test per path
/// tried: the ones marked REGRESSION failed before their fix; the others held from the start.
contract DatabankAttacksTest is TestBase {
    uint96 internal constant PRICE = 1_000_000;
    uint32 internal constant WINDOW = 1 days;
    bytes32 internal constant BUYER_KEY = keccak256("buyer x25519 key");
    uint256 internal constant START = 1_700_000_000;

    Databank internal db;
    AttackCidHarness internal harness;
    address internal owner = address(0x0E);
    address internal treasury = address(0x7E);
    address internal curator = address(0xC0);
    address internal custodian = address(0xC5);
    address internal stranger = address(0x57);
    address internal buyer = address(0xB7);
    address internal alice = address(0xA1);
    address internal bob = address(0xB0);
    address internal carol = address(0xCA);

    function setUp() public {
        vm.warp(START);
        db = new Databank(owner, treasury, 250, new ConsentReceiptRenderer());
        harness = new AttackCidHarness();
        vm.deal(buyer, 100 ether);
        vm.deal(curator, 100 ether);
        vm.deal(stranger, 100 ether);
    }

    function _pool(uint96 bounty, uint32 minContributors) internal returns (uint32) {
        IDatabank.PoolParams memory p = IDatabank.PoolParams({
            paymentToken: address(0),
            price: PRICE,
            contributorShareBps: 7_000,
            minContributors: minContributors,
            maxContributors: 0,
            bountyPerContribution: bounty,
            deliveryWindow: WINDOW,
            purposes: 1,
            custodian: custodian,
            custodianKey: keccak256("k"),
            schemaCid: "bafyschema",
            termsCid: "bafyterms",
            products: 1,
            queryPrice: 0,
            epsilonBudget: 0,
            maxEpsilonPerQuery: 0
        });
        vm.prank(curator);
        return db.createPool(p);
    }

    function _contribute(uint32 poolId, address who, string memory cid) internal returns (uint256 id) {
        vm.prank(who);
        id = db.submitContribution(poolId, cid, 0, 1);
        vm.prank(custodian);
        db.acceptContribution(id);
    }

    function _buy(uint32 poolId) internal returns (IDatabank.Purchase memory sale) {
        vm.prank(buyer);
        sale = db.purchase{value: PRICE}(poolId, PRICE, BUYER_KEY);
    }

    function _withdrawable(uint32 poolId) internal view returns (uint256) {
        IDatabank.Pool memory p = db.getPool(poolId);
        return p.curatorBounty < p.bountyBudget ? p.curatorBounty : p.bountyBudget;
    }

    // ================================================================ bounty normalisation

    /// @notice REGRESSION. Any third party (1 wei) funding the pool while some of the curator's
    /// money is reserved for pending submissions permanently turns that reserved money into
    /// non-withdrawable "third-party" money once the reservation is released.
    function testThirdPartyDustLocksCuratorsReservedBounty() public {
        uint32 poolId = _pool(100, 1);
        vm.prank(curator);
        db.fundBounty{value: 1_000}(poolId, 1_000);
        // The attacker reserves the whole budget with 10 junk submissions (any CIDs).
        uint256[] memory junk = new uint256[](10);
        for (uint256 i = 0; i < 10; ++i) {
            vm.prank(stranger);
            junk[i] = db.submitContribution(poolId, string(abi.encodePacked("bafyjunk", bytes1(uint8(97 + i)))), 0, 1);
        }
        assertEq(db.getPool(poolId).bountyBudget, 0, "all reserved");
        // 1 wei of "sponsorship" normalises curatorBounty to min(curatorBounty, budget) = 0.
        vm.prank(stranger);
        db.fundBounty{value: 1}(poolId, 1);
        // The attacker withdraws its junk: every reservation returns to the budget.
        for (uint256 i = 0; i < 10; ++i) {
            vm.prank(stranger);
            db.revokeConsent(junk[i]);
        }
        assertEq(db.getPool(poolId).bountyBudget, 1_001, "budget back");
        // Nothing was paid out, the curator funded 1,000: it should be able to withdraw 1,000.
        assertEq(_withdrawable(poolId), 1_000, "curator's own unreserved funding is withdrawable");
    }

    /// @notice REGRESSION, same root cause, no attacker: the curator topping up (or calling withdrawBounty(…, 0))
    /// while a submission is pending loses the pending reservation's withdrawability.
    function testCuratorTopUpWhilePendingLosesReservedBounty() public {
        uint32 poolId = _pool(100, 1);
        vm.prank(curator);
        db.fundBounty{value: 100}(poolId, 100);
        vm.prank(alice);
        uint256 id = db.submitContribution(poolId, "bafyalice", 0, 1); // reserves the 100
        vm.prank(curator);
        db.fundBounty{value: 1}(poolId, 1); // curatorBounty = min(100, 0) + 1 = 1
        vm.prank(custodian);
        db.rejectContribution(id, IDatabank.RejectionReason.SchemaMismatch);
        assertEq(_withdrawable(poolId), 101, "curator funded 101, nothing paid");
    }

    // ---------------------------------------------------------------- model-based fuzz (held)

    uint256 internal tFree; // sponsor money not yet spent
    uint256 internal cFree; // curator money not yet spent or withdrawn

    function _pay(uint256 amount) internal {
        uint256 fromT = amount < tFree ? amount : tFree;
        tFree -= fromT;
        cFree -= amount - fromT;
    }

    /// @dev A pending submission by alice of the `n`th generated (canonical) CID.
    function _submitAsAlice(uint32 poolId, uint256 n) internal returns (uint256) {
        bytes memory cid = abi.encodePacked(
            "bafy",
            bytes1(uint8(97 + (n % 26))),
            bytes1(uint8(97 + ((n / 26) % 26))),
            "aa"
        );
        vm.prank(alice);
        return db.submitContribution(poolId, string(cid), 0, 1);
    }

    /// @notice under "third-party money spent first", the curator never gets more than its
    /// own unspent funding, over random fund/submit/accept/reject/withdraw sequences.
    function testFuzz_CuratorNeverWithdrawsSponsorMoney(uint256 seed) public {
        uint32 poolId = _pool(40, 1);
        uint256[] memory pending = new uint256[](64);
        uint256 nPending;
        uint256 n;
        for (uint256 step = 0; step < 40; ++step) {
            uint256 r = uint256(keccak256(abi.encode(seed, step)));
            uint256 op = r % 7;
            uint128 amt = uint128((r >> 8) % 120);
            if (op == 0 && amt > 0) {
                vm.prank(curator);
                db.fundBounty{value: amt}(poolId, amt);
                cFree += amt;
            } else if (op == 1 && amt > 0) {
                vm.prank(stranger);
                db.fundBounty{value: amt}(poolId, amt);
                tFree += amt;
            } else if (op == 2 && nPending < 64) {
                pending[nPending++] = _submitAsAlice(poolId, ++n);
            } else if ((op == 3 || op == 4) && nPending > 0) {
                uint256 k = (r >> 16) % nPending;
                uint256 id = pending[k];
                pending[k] = pending[nPending - 1];
                nPending--;
                uint256 creditBefore = db.creditOf(alice, address(0));
                if (op == 3) {
                    vm.prank(custodian);
                    db.acceptContribution(id);
                    _pay(db.creditOf(alice, address(0)) - creditBefore);
                } else {
                    vm.prank(custodian);
                    db.rejectContribution(id, IDatabank.RejectionReason.SchemaMismatch);
                }
            } else if (op == 5) {
                uint256 w = _withdrawable(poolId);
                uint128 take = uint128(amt < w ? amt : w);
                vm.prank(curator);
                db.withdrawBounty(poolId, take);
                cFree -= take;
            } else if (op == 6) {
                // nothing: time passes
            }
            uint256 budget = db.getPool(poolId).bountyBudget;
            uint256 ideal = cFree < budget ? cFree : budget;
            assertLe(_withdrawable(poolId), ideal, "curator can withdraw sponsor money");
        }
    }

    // ================================================================ erasure obligations

    /// @notice REGRESSION. A buyer that already has a delivery can attest an erasure index while its
    /// next delivery (whose set was taken before that erasure) is in flight. The record is delivered
    /// again by the second purchase, yet erasuresOwed stays 0.
    function testAttestBeforeLaterDeliveryEscapesErasure() public {
        uint32 poolId = _pool(0, 1);
        uint256 a = _contribute(poolId, alice, "bafyalice");
        _contribute(poolId, bob, "bafybobby");
        IDatabank.Purchase memory p1 = _buy(poolId);
        vm.prank(custodian);
        db.fulfill(p1, "bafydelivery", bytes32(0), 2, 0);
        // Second purchase; the honest node takes its set at erasure count 0 and sends fulfil.
        IDatabank.Purchase memory p2 = _buy(poolId);
        uint32 seen = db.getPool(poolId).erasureCount;
        // Alice revokes while the delivery is in flight (erasure index 0) ...
        vm.prank(alice);
        db.revokeConsent(a);
        // ... the buyer (seeing the pending fulfil) attests index 0 first ...
        vm.prank(buyer);
        db.attestErasure(poolId, 1);
        // ... then the delivery lands: alice's record is in it (recordCount 2 = 1 active + 1 in flight).
        vm.prank(custodian);
        db.fulfill(p2, "bafydelivery", bytes32(0), 2, seen);
        assertEq(db.erasuresOwed(poolId, buyer), 1, "buyer holds alice's record again and must owe its erasure");
    }

    /// @notice REGRESSION. owedFrom is set by the first delivery to land, not the earliest set:
    /// two pending purchases fulfilled out of order (set of the later one taken first is fine, but a
    /// custodian can also land the later erasure count first) leave the older set's in-flight
    /// erasures unowed.
    function testOutOfOrderFulfilEscapesErasure() public {
        uint32 poolId = _pool(0, 1);
        uint256 a = _contribute(poolId, alice, "bafyalice");
        _contribute(poolId, bob, "bafybobby");
        IDatabank.Purchase memory p1 = _buy(poolId);
        IDatabank.Purchase memory p2 = _buy(poolId);
        vm.prank(alice);
        db.revokeConsent(a); // index 0
        vm.startPrank(custodian);
        db.fulfill(p2, "bafydelivery", bytes32(0), 1, 1); // set without alice
        db.fulfill(p1, "bafydelivery", bytes32(0), 2, 0); // set with alice (taken before her revocation)
        vm.stopPrank();
        assertEq(db.erasuresOwed(poolId, buyer), 1, "alice's record was delivered (p1) after she revoked");
    }

    // ================================================================ held: delivery + refund

    /// @notice neither revocations, retirements nor refunds by anyone can make an honest
    /// fulfil (set taken after the purchase) fail before the deadline; fulfil at the deadline
    /// second itself succeeds and refund the same second fails.
    function testDeadlineBoundaryIsExclusive() public {
        uint32 poolId = _pool(0, 2);
        uint256 a = _contribute(poolId, alice, "bafyalice");
        uint256 b = _contribute(poolId, bob, "bafybobby");
        _contribute(poolId, carol, "bafycarol");
        IDatabank.Purchase memory sale = _buy(poolId);
        uint32 seen = db.getPool(poolId).erasureCount;
        vm.prank(alice);
        db.revokeConsent(a);
        vm.prank(bob);
        db.revokeConsent(b);
        vm.warp(sale.deadline);
        vm.prank(stranger);
        vm.expectRevert(abi.encodeWithSelector(IDatabank.RefundNotYetAvailable.selector, sale.id, sale.deadline));
        db.refund(sale);
        vm.prank(custodian);
        db.fulfill(sale, "bafydelivery", bytes32(0), 3, seen);
        vm.expectRevert(
            abi.encodeWithSelector(IDatabank.PurchaseSettled.selector, sale.id, IDatabank.PurchaseStatus.Fulfilled)
        );
        db.refund(sale);
    }

    /// @notice (Documented in the README trust model.) a contribution that joins between
    /// the set being taken and fulfil makes fulfil revert (RecordCountMismatch). Only the custodian
    /// can activate, so only a second process holding the custodian key can cause it.
    function testJoinInFlightNeedsCustodian() public {
        uint32 poolId = _pool(0, 1);
        _contribute(poolId, alice, "bafyalice");
        IDatabank.Purchase memory sale = _buy(poolId);
        uint32 seen = db.getPool(poolId).erasureCount;
        vm.prank(bob);
        uint256 id = db.submitContribution(poolId, "bafybobby", 0, 1);
        vm.prank(bob);
        vm.expectRevert(abi.encodeWithSelector(IDatabank.NotCustodian.selector, poolId, bob));
        db.acceptContribution(id);
        vm.prank(custodian);
        db.fulfill(sale, "bafydelivery", bytes32(0), 1, seen);
    }

    // ================================================================ held: CanonicalCid calldata tricks

    function _ref(bytes memory cid) internal pure returns (bool) {
        if (cid.length < 8 || cid.length > 128 || cid[0] != "b") return false;
        for (uint256 i = 1; i < cid.length; ++i) {
            bytes1 c = cid[i];
            if (!((c >= "a" && c <= "z") || (c >= "2" && c <= "7"))) return false;
        }
        return true;
    }

    /// @notice garbage in the ABI padding after the string is ignored (masked), and a length
    /// running past the end of calldata is refused by the decoder before the assembly runs.
    function testCanonicalCidCalldataTricks() public {
        bytes4 sel = AttackCidHarness.isCanonical.selector;
        // "bafyalice" (9 bytes) with 0xff garbage in the padding.
        bytes memory data = abi.encodePacked(
            sel,
            uint256(0x20),
            uint256(9),
            bytes9("bafyalice"),
            bytes23(0xffffffffffffffffffffffffffffffffffffffffffffff)
        );
        (bool ok, bytes memory ret) = address(harness).staticcall(data);
        assertTrue(ok, "call ok");
        assertTrue(abi.decode(ret, (bool)), "padding garbage ignored, verdict same as clean");
        // Declared length 40 but only 32 bytes follow: the decoder reverts.
        data = abi.encodePacked(sel, uint256(0x20), uint256(40), bytes32("bafyaliceaaaaaaaaaaaaaaaaaaaaaaa"));
        (ok, ) = address(harness).staticcall(data);
        assertFalse(ok, "out-of-bounds string refused");
        // Offset pointing back at its own length word (string overlapping the head).
        data = abi.encodePacked(sel, uint256(0x00), uint256(0x20));
        (ok, ret) = address(harness).staticcall(data);
        if (ok) assertFalse(abi.decode(ret, (bool)), "overlapping encoding not canonical");
    }

    /// @notice every byte value, in every lane, at lengths 8..128 (incl. 31/32/33, 63/64/65, 95..97).
    function testCanonicalCidAllBytesAllLanes() public view {
        uint8[9] memory lengths = [8, 31, 32, 33, 64, 65, 96, 97, 128];
        for (uint256 li = 0; li < lengths.length; ++li) {
            uint256 length = lengths[li];
            bytes memory cid = new bytes(length);
            cid[0] = "b";
            for (uint256 i = 1; i < length; ++i) cid[i] = "7";
            for (uint256 v = 0; v < 256; ++v) {
                uint256 pos = 1 + (v % (length - 1));
                bytes1 saved = cid[pos];
                cid[pos] = bytes1(uint8(v));
                assertEq(harness.isCanonical(string(cid)), _ref(cid), "byte verdict");
                // Neighbouring high byte next to it (carry across lanes).
                if (pos + 1 < length) {
                    bytes1 s2 = cid[pos + 1];
                    cid[pos + 1] = bytes1(uint8(255 - v));
                    assertEq(harness.isCanonical(string(cid)), _ref(cid), "pair verdict");
                    cid[pos + 1] = s2;
                }
                cid[pos] = saved;
            }
        }
    }

    function testFuzz_CanonicalCidRandomWordPairs(bytes32 w1, bytes32 w2, bytes32 w3, uint8 len) public view {
        uint256 length = bound(len, 1, 96);
        bytes memory all = abi.encodePacked(bytes1("b"), w1, w2, w3);
        bytes memory cid = new bytes(length);
        for (uint256 i = 0; i < length; ++i) cid[i] = all[i];
        assertEq(harness.isCanonical(string(cid)), _ref(cid), "same verdict");
    }
}
