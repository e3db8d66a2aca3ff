// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {IDatabank} from "../../contracts/interfaces/IDatabank.sol";
import {TestStablecoin} from "../../contracts/test-helpers/TestStablecoin.sol";
import {DatabankFixture} from "./utils/DatabankFixture.sol";

/// @notice Unit tests of consent scopes and the query product (issue 11): pool products and privacy
/// budgets, scope validation, which contributions each product counts and pays, privacy loss,
/// erasure requests, and every path of query purchases, answers, rejections and refunds.
contract DatabankQueriesTest is DatabankFixture {
    uint256 internal constant ALICE_PK = 0xA11CE;

    // ================================================================ pool creation

    function _expectCreateRevert(IDatabank.PoolParams memory p, bytes memory err) internal {
        vm.prank(curator);
        vm.expectRevert(err);
        db.createPool(p);
    }

    function testCreatePoolStoresProductsAndBudget() public {
        uint32 poolId = _pool(BOTH);
        IDatabank.Pool memory pool = db.getPool(poolId);
        assertEq(pool.products, BOTH, "products");
        assertEq(pool.queryPrice, QUERY_PRICE, "query price");
        assertEq(pool.epsilonBudget, BUDGET, "budget");
        assertEq(pool.maxEpsilonPerQuery, MAX_EPSILON, "max per query");
        assertEq(pool.epsilonSpent, 0, "nothing spent");
        assertEq(pool.price, PRICE, "record price");
    }

    function testCreatePoolEachValidProductSet() public {
        assertEq(db.getPool(_pool(RECORDS)).products, RECORDS, "records only");
        assertEq(db.getPool(_pool(STATISTICS)).products, STATISTICS, "queries only");
        IDatabank.PoolParams memory p = _params(STATISTICS);
        p.maxEpsilonPerQuery = p.epsilonBudget; // the whole budget in one query is allowed
        p.queryPrice = 0; // a free query is allowed
        assertEq(db.getPool(_createPool(p)).maxEpsilonPerQuery, BUDGET, "max == budget");
    }

    function testCreatePoolInvalidProducts() public {
        uint8[5] memory bad = [0, 4, 5, 7, 255];
        for (uint256 i = 0; i < bad.length; ++i) {
            IDatabank.PoolParams memory p = _params(BOTH);
            p.products = bad[i];
            _expectCreateRevert(p, abi.encodeWithSelector(IDatabank.InvalidProducts.selector, bad[i]));
        }
    }

    /// @dev Every way a pool selling queries can state a meaningless budget.
    function testCreatePoolInvalidPrivacyBudgetWhenSellingQueries() public {
        uint8[2] memory products = [STATISTICS, BOTH];
        uint32[2][4] memory bad = [
            [uint32(BUDGET), 0], // no per-query maximum
            [uint32(0), 0], // no budget at all
            [uint32(0), 1], // a maximum without a budget
            [uint32(BUDGET), BUDGET + 1] // a maximum above the budget
        ];
        for (uint256 k = 0; k < products.length; ++k) {
            for (uint256 i = 0; i < bad.length; ++i) {
                IDatabank.PoolParams memory p = _params(products[k]);
                p.epsilonBudget = bad[i][0];
                p.maxEpsilonPerQuery = bad[i][1];
                _expectCreateRevert(
                    p,
                    abi.encodeWithSelector(IDatabank.InvalidPrivacyBudget.selector, bad[i][0], bad[i][1])
                );
            }
        }
    }

    /// @dev A records-only pool must leave every query field empty.
    function testCreatePoolInvalidPrivacyBudgetWhenNotSellingQueries() public {
        IDatabank.PoolParams memory p = _params(RECORDS);
        p.epsilonBudget = 1;
        _expectCreateRevert(p, abi.encodeWithSelector(IDatabank.InvalidPrivacyBudget.selector, uint32(1), uint32(0)));
        p = _params(RECORDS);
        p.maxEpsilonPerQuery = 1;
        _expectCreateRevert(p, abi.encodeWithSelector(IDatabank.InvalidPrivacyBudget.selector, uint32(0), uint32(1)));
        p = _params(RECORDS);
        p.epsilonBudget = BUDGET;
        p.maxEpsilonPerQuery = MAX_EPSILON;
        _expectCreateRevert(p, abi.encodeWithSelector(IDatabank.InvalidPrivacyBudget.selector, BUDGET, MAX_EPSILON));
        p = _params(RECORDS);
        p.queryPrice = 1;
        _expectCreateRevert(p, abi.encodeWithSelector(IDatabank.InvalidPrivacyBudget.selector, uint32(0), uint32(0)));
    }

    /// @dev The mirror rule: a pool that sells no record copies leaves their price at 0, so no
    /// client shows (and no buyer reads) a price for a product the pool does not sell.
    function testCreatePoolPriceForUnsoldRecords() public {
        IDatabank.PoolParams memory p = _params(STATISTICS);
        uint96[3] memory bad = [uint96(1), PRICE, type(uint96).max];
        for (uint256 i = 0; i < bad.length; ++i) {
            p.price = bad[i];
            _expectCreateRevert(p, abi.encodeWithSelector(IDatabank.PriceForUnsoldProduct.selector, STATISTICS));
        }
        p.price = 0;
        IDatabank.Pool memory pool = db.getPool(_createPool(p));
        assertEq(pool.price, 0, "queries-only pool: no record price");
        assertEq(pool.queryPrice, QUERY_PRICE, "its query price");
        // A pool selling records may price them at anything, 0 included.
        p = _params(BOTH);
        p.price = 0;
        assertEq(db.getPool(_createPool(p)).price, 0, "free record sales allowed");
    }

    // ================================================================ scope validation

    function testSubmitInvalidScope() public {
        uint32 records = _pool(RECORDS);
        uint32 stats = _pool(STATISTICS);
        uint32 both = _pool(BOTH);
        uint32[9] memory pools = [records, records, records, stats, stats, stats, both, both, both];
        uint8[9] memory products = [RECORDS, RECORDS, RECORDS, STATISTICS, STATISTICS, STATISTICS, BOTH, BOTH, BOTH];
        uint8[9] memory scopes = [0, STATISTICS, BOTH, 0, RECORDS, BOTH, 0, 4, 255];
        for (uint256 i = 0; i < pools.length; ++i) {
            vm.prank(alice);
            vm.expectRevert(abi.encodeWithSelector(IDatabank.InvalidScope.selector, scopes[i], products[i]));
            db.submitContribution(pools[i], "bafyalice", 0, scopes[i]);
        }
    }

    function testSubmitStoresScopeAndEmitsIt() public {
        uint32 poolId = _pool(BOTH);
        vm.expectEmit(true, true, true, true);
        emit IDatabank.ContributionSubmitted(1, poolId, alice, keccak256("bafyalice"), "bafyalice", 0, STATISTICS);
        vm.prank(alice);
        uint256 id = db.submitContribution(poolId, "bafyalice", 0, STATISTICS);
        assertEq(db.consentOf(id).scope, STATISTICS, "pending consent keeps its scope");
        vm.prank(custodian);
        db.acceptContribution(id);
        assertEq(db.consentOf(id).scope, STATISTICS, "active consent keeps its scope");
    }

    function _signedRequest(uint32 poolId, uint8 scope) internal returns (IDatabank.ConsentRequest memory request) {
        request = IDatabank.ConsentRequest({
            contributor: vm.addr(ALICE_PK),
            poolId: poolId,
            dataCid: "bafyalice",
            expiresAt: 0,
            deadline: block.timestamp + 1 hours,
            scope: scope
        });
    }

    function _sign(IDatabank.ConsentRequest memory request) internal returns (bytes memory) {
        (uint8 v, bytes32 r, bytes32 s) = vm.sign(ALICE_PK, db.consentDigest(request, db.nonces(request.contributor)));
        return abi.encodePacked(r, s, v);
    }

    function testRelayInvalidScope() public {
        uint32 poolId = _pool(RECORDS);
        IDatabank.ConsentRequest memory request = _signedRequest(poolId, STATISTICS);
        bytes memory signature = _sign(request);
        vm.prank(custodian);
        vm.expectRevert(abi.encodeWithSelector(IDatabank.InvalidScope.selector, STATISTICS, RECORDS));
        db.contributeWithSignature(request, signature);
    }

    function testRelayStoresSignedScope() public {
        uint32 poolId = _pool(BOTH);
        IDatabank.ConsentRequest memory request = _signedRequest(poolId, STATISTICS);
        bytes memory signature = _sign(request);
        vm.prank(custodian);
        uint256 id = db.contributeWithSignature(request, signature);
        assertEq(db.consentOf(id).scope, STATISTICS, "signed scope stored");
        IDatabank.Pool memory pool = db.getPool(poolId);
        assertEq(pool.statisticsActive, 1, "counted in queries");
        assertEq(pool.recordsActive, 0, "not counted in record sales");
    }

    /// @dev The scope is part of the signed consent: a relayer (or anyone replaying the signature)
    /// cannot widen "statistics only" to "records and statistics".
    function testRelayWithChangedScopeFailsSignature() public {
        uint32 poolId = _pool(BOTH);
        IDatabank.ConsentRequest memory request = _signedRequest(poolId, STATISTICS);
        bytes memory signature = _sign(request);
        bytes32 signedDigest = db.consentDigest(request, 0);
        request.scope = BOTH;
        assertTrue(db.consentDigest(request, 0) != signedDigest, "scope changes the digest");
        vm.prank(custodian);
        vm.expectRevert(abi.encodeWithSelector(IDatabank.InvalidSignature.selector, request.contributor));
        db.contributeWithSignature(request, signature);
        request.scope = RECORDS;
        vm.prank(custodian);
        vm.expectRevert(abi.encodeWithSelector(IDatabank.InvalidSignature.selector, request.contributor));
        db.contributeWithSignature(request, signature);
    }

    // ================================================================ counting in products

    function testEachScopeCountsInItsProducts() public {
        uint32 poolId = _pool(BOTH);
        uint256 r = _contribute(poolId, alice, "bafyalice", RECORDS);
        IDatabank.Pool memory pool = db.getPool(poolId);
        assertEq(pool.recordsActive, 1, "records-only: in record sales");
        assertEq(pool.statisticsActive, 0, "records-only: not in queries");
        uint256 s = _contribute(poolId, bob, "bafybobby", STATISTICS);
        pool = db.getPool(poolId);
        assertEq(pool.recordsActive, 1, "statistics-only: not in record sales");
        assertEq(pool.statisticsActive, 1, "statistics-only: in queries");
        assertEq(pool.statisticsOnlyActive, 1, "statistics-only counted as such");
        uint256 b = _contribute(poolId, carol, "bafycarol", BOTH);
        pool = db.getPool(poolId);
        assertEq(pool.recordsActive, 2, "both: in record sales");
        assertEq(pool.statisticsActive, 2, "both: in queries");
        assertEq(pool.statisticsOnlyActive, 1, "both is not statistics-only");

        _revoke(b);
        pool = db.getPool(poolId);
        assertEq(pool.recordsActive, 1, "both left record sales");
        assertEq(pool.statisticsActive, 1, "both left queries");
        assertEq(pool.statisticsOnlyActive, 1, "statistics-only unchanged");
        assertEq(pool.statisticsEnded, 1, "both ended in queries");
        assertEq(pool.erasureCount, 1, "both ended in record sales");
        _revoke(s);
        pool = db.getPool(poolId);
        assertEq(pool.statisticsActive, 0, "statistics-only left");
        assertEq(pool.statisticsOnlyActive, 0, "statistics-only left, counted");
        assertEq(pool.statisticsEnded, 2, "statistics-only ended");
        assertEq(pool.erasureCount, 1, "statistics-only requests no erasure");
        _revoke(r);
        pool = db.getPool(poolId);
        assertEq(pool.recordsActive, 0, "records-only left");
        assertEq(pool.statisticsEnded, 2, "records-only never was in queries");
        assertEq(pool.erasureCount, 2, "records-only requests erasure");
    }

    /// @dev The cap is on contributions, not on product memberships: a contribution allowing both
    /// products counts once.
    function testCapCountsEachContributionOnce() public {
        IDatabank.PoolParams memory p = _params(BOTH);
        p.maxContributors = 3;
        uint32 poolId = _createPool(p);
        _join(poolId, 1, BOTH);
        _join(poolId, 2, BOTH);
        uint256 third = _join(poolId, 3, STATISTICS);
        vm.prank(_contributor(4));
        uint256 fourth = db.submitContribution(poolId, _cid(4), 0, RECORDS);
        vm.prank(custodian);
        vm.expectRevert(abi.encodeWithSelector(IDatabank.PoolFull.selector, poolId, uint32(3)));
        db.acceptContribution(fourth);
        _revoke(third);
        vm.prank(custodian);
        db.acceptContribution(fourth);
        IDatabank.Pool memory pool = db.getPool(poolId);
        assertEq(pool.recordsActive + pool.statisticsOnlyActive, 3, "three contributions, cap reached again");
    }

    function testCapCountsStatisticsOnlyContributions() public {
        IDatabank.PoolParams memory p = _params(STATISTICS);
        p.maxContributors = 2;
        uint32 poolId = _createPool(p);
        _join(poolId, 1, STATISTICS);
        _join(poolId, 2, STATISTICS);
        vm.prank(_contributor(3));
        uint256 third = db.submitContribution(poolId, _cid(3), 0, STATISTICS);
        vm.prank(custodian);
        vm.expectRevert(abi.encodeWithSelector(IDatabank.PoolFull.selector, poolId, uint32(2)));
        db.acceptContribution(third);
    }

    // ================================================================ who each product pays

    /// @dev alice allows records, bob statistics only, carol both, in a pool selling both.
    function _mixedPool() internal returns (uint32 poolId, uint256 r, uint256 s, uint256 b) {
        poolId = _pool(BOTH);
        r = _contribute(poolId, alice, "bafyalice", RECORDS);
        s = _contribute(poolId, bob, "bafybobby", STATISTICS);
        b = _contribute(poolId, carol, "bafycarol", BOTH);
    }

    function testRecordSalePaysOnlyRecordsScoped() public {
        (uint32 poolId, uint256 r, uint256 s, uint256 b) = _mixedPool();
        IDatabank.Purchase memory sale = _buyRecords(poolId);
        vm.prank(custodian);
        vm.expectRevert(abi.encodeWithSelector(IDatabank.RecordCountMismatch.selector, uint32(3), uint32(2)));
        db.fulfill(sale, "bafydelivery", bytes32(0), 3, 0);
        _fulfilRecords(sale);
        uint256 per = _contributorsPart(PRICE) / 2;
        assertEq(db.pendingEarnings(r), per, "records-only paid");
        assertEq(db.pendingEarnings(b), per, "both paid");
        assertEq(db.pendingEarnings(s), 0, "statistics-only not paid by a record sale");
        assertEq(db.getPool(poolId).carry, _contributorsPart(PRICE) - 2 * per, "records carry");
        assertEq(db.getPool(poolId).statisticsRewardPerContribution, 0, "query accumulator untouched");
    }

    function testQueryPaysOnlyStatisticsScoped() public {
        (uint32 poolId, uint256 r, uint256 s, uint256 b) = _mixedPool();
        IDatabank.Purchase memory sale = _buyQuery(poolId, MAX_EPSILON);
        vm.prank(custodian);
        vm.expectRevert(abi.encodeWithSelector(IDatabank.RecordCountMismatch.selector, uint32(3), uint32(2)));
        db.fulfillQuery(sale, ANSWER_CID, bytes32(0), 3, 0, MAX_EPSILON);
        _answer(sale, MAX_EPSILON);
        uint256 per = _contributorsPart(QUERY_PRICE) / 2;
        assertEq(db.pendingEarnings(s), per, "statistics-only paid");
        assertEq(db.pendingEarnings(b), per, "both paid");
        assertEq(db.pendingEarnings(r), 0, "records-only not paid by a query");
        IDatabank.Pool memory pool = db.getPool(poolId);
        assertEq(pool.statisticsCarry, _contributorsPart(QUERY_PRICE) - 2 * per, "query carry");
        assertEq(pool.rewardPerContribution, 0, "records accumulator untouched");
        assertEq(pool.carry, 0, "records carry untouched");
    }

    function testBothScopeEarnsFromBothClaimAndRevoke() public {
        (uint32 poolId, uint256 r, uint256 s, uint256 b) = _mixedPool();
        _fulfilRecords(_buyRecords(poolId));
        _answer(_buyQuery(poolId, MAX_EPSILON), MAX_EPSILON);
        uint256 fromRecords = _contributorsPart(PRICE) / 2;
        uint256 fromQuery = _contributorsPart(QUERY_PRICE) / 2;
        assertEq(db.pendingEarnings(b), fromRecords + fromQuery, "both: sum of the two products");

        // claim settles both accumulators at once
        uint256[] memory ids = new uint256[](1);
        ids[0] = b;
        uint256 before = carol.balance;
        vm.prank(carol);
        assertEq(db.claim(address(0), ids), fromRecords + fromQuery, "claimed both");
        assertEq(carol.balance - before, fromRecords + fromQuery, "paid both");
        assertEq(db.pendingEarnings(b), 0, "nothing left after claim");

        // a second round, then revocation settles both into credit
        IDatabank.Pool memory pool = db.getPool(poolId);
        uint256 fromRecords2 = (_contributorsPart(PRICE) + pool.carry) / 2;
        uint256 fromQuery2 = (_contributorsPart(QUERY_PRICE) + pool.statisticsCarry) / 2;
        _fulfilRecords(_buyRecords(poolId));
        _answer(_buyQuery(poolId, MAX_EPSILON), MAX_EPSILON);
        assertEq(db.pendingEarnings(b), fromRecords2 + fromQuery2, "second round, both");
        assertEq(db.pendingEarnings(s), fromQuery + fromQuery2, "bob: queries only");
        assertEq(db.pendingEarnings(r), fromRecords + fromRecords2, "alice: record sales only");
        _revoke(b);
        assertEq(db.creditOf(carol, address(0)), fromRecords2 + fromQuery2, "revocation credited both");
        assertEq(db.pendingEarnings(b), 0, "revoked earns nothing more");
        _fulfilRecords(_buyRecords(poolId));
        _answer(_buyQuery(poolId, MAX_EPSILON), MAX_EPSILON);
        assertEq(db.creditOf(carol, address(0)), fromRecords2 + fromQuery2, "no earnings after revocation");
        assertEq(db.pendingEarnings(b), 0, "still nothing pending");
    }

    function testRevokeStatisticsOnlySettlesQueryEarnings() public {
        (uint32 poolId, , uint256 s, ) = _mixedPool();
        _answer(_buyQuery(poolId, MAX_EPSILON), MAX_EPSILON);
        uint256 earned = db.pendingEarnings(s);
        assertEq(earned, _contributorsPart(QUERY_PRICE) / 2, "earned");
        _revoke(s);
        assertEq(db.creditOf(bob, address(0)), earned, "settled to credit");
    }

    // ================================================================ privacy loss

    function testPrivacyLossWhileActiveAndFrozenAfterRevoke() public {
        (uint32 poolId, uint256 r, uint256 s, uint256 b) = _mixedPool();
        assertEq(db.privacyLoss(s), 0, "nothing spent yet");
        _answer(_buyQuery(poolId, 400_000), 300_000);
        assertEq(db.privacyLoss(s), 300_000, "first query: what it spent, not the most it could");
        assertEq(db.privacyLoss(b), 300_000, "both scope: same loss");
        assertEq(db.privacyLoss(r), 0, "records-only: no privacy loss to queries");

        uint256 late = _contribute(poolId, stranger, "bafylate", STATISTICS);
        assertEq(db.privacyLoss(late), 0, "a later joiner starts at 0");
        IDatabank.Purchase memory pending = _buyQuery(poolId, MAX_EPSILON);
        assertEq(db.privacyLoss(s), 300_000, "a pending query is not a loss");
        _answer(pending, 500_000);
        assertEq(db.privacyLoss(s), 800_000, "second query adds up");
        assertEq(db.privacyLoss(late), 500_000, "later joiner: only what was spent since it joined");

        _revoke(s);
        assertEq(db.privacyLoss(s), 800_000, "revoked: frozen at revocation");
        _answer(_buyQuery(poolId, MAX_EPSILON), 700_000);
        assertEq(db.privacyLoss(s), 800_000, "revoked: stays frozen");
        assertEq(db.privacyLoss(b), 1_500_000, "active one keeps counting");
        assertEq(db.getPool(poolId).epsilonSpent, 1_500_000, "pool total bounds every loss");
    }

    function testPrivacyLossOfPendingAndUnknownIsZero() public {
        uint32 poolId = _pool(STATISTICS);
        _join(poolId, 1, STATISTICS);
        _answer(_buyQuery(poolId, MAX_EPSILON), MAX_EPSILON);
        vm.prank(alice);
        uint256 pending = db.submitContribution(poolId, "bafyalice", 0, STATISTICS);
        assertEq(db.privacyLoss(pending), 0, "pending: not used yet");
        assertEq(db.privacyLoss(999), 0, "unknown");
    }

    // ================================================================ erasure requests

    function testOnlyRecordsScopedEndsRequestErasure() public {
        (uint32 poolId, uint256 r, uint256 s, uint256 b) = _mixedPool();
        _fulfilRecords(_buyRecords(poolId)); // the buyer now holds alice's and carol's records
        _revoke(s);
        assertEq(db.getPool(poolId).erasureCount, 0, "statistics-only: no erasure request");
        assertEq(db.erasuresOwed(poolId, buyer), 0, "nothing owed for a record never delivered");

        vm.expectEmit(true, true, true, true);
        emit IDatabank.ErasureRequested(poolId, b, 0);
        vm.prank(carol);
        db.revokeConsent(b);
        vm.expectEmit(true, true, true, true);
        emit IDatabank.ErasureRequested(poolId, r, 1);
        vm.prank(alice);
        db.revokeConsent(r);
        assertEq(db.erasuresOwed(poolId, buyer), 2, "both delivered records owed");
    }

    function testQueryBuyerOwesNoErasure() public {
        uint32 poolId = _pool(BOTH);
        uint256 b = _contribute(poolId, alice, "bafyalice", BOTH);
        _answer(_buyQuery(poolId, MAX_EPSILON), MAX_EPSILON);
        _revoke(b);
        assertEq(db.getPool(poolId).erasureCount, 1, "the record may have been sold: erasure requested");
        assertEq(db.erasuresOwed(poolId, buyer), 0, "a query buyer received no record");
        assertFalse(db.buyerErasure(poolId, buyer).delivered, "no delivery recorded for a query");
    }

    // ================================================================ purchaseQuery

    function testPurchaseQuery() public {
        (uint32 poolId, uint256 r, , ) = _mixedPool();
        _revoke(r); // a records-only end does not move the query mark
        uint256 s2 = _contribute(poolId, stranger, "bafystranger", STATISTICS);
        _revoke(s2); // a statistics end does
        vm.expectEmit(true, true, true, true);
        emit IDatabank.QueryPurchased(
            1,
            poolId,
            buyer,
            QUERY_PRICE,
            uint40(block.timestamp + WINDOW),
            BUYER_KEY,
            1,
            400_000,
            QUERY_CID,
            QUERY_DIGEST
        );
        vm.prank(buyer);
        IDatabank.Purchase memory sale = db.purchaseQuery{value: QUERY_PRICE}(
            poolId,
            QUERY_PRICE,
            BUYER_KEY,
            400_000,
            QUERY_CID,
            QUERY_DIGEST
        );
        assertEq(sale.id, 1, "id");
        assertEq(sale.poolId, poolId, "pool");
        assertEq(sale.buyer, buyer, "buyer");
        assertEq(sale.amount, QUERY_PRICE, "amount");
        assertEq(sale.deadline, block.timestamp + WINDOW, "deadline");
        assertEq(sale.erasureMark, 1, "mark is statisticsEnded, not erasureCount");
        assertEq(sale.epsilon, 400_000, "epsilon, above 0: a query");
        assertTrue(db.purchaseStatus(1) == IDatabank.PurchaseStatus.Pending, "pending");
        assertEq(db.getPool(poolId).epsilonSpent, 0, "the budget is untouched until the answer");
        assertEq(address(db).balance, QUERY_PRICE, "escrowed");
    }

    function testRecordPurchaseHasNoEpsilon() public {
        (uint32 poolId, , , ) = _mixedPool();
        IDatabank.Purchase memory sale = _buyRecords(poolId);
        assertEq(sale.epsilon, 0, "no epsilon: a record sale");
        assertEq(db.getPool(poolId).epsilonSpent, 0, "nothing spent");
    }

    function testPurchaseQueryProductNotOffered() public {
        uint32 poolId = _pool(RECORDS);
        _join(poolId, 1, RECORDS);
        vm.prank(buyer);
        vm.expectRevert(abi.encodeWithSelector(IDatabank.ProductNotOffered.selector, poolId, IDatabank.Product.Query));
        db.purchaseQuery{value: 0}(poolId, QUERY_PRICE, BUYER_KEY, 1, QUERY_CID, QUERY_DIGEST);
    }

    function testPurchaseRecordsProductNotOffered() public {
        uint32 poolId = _pool(STATISTICS);
        _join(poolId, 1, STATISTICS);
        vm.prank(buyer);
        vm.expectRevert(
            abi.encodeWithSelector(IDatabank.ProductNotOffered.selector, poolId, IDatabank.Product.Records)
        );
        db.purchase{value: PRICE}(poolId, PRICE, BUYER_KEY);
    }

    /// @dev The threshold counts only contributions the query would use: records-only ones do not help.
    function testPurchaseQueryBelowThreshold() public {
        IDatabank.PoolParams memory p = _params(BOTH);
        p.minContributors = 2;
        uint32 poolId = _createPool(p);
        _join(poolId, 1, RECORDS);
        _join(poolId, 2, RECORDS);
        _join(poolId, 3, STATISTICS);
        vm.prank(buyer);
        vm.expectRevert(abi.encodeWithSelector(IDatabank.BelowThreshold.selector, poolId, uint32(1), uint32(2)));
        db.purchaseQuery{value: QUERY_PRICE}(poolId, QUERY_PRICE, BUYER_KEY, 1, QUERY_CID, QUERY_DIGEST);
        _join(poolId, 4, BOTH);
        _buyQuery(poolId, 1);
    }

    function testPurchaseRecordsBelowThresholdIgnoresStatisticsOnly() public {
        IDatabank.PoolParams memory p = _params(BOTH);
        p.minContributors = 2;
        uint32 poolId = _createPool(p);
        _join(poolId, 1, STATISTICS);
        _join(poolId, 2, STATISTICS);
        _join(poolId, 3, RECORDS);
        vm.prank(buyer);
        vm.expectRevert(abi.encodeWithSelector(IDatabank.BelowThreshold.selector, poolId, uint32(1), uint32(2)));
        db.purchase{value: PRICE}(poolId, PRICE, BUYER_KEY);
    }

    function testPurchaseQueryPriceAboveMax() public {
        (uint32 poolId, , , ) = _mixedPool();
        vm.prank(buyer);
        vm.expectRevert(abi.encodeWithSelector(IDatabank.PriceAboveMax.selector, QUERY_PRICE, QUERY_PRICE - 1));
        db.purchaseQuery{value: QUERY_PRICE}(poolId, QUERY_PRICE - 1, BUYER_KEY, 1, QUERY_CID, QUERY_DIGEST);
    }

    function testPurchaseQueryMissingBuyerKey() public {
        (uint32 poolId, , , ) = _mixedPool();
        vm.prank(buyer);
        vm.expectRevert(IDatabank.MissingBuyerKey.selector);
        db.purchaseQuery{value: QUERY_PRICE}(poolId, QUERY_PRICE, bytes32(0), 1, QUERY_CID, QUERY_DIGEST);
    }

    function testPurchaseQueryNonCanonicalCid() public {
        (uint32 poolId, , , ) = _mixedPool();
        string[3] memory bad = ["QmYwAPJzv5CZsnA625s3Xf2nemtYgPpHdWEz79ojWnPbdG", "BAFYQUERY", ""];
        for (uint256 i = 0; i < bad.length; ++i) {
            vm.prank(buyer);
            vm.expectRevert(abi.encodeWithSelector(IDatabank.NonCanonicalCid.selector, bad[i]));
            db.purchaseQuery{value: QUERY_PRICE}(poolId, QUERY_PRICE, BUYER_KEY, 1, bad[i], QUERY_DIGEST);
        }
    }

    function testPurchaseQueryInvalidEpsilon() public {
        (uint32 poolId, , , ) = _mixedPool();
        vm.prank(buyer);
        vm.expectRevert(abi.encodeWithSelector(IDatabank.InvalidEpsilon.selector, uint32(0), MAX_EPSILON));
        db.purchaseQuery{value: QUERY_PRICE}(poolId, QUERY_PRICE, BUYER_KEY, 0, QUERY_CID, QUERY_DIGEST);
        vm.prank(buyer);
        vm.expectRevert(abi.encodeWithSelector(IDatabank.InvalidEpsilon.selector, MAX_EPSILON + 1, MAX_EPSILON));
        db.purchaseQuery{value: QUERY_PRICE}(poolId, QUERY_PRICE, BUYER_KEY, MAX_EPSILON + 1, QUERY_CID, QUERY_DIGEST);
        _buyQuery(poolId, MAX_EPSILON); // exactly the maximum is fine
    }

    function testPurchaseQueryIncorrectPaymentAndPaused() public {
        (uint32 poolId, , , ) = _mixedPool();
        vm.prank(buyer);
        vm.expectRevert(abi.encodeWithSelector(IDatabank.IncorrectPayment.selector, uint256(1), uint256(QUERY_PRICE)));
        db.purchaseQuery{value: 1}(poolId, QUERY_PRICE, BUYER_KEY, 1, QUERY_CID, QUERY_DIGEST);
        vm.prank(curator);
        db.setPaused(poolId, true);
        vm.prank(buyer);
        vm.expectRevert(abi.encodeWithSelector(IDatabank.PoolPaused.selector, poolId));
        db.purchaseQuery{value: QUERY_PRICE}(poolId, QUERY_PRICE, BUYER_KEY, 1, QUERY_CID, QUERY_DIGEST);
    }

    /// @dev A query bought when the budget is already spent: the purchase only checks ε against the
    /// per-query maximum, so it succeeds and spends nothing; its answer reverts
    /// PrivacyBudgetExhausted, the custodian declines it and the buyer is credited in full at once.
    function testPurchaseQueryAfterBudgetSpentIsDeclined() public {
        (uint32 poolId, , uint256 s, ) = _mixedPool();
        for (uint256 i = 0; i < 3; ++i) _answer(_buyQuery(poolId, MAX_EPSILON), MAX_EPSILON);
        assertEq(db.getPool(poolId).epsilonSpent, BUDGET, "budget spent");
        uint256 earnedBefore = db.pendingEarnings(s);

        IDatabank.Purchase memory late = _buyQuery(poolId, MAX_EPSILON);
        assertTrue(db.purchaseStatus(late.id) == IDatabank.PurchaseStatus.Pending, "bought although nothing is left");
        assertEq(db.getPool(poolId).epsilonSpent, BUDGET, "the purchase spends nothing");
        _expectAnswerExhausted(late, 0, MAX_EPSILON);
        _expectAnswerExhausted(late, 0, 1);
        assertTrue(db.purchaseStatus(late.id) == IDatabank.PurchaseStatus.Pending, "still pending after the reverts");

        vm.prank(custodian);
        db.rejectPurchase(late, "privacy budget exhausted");
        assertEq(db.creditOf(buyer, address(0)), QUERY_PRICE, "buyer credited in full at once");
        assertTrue(db.purchaseStatus(late.id) == IDatabank.PurchaseStatus.Refunded, "refunded");
        assertEq(db.getPool(poolId).epsilonSpent, BUDGET, "never past the budget");
        assertEq(db.pendingEarnings(s), earnedBefore, "contributors earn nothing from the declined query");
    }

    /// @dev The purchase checks ε against the per-query maximum only, never against the budget:
    /// pending queries hold nothing, so queries may be bought whose ε exceeds what is left (or when
    /// nothing is left); only the answers spend, and never past the budget.
    function testPurchaseQueryChecksOnlyTheMaximum() public {
        (uint32 poolId, , , ) = _mixedPool();
        IDatabank.Purchase[4] memory pending;
        for (uint256 i = 0; i < 4; ++i) pending[i] = _buyQuery(poolId, MAX_EPSILON);
        assertEq(db.getPool(poolId).epsilonSpent, 0, "four max-epsilon queries pending, nothing spent");
        _answer(pending[0], MAX_EPSILON);
        _answer(pending[1], MAX_EPSILON);
        _answer(pending[2], 500_000);
        // 0.5 left: a purchase for more than is left still succeeds; only the maximum bites.
        IDatabank.Purchase memory over = _buyQuery(poolId, MAX_EPSILON);
        vm.prank(buyer);
        vm.expectRevert(abi.encodeWithSelector(IDatabank.InvalidEpsilon.selector, MAX_EPSILON + 1, MAX_EPSILON));
        db.purchaseQuery{value: QUERY_PRICE}(poolId, QUERY_PRICE, BUYER_KEY, MAX_EPSILON + 1, QUERY_CID, QUERY_DIGEST);
        IDatabank.Purchase memory a = _buyQuery(poolId, 500_000); // exactly what is left
        IDatabank.Purchase memory b = _buyQuery(poolId, 500_000); // again: a is not reserved
        _answer(a, 500_000);
        assertEq(db.getPool(poolId).epsilonSpent, BUDGET, "budget spent");
        IDatabank.Purchase memory none = _buyQuery(poolId, 1); // nothing left, still bought
        assertEq(db.getPool(poolId).epsilonSpent, BUDGET, "purchases spend nothing");
        // None of the rest can be answered; the custodian declines them.
        IDatabank.Purchase[4] memory declined = [over, b, none, pending[3]];
        for (uint256 i = 0; i < 4; ++i) _expectAnswerExhausted(declined[i], 0, 1);
        _expectAnswerExhausted(over, 0, MAX_EPSILON);
        vm.startPrank(custodian);
        for (uint256 i = 0; i < 4; ++i) db.rejectPurchase(declined[i], "privacy budget exhausted");
        vm.stopPrank();
        assertEq(db.creditOf(buyer, address(0)), 4 * QUERY_PRICE, "every declined query credited");
        assertEq(db.getPool(poolId).epsilonSpent, BUDGET, "never past the budget");
    }

    /// @dev Two queries bought together whose ε together exceed what is left: the first answer
    /// lands, the second fulfilment reverts PrivacyBudgetExhausted and the custodian rejects it; the
    /// buyer is credited at once and the budget is never exceeded.
    function testQueriesBoughtTogetherMayNotBothFit() public {
        (uint32 poolId, uint256 r, uint256 s, uint256 b) = _mixedPool();
        _answer(_buyQuery(poolId, MAX_EPSILON), MAX_EPSILON);
        _answer(_buyQuery(poolId, MAX_EPSILON), 800_000);
        // 1.2 left; each query fits alone, together (2.0) they do not.
        IDatabank.Purchase memory first = _buyQuery(poolId, MAX_EPSILON);
        IDatabank.Purchase memory second = _buyQueryAs(stranger, poolId, MAX_EPSILON);
        _answer(first, MAX_EPSILON);
        IDatabank.Pool memory pool = db.getPool(poolId);
        assertEq(pool.epsilonSpent, 2_800_000, "first answer landed");
        uint256 earnedBefore = db.pendingEarnings(s);

        _expectAnswerExhausted(second, 200_000, MAX_EPSILON);
        _expectAnswerExhausted(second, 200_000, 200_001);
        assertTrue(db.purchaseStatus(second.id) == IDatabank.PurchaseStatus.Pending, "still pending after the revert");

        vm.expectEmit(true, true, true, true);
        emit IDatabank.PurchaseRejected(second.id, poolId, stranger, QUERY_PRICE, "privacy budget exhausted");
        vm.prank(custodian);
        db.rejectPurchase(second, "privacy budget exhausted");
        assertEq(db.creditOf(stranger, address(0)), QUERY_PRICE, "second buyer credited in full at once");
        assertTrue(db.purchaseStatus(second.id) == IDatabank.PurchaseStatus.Refunded, "refunded");
        pool = db.getPool(poolId);
        assertEq(pool.epsilonSpent, 2_800_000, "the rejection spent nothing");
        assertLe(pool.epsilonSpent, pool.epsilonBudget, "never past the budget");
        assertEq(db.pendingEarnings(s), earnedBefore, "contributors earn nothing from the declined query");
        assertEq(db.privacyLoss(b), 2_800_000, "loss is what the answers spent");
        assertEq(db.privacyLoss(r), 0, "records-only: no loss");
    }

    /// @dev The fulfilment checks what the answer spent, not the most the buyer allowed: a query
    /// bought for more than is left may still be answered within what is left.
    function testFulfillQueryWithinWhatIsLeftLands() public {
        (uint32 poolId, , , ) = _mixedPool();
        IDatabank.Purchase memory late = _buyQuery(poolId, MAX_EPSILON);
        _answer(_buyQuery(poolId, MAX_EPSILON), MAX_EPSILON);
        _answer(_buyQuery(poolId, MAX_EPSILON), MAX_EPSILON);
        _answer(_buyQuery(poolId, MAX_EPSILON), 700_000);
        _expectAnswerExhausted(late, 300_000, 300_001);
        _answer(late, 300_000);
        assertEq(db.getPool(poolId).epsilonSpent, BUDGET, "exactly the budget");
    }

    /// @dev A query that no longer fits and that the custodian neither answers nor declines goes
    /// back to its buyer after the deadline, like any purchase.
    function testQueryThatNoLongerFitsIsRefundableAfterDeadline() public {
        (uint32 poolId, , , ) = _mixedPool();
        IDatabank.Purchase memory stuck = _buyQueryAs(stranger, poolId, MAX_EPSILON);
        for (uint256 i = 0; i < 3; ++i) _answer(_buyQuery(poolId, MAX_EPSILON), MAX_EPSILON);
        _expectAnswerExhausted(stuck, 0, 1);
        vm.warp(uint256(stuck.deadline) + 1);
        uint256 before = stranger.balance;
        db.refund(stuck);
        assertEq(stranger.balance - before, QUERY_PRICE, "refunded after the deadline");
    }

    function testPurchaseQueryErc20() public {
        TestStablecoin usdc = new TestStablecoin();
        IDatabank.PoolParams memory p = _params(STATISTICS);
        p.paymentToken = address(usdc);
        uint32 poolId = _createPool(p);
        uint256 s = _contribute(poolId, alice, "bafyalice", STATISTICS);
        usdc.mint(buyer, QUERY_PRICE);
        vm.prank(buyer);
        usdc.approve(address(db), QUERY_PRICE);
        vm.prank(buyer);
        vm.expectRevert(IDatabank.UnexpectedNativePayment.selector);
        db.purchaseQuery{value: 1}(poolId, QUERY_PRICE, BUYER_KEY, 1, QUERY_CID, QUERY_DIGEST);
        vm.prank(buyer);
        IDatabank.Purchase memory sale = db.purchaseQuery(poolId, QUERY_PRICE, BUYER_KEY, 1, QUERY_CID, QUERY_DIGEST);
        assertEq(usdc.balanceOf(address(db)), QUERY_PRICE, "escrowed in the token");
        _answer(sale, 1);
        uint256[] memory ids = new uint256[](1);
        ids[0] = s;
        vm.prank(alice);
        db.claim(address(usdc), ids);
        assertEq(usdc.balanceOf(alice), _contributorsPart(QUERY_PRICE), "query share paid in the token");
    }

    // ================================================================ fulfillQuery

    function testFulfillQueryCreditsExactAmounts() public {
        (uint32 poolId, , uint256 s, ) = _mixedPool();
        IDatabank.Purchase memory sale = _buyQuery(poolId, 600_000);
        (uint256 platform, uint256 cur, uint256 contributors) = _split(QUERY_PRICE);
        uint256 per = contributors / 2;
        vm.expectEmit(true, true, true, true);
        emit IDatabank.QueryAnswered(
            sale.id,
            poolId,
            buyer,
            per,
            uint32(contributors - 2 * per),
            2,
            keccak256("root"),
            ANSWER_CID,
            0,
            450_000
        );
        vm.prank(custodian);
        db.fulfillQuery(sale, ANSWER_CID, keccak256("root"), 2, 0, 450_000);
        assertEq(db.creditOf(treasury, address(0)), platform, "platform");
        assertEq(db.creditOf(curator, address(0)), cur, "curator");
        assertEq(db.pendingEarnings(s), per, "per contribution");
        IDatabank.Pool memory pool = db.getPool(poolId);
        assertEq(pool.epsilonSpent, 450_000, "spent: what the answer spent, not the most it could");
        assertTrue(db.purchaseStatus(sale.id) == IDatabank.PurchaseStatus.Fulfilled, "fulfilled");
        assertEq(platform + cur + 2 * per + pool.statisticsCarry, QUERY_PRICE, "whole price credited");
    }

    function testFulfillQueryTwice() public {
        (uint32 poolId, , , ) = _mixedPool();
        IDatabank.Purchase memory sale = _buyQuery(poolId, MAX_EPSILON);
        _answer(sale, 1);
        vm.prank(custodian);
        vm.expectRevert(
            abi.encodeWithSelector(IDatabank.PurchaseSettled.selector, sale.id, IDatabank.PurchaseStatus.Fulfilled)
        );
        db.fulfillQuery(sale, ANSWER_CID, bytes32(0), 2, 0, 1);
        assertEq(db.getPool(poolId).epsilonSpent, 1, "spent once");
    }

    function testFulfillQueryWrongProduct() public {
        (uint32 poolId, , , ) = _mixedPool();
        IDatabank.Purchase memory records = _buyRecords(poolId);
        IDatabank.Purchase memory query = _buyQuery(poolId, MAX_EPSILON);
        vm.prank(custodian);
        vm.expectRevert(abi.encodeWithSelector(IDatabank.WrongProduct.selector, records.id, IDatabank.Product.Records));
        db.fulfillQuery(records, ANSWER_CID, bytes32(0), 2, 0, 1);
        vm.prank(custodian);
        vm.expectRevert(abi.encodeWithSelector(IDatabank.WrongProduct.selector, query.id, IDatabank.Product.Query));
        db.fulfill(query, "bafydelivery", bytes32(0), 2, 0);
        // both still pending and deliverable by the right call
        _fulfilRecords(records);
        _answer(query, 1);
    }

    function testFulfillQueryInvalidEpsilon() public {
        (uint32 poolId, , , ) = _mixedPool();
        IDatabank.Purchase memory sale = _buyQuery(poolId, 400_000);
        vm.prank(custodian);
        vm.expectRevert(abi.encodeWithSelector(IDatabank.InvalidEpsilon.selector, uint32(0), uint32(400_000)));
        db.fulfillQuery(sale, ANSWER_CID, bytes32(0), 2, 0, 0);
        vm.prank(custodian);
        vm.expectRevert(abi.encodeWithSelector(IDatabank.InvalidEpsilon.selector, uint32(400_001), uint32(400_000)));
        db.fulfillQuery(sale, ANSWER_CID, bytes32(0), 2, 0, 400_001);
        _answer(sale, 400_000); // exactly the epsilon bought is fine
    }

    function testFulfillQueryStaleDeliverySet() public {
        (uint32 poolId, , uint256 s, uint256 b) = _mixedPool();
        _revoke(s); // statisticsEnded = 1 before the purchase
        IDatabank.Purchase memory sale = _buyQuery(poolId, MAX_EPSILON);
        assertEq(sale.erasureMark, 1, "mark");
        vm.prank(custodian);
        vm.expectRevert(abi.encodeWithSelector(IDatabank.StaleDeliverySet.selector, uint32(0), uint32(1), uint32(1)));
        db.fulfillQuery(sale, ANSWER_CID, bytes32(0), 2, 0, 1); // set taken before the purchase
        vm.prank(custodian);
        vm.expectRevert(abi.encodeWithSelector(IDatabank.StaleDeliverySet.selector, uint32(2), uint32(1), uint32(1)));
        db.fulfillQuery(sale, ANSWER_CID, bytes32(0), 1, 2, 1); // set from the future
        _contribute(poolId, stranger, "bafystranger", STATISTICS);
        _revoke(b);
        vm.prank(custodian);
        db.fulfillQuery(sale, ANSWER_CID, bytes32(0), 2, 1, 1); // set {carol, stranger} taken at mark 1
    }

    function testFulfillQueryNotCustodian() public {
        (uint32 poolId, , , ) = _mixedPool();
        IDatabank.Purchase memory sale = _buyQuery(poolId, MAX_EPSILON);
        address[3] memory others = [curator, buyer, stranger];
        for (uint256 i = 0; i < others.length; ++i) {
            vm.prank(others[i]);
            vm.expectRevert(abi.encodeWithSelector(IDatabank.NotCustodian.selector, poolId, others[i]));
            db.fulfillQuery(sale, ANSWER_CID, bytes32(0), 2, 0, 1);
        }
    }

    function testFulfillQueryOverdue() public {
        (uint32 poolId, , , ) = _mixedPool();
        IDatabank.Purchase memory sale = _buyQuery(poolId, MAX_EPSILON);
        vm.warp(uint256(sale.deadline) + 1);
        vm.prank(custodian);
        vm.expectRevert(abi.encodeWithSelector(IDatabank.DeliveryOverdue.selector, sale.id, sale.deadline));
        db.fulfillQuery(sale, ANSWER_CID, bytes32(0), 2, 0, 1);
    }

    function testFulfillQueryEmptyAnswerAndNoActive() public {
        (uint32 poolId, , uint256 s, uint256 b) = _mixedPool();
        IDatabank.Purchase memory sale = _buyQuery(poolId, MAX_EPSILON);
        vm.prank(custodian);
        vm.expectRevert(IDatabank.EmptyDelivery.selector);
        db.fulfillQuery(sale, "", bytes32(0), 2, 0, 1);
        _revoke(s);
        _revoke(b);
        vm.prank(custodian);
        vm.expectRevert(abi.encodeWithSelector(IDatabank.NoActiveContributions.selector, poolId));
        db.fulfillQuery(sale, ANSWER_CID, bytes32(0), 2, 0, 1);
    }

    // ================================================================ rejectPurchase

    function testRejectQueryCreditsBuyer() public {
        (uint32 poolId, , , ) = _mixedPool();
        IDatabank.Purchase memory sale = _buyQuery(poolId, 700_000);
        vm.expectEmit(true, true, true, true);
        emit IDatabank.PurchaseRejected(sale.id, poolId, buyer, QUERY_PRICE, "groups below the policy threshold");
        vm.prank(custodian);
        db.rejectPurchase(sale, "groups below the policy threshold");
        assertEq(db.creditOf(buyer, address(0)), QUERY_PRICE, "buyer credited at once");
        assertEq(db.getPool(poolId).epsilonSpent, 0, "nothing spent");
        assertTrue(db.purchaseStatus(sale.id) == IDatabank.PurchaseStatus.Refunded, "refunded");
        uint256 before = buyer.balance;
        vm.prank(buyer);
        db.claim(address(0), new uint256[](0));
        assertEq(buyer.balance - before, QUERY_PRICE, "buyer withdrew its refund");
        assertEq(address(db).balance, 0, "nothing left");
    }

    function testRejectRecordSale() public {
        (uint32 poolId, , , ) = _mixedPool();
        IDatabank.Purchase memory sale = _buyRecords(poolId);
        vm.prank(custodian);
        db.rejectPurchase(sale, "cannot serve");
        assertEq(db.creditOf(buyer, address(0)), PRICE, "record buyer credited");
        assertEq(db.getPool(poolId).epsilonSpent, 0, "the budget untouched");
    }

    function testRejectPurchaseNotCustodian() public {
        (uint32 poolId, , , ) = _mixedPool();
        IDatabank.Purchase memory sale = _buyQuery(poolId, MAX_EPSILON);
        address[3] memory others = [curator, buyer, stranger];
        for (uint256 i = 0; i < others.length; ++i) {
            vm.prank(others[i]);
            vm.expectRevert(abi.encodeWithSelector(IDatabank.NotCustodian.selector, poolId, others[i]));
            db.rejectPurchase(sale, "no");
        }
    }

    function testRejectPurchaseAlreadySettled() public {
        (uint32 poolId, , , ) = _mixedPool();
        IDatabank.Purchase memory answered = _buyQuery(poolId, MAX_EPSILON);
        _answer(answered, 1);
        vm.prank(custodian);
        vm.expectRevert(
            abi.encodeWithSelector(IDatabank.PurchaseSettled.selector, answered.id, IDatabank.PurchaseStatus.Fulfilled)
        );
        db.rejectPurchase(answered, "too late");
        IDatabank.Purchase memory rejected = _buyQuery(poolId, MAX_EPSILON);
        vm.prank(custodian);
        db.rejectPurchase(rejected, "no");
        vm.prank(custodian);
        vm.expectRevert(
            abi.encodeWithSelector(IDatabank.PurchaseSettled.selector, rejected.id, IDatabank.PurchaseStatus.Refunded)
        );
        db.rejectPurchase(rejected, "again");
        vm.prank(custodian);
        vm.expectRevert(
            abi.encodeWithSelector(IDatabank.PurchaseSettled.selector, rejected.id, IDatabank.PurchaseStatus.Refunded)
        );
        db.fulfillQuery(rejected, ANSWER_CID, bytes32(0), 2, 0, 1);
        assertEq(db.creditOf(buyer, address(0)), QUERY_PRICE, "credited once");
        assertEq(db.getPool(poolId).epsilonSpent, 1, "only the answer spent");
    }

    // ================================================================ refund

    function testRefundQuery() public {
        (uint32 poolId, , , ) = _mixedPool();
        IDatabank.Purchase memory sale = _buyQuery(poolId, MAX_EPSILON);
        vm.prank(stranger);
        vm.expectRevert(abi.encodeWithSelector(IDatabank.RefundNotYetAvailable.selector, sale.id, sale.deadline));
        db.refund(sale);
        vm.warp(uint256(sale.deadline) + 1);
        uint256 before = buyer.balance;
        vm.expectEmit(true, true, true, true);
        emit IDatabank.PurchaseRefunded(sale.id, poolId, buyer, QUERY_PRICE);
        vm.prank(stranger);
        db.refund(sale);
        assertEq(buyer.balance - before, QUERY_PRICE, "buyer paid back");
        assertEq(db.getPool(poolId).epsilonSpent, 0, "nothing spent");
        vm.expectRevert(
            abi.encodeWithSelector(IDatabank.PurchaseSettled.selector, sale.id, IDatabank.PurchaseStatus.Refunded)
        );
        db.refund(sale);
    }

    // ================================================================ setQueryPrice

    function testSetQueryPrice() public {
        (uint32 poolId, , , ) = _mixedPool();
        IDatabank.Purchase memory old = _buyQuery(poolId, 1);
        vm.expectEmit(true, true, true, true);
        emit IDatabank.QueryPriceChanged(poolId, QUERY_PRICE, 5);
        vm.prank(curator);
        db.setQueryPrice(poolId, 5);
        assertEq(db.getPool(poolId).queryPrice, 5, "new price");
        assertEq(db.getPool(poolId).price, PRICE, "record price unchanged");
        IDatabank.Purchase memory later = _buyQuery(poolId, 1);
        assertEq(later.amount, 5, "later query at the new price");
        _answer(old, 1);
        assertEq(db.creditOf(curator, address(0)), _curatorPart(QUERY_PRICE), "old purchase keeps its price");
    }

    function _curatorPart(uint256 amount) internal pure returns (uint256 cur) {
        (, cur, ) = _split(amount);
    }

    function testSetQueryPriceOnlyCurator() public {
        uint32 poolId = _pool(BOTH);
        vm.prank(stranger);
        vm.expectRevert(abi.encodeWithSelector(IDatabank.NotCurator.selector, poolId, stranger));
        db.setQueryPrice(poolId, 1);
        vm.prank(custodian);
        vm.expectRevert(abi.encodeWithSelector(IDatabank.NotCurator.selector, poolId, custodian));
        db.setQueryPrice(poolId, 1);
    }

    function testSetQueryPriceOnRecordsOnlyPool() public {
        uint32 poolId = _pool(RECORDS);
        vm.prank(curator);
        vm.expectRevert(abi.encodeWithSelector(IDatabank.ProductNotOffered.selector, poolId, IDatabank.Product.Query));
        db.setQueryPrice(poolId, 1);
    }

    /// @dev The mirror of the above: a pool that sells no record copies cannot be given a record
    /// price later either, not even 0.
    function testSetPriceOnQueriesOnlyPool() public {
        uint32 poolId = _pool(STATISTICS);
        uint96[2] memory prices = [uint96(0), PRICE];
        for (uint256 i = 0; i < prices.length; ++i) {
            vm.prank(curator);
            vm.expectRevert(
                abi.encodeWithSelector(IDatabank.ProductNotOffered.selector, poolId, IDatabank.Product.Records)
            );
            db.setPrice(poolId, prices[i]);
        }
        assertEq(db.getPool(poolId).price, 0, "still no record price");
        // A pool selling both still takes record price changes.
        uint32 both = _pool(BOTH);
        vm.expectEmit(true, true, true, true);
        emit IDatabank.PoolPriceChanged(both, PRICE, 7);
        vm.prank(curator);
        db.setPrice(both, 7);
        assertEq(db.getPool(both).price, 7, "record price changed");
    }

    function testQueryPriceChangeAbovePurchaseMax() public {
        (uint32 poolId, , , ) = _mixedPool();
        vm.prank(curator);
        db.setQueryPrice(poolId, QUERY_PRICE + 1);
        vm.prank(buyer);
        vm.expectRevert(abi.encodeWithSelector(IDatabank.PriceAboveMax.selector, QUERY_PRICE + 1, QUERY_PRICE));
        db.purchaseQuery{value: QUERY_PRICE + 1}(poolId, QUERY_PRICE, BUYER_KEY, 1, QUERY_CID, QUERY_DIGEST);
    }

    // ================================================================ consent receipt

    // The expected JSON is written with single quotes so that its double quotes need no escaping.
    // solhint-disable quotes
    function testReceiptShowsScope() public {
        (, uint256 r, uint256 s, uint256 b) = _mixedPool();
        assertTrue(_receiptHas(r, '{"trait_type":"Scope","value":"records"}'), "records-only receipt");
        assertTrue(_receiptHas(s, '{"trait_type":"Scope","value":"statistics only"}'), "statistics-only receipt");
        assertTrue(_receiptHas(b, '{"trait_type":"Scope","value":"records and statistics"}'), "both receipt");
        assertFalse(_receiptHas(s, '"value":"records"}'), "statistics-only receipt does not say records");
    }

    // solhint-enable quotes

    /// @dev Whether consent `id`'s token URI (base64 JSON) contains `needle`.
    function _receiptHas(uint256 id, string memory needle) internal view returns (bool) {
        bytes memory uri = bytes(db.tokenURI(id));
        bytes memory prefix = "data:application/json;base64,";
        bytes memory encoded = new bytes(uri.length - prefix.length);
        for (uint256 i = 0; i < encoded.length; ++i) encoded[i] = uri[prefix.length + i];
        return _contains(_base64Decode(encoded), bytes(needle));
    }

    function _contains(bytes memory haystack, bytes memory needle) internal pure returns (bool) {
        if (needle.length > haystack.length) return false;
        for (uint256 i = 0; i + needle.length <= haystack.length; ++i) {
            uint256 j = 0;
            while (j < needle.length && haystack[i + j] == needle[j]) ++j;
            if (j == needle.length) return true;
        }
        return false;
    }

    function _base64Decode(bytes memory data) internal pure returns (bytes memory out) {
        uint256 padding = 0;
        if (data.length > 0 && data[data.length - 1] == "=") ++padding;
        if (data.length > 1 && data[data.length - 2] == "=") ++padding;
        out = new bytes((data.length / 4) * 3 - padding);
        uint256 o = 0;
        for (uint256 i = 0; i < data.length; i += 4) {
            uint256 n = 0;
            for (uint256 j = 0; j < 4; ++j) n = (n << 6) | _sextet(data[i + j]);
            for (uint256 k = 0; k < 3 && o < out.length; ++k) out[o++] = bytes1(uint8(n >> (16 - 8 * k)));
        }
    }

    function _sextet(bytes1 c) internal pure returns (uint256) {
        if (c >= "A" && c <= "Z") return uint8(c) - 65;
        if (c >= "a" && c <= "z") return uint8(c) - 97 + 26;
        if (c >= "0" && c <= "9") return uint8(c) - 48 + 52;
        if (c == "+") return 62;
        if (c == "/") return 63;
        return 0; // "=" padding
    }

    // ================================================================ fuzz: earnings against a reference

    uint256 internal constant FUZZ_MAX = 24;

    /// @dev The fuzz test's reference model: per contribution, its scope, whether it is active, and
    /// what it has earned and not settled; per product, the carry.
    struct Model {
        uint8[FUZZ_MAX] scope;
        bool[FUZZ_MAX] active;
        uint256[FUZZ_MAX] id;
        uint256[FUZZ_MAX] unsettled;
        uint256[FUZZ_MAX] credited;
        uint256 joined;
        uint256 recordsCarry;
        uint256 queryCarry;
    }

    /// @notice Any mix of scopes, joins, revocations, record sales, queries and claims: every
    /// contribution's pending earnings, and its holder's credit and withdrawals, equal a reference
    /// that credits each sale to the active contributions of its product by iterating over them.
    /// hardhat-config: fuzz.runs = 64
    function testFuzz_EarningsMatchReference(uint256 seed) public {
        IDatabank.PoolParams memory p = _params(BOTH);
        p.epsilonBudget = type(uint32).max;
        p.maxEpsilonPerQuery = 1;
        p.queryPrice = 777_777;
        p.price = 1_234_567;
        uint32 poolId = _createPool(p);
        Model memory m;
        for (uint256 step = 0; step < 40; ++step) {
            uint256 r = uint256(keccak256(abi.encode(seed, step)));
            uint256 op = r % 6;
            if (op <= 1 && m.joined < FUZZ_MAX) {
                uint256 k = m.joined++;
                m.scope[k] = uint8(1 + ((r >> 8) % 3));
                m.id[k] = _join(poolId, k, m.scope[k]);
                m.active[k] = true;
            } else if (op == 2 || op == 3) {
                _fuzzSale(poolId, m, op == 2);
            } else if (op == 4 && m.joined > 0) {
                uint256 k = (r >> 8) % m.joined;
                if (!m.active[k]) continue;
                _revoke(m.id[k]);
                m.active[k] = false;
                m.credited[k] += m.unsettled[k];
                m.unsettled[k] = 0;
            } else if (op == 5 && m.joined > 0) {
                uint256 k = (r >> 8) % m.joined;
                _fuzzClaim(m, k);
            }
            _checkModel(poolId, m);
        }
    }

    function _fuzzSale(uint32 poolId, Model memory m, bool records) internal {
        uint256 n = 0;
        for (uint256 k = 0; k < m.joined; ++k) {
            if (m.active[k] && (m.scope[k] & (records ? RECORDS : STATISTICS)) != 0) ++n;
        }
        if (n == 0) return;
        IDatabank.Pool memory pool = db.getPool(poolId);
        uint256 total = _contributorsPart(records ? pool.price : pool.queryPrice);
        total += records ? m.recordsCarry : m.queryCarry;
        uint256 per = total / n;
        if (records) {
            _fulfilRecords(_buyRecords(poolId));
            m.recordsCarry = total - per * n;
        } else {
            _answer(_buyQuery(poolId, 1), 1);
            m.queryCarry = total - per * n;
        }
        for (uint256 k = 0; k < m.joined; ++k) {
            if (m.active[k] && (m.scope[k] & (records ? RECORDS : STATISTICS)) != 0) m.unsettled[k] += per;
        }
    }

    function _fuzzClaim(Model memory m, uint256 k) internal {
        address holder = _contributor(k);
        uint256 expected = m.credited[k] + (m.active[k] ? m.unsettled[k] : 0);
        if (expected == 0) return;
        uint256[] memory ids = new uint256[](m.active[k] ? 1 : 0);
        if (m.active[k]) ids[0] = m.id[k];
        uint256 before = holder.balance;
        vm.prank(holder);
        uint256 amount = db.claim(address(0), ids);
        assertEq(amount, expected, "claimed the reference amount");
        assertEq(holder.balance - before, expected, "paid the reference amount");
        m.credited[k] = 0;
        m.unsettled[k] = 0;
    }

    function _checkModel(uint32 poolId, Model memory m) internal view {
        IDatabank.Pool memory pool = db.getPool(poolId);
        uint256 recordsActive;
        uint256 statisticsActive;
        for (uint256 k = 0; k < m.joined; ++k) {
            assertEq(db.pendingEarnings(m.id[k]), m.active[k] ? m.unsettled[k] : 0, "pending == reference");
            assertEq(db.creditOf(_contributor(k), address(0)), m.credited[k], "credit == reference");
            if (m.active[k] && m.scope[k] & RECORDS != 0) ++recordsActive;
            if (m.active[k] && m.scope[k] & STATISTICS != 0) ++statisticsActive;
        }
        assertEq(pool.recordsActive, recordsActive, "recordsActive");
        assertEq(pool.statisticsActive, statisticsActive, "statisticsActive");
        assertEq(pool.carry, m.recordsCarry, "records carry");
        assertEq(pool.statisticsCarry, m.queryCarry, "query carry");
    }
}
