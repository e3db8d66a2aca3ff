// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {Databank} from "../../contracts/Databank.sol";
import {IDatabank} from "../../contracts/interfaces/IDatabank.sol";
import {DatabankFixture} from "./utils/DatabankFixture.sol";

/// @notice A query buyer whose wallet refuses the native coin: every push payment to it reverts.
contract RefusingBuyer {
    error Refused();

    Databank internal immutable _db;

    constructor(Databank db) payable {
        _db = db;
    }

    function buyQuery(uint32 poolId, uint96 price, uint32 epsilon) external returns (IDatabank.Purchase memory) {
        return _db.purchaseQuery{value: price}(poolId, price, keccak256("k"), epsilon, "bafyquerydocument", 0);
    }

    function claim() external returns (uint256) {
        return _db.claim(address(0), new uint256[](0));
    }

    receive() external payable {
        revert Refused();
    }
}

/// @notice Attacks on consent scopes and the query product (issue 11), one test per threat. Each
/// names the attacker and what it would gain; all of them held against the contracts as written.
/// The design under test neither reserves nor reads the budget at purchase: `purchaseQuery` only
/// checks ε against the pool's per-query maximum, and `fulfillQuery` alone enforces the budget
/// (the custodian declines a query that no longer fits with `rejectPurchase`, or it is refunded
/// after its deadline). So a pending query holds no budget, there is no reservation to grief, and a
/// query may be bought when the budget cannot pay for it. The threats, attacker -> its gain:
///  - Racing a rejection (buyer -> its escrow twice): the rejection and the refund close the same
///    purchase; the second reverts. A buyer refusing the coin blocks only its own refund.
///  - Holding the budget with pending queries (anyone -> a denial of service): nothing is held;
///    honest queries are still bought and answered.
///  - Queries bought together that do not all fit (a buyer -> the last of the budget): the answer
///    that lands first takes it; the custodian, who orders the answers, decides which (its
///    affiliate can gain); the other buyer is credited in full and loses only time.
///  - Exhausting the budget with paid max-ε queries (a competitor -> the last answers the pool
///    will ever give, a denial of service on everyone after): possible, by design; it pays the
///    full price for each query, which goes to the contributors, the curator and the platform,
///    who all gain. With a query price of 0 it costs nothing but gas, if the custodian answers.
///    Buyers after it can still pay (the purchase does not read the budget) but get no answer:
///    their answers revert, and they are credited in full (declined) or refunded after the deadline.
///  - Overspending ε (the custodian -> a more accurate answer or one sold twice): bounded by the ε
///    the buyer allowed, by the budget, and by one answer per purchase.
///  - Scope sybils (a contributor -> the other product's revenue or threshold): neither product
///    counts or pays the other scope.
///  - Racing the answer with a revocation or a join (a contributor or a second node -> pay for an
///    answer it was not in): the set is checked against the counts.
///  - Cross-product replay (the custodian -> a query's escrow paid out without spending ε, or a
///    record sale's paid to statistics-only contributions): `epsilon` tells the product and is
///    part of the purchase's digest.
contract DatabankQueryAttacksTest is DatabankFixture {
    /// @dev A pool selling both products with alice (records), bob (statistics only) and carol (both).
    function _mixedPool() internal returns (uint32 poolId, uint256 r, uint256 s, uint256 b) {
        poolId = _pool(BOTH);
        r = _contribute(poolId, alice, "bafyalice", RECORDS);
        s = _contribute(poolId, bob, "bafybobby", STATISTICS);
        b = _contribute(poolId, carol, "bafycarol", BOTH);
    }

    // ================================================================ racing a rejection

    /// @notice Attacker: a query buyer. Gain: its money twice (the custodian's rejection credits it,
    /// then its own refund pays it again). Here the custodian rejects first.
    function testBuyerRefundAfterRejectionFails() public {
        (uint32 poolId, , , ) = _mixedPool();
        IDatabank.Purchase memory other = _buyQueryAs(stranger, poolId, 600_000);
        IDatabank.Purchase memory sale = _buyQuery(poolId, MAX_EPSILON);
        // Before the deadline the buyer cannot pre-empt the rejection with a refund at all.
        vm.prank(buyer);
        vm.expectRevert(abi.encodeWithSelector(IDatabank.RefundNotYetAvailable.selector, sale.id, sale.deadline));
        db.refund(sale);
        vm.warp(uint256(sale.deadline) + 1);
        vm.prank(custodian);
        db.rejectPurchase(sale, "forbidden by policy");
        vm.prank(buyer);
        vm.expectRevert(
            abi.encodeWithSelector(IDatabank.PurchaseSettled.selector, sale.id, IDatabank.PurchaseStatus.Refunded)
        );
        db.refund(sale);
        assertEq(db.creditOf(buyer, address(0)), QUERY_PRICE, "credited exactly once");
        assertTrue(
            db.purchaseStatus(other.id) == IDatabank.PurchaseStatus.Pending,
            "the other buyer's query untouched"
        );
        assertEq(address(db).balance, 2 * QUERY_PRICE, "both escrows still held: one credited, one pending");
    }

    /// @notice Same attacker and gain, the other order: the buyer refunds after the deadline, then the
    /// custodian's rejection (sent before it saw the refund) lands.
    function testRejectionAfterRefundFails() public {
        (uint32 poolId, , , ) = _mixedPool();
        IDatabank.Purchase memory other = _buyQueryAs(stranger, poolId, 600_000);
        IDatabank.Purchase memory sale = _buyQuery(poolId, MAX_EPSILON);
        vm.warp(uint256(sale.deadline) + 1);
        uint256 before = buyer.balance;
        vm.prank(buyer);
        db.refund(sale);
        vm.prank(custodian);
        vm.expectRevert(
            abi.encodeWithSelector(IDatabank.PurchaseSettled.selector, sale.id, IDatabank.PurchaseStatus.Refunded)
        );
        db.rejectPurchase(sale, "forbidden by policy");
        assertEq(buyer.balance - before, QUERY_PRICE, "paid exactly once");
        assertEq(db.creditOf(buyer, address(0)), 0, "and not credited on top");
        assertTrue(
            db.purchaseStatus(other.id) == IDatabank.PurchaseStatus.Pending,
            "the other buyer's query untouched"
        );
        assertEq(address(db).balance, QUERY_PRICE, "only the other escrow left");
    }

    /// @notice Attacker: a query buyer whose wallet refuses the coin. Gain: the custodian's
    /// transaction failing (were rejections pushed), or its pending queries holding the budget while
    /// `refund` reverts. Neither: the rejection credits instead of pushing, and a pending query
    /// holds no ε, so honest buyers are served meanwhile. The refusing wallet blocks only itself.
    function testRefusingBuyerCannotBlockRejection() public {
        (uint32 poolId, , , ) = _mixedPool();
        vm.deal(address(this), 10 ether);
        RefusingBuyer attacker = new RefusingBuyer{value: 10 ether}(db);
        attacker.buyQuery(poolId, QUERY_PRICE, MAX_EPSILON);
        attacker.buyQuery(poolId, QUERY_PRICE, MAX_EPSILON);
        IDatabank.Purchase memory sale = attacker.buyQuery(poolId, QUERY_PRICE, MAX_EPSILON);
        _answer(_buyQuery(poolId, MAX_EPSILON), MAX_EPSILON); // three max-ε queries pending hold nothing
        vm.warp(uint256(sale.deadline) + 1);
        vm.prank(stranger);
        vm.expectRevert(RefusingBuyer.Refused.selector);
        db.refund(sale);

        vm.prank(custodian);
        db.rejectPurchase(sale, "refused");
        assertEq(db.creditOf(address(attacker), address(0)), QUERY_PRICE, "the attacker's money waits as credit");
        vm.expectRevert(RefusingBuyer.Refused.selector);
        attacker.claim(); // its own problem: nobody else is blocked
        assertEq(db.getPool(poolId).epsilonSpent, MAX_EPSILON, "only the honest answer spent");
    }

    // ================================================================ the budget

    /// @notice Attacker: anyone. Gain: a denial of service on the query product by holding the whole
    /// privacy budget with queries it never means to receive. None: a pending query reserves
    /// nothing, so honest buyers still buy and are answered while the junk waits to be declined.
    function testPendingQueriesHoldNoBudget() public {
        (uint32 poolId, , , ) = _mixedPool();
        IDatabank.Purchase[3] memory junk;
        // The whole budget's worth, pending.
        for (uint256 i = 0; i < 3; ++i) junk[i] = _buyQueryAs(stranger, poolId, MAX_EPSILON);
        IDatabank.Purchase memory honest = _buyQuery(poolId, MAX_EPSILON);
        _answer(honest, MAX_EPSILON);
        vm.startPrank(custodian);
        for (uint256 i = 0; i < 3; ++i) db.rejectPurchase(junk[i], "not wanted");
        vm.stopPrank();
        IDatabank.Pool memory pool = db.getPool(poolId);
        assertEq(pool.epsilonSpent, MAX_EPSILON, "only the honest answer spent epsilon");
        assertEq(pool.epsilonBudget - pool.epsilonSpent, 2 * MAX_EPSILON, "the rest is available");
        _buyQuery(poolId, MAX_EPSILON);
    }

    /// @notice Attacker: a buyer whose query was bought alongside another. Gain: the last of the
    /// budget. Whichever answer lands first takes it, and the custodian orders the answers: it (or
    /// a buyer it favours) decides who gets the last ε, not the order of purchase. The other buyer
    /// loses no money (credited in full at once) but waited for nothing. Held as designed.
    function testCustodianOrdersWhoGetsTheLastBudget() public {
        (uint32 poolId, , , ) = _mixedPool();
        _answer(_buyQuery(poolId, MAX_EPSILON), MAX_EPSILON);
        _answer(_buyQuery(poolId, MAX_EPSILON), MAX_EPSILON);
        IDatabank.Purchase memory early = _buyQuery(poolId, MAX_EPSILON);
        IDatabank.Purchase memory favoured = _buyQueryAs(stranger, poolId, MAX_EPSILON);
        _answer(favoured, MAX_EPSILON); // bought second, answered first
        IDatabank.Pool memory pool = db.getPool(poolId);
        vm.prank(custodian);
        vm.expectRevert(
            abi.encodeWithSelector(IDatabank.PrivacyBudgetExhausted.selector, poolId, uint32(0), uint32(1))
        );
        db.fulfillQuery(early, ANSWER_CID, bytes32(0), pool.statisticsActive, pool.statisticsEnded, 1);
        vm.prank(custodian);
        db.rejectPurchase(early, "privacy budget exhausted");
        assertEq(db.creditOf(buyer, address(0)), QUERY_PRICE, "the early buyer is made whole, at once");
        assertEq(db.getPool(poolId).epsilonSpent, BUDGET, "never past the budget");
    }

    /// @notice DESIGN NOTE (possible by design, documented here). Attacker: a competitor buyer.
    /// Gain: the last answers the pool will ever give, and a denial of service on every buyer after
    /// it, by buying max-ε queries until the budget is spent. It pays the full query price each
    /// time (the price is per query, not per ε, so max-ε queries are the cheapest way through the
    /// budget: budget / maxEpsilonPerQuery queries). That money goes to the contributions that allow
    /// statistics, the curator and the platform: they gain, and the contributors' privacy loss is
    /// what they consented to. A curator prices the whole budget by choosing the query price and the
    /// per-query maximum.
    function testPaidMaxEpsilonQueriesExhaustBudgetAndPayContributors() public {
        (uint32 poolId, , uint256 s, uint256 b) = _mixedPool();
        uint256 spentByAttacker;
        for (uint256 i = 0; i < BUDGET / MAX_EPSILON; ++i) {
            _answer(_buyQueryAs(stranger, poolId, MAX_EPSILON), MAX_EPSILON);
            spentByAttacker += QUERY_PRICE;
        }
        assertEq(db.getPool(poolId).epsilonSpent, BUDGET, "the whole budget spent");
        // Every buyer after it can still pay, but gets no answer: it is declined and made whole.
        IDatabank.Purchase memory late = _buyQuery(poolId, 1);
        _expectAnswerExhausted(late, 0, 1);
        vm.prank(custodian);
        db.rejectPurchase(late, "privacy budget exhausted");
        assertEq(db.creditOf(buyer, address(0)), QUERY_PRICE, "the late buyer is credited in full");
        uint256 contributors = 3 * _contributorsPart(QUERY_PRICE);
        IDatabank.Pool memory pool = db.getPool(poolId);
        assertEq(
            db.pendingEarnings(s) + db.pendingEarnings(b) + pool.statisticsCarry,
            contributors,
            "the contributors were paid for every query"
        );
        (uint256 platform, uint256 cur, ) = _split(QUERY_PRICE);
        assertEq(db.creditOf(curator, address(0)), 3 * cur, "the curator too");
        assertEq(db.creditOf(treasury, address(0)), 3 * platform, "and the platform");
        assertEq(spentByAttacker, 3 * QUERY_PRICE, "it cost the attacker the price of the whole budget");
        assertEq(pool.epsilonSpent, BUDGET, "never past the budget");
        assertEq(db.privacyLoss(s), BUDGET, "each contribution lost what it consented to, no more");
    }

    /// @notice WEAKNESS (held as designed, documented here). Attacker: anyone, when the query price
    /// is 0 (allowed at creation and by `setQueryPrice`). Pending free queries hold nothing any more,
    /// but if the custodian's policy answers them, anyone can spend the whole budget for gas alone
    /// and the contributors lose their privacy budget for no pay. A free pool must ration answers
    /// off-chain (the custodian declines what its policy does not allow).
    function testFreeQueriesLetAnyoneSpendTheBudget() public {
        IDatabank.PoolParams memory p = _params(BOTH);
        p.queryPrice = 0;
        uint32 poolId = _createPool(p);
        uint256 s = _join(poolId, 1, STATISTICS);
        uint256 before = stranger.balance;
        for (uint256 i = 0; i < 3; ++i) _answer(_buyQueryAs(stranger, poolId, MAX_EPSILON), MAX_EPSILON);
        assertEq(stranger.balance, before, "it cost the attacker nothing but gas");
        assertEq(db.getPool(poolId).epsilonSpent, BUDGET, "the whole budget spent");
        assertEq(db.pendingEarnings(s), 0, "for no pay");
        // A later free query is still bought, but cannot be answered: the custodian declines it.
        IDatabank.Purchase memory late = _buyQuery(poolId, 1);
        _expectAnswerExhausted(late, 0, 1);
        vm.prank(custodian);
        db.rejectPurchase(late, "privacy budget exhausted");
        assertEq(db.getPool(poolId).epsilonSpent, BUDGET, "never past the budget");
    }

    // ================================================================ a custodian overspending ε

    /// @notice Attacker: the custodian (or a compromised node). Gain: a more accurate answer, or one
    /// it sells twice, by spending more privacy than the buyer allowed: each contributor loses more
    /// than the public record says.
    function testCustodianCannotSpendAboveWhatWasBought() public {
        (uint32 poolId, , uint256 s, ) = _mixedPool();
        IDatabank.Purchase memory sale = _buyQuery(poolId, 300_000);
        vm.prank(custodian);
        vm.expectRevert(abi.encodeWithSelector(IDatabank.InvalidEpsilon.selector, uint32(300_001), uint32(300_000)));
        db.fulfillQuery(sale, ANSWER_CID, bytes32(0), 2, 0, 300_001);
        // Nor by inflating the purchase it passes back: the purchase is checked against its digest.
        IDatabank.Purchase memory inflated = _copy(sale);
        inflated.epsilon = MAX_EPSILON;
        vm.prank(custodian);
        vm.expectRevert(abi.encodeWithSelector(IDatabank.UnknownPurchase.selector, sale.id));
        db.fulfillQuery(inflated, ANSWER_CID, bytes32(0), 2, 0, MAX_EPSILON);
        // Nor by answering twice.
        _answer(sale, 300_000);
        vm.prank(custodian);
        vm.expectRevert(
            abi.encodeWithSelector(IDatabank.PurchaseSettled.selector, sale.id, IDatabank.PurchaseStatus.Fulfilled)
        );
        db.fulfillQuery(sale, ANSWER_CID, bytes32(0), 2, 0, 300_000);
        assertEq(db.privacyLoss(s), 300_000, "loss is what one answer spent");
    }

    /// @notice Same attacker, many queries: answered at the full ε bought, they stop exactly at
    /// the budget, and no contribution's recorded loss exceeds it. A query bought for more than is
    /// left is still sold (the purchase does not read the budget), but its full answer reverts and
    /// the custodian must decline it.
    function testCustodianCannotExceedBudgetAcrossQueries() public {
        (uint32 poolId, , uint256 s, ) = _mixedPool();
        uint32 asked = 700_000;
        uint256 answered;
        uint256 declined;
        while (true) {
            IDatabank.Pool memory pool = db.getPool(poolId);
            uint32 remaining = pool.epsilonBudget - pool.epsilonSpent;
            IDatabank.Purchase memory sale = _buyQuery(poolId, asked);
            if (remaining < asked) {
                _expectAnswerExhausted(sale, remaining, asked);
                vm.prank(custodian);
                db.rejectPurchase(sale, "privacy budget exhausted");
                ++declined;
                if (remaining == 0) break;
                asked = remaining;
                continue;
            }
            _answer(sale, asked);
            ++answered;
        }
        IDatabank.Pool memory end = db.getPool(poolId);
        assertEq(end.epsilonSpent, BUDGET, "spent exactly the budget");
        assertEq(answered, 5, "4 x 0.7 + 1 x 0.2");
        assertEq(declined, 2, "0.7 with 0.2 left, then 0.2 with nothing left");
        assertEq(db.creditOf(buyer, address(0)), declined * QUERY_PRICE, "declined queries credited in full");
        assertEq(db.privacyLoss(s), BUDGET, "a contribution present throughout lost exactly the budget");
    }

    /// @notice Fuzzed: any interleaving of purchases (any ε up to the per-query maximum, never
    /// checked against the budget, so bought whatever is left),
    /// answers (any spend; one that no longer fits reverts PrivacyBudgetExhausted and the custodian
    /// declines it), rejections and refunds never spends past the budget; spent is the sum of the
    /// answers and is every present contribution's loss; every declined or refunded buyer is made whole.
    /// hardhat-config: fuzz.runs = 64
    function testFuzz_BudgetNeverExceeded(uint256 seed) public {
        (uint32 poolId, , uint256 s, ) = _mixedPool();
        IDatabank.Purchase[] memory pending = new IDatabank.Purchase[](48);
        uint256 n;
        uint256 spent;
        uint256 credited;
        for (uint256 step = 0; step < 48; ++step) {
            uint256 r = uint256(keccak256(abi.encode(seed, step)));
            IDatabank.Pool memory pool = db.getPool(poolId);
            uint32 remaining = pool.epsilonBudget - pool.epsilonSpent;
            if (r % 3 == 0 || n == 0) {
                // Bought whatever is left, even nothing; the purchase spends nothing.
                pending[n++] = _buyQuery(poolId, uint32(1 + ((r >> 8) % MAX_EPSILON)));
            } else {
                uint256 k = (r >> 8) % n;
                IDatabank.Purchase memory sale = pending[k];
                pending[k] = pending[--n];
                (uint32 answered, uint96 declined) = _settleRandomly(sale, r, remaining);
                spent += answered;
                credited += declined;
            }
            pool = db.getPool(poolId);
            assertLe(pool.epsilonSpent, pool.epsilonBudget, "spent <= budget");
            assertEq(pool.epsilonSpent, spent, "spent == sum of answers");
            assertEq(db.privacyLoss(s), spent, "loss of a contribution present throughout");
            assertEq(db.creditOf(buyer, address(0)), credited, "declined queries credited in full");
        }
    }

    /// @dev Settles a pending query at random: answers it (with a random spend; when that no longer
    /// fits, the answer must revert PrivacyBudgetExhausted and the custodian declines it), declines
    /// it, or refunds it after its deadline. Returns the ε spent and the amount credited to the buyer.
    function _settleRandomly(
        IDatabank.Purchase memory sale,
        uint256 r,
        uint32 remaining
    ) internal returns (uint32 answered, uint96 declined) {
        uint256 action = (r >> 40) % 3;
        if (action == 0 && block.timestamp > sale.deadline) action = 1; // too late to answer
        if (action == 0) {
            uint32 spend = uint32(1 + ((r >> 64) % sale.epsilon));
            if (spend <= remaining) {
                _answer(sale, spend);
                return (spend, 0);
            }
            IDatabank.Pool memory pool = db.getPool(sale.poolId);
            vm.prank(custodian);
            vm.expectRevert(
                abi.encodeWithSelector(IDatabank.PrivacyBudgetExhausted.selector, sale.poolId, remaining, spend)
            );
            db.fulfillQuery(sale, ANSWER_CID, bytes32(0), pool.statisticsActive, pool.statisticsEnded, spend);
            action = 1; // it no longer fits: the custodian declines it
        }
        if (action == 1) {
            vm.prank(custodian);
            db.rejectPurchase(sale, "no");
            return (0, sale.amount);
        }
        vm.warp(uint256(sale.deadline) + 1);
        uint256 before = buyer.balance;
        db.refund(sale);
        assertEq(buyer.balance - before, sale.amount, "refunded in full");
    }

    // ================================================================ scopes and sybils

    /// @notice Attacker: a contributor with several wallets, each joining "statistics only" (so its
    /// record is never sold). Gain: a share of record sales without its records being sold, or
    /// reaching the record-sale threshold with records that cannot be delivered. Neither: record
    /// sales neither count nor pay statistics-only contributions.
    function testStatisticsOnlySybilsEarnNothingFromRecordSales() public {
        IDatabank.PoolParams memory p = _params(BOTH);
        p.minContributors = 2;
        uint32 poolId = _createPool(p);
        uint256 honest = _contribute(poolId, alice, "bafyalice", RECORDS);
        uint256[] memory sybils = new uint256[](5);
        for (uint256 i = 0; i < sybils.length; ++i) sybils[i] = _join(poolId, 100 + i, STATISTICS);
        vm.prank(buyer);
        vm.expectRevert(abi.encodeWithSelector(IDatabank.BelowThreshold.selector, poolId, uint32(1), uint32(2)));
        db.purchase{value: PRICE}(poolId, PRICE, BUYER_KEY);

        uint256 second = _contribute(poolId, bob, "bafybobby", RECORDS);
        _fulfilRecords(_buyRecords(poolId));
        uint256 per = _contributorsPart(PRICE) / 2;
        assertEq(db.pendingEarnings(honest), per, "honest records share undiluted");
        assertEq(db.pendingEarnings(second), per, "second records share undiluted");
        for (uint256 i = 0; i < sybils.length; ++i) {
            assertEq(db.pendingEarnings(sybils[i]), 0, "statistics-only wallet paid nothing by a record sale");
        }
    }

    /// @notice The mirror case. Attacker: records-only wallets. Gain: a share of query revenue
    /// without their records being in the answer. None.
    function testRecordsOnlyWalletsEarnNothingFromQueries() public {
        uint32 poolId = _pool(BOTH);
        uint256 honest = _contribute(poolId, alice, "bafyalice", STATISTICS);
        uint256[] memory wallets = new uint256[](4);
        for (uint256 i = 0; i < wallets.length; ++i) wallets[i] = _join(poolId, 200 + i, RECORDS);
        _answer(_buyQuery(poolId, MAX_EPSILON), MAX_EPSILON);
        assertEq(db.pendingEarnings(honest), _contributorsPart(QUERY_PRICE), "the only statistics record takes all");
        for (uint256 i = 0; i < wallets.length; ++i) {
            assertEq(db.pendingEarnings(wallets[i]), 0, "records-only wallet paid nothing by a query");
        }
    }

    // ================================================================ races with the answer

    /// @notice Attacker: a contributor revoking while an answer is in flight (or a buyer hoping the
    /// answer fails). Gain: payment for a query its consent no longer covers, or a failed answer.
    /// Neither: the answer lands on the set taken before the revocation, and the revoked one is not
    /// paid by it (its privacy loss is frozen at revocation, as `privacyLoss` documents).
    function testRevocationRacingAnswer() public {
        (uint32 poolId, , uint256 s, uint256 b) = _mixedPool();
        uint256 late = _contribute(poolId, stranger, "bafylate", STATISTICS);
        IDatabank.Purchase memory sale = _buyQuery(poolId, MAX_EPSILON);
        IDatabank.Pool memory atSet = db.getPool(poolId); // the node takes its set: bob, carol, stranger
        _revoke(s); // bob revokes while the answer is computed
        vm.prank(custodian);
        db.fulfillQuery(sale, ANSWER_CID, bytes32(0), atSet.statisticsActive, atSet.statisticsEnded, 600_000);
        assertEq(db.creditOf(bob, address(0)), 0, "revoked contribution earned nothing from the answer");
        assertEq(db.pendingEarnings(s), 0, "and has nothing pending");
        uint256 per = _contributorsPart(QUERY_PRICE) / 2;
        assertEq(db.pendingEarnings(b), per, "the two still active share the query");
        assertEq(db.pendingEarnings(late), per, "the two still active share the query (2)");
        assertEq(db.privacyLoss(s), 0, "frozen at revocation");
        assertEq(db.privacyLoss(b), 600_000, "active ones lose what was spent");
    }

    /// @notice Attacker: a second process holding the custodian key, accepting a contribution
    /// between the set being taken and the answer. Gain: the newcomer paid for an answer its
    /// record was not in. Instead the count no longer matches and the answer fails until the set is
    /// retaken. Joins of the other scope do not disturb either product.
    function testJoinBetweenSetAndAnswerMismatches() public {
        (uint32 poolId, , , ) = _mixedPool();
        IDatabank.Purchase memory sale = _buyQuery(poolId, MAX_EPSILON);
        IDatabank.Purchase memory records = _buyRecords(poolId);
        IDatabank.Pool memory atSet = db.getPool(poolId);
        uint256 newcomer = _contribute(poolId, stranger, "bafynewcomer", STATISTICS);
        vm.prank(custodian);
        vm.expectRevert(
            abi.encodeWithSelector(
                IDatabank.RecordCountMismatch.selector,
                atSet.statisticsActive,
                atSet.statisticsActive + 1
            )
        );
        db.fulfillQuery(sale, ANSWER_CID, bytes32(0), atSet.statisticsActive, atSet.statisticsEnded, 1);
        // A statistics-only join does not change the record set: the record delivery still lands.
        vm.prank(custodian);
        db.fulfill(records, "bafydelivery", bytes32(0), atSet.recordsActive, atSet.erasureCount);
        // Retaken, the answer includes and pays the newcomer.
        _answer(sale, 1);
        assertEq(db.pendingEarnings(newcomer), _contributorsPart(QUERY_PRICE) / 3, "newcomer in the retaken set");
    }

    /// @notice A records-only join between the set and the answer leaves the query count intact.
    function testRecordsJoinDoesNotDisturbAnswer() public {
        (uint32 poolId, , , ) = _mixedPool();
        IDatabank.Purchase memory sale = _buyQuery(poolId, MAX_EPSILON);
        IDatabank.Pool memory atSet = db.getPool(poolId);
        _contribute(poolId, stranger, "bafynewcomer", RECORDS);
        vm.prank(custodian);
        db.fulfillQuery(sale, ANSWER_CID, bytes32(0), atSet.statisticsActive, atSet.statisticsEnded, 1);
    }

    // ================================================================ cross-product replay

    /// @notice Attacker: the custodian. Gain: pocketing a query's escrow for the record-sale
    /// contributors (or its curator share) without spending any ε, by settling the query through
    /// `fulfill`; or answering a record sale as a query. Both refuse the other product's purchase.
    function testQueryPurchaseReplayedIntoFulfill() public {
        (uint32 poolId, , , ) = _mixedPool();
        IDatabank.Purchase memory query = _buyQuery(poolId, MAX_EPSILON);
        vm.prank(custodian);
        vm.expectRevert(abi.encodeWithSelector(IDatabank.WrongProduct.selector, query.id, IDatabank.Product.Query));
        db.fulfill(query, "bafydelivery", bytes32(0), 2, 0);
        // Relabelling it as a record sale (ε = 0) breaks its digest.
        IDatabank.Purchase memory relabelled = _copy(query);
        relabelled.epsilon = 0;
        vm.prank(custodian);
        vm.expectRevert(abi.encodeWithSelector(IDatabank.UnknownPurchase.selector, query.id));
        db.fulfill(relabelled, "bafydelivery", bytes32(0), 2, 0);
        assertEq(db.getPool(poolId).epsilonSpent, 0, "nothing spent");
        assertEq(db.getPool(poolId).rewardPerContribution, 0, "no record-sale contributor paid");
        assertTrue(db.purchaseStatus(query.id) == IDatabank.PurchaseStatus.Pending, "still pending");
    }

    /// @notice The reverse: a record sale passed to `fulfillQuery`, or relabelled as a query carrying
    /// ε, which would pay its escrow to the statistics-only contributions (sybils of the custodian's,
    /// say) without delivering any record. Nor can the relabelled purchase be rejected or refunded.
    function testRecordPurchaseReplayedIntoFulfillQuery() public {
        (uint32 poolId, , uint256 s, ) = _mixedPool();
        IDatabank.Purchase memory records = _buyRecords(poolId);
        vm.prank(custodian);
        vm.expectRevert(abi.encodeWithSelector(IDatabank.WrongProduct.selector, records.id, IDatabank.Product.Records));
        db.fulfillQuery(records, ANSWER_CID, bytes32(0), 2, 0, 1);
        IDatabank.Purchase memory relabelled = _copy(records);
        relabelled.epsilon = MAX_EPSILON;
        vm.prank(custodian);
        vm.expectRevert(abi.encodeWithSelector(IDatabank.UnknownPurchase.selector, records.id));
        db.fulfillQuery(relabelled, ANSWER_CID, bytes32(0), 2, 0, 1);
        vm.prank(custodian);
        vm.expectRevert(abi.encodeWithSelector(IDatabank.UnknownPurchase.selector, records.id));
        db.rejectPurchase(relabelled, "release someone else's epsilon");
        vm.warp(uint256(records.deadline) + 1);
        vm.expectRevert(abi.encodeWithSelector(IDatabank.UnknownPurchase.selector, records.id));
        db.refund(relabelled);
        assertEq(db.pendingEarnings(s), 0, "the statistics-only contribution was paid nothing");
        assertEq(db.getPool(poolId).epsilonSpent, 0, "nothing spent");
        assertTrue(db.purchaseStatus(records.id) == IDatabank.PurchaseStatus.Pending, "still pending");
    }
}
