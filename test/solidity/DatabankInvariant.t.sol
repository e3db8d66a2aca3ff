// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {Databank} from "../../contracts/Databank.sol";
import {ConsentReceiptRenderer} from "../../contracts/ConsentReceiptRenderer.sol";
import {IDatabank} from "../../contracts/interfaces/IDatabank.sol";
import {TestBase} from "./utils/TestBase.sol";
import {Vm} from "./utils/Vm.sol";

// The handler lives in this file, not in test/solidity/utils: Hardhat emits artifacts only for the
// root files it builds, and `hardhat test solidity test/solidity/DatabankInvariant.t.sol` builds
// this file alone. The invariant runner finds a target contract's ABI through its artifact, so a
// handler imported from another file was "an address without an associated contract" when this
// suite ran on its own.

/// @title Invariant handler for Databank
/// @notice Drives random but valid sequences of marketplace operations on one native-coin pool,
/// over four contributors and two buyers, and keeps ghost accounting to check against: every wei
/// paid in and out, pending escrow, and a reference entitlement per account computed with plain
/// arithmetic (iterating over its own small arrays, which the contract never does).
/// @dev The fuzzer ignores reverts (failOnRevert = false), so the handler only makes calls it
/// expects to succeed and counts any revert in `unexpectedReverts`, which an invariant requires to
/// stay 0.
contract DatabankHandler {
    Vm internal constant vm = Vm(address(uint160(uint256(keccak256("hevm cheat code")))));

    bytes32 internal constant BUYER_KEY = keccak256("buyer x25519 key");

    Databank public immutable db;
    uint32 public immutable poolId;
    address public immutable curator;
    address public immutable custodian;
    address public immutable treasury;

    uint256[4] internal _pks = [uint256(0x1001), 0x1002, 0x1003, 0x1004];
    address[4] internal _contributors;
    address[2] internal _buyers;

    /// @dev Active contribution ids, their holders and expiries.
    uint256[] internal _active;
    mapping(uint256 id => address) public holderOf;
    mapping(uint256 id => uint40) public expiryOf;

    IDatabank.Purchase[] internal _pending;

    // ---------------------------------------------------------------- ghost variables

    uint256 public paidIn;
    uint256 public paidOut;
    uint256 public escrow;
    /// @dev Reference value of the pool's carry.
    uint256 public refCarry;
    mapping(address account => uint256) public entitlement;
    mapping(address account => uint256) public withdrawn;
    uint256 public unexpectedReverts;
    uint256 public mismatches;
    uint256 internal _cidNonce;

    /// @notice Calls that went through, per operation, to see what a campaign exercised.
    mapping(bytes32 op => uint256) public calls;

    constructor(Databank db_, uint32 poolId_, address curator_, address custodian_, address treasury_) {
        db = db_;
        poolId = poolId_;
        curator = curator_;
        custodian = custodian_;
        treasury = treasury_;
        for (uint256 i = 0; i < 4; ++i) {
            _contributors[i] = vm.addr(_pks[i]);
        }
        _buyers[0] = address(uint160(uint256(keccak256("buyer-0"))));
        _buyers[1] = address(uint160(uint256(keccak256("buyer-1"))));
    }

    // ---------------------------------------------------------------- views for the invariants

    /// @notice Every account that may hold credit or withdraw: contributors, buyers, curator, treasury.
    function accounts() external view returns (address[] memory list) {
        list = new address[](8);
        for (uint256 i = 0; i < 4; ++i) list[i] = _contributors[i];
        list[4] = _buyers[0];
        list[5] = _buyers[1];
        list[6] = curator;
        list[7] = treasury;
    }

    function activeIds() external view returns (uint256[] memory) {
        return _active;
    }

    function buyers() external view returns (address[2] memory) {
        return _buyers;
    }

    function pendingCount() external view returns (uint256) {
        return _pending.length;
    }

    function pendingAmount(uint256 i) external view returns (uint256) {
        return _pending[i].amount;
    }

    // ---------------------------------------------------------------- actions

    /// @notice A contributor signs a consent that the custodian relays.
    function contributeSigned(uint256 actorSeed, uint256 expirySeed) external {
        uint256 bounty = _bountyDue();
        uint256 i = actorSeed % 4;
        address who = _contributors[i];
        IDatabank.ConsentRequest memory req = IDatabank.ConsentRequest({
            contributor: who,
            poolId: poolId,
            dataCid: _nextCid(),
            expiresAt: _expiry(expirySeed),
            deadline: block.timestamp + 1 hours,
            scope: 1
        });
        (uint8 v, bytes32 r, bytes32 s) = vm.sign(_pks[i], db.consentDigest(req, db.nonces(who)));
        vm.prank(custodian);
        try db.contributeWithSignature(req, abi.encodePacked(r, s, v)) returns (uint256 id) {
            _activated(id, who, req.expiresAt, bounty);
            calls["contributeSigned"]++;
        } catch {
            unexpectedReverts++;
        }
    }

    /// @notice A contributor submits; the custodian accepts (or, one time in five, rejects).
    function contributeSubmitted(uint256 actorSeed, uint256 expirySeed) external {
        uint256 bounty = _bountyDue(); // reserved at submission while the budget lasts
        address who = _contributors[actorSeed % 4];
        uint40 expiresAt = _expiry(expirySeed);
        vm.prank(who);
        try db.submitContribution(poolId, _nextCid(), expiresAt, 1) returns (uint256 id) {
            vm.prank(custodian);
            if (actorSeed % 5 == 0) {
                try db.rejectContribution(id, IDatabank.RejectionReason.SchemaMismatch) {
                    calls["reject"]++;
                } catch {
                    unexpectedReverts++;
                }
            } else {
                try db.acceptContribution(id) {
                    _activated(id, who, expiresAt, bounty);
                    calls["contributeSubmitted"]++;
                } catch {
                    unexpectedReverts++;
                }
            }
        } catch {
            unexpectedReverts++;
        }
    }

    function fundBounty(uint256 amountSeed) public {
        uint128 amount = uint128(amountSeed % 20_000);
        vm.deal(curator, curator.balance + amount);
        vm.prank(curator);
        try db.fundBounty{value: amount}(poolId, amount) {
            paidIn += amount;
            calls["fundBounty"]++;
        } catch {
            unexpectedReverts++;
        }
    }

    function withdrawBounty(uint256 amountSeed) external {
        uint128 budget = db.getPool(poolId).bountyBudget; // all funded by the curator: all withdrawable
        if (budget == 0) return;
        uint128 amount = uint128(1 + (amountSeed % budget));
        vm.prank(curator);
        try db.withdrawBounty(poolId, amount) {
            entitlement[curator] += amount;
            calls["withdrawBounty"]++;
        } catch {
            unexpectedReverts++;
        }
    }

    function setPrice(uint256 priceSeed) external {
        vm.prank(curator);
        try db.setPrice(poolId, uint96(priceSeed % 3_000_000)) {
            calls["setPrice"]++;
        } catch {
            unexpectedReverts++;
        }
    }

    function togglePause() external {
        bool paused = db.getPool(poolId).paused;
        vm.prank(curator);
        try db.setPaused(poolId, !paused) {
            calls["togglePause"]++;
        } catch {
            unexpectedReverts++;
        }
    }

    function purchase(uint256 buyerSeed) external {
        IDatabank.Pool memory pool = db.getPool(poolId);
        if (pool.paused || _active.length < pool.minContributors) return;
        address buyer = _buyers[buyerSeed % 2];
        uint96 price = pool.price;
        vm.deal(buyer, buyer.balance + price);
        vm.prank(buyer);
        try db.purchase{value: price}(poolId, price, BUYER_KEY) returns (IDatabank.Purchase memory sale) {
            _pending.push(sale);
            escrow += price;
            paidIn += price;
            calls["purchase"]++;
        } catch {
            unexpectedReverts++;
        }
    }

    function fulfil(uint256 seed) external {
        if (_pending.length == 0) return;
        uint256 index = seed % _pending.length;
        IDatabank.Purchase memory sale = _pending[index];
        IDatabank.Pool memory pool = db.getPool(poolId);
        uint256 n = _active.length;
        if (block.timestamp > sale.deadline || n < pool.minContributors) return;
        vm.prank(custodian);
        try db.fulfill(sale, "bafydelivery", keccak256(abi.encode(sale.id)), uint32(n), pool.erasureCount) {
            _removePending(index);
            escrow -= sale.amount;
            // Reference split: plain arithmetic, credited to each active holder by iteration.
            uint256 platform = (uint256(sale.amount) * pool.platformFeeBps) / 10_000;
            uint256 net = sale.amount - platform;
            uint256 contributors = (net * pool.contributorShareBps) / 10_000;
            uint256 total = contributors + refCarry;
            uint256 per = total / n;
            refCarry = total - per * n;
            for (uint256 k = 0; k < n; ++k) {
                entitlement[holderOf[_active[k]]] += per;
            }
            entitlement[curator] += net - contributors;
            entitlement[treasury] += platform;
            calls["fulfil"]++;
        } catch {
            unexpectedReverts++;
        }
    }

    /// @notice Refunds a pending purchase, warping past its deadline when it is not yet refundable.
    function refund(uint256 seed, uint256 warpSeed) external {
        if (_pending.length == 0) return;
        uint256 index = seed % _pending.length;
        IDatabank.Purchase memory sale = _pending[index];
        if (block.timestamp <= sale.deadline) {
            vm.warp(uint256(sale.deadline) + 1 + (warpSeed % 1 hours));
        }
        uint256 before = sale.buyer.balance;
        try db.refund(sale) {
            _removePending(index);
            escrow -= sale.amount;
            entitlement[sale.buyer] += sale.amount;
            uint256 received = sale.buyer.balance - before;
            if (received != sale.amount) mismatches++;
            withdrawn[sale.buyer] += received;
            paidOut += received;
            calls["refund"]++;
        } catch {
            unexpectedReverts++;
        }
    }

    function revoke(uint256 seed) external {
        if (_active.length == 0) return;
        uint256 index = seed % _active.length;
        uint256 id = _active[index];
        vm.prank(holderOf[id]);
        try db.revokeConsent(id) {
            _removeActive(index);
            calls["revoke"]++;
        } catch {
            unexpectedReverts++;
        }
    }

    function retireExpired(uint256 seed) external {
        uint256 n = _active.length;
        for (uint256 k = 0; k < n; ++k) {
            uint256 index = (seed + k) % n;
            uint256 id = _active[index];
            uint40 expiry = expiryOf[id];
            if (expiry != 0 && expiry <= block.timestamp) {
                try db.retireExpired(id) {
                    _removeActive(index);
                    calls["retire"]++;
                } catch {
                    unexpectedReverts++;
                }
                return;
            }
        }
    }

    /// @notice An account withdraws everything it is owed; the amount must equal credit plus the
    /// pending earnings of its active contributions.
    function claim(uint256 seed) external {
        address[] memory list = this.accounts();
        address account = list[seed % list.length];
        uint256 count;
        for (uint256 k = 0; k < _active.length; ++k) {
            if (holderOf[_active[k]] == account) ++count;
        }
        uint256[] memory ids = new uint256[](count);
        uint256 expected = db.creditOf(account, address(0));
        count = 0;
        for (uint256 k = 0; k < _active.length; ++k) {
            if (holderOf[_active[k]] == account) {
                ids[count++] = _active[k];
                expected += db.pendingEarnings(_active[k]);
            }
        }
        if (expected == 0) return;
        uint256 before = account.balance;
        vm.prank(account);
        try db.claim(address(0), ids) returns (uint256 amount) {
            uint256 received = account.balance - before;
            if (received != expected || amount != expected) mismatches++;
            withdrawn[account] += received;
            paidOut += received;
            calls["claim"]++;
        } catch {
            unexpectedReverts++;
        }
    }

    function attestErasure(uint256 buyerSeed, uint256 upToSeed) external {
        address buyer = _buyers[buyerSeed % 2];
        uint32 owed = db.erasuresOwed(poolId, buyer);
        if (owed == 0) return;
        uint32 erasureCount = db.getPool(poolId).erasureCount;
        uint32 attested = erasureCount - owed;
        uint32 upTo = attested + 1 + uint32(upToSeed % owed);
        vm.prank(buyer);
        try db.attestErasure(poolId, upTo) {
            if (db.erasuresOwed(poolId, buyer) != erasureCount - upTo) mismatches++;
            calls["attestErasure"]++;
        } catch {
            unexpectedReverts++;
        }
    }

    function warp(uint256 secondsSeed) external {
        vm.warp(block.timestamp + 1 + (secondsSeed % 3 days));
        calls["warp"]++;
    }

    // ---------------------------------------------------------------- internal

    /// @dev The bounty a contribution made now receives: the full bounty while the budget lasts, else none.
    function _bountyDue() internal view returns (uint256) {
        IDatabank.Pool memory pool = db.getPool(poolId);
        return pool.bountyBudget >= pool.bountyPerContribution ? pool.bountyPerContribution : 0;
    }

    function _activated(uint256 id, address who, uint40 expiresAt, uint256 bounty) internal {
        _active.push(id);
        holderOf[id] = who;
        expiryOf[id] = expiresAt;
        entitlement[who] += bounty;
    }

    /// @dev A number spelled in base32 letters, so generated CIDs stay canonical.
    function _letters(uint256 n) internal pure returns (string memory out) {
        do {
            out = string.concat(string(abi.encodePacked(bytes1(uint8(97 + (n % 26))))), out);
            n /= 26;
        } while (n != 0);
    }

    function _nextCid() internal returns (string memory) {
        return string.concat("bafyrecord", _letters(++_cidNonce));
    }

    function _expiry(uint256 seed) internal view returns (uint40) {
        if (seed % 3 != 0) return 0;
        return uint40(block.timestamp + 1 hours + (seed % 20 days));
    }

    function _removeActive(uint256 index) internal {
        _active[index] = _active[_active.length - 1];
        _active.pop();
    }

    function _removePending(uint256 index) internal {
        _pending[index] = _pending[_pending.length - 1];
        _pending.pop();
    }
}

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
                termsCid: "bafyterms",
                products: 1,
                queryPrice: 0,
                epsilonBudget: 0,
                maxEpsilonPerQuery: 0
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
        assertEq(pool.recordsActive, ids.length, "recordsActive == tracked active tokens");
        for (uint256 i = 0; i < ids.length; ++i) {
            assertEq(db.ownerOf(ids[i]), handler.holderOf(ids[i]), "token held by its contributor");
        }
        address[2] memory buyers = handler.buyers();
        for (uint256 i = 0; i < 2; ++i) {
            assertLe(db.erasuresOwed(poolId, buyers[i]), pool.erasureCount, "erasures owed <= requested");
        }
    }
}
