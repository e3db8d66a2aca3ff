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
/// @notice Drives random but valid sequences of marketplace operations on one native-coin pool
/// selling both products, over four contributors (each contribution with a random scope: records,
/// statistics only, or both) and two buyers, and keeps ghost accounting to check against: every wei
/// paid in and out, pending escrow, the privacy budget spent, and a reference
/// entitlement per account computed with plain arithmetic (iterating over its own small arrays,
/// which the contract never does): a record sale pays the active contributions that allow records,
/// a query those that allow statistics. Purchases neither reserve nor read the budget (ε is checked
/// against the per-query maximum only), so a query may be bought for more than is left, or when
/// nothing is, and pending queries may together ask more than the budget has left; an answer that
/// no longer fits must revert PrivacyBudgetExhausted, and the custodian then declines the query.
/// @dev The fuzzer ignores reverts (failOnRevert = false), so the handler only makes calls it
/// expects to succeed and counts any revert in `unexpectedReverts`, which an invariant requires to
/// stay 0.
contract DatabankHandler {
    Vm internal constant vm = Vm(address(uint160(uint256(keccak256("hevm cheat code")))));

    bytes32 internal constant BUYER_KEY = keccak256("buyer x25519 key");
    uint8 internal constant RECORDS = 1;
    uint8 internal constant STATISTICS = 2;

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
    mapping(uint256 id => uint8) public scopeOf;
    /// @dev The pool's ε spent when a statistics-scoped contribution joined, and its frozen loss once ended.
    mapping(uint256 id => uint256) public spentAtJoin;
    mapping(uint256 id => uint256) public frozenLoss;
    /// @dev Ended contributions that allowed statistics, whose privacy loss must stay frozen.
    uint256[] internal _endedStatistics;

    IDatabank.Purchase[] internal _pending;

    // ---------------------------------------------------------------- ghost variables

    uint256 public paidIn;
    uint256 public paidOut;
    uint256 public escrow;
    /// @dev Reference values of the pool's carries: record sales and queries.
    uint256 public refCarry;
    uint256 public refStatisticsCarry;
    /// @dev Reference privacy budget use, and ended consents per product.
    uint256 public epsilonSpent;
    uint256 public recordsEnded;
    uint256 public statisticsEnded;
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

    function endedStatisticsIds() external view returns (uint256[] memory) {
        return _endedStatistics;
    }

    /// @notice Tracked active contributions whose scope allows `use`, and those that allow only statistics.
    function activeCount(uint8 use) public view returns (uint256 count) {
        for (uint256 k = 0; k < _active.length; ++k) {
            if (scopeOf[_active[k]] & use != 0) ++count;
        }
    }

    function statisticsOnlyCount() external view returns (uint256 count) {
        for (uint256 k = 0; k < _active.length; ++k) {
            if (scopeOf[_active[k]] == STATISTICS) ++count;
        }
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
    function contributeSigned(uint256 actorSeed, uint256 expirySeed, uint256 scopeSeed) external {
        uint256 bounty = _bountyDue();
        uint256 i = actorSeed % 4;
        address who = _contributors[i];
        IDatabank.ConsentRequest memory req = IDatabank.ConsentRequest({
            contributor: who,
            poolId: poolId,
            dataCid: _nextCid(),
            expiresAt: _expiry(expirySeed),
            deadline: block.timestamp + 1 hours,
            scope: _scope(scopeSeed)
        });
        (uint8 v, bytes32 r, bytes32 s) = vm.sign(_pks[i], db.consentDigest(req, db.nonces(who)));
        vm.prank(custodian);
        try db.contributeWithSignature(req, abi.encodePacked(r, s, v)) returns (uint256 id) {
            _activated(id, who, req.expiresAt, bounty, req.scope);
            calls["contributeSigned"]++;
        } catch {
            unexpectedReverts++;
        }
    }

    /// @notice A contributor submits; the custodian accepts (or, one time in five, rejects).
    function contributeSubmitted(uint256 actorSeed, uint256 expirySeed, uint256 scopeSeed) external {
        uint256 bounty = _bountyDue(); // reserved at submission while the budget lasts
        address who = _contributors[actorSeed % 4];
        uint40 expiresAt = _expiry(expirySeed);
        uint8 scope = _scope(scopeSeed);
        vm.prank(who);
        try db.submitContribution(poolId, _nextCid(), expiresAt, scope) returns (uint256 id) {
            vm.prank(custodian);
            if (actorSeed % 5 == 0) {
                try db.rejectContribution(id, IDatabank.RejectionReason.SchemaMismatch) {
                    calls["reject"]++;
                } catch {
                    unexpectedReverts++;
                }
            } else {
                try db.acceptContribution(id) {
                    _activated(id, who, expiresAt, bounty, scope);
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

    function setQueryPrice(uint256 priceSeed) external {
        vm.prank(curator);
        try db.setQueryPrice(poolId, uint96(priceSeed % 5_000_000)) {
            calls["setQueryPrice"]++;
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
        if (pool.paused || activeCount(RECORDS) < pool.minContributors) return;
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

    /// @notice A buyer asks a query with a random ε (at most the per-query maximum). The purchase
    /// must succeed whatever the budget has left: it is not checked until the answer lands.
    function purchaseQuery(uint256 buyerSeed, uint256 epsilonSeed) external {
        IDatabank.Pool memory pool = db.getPool(poolId);
        if (pool.paused || activeCount(STATISTICS) < pool.minContributors) return;
        address buyer = _buyers[buyerSeed % 2];
        uint96 price = pool.queryPrice;
        // Hashed: the fuzzer's seeds are often small dictionary values, which would make every ε tiny.
        uint256 mixed = uint256(keccak256(abi.encode(epsilonSeed)));
        uint32 epsilon = uint32(1 + (mixed % pool.maxEpsilonPerQuery));
        uint256 remaining = pool.epsilonBudget - epsilonSpent;
        // Half the time the buyer asks at most what is left, so pending queries pile up past it.
        if ((mixed >> 128) % 2 == 0 && remaining != 0 && epsilon > remaining) epsilon = uint32(remaining);
        vm.deal(buyer, buyer.balance + price);
        vm.prank(buyer);
        try db.purchaseQuery{value: price}(poolId, price, BUYER_KEY, epsilon, "bafyquery", keccak256("query")) returns (
            IDatabank.Purchase memory sale
        ) {
            _pending.push(sale);
            escrow += price;
            paidIn += price;
            calls["purchaseQuery"]++;
            if (epsilon > remaining) calls["queryPastBudget"]++; // bought; its full answer cannot land
        } catch {
            unexpectedReverts++;
        }
    }

    /// @notice The custodian delivers a record sale or answers a query, with the set taken now;
    /// a query spends a random part of the ε it was bought for. An answer that no longer fits the
    /// budget must revert PrivacyBudgetExhausted, and the custodian declines the query instead.
    function fulfil(uint256 seed) external {
        IDatabank.Pool memory pool = db.getPool(poolId);
        uint256 index = _servable(seed, pool.minContributors);
        if (index == _pending.length) return;
        IDatabank.Purchase memory sale = _pending[index];
        bool records = sale.epsilon == 0;
        uint8 use = records ? RECORDS : STATISTICS;
        uint256 n = activeCount(use);
        uint32 spent = records ? 0 : _spend(seed, sale.epsilon);
        uint256 remaining = pool.epsilonBudget - epsilonSpent;
        if (!records && spent > remaining) {
            _answerOverBudget(index, sale, uint32(n), pool.statisticsEnded, spent, remaining);
            return;
        }
        vm.prank(custodian);
        if (records) {
            try db.fulfill(sale, "bafydelivery", keccak256(abi.encode(sale.id)), uint32(n), pool.erasureCount) {
                calls["fulfil"]++;
            } catch {
                unexpectedReverts++;
                return;
            }
        } else {
            try
                db.fulfillQuery(
                    sale,
                    "bafyanswer",
                    keccak256(abi.encode(sale.id)),
                    uint32(n),
                    pool.statisticsEnded,
                    spent
                )
            {
                epsilonSpent += spent;
                calls["fulfillQuery"]++;
            } catch {
                unexpectedReverts++;
                return;
            }
        }
        _removePending(index);
        escrow -= sale.amount;
        _creditReference(sale, pool, use, n);
    }

    /// @dev Like a node working through its queue: the first pending purchase from a random start
    /// that can still be served (not overdue, enough active contributions of its product), or
    /// `_pending.length` when none can.
    function _servable(uint256 seed, uint32 minContributors) internal view returns (uint256) {
        for (uint256 k = 0; k < _pending.length; ++k) {
            uint256 i = (seed + k) % _pending.length;
            IDatabank.Purchase memory candidate = _pending[i];
            uint256 count = activeCount(candidate.epsilon == 0 ? RECORDS : STATISTICS);
            if (block.timestamp <= candidate.deadline && count >= minContributors) return i;
        }
        return _pending.length;
    }

    /// @dev What an answer spends: half the time all the ε it was bought for, so campaigns reach
    /// the budget's end; else a random part of it.
    function _spend(uint256 seed, uint32 epsilon) internal pure returns (uint32) {
        uint256 mixed = uint256(keccak256(abi.encode(seed)));
        return mixed % 2 == 0 ? epsilon : uint32(1 + ((mixed >> 1) % epsilon));
    }

    /// @dev The answer to `sale` spends more than is left: it must revert with PrivacyBudgetExhausted
    /// (naming what is left and what it spent), and the custodian then declines the query.
    function _answerOverBudget(
        uint256 index,
        IDatabank.Purchase memory sale,
        uint32 n,
        uint32 ended,
        uint32 spent,
        uint256 remaining
    ) internal {
        bytes memory exhausted = abi.encodeWithSelector(
            IDatabank.PrivacyBudgetExhausted.selector,
            poolId,
            uint32(remaining),
            spent
        );
        vm.prank(custodian);
        try db.fulfillQuery(sale, "bafyanswer", keccak256(abi.encode(sale.id)), n, ended, spent) {
            mismatches++; // the budget should have refused it
            epsilonSpent += spent;
            _removePending(index);
            return;
        } catch (bytes memory reason) {
            if (keccak256(reason) != keccak256(exhausted)) {
                unexpectedReverts++;
                return;
            }
        }
        calls["answerOverBudget"]++;
        _reject(index, sale);
    }

    /// @dev Reference split: plain arithmetic, credited to each active holder of the product's scope by iteration.
    function _creditReference(
        IDatabank.Purchase memory sale,
        IDatabank.Pool memory pool,
        uint8 use,
        uint256 n
    ) internal {
        bool records = use == RECORDS;
        uint256 platform = (uint256(sale.amount) * pool.platformFeeBps) / 10_000;
        uint256 net = sale.amount - platform;
        uint256 contributors = (net * pool.contributorShareBps) / 10_000;
        uint256 total = contributors + (records ? refCarry : refStatisticsCarry);
        uint256 per = total / n;
        if (records) refCarry = total - per * n;
        else refStatisticsCarry = total - per * n;
        for (uint256 k = 0; k < _active.length; ++k) {
            if (scopeOf[_active[k]] & use != 0) entitlement[holderOf[_active[k]]] += per;
        }
        entitlement[curator] += net - contributors;
        entitlement[treasury] += platform;
    }

    /// @notice The custodian declines a pending purchase of either product: the buyer is credited
    /// at once; the privacy budget is untouched.
    function rejectPurchase(uint256 seed) external {
        if (_pending.length == 0) return;
        uint256 index = seed % _pending.length;
        _reject(index, _pending[index]);
    }

    function _reject(uint256 index, IDatabank.Purchase memory sale) internal {
        vm.prank(custodian);
        try db.rejectPurchase(sale, "declined") {
            _removePending(index);
            escrow -= sale.amount;
            entitlement[sale.buyer] += sale.amount;
            calls["rejectPurchase"]++;
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
            _ended(id);
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
                    _ended(id);
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

    function _activated(uint256 id, address who, uint40 expiresAt, uint256 bounty, uint8 scope) internal {
        _active.push(id);
        holderOf[id] = who;
        expiryOf[id] = expiresAt;
        scopeOf[id] = scope;
        spentAtJoin[id] = epsilonSpent;
        entitlement[who] += bounty;
    }

    /// @dev A consent ended: it leaves the products of its scope, and its privacy loss freezes.
    function _ended(uint256 id) internal {
        uint8 scope = scopeOf[id];
        if (scope & RECORDS != 0) recordsEnded++;
        if (scope & STATISTICS != 0) {
            statisticsEnded++;
            frozenLoss[id] = epsilonSpent - spentAtJoin[id];
            _endedStatistics.push(id);
        }
    }

    /// @dev Records, statistics only, or both, in equal measure.
    function _scope(uint256 seed) internal pure returns (uint8) {
        return uint8(1 + (seed % 3));
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
                products: 3, // record sales and queries
                queryPrice: 2_000_003,
                epsilonBudget: 3_000_000, // small enough for campaigns to exhaust it, and to overcommit it
                maxEpsilonPerQuery: 2_000_000
            })
        );
        handler = new DatabankHandler(db, poolId, curator, custodian, treasury);
        handler.fundBounty(15_000);

        targetContract(address(handler));
        bytes4[] memory selectors = new bytes4[](19);
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
        selectors[14] = DatabankHandler.purchaseQuery.selector;
        selectors[15] = DatabankHandler.rejectPurchase.selector;
        selectors[16] = DatabankHandler.setQueryPrice.selector;
        // queries are bought as often as record sales, and answers and deliveries keep up with both
        selectors[17] = DatabankHandler.purchaseQuery.selector;
        selectors[18] = DatabankHandler.fulfil.selector;
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
    /// earnings (from both products), the pool's carried remainders (one per product), or the bounty budget.
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
            escrow + _sumCredits() + _sumPendingEarnings() + pool.carry + pool.statisticsCarry + pool.bountyBudget,
            "balance == escrow + credits + pending earnings + both carries + bounty budget"
        );
        assertEq(pool.carry, handler.refCarry(), "records carry matches the reference");
        assertEq(pool.statisticsCarry, handler.refStatisticsCarry(), "query carry matches the reference");
    }

    /// @notice What Databank owes right now (credits and the active contributions' pending
    /// earnings from both products) never exceeds what it holds.
    /// hardhat-config: invariant.runs = 64
    /// hardhat-config: invariant.depth = 64
    function invariant_OwedWithinBalance() public view {
        assertLe(_sumCredits() + _sumPendingEarnings(), address(db).balance, "credits + pending earnings <= balance");
    }

    /// @notice The privacy budget: spent never exceeds it, however much the pending queries ask
    /// together; spent is the sum of the answers' ε; every contribution's privacy loss is the ε
    /// spent while it was active (frozen once it ended), never more than the pool's total.
    /// hardhat-config: invariant.runs = 64
    /// hardhat-config: invariant.depth = 64
    function invariant_PrivacyBudget() public view {
        IDatabank.Pool memory pool = db.getPool(poolId);
        assertLe(pool.epsilonSpent, pool.epsilonBudget, "spent <= budget");
        assertEq(pool.epsilonSpent, handler.epsilonSpent(), "spent == sum of answered epsilon");
        uint256[] memory ids = handler.activeIds();
        for (uint256 i = 0; i < ids.length; ++i) {
            uint256 expected = handler.scopeOf(ids[i]) & 2 != 0 ? pool.epsilonSpent - handler.spentAtJoin(ids[i]) : 0;
            assertEq(db.privacyLoss(ids[i]), expected, "active: loss == epsilon spent since joining");
        }
        ids = handler.endedStatisticsIds();
        for (uint256 i = 0; i < ids.length; ++i) {
            assertEq(db.privacyLoss(ids[i]), handler.frozenLoss(ids[i]), "ended: loss frozen");
            assertLe(db.privacyLoss(ids[i]), pool.epsilonSpent, "loss <= pool total");
        }
    }

    /// @notice The handler's over-budget path, driven by hand: two queries bought together whose ε
    /// exceed the budget; the first answer lands, the second reverts PrivacyBudgetExhausted and is
    /// declined, and the ghost accounting still matches. (Random campaigns reach this path rarely:
    /// the walk below exercises it.)
    function testHandlerDeclinesAnswerOverBudget() public {
        handler.contributeSigned(0, 1, 1); // statistics only
        handler.contributeSigned(1, 1, 2); // both
        uint256 large = _seedWhere(true); // ε above half the budget
        handler.purchaseQuery(0, large);
        handler.purchaseQuery(1, large);
        assertEq(handler.pendingCount(), 2, "both bought");
        uint256 full = _seedWhere(false); // an answer spending all its ε
        handler.fulfil(full);
        handler.fulfil(full);
        assertEq(handler.calls("answerOverBudget"), 1, "the second answer did not fit");
        assertEq(handler.calls("rejectPurchase"), 1, "and was declined");
        assertEq(handler.pendingCount(), 0, "nothing left pending");
        assertEq(handler.calls("queryPastBudget"), 0, "both bought while the budget had room for each");
        invariant_PrivacyBudget();
        invariant_EthBalanceFullyAccounted();
        invariant_WithdrawalsWithinReferenceEntitlement();
    }

    /// @notice The handler's purchase past the budget, driven by hand: queries bought and answered
    /// one by one until the budget is spent; the purchases after it still succeed (the budget is
    /// not read at purchase), their answers revert PrivacyBudgetExhausted and they are declined,
    /// and the budget is never exceeded.
    function testHandlerBuysPastTheBudgetAndDeclines() public {
        handler.contributeSigned(0, 1, 1); // statistics only
        handler.contributeSigned(1, 1, 2); // both
        uint256 full = _seedWhere(false);
        for (uint256 i = 0; i < 24; ++i) {
            handler.purchaseQuery(i, i);
            handler.fulfil(full);
        }
        assertEq(handler.epsilonSpent(), 3_000_000, "the budget spent exactly");
        assertLt(0, handler.calls("queryPastBudget"), "queries bought past the budget");
        assertLt(0, handler.calls("answerOverBudget"), "their answers did not fit");
        assertEq(handler.calls("answerOverBudget"), handler.calls("rejectPurchase"), "each was declined");
        assertEq(handler.pendingCount(), 0, "nothing left pending");
        invariant_PrivacyBudget();
        invariant_EthBalanceFullyAccounted();
        invariant_WithdrawalsWithinReferenceEntitlement();
    }

    /// @dev The first seed the handler turns into an ε above half the budget (`large`), or into an
    /// answer that spends all of its ε.
    function _seedWhere(bool large) internal pure returns (uint256 seed) {
        while (true) {
            uint256 mixed = uint256(keccak256(abi.encode(seed)));
            if (large ? 1 + (mixed % 2_000_000) > 1_500_000 : mixed % 2 == 0) return seed;
            ++seed;
        }
    }

    /// @notice A seeded random walk over contributions, both products' purchases, answers,
    /// revocations and claims, long enough to exhaust the budget with queries pending past it and
    /// queries bought after it is spent (which must be declined): every invariant holds at each step.
    /// hardhat-config: fuzz.runs = 16
    function testFuzz_RandomWalkPastTheBudget(uint256 seed) public {
        for (uint256 step = 0; step < 160; ++step) {
            uint256 r = uint256(keccak256(abi.encode(seed, step)));
            uint256 op = r % 8;
            uint256 a = r >> 16;
            uint256 b = uint256(keccak256(abi.encode(r)));
            if (op == 0) handler.contributeSigned(a, b, a >> 3);
            else if (op == 1) handler.contributeSubmitted(a, b, a >> 3);
            else if (op == 2) handler.purchase(a);
            else if (op == 3 || op == 4) handler.purchaseQuery(a, b);
            else if (op == 5 || op == 6) handler.fulfil(a);
            else if (r % 16 == 7) handler.revoke(a);
            else handler.claim(a);
            if (step % 8 == 7) {
                invariant_PrivacyBudget();
                invariant_EthBalanceFullyAccounted();
                invariant_WithdrawalsWithinReferenceEntitlement();
                invariant_ActiveCountMatchesTokens();
            }
        }
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

    /// @notice Each product's active count is the number of live consent tokens the handler tracks
    /// whose scope allows it, each held by its contributor; each product's ended count matches the
    /// consents of its scope that ended (only records-scoped ones request erasure); no buyer owes
    /// more erasures than were requested.
    /// hardhat-config: invariant.runs = 64
    /// hardhat-config: invariant.depth = 64
    function invariant_ActiveCountMatchesTokens() public view {
        uint256[] memory ids = handler.activeIds();
        IDatabank.Pool memory pool = db.getPool(poolId);
        assertEq(pool.recordsActive, handler.activeCount(1), "recordsActive == tracked records-scoped tokens");
        assertEq(pool.statisticsActive, handler.activeCount(2), "statisticsActive == tracked statistics-scoped tokens");
        assertEq(pool.statisticsOnlyActive, handler.statisticsOnlyCount(), "statisticsOnlyActive");
        assertEq(pool.recordsActive + pool.statisticsOnlyActive, ids.length, "each contribution counted once");
        assertEq(pool.erasureCount, handler.recordsEnded(), "erasure requests == records-scoped ends");
        assertEq(pool.statisticsEnded, handler.statisticsEnded(), "statisticsEnded == statistics-scoped ends");
        for (uint256 i = 0; i < ids.length; ++i) {
            assertEq(db.ownerOf(ids[i]), handler.holderOf(ids[i]), "token held by its contributor");
        }
        address[2] memory buyers = handler.buyers();
        for (uint256 i = 0; i < 2; ++i) {
            assertLe(db.erasuresOwed(poolId, buyers[i]), pool.erasureCount, "erasures owed <= requested");
        }
    }
}
