// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {Ownable} from "@openzeppelin/contracts/access/Ownable.sol";
import {Databank} from "../../contracts/Databank.sol";
import {ConsentReceiptRenderer} from "../../contracts/ConsentReceiptRenderer.sol";
import {IDatabank} from "../../contracts/interfaces/IDatabank.sol";
import {IConsentToken} from "../../contracts/interfaces/IConsentToken.sol";
import {TestStablecoin} from "../../contracts/test-helpers/TestStablecoin.sol";
import {FeeOnTransferToken} from "../../contracts/test-helpers/FeeOnTransferToken.sol";
import {TestBase} from "./utils/TestBase.sol";

/// @notice Unit tests of Databank: every external function's success path and its reverts.
contract DatabankTest is TestBase {
    uint16 internal constant FEE_BPS = 250;
    uint96 internal constant PRICE = 1_000_000;
    uint32 internal constant WINDOW = 1 days;
    uint32 internal constant PURPOSES = 1 | 4;
    bytes32 internal constant CUSTODIAN_KEY = keccak256("custodian x25519 key");
    bytes32 internal constant BUYER_KEY = keccak256("buyer x25519 key");
    uint256 internal constant START = 1_700_000_000;

    uint256 internal constant ALICE_PK = 0xA11CE;
    uint256 internal constant BOB_PK = 0xB0B;
    uint256 internal constant CAROL_PK = 0xCA201;
    uint256 internal constant BUYER_PK = 0xB17E2;

    Databank internal db;
    ConsentReceiptRenderer internal renderer;
    TestStablecoin internal usdc;
    FeeOnTransferToken internal fot;

    address internal owner = address(uint160(uint256(keccak256("owner"))));
    address internal treasury = address(uint160(uint256(keccak256("treasury"))));
    address internal curator = address(uint160(uint256(keccak256("curator"))));
    address internal custodian = address(uint160(uint256(keccak256("custodian"))));
    address internal stranger = address(uint160(uint256(keccak256("stranger"))));
    address internal alice;
    address internal bob;
    address internal carol;
    address internal buyer;

    function setUp() public {
        vm.warp(START);
        alice = vm.addr(ALICE_PK);
        bob = vm.addr(BOB_PK);
        carol = vm.addr(CAROL_PK);
        buyer = vm.addr(BUYER_PK);
        vm.label(alice, "alice");
        vm.label(bob, "bob");
        vm.label(buyer, "buyer");
        renderer = new ConsentReceiptRenderer();
        db = new Databank(owner, treasury, FEE_BPS, renderer);
        usdc = new TestStablecoin();
        fot = new FeeOnTransferToken();
        vm.deal(buyer, 100 ether);
        vm.deal(curator, 100 ether);
    }

    // ================================================================ helpers

    function _params(address token) internal view returns (IDatabank.PoolParams memory p) {
        p = IDatabank.PoolParams({
            paymentToken: token,
            price: PRICE,
            contributorShareBps: 7_000,
            minContributors: 2,
            maxContributors: 0,
            bountyPerContribution: 0,
            deliveryWindow: WINDOW,
            purposes: PURPOSES,
            custodian: custodian,
            custodianKey: CUSTODIAN_KEY,
            schemaCid: "bafyschema",
            termsCid: "bafyterms",
            products: 1,
            queryPrice: 0,
            epsilonBudget: 0,
            maxEpsilonPerQuery: 0
        });
    }

    function _createPool(IDatabank.PoolParams memory p) internal returns (uint32 poolId) {
        vm.prank(curator);
        poolId = db.createPool(p);
    }

    function _ethPool() internal returns (uint32) {
        return _createPool(_params(address(0)));
    }

    function _contribute(uint32 poolId, address who, string memory cid) internal returns (uint256 id) {
        vm.prank(who);
        id = db.submitContribution(poolId, cid, 0, 1);
        vm.prank(custodian);
        db.acceptContribution(id);
    }

    /// @dev A pool with alice and bob active.
    function _ethPoolWithTwo() internal returns (uint32 poolId, uint256 a, uint256 b) {
        poolId = _ethPool();
        a = _contribute(poolId, alice, "bafyalice");
        b = _contribute(poolId, bob, "bafybobby");
    }

    function _buy(uint32 poolId) internal returns (IDatabank.Purchase memory sale) {
        vm.prank(buyer);
        sale = db.purchase{value: PRICE}(poolId, PRICE, BUYER_KEY);
    }

    function _fulfil(IDatabank.Purchase memory sale, uint32 count) internal {
        uint32 erasuresSeen = db.getPool(sale.poolId).erasureCount;
        vm.prank(custodian);
        db.fulfill(sale, "bafydelivery", keccak256("root"), count, erasuresSeen);
    }

    function _request(
        address contributor,
        uint32 poolId,
        string memory cid
    ) internal view returns (IDatabank.ConsentRequest memory) {
        return
            IDatabank.ConsentRequest({
                contributor: contributor,
                poolId: poolId,
                dataCid: cid,
                expiresAt: 0,
                deadline: block.timestamp + 1 hours,
                scope: 1
            });
    }

    function _sign(uint256 pk, bytes32 digest) internal returns (bytes memory) {
        (uint8 v, bytes32 r, bytes32 s) = vm.sign(pk, digest);
        return abi.encodePacked(r, s, v);
    }

    function _signConsent(uint256 pk, IDatabank.ConsentRequest memory req) internal returns (bytes memory) {
        return _sign(pk, db.consentDigest(req, db.nonces(req.contributor)));
    }

    /// @dev The consent digest computed independently, for any chain id and verifying contract.
    function _manualDigest(
        IDatabank.ConsentRequest memory req,
        uint256 nonce,
        uint256 chainId,
        address verifying
    ) internal view returns (bytes32) {
        bytes32 domain = keccak256(
            abi.encode(
                keccak256("EIP712Domain(string name,string version,uint256 chainId,address verifyingContract)"),
                keccak256("Databank"),
                keccak256("1"),
                chainId,
                verifying
            )
        );
        IDatabank.Pool memory pool = db.getPool(req.poolId);
        bytes32 structHash = keccak256(
            abi.encode(
                db.CONSENT_TYPEHASH(),
                req.contributor,
                req.poolId,
                keccak256(bytes(req.dataCid)),
                pool.termsDigest,
                pool.purposes,
                req.scope,
                req.expiresAt,
                nonce,
                req.deadline
            )
        );
        return keccak256(abi.encodePacked("\x19\x01", domain, structHash));
    }

    function _split(uint256 amount) internal pure returns (uint256 platform, uint256 cur, uint256 contributors) {
        platform = (amount * FEE_BPS) / 10_000;
        contributors = ((amount - platform) * 7_000) / 10_000;
        cur = amount - platform - contributors;
    }

    // ================================================================ platform

    function testConstructorState() public view {
        assertEq(db.owner(), owner, "owner");
        assertEq(db.treasury(), treasury, "treasury");
        assertEq(db.platformFeeBps(), FEE_BPS, "fee");
        assertEq(address(db.receiptRenderer()), address(renderer), "renderer");
        assertEq(db.poolCount(), 0, "no pools");
    }

    function testSetPlatformFee() public {
        vm.prank(owner);
        db.setPlatformFee(1_000);
        assertEq(db.platformFeeBps(), 1_000, "fee set");
    }

    function testSetPlatformFeeAboveCapReverts() public {
        vm.prank(owner);
        vm.expectRevert(abi.encodeWithSelector(IDatabank.PlatformFeeTooHigh.selector, uint16(1_001), uint16(1_000)));
        db.setPlatformFee(1_001);
    }

    function testConstructorFeeAboveCapReverts() public {
        vm.expectRevert(abi.encodeWithSelector(IDatabank.PlatformFeeTooHigh.selector, uint16(5_000), uint16(1_000)));
        new Databank(owner, treasury, 5_000, renderer);
    }

    function testSetPlatformFeeOnlyOwner() public {
        vm.prank(stranger);
        vm.expectRevert(abi.encodeWithSelector(Ownable.OwnableUnauthorizedAccount.selector, stranger));
        db.setPlatformFee(100);
    }

    function testFeeChangeDoesNotAffectExistingPools() public {
        (uint32 poolId, , ) = _ethPoolWithTwo();
        vm.prank(owner);
        db.setPlatformFee(1_000);
        uint32 laterPool = _ethPool();
        assertEq(db.getPool(poolId).platformFeeBps, FEE_BPS, "existing pool keeps its fee");
        assertEq(db.getPool(laterPool).platformFeeBps, 1_000, "new pool gets the new fee");
        _fulfil(_buy(poolId), 2);
        (uint256 platform, , ) = _split(PRICE);
        assertEq(db.creditOf(treasury, address(0)), platform, "treasury credited at the old fee");
    }

    function testSetTreasury() public {
        vm.prank(owner);
        db.setTreasury(stranger);
        assertEq(db.treasury(), stranger, "treasury set");
        vm.prank(owner);
        vm.expectRevert(IDatabank.InvalidTreasury.selector);
        db.setTreasury(address(0));
    }

    // ================================================================ createPool

    function testCreatePool() public {
        uint32 poolId = _ethPool();
        assertEq(poolId, 1, "first id");
        assertEq(db.poolCount(), 1, "count");
        IDatabank.Pool memory pool = db.getPool(poolId);
        assertEq(pool.curator, curator, "curator");
        assertEq(pool.custodian, custodian, "custodian");
        assertEq(pool.price, PRICE, "price");
        assertEq(pool.minContributors, 2, "min");
        assertEq(pool.platformFeeBps, FEE_BPS, "fee");
        assertEq(pool.termsDigest, keccak256("bafyterms"), "terms digest");
        (string memory schema, string memory terms) = db.poolDocuments(poolId);
        assertEq(schema, "bafyschema", "schema");
        assertEq(terms, "bafyterms", "terms");
    }

    function testCreatePoolEmitsPoolCreated() public {
        IDatabank.PoolParams memory p = _params(address(0));
        vm.expectEmit(true, true, true, true);
        emit IDatabank.PoolCreated(1, curator, custodian, FEE_BPS, p);
        uint32 poolId = _createPool(p);
        assertEq(poolId, 1, "pool id");
    }

    function _expectCreateRevert(IDatabank.PoolParams memory p, bytes memory err) internal {
        vm.prank(curator);
        vm.expectRevert(err);
        db.createPool(p);
        assertEq(db.poolCount(), 0, "no pool created");
    }

    function testCreatePoolShareTooHigh() public {
        IDatabank.PoolParams memory p = _params(address(0));
        p.contributorShareBps = 10_001;
        _expectCreateRevert(p, abi.encodeWithSelector(IDatabank.InvalidShare.selector, uint16(10_001)));
    }

    function testCreatePoolMinZero() public {
        IDatabank.PoolParams memory p = _params(address(0));
        p.minContributors = 0;
        _expectCreateRevert(p, abi.encodeWithSelector(IDatabank.InvalidThreshold.selector, uint32(0), uint32(0)));
    }

    function testCreatePoolMaxBelowMin() public {
        IDatabank.PoolParams memory p = _params(address(0));
        p.maxContributors = 1;
        _expectCreateRevert(p, abi.encodeWithSelector(IDatabank.InvalidThreshold.selector, uint32(2), uint32(1)));
    }

    function testCreatePoolWindowTooShort() public {
        IDatabank.PoolParams memory p = _params(address(0));
        p.deliveryWindow = 1 hours - 1;
        _expectCreateRevert(
            p,
            abi.encodeWithSelector(
                IDatabank.InvalidDeliveryWindow.selector,
                uint32(1 hours - 1),
                uint32(1 hours),
                uint32(30 days)
            )
        );
    }

    function testCreatePoolWindowTooLong() public {
        IDatabank.PoolParams memory p = _params(address(0));
        p.deliveryWindow = 30 days + 1;
        _expectCreateRevert(
            p,
            abi.encodeWithSelector(
                IDatabank.InvalidDeliveryWindow.selector,
                uint32(30 days + 1),
                uint32(1 hours),
                uint32(30 days)
            )
        );
    }

    function testCreatePoolPurposesZero() public {
        IDatabank.PoolParams memory p = _params(address(0));
        p.purposes = 0;
        _expectCreateRevert(p, abi.encodeWithSelector(IDatabank.InvalidPurposes.selector, uint32(0)));
    }

    function testCreatePoolUndefinedPurpose() public {
        IDatabank.PoolParams memory p = _params(address(0));
        p.purposes = 1 | (1 << 5);
        _expectCreateRevert(p, abi.encodeWithSelector(IDatabank.InvalidPurposes.selector, uint32(1 | (1 << 5))));
    }

    function testCreatePoolCustodianZero() public {
        IDatabank.PoolParams memory p = _params(address(0));
        p.custodian = address(0);
        _expectCreateRevert(p, abi.encodeWithSelector(IDatabank.InvalidCustodian.selector));
    }

    function testCreatePoolCustodianKeyZero() public {
        IDatabank.PoolParams memory p = _params(address(0));
        p.custodianKey = bytes32(0);
        _expectCreateRevert(p, abi.encodeWithSelector(IDatabank.InvalidCustodian.selector));
    }

    function testCreatePoolTokenNotContract() public {
        IDatabank.PoolParams memory p = _params(address(0xDEAD));
        _expectCreateRevert(p, abi.encodeWithSelector(IDatabank.InvalidPaymentToken.selector, address(0xDEAD)));
    }

    function testCreatePoolEmptySchemaCid() public {
        IDatabank.PoolParams memory p = _params(address(0));
        p.schemaCid = "";
        _expectCreateRevert(p, abi.encodeWithSelector(IDatabank.EmptyCid.selector));
    }

    function testCreatePoolEmptyTermsCid() public {
        IDatabank.PoolParams memory p = _params(address(0));
        p.termsCid = "";
        _expectCreateRevert(p, abi.encodeWithSelector(IDatabank.EmptyCid.selector));
    }

    function testUnknownPool() public {
        vm.expectRevert(abi.encodeWithSelector(IDatabank.UnknownPool.selector, uint32(7)));
        db.getPool(7);
    }

    // ================================================================ setPrice / setPaused

    function testSetPrice() public {
        uint32 poolId = _ethPool();
        vm.expectEmit(true, true, true, true);
        emit IDatabank.PoolPriceChanged(poolId, PRICE, 5);
        vm.prank(curator);
        db.setPrice(poolId, 5);
        assertEq(db.getPool(poolId).price, 5, "price changed");
    }

    function testSetPriceOnlyCurator() public {
        uint32 poolId = _ethPool();
        vm.prank(stranger);
        vm.expectRevert(abi.encodeWithSelector(IDatabank.NotCurator.selector, poolId, stranger));
        db.setPrice(poolId, 5);
        assertEq(db.getPool(poolId).price, PRICE, "price unchanged");
    }

    function testSetPaused() public {
        uint32 poolId = _ethPool();
        vm.prank(curator);
        db.setPaused(poolId, true);
        assertTrue(db.getPool(poolId).paused, "paused");
        vm.prank(curator);
        db.setPaused(poolId, false);
        assertFalse(db.getPool(poolId).paused, "resumed");
    }

    function testSetPausedOnlyCurator() public {
        uint32 poolId = _ethPool();
        vm.prank(custodian);
        vm.expectRevert(abi.encodeWithSelector(IDatabank.NotCurator.selector, poolId, custodian));
        db.setPaused(poolId, true);
        assertFalse(db.getPool(poolId).paused, "not paused");
    }

    // ================================================================ bounties

    function testFundBountyEth() public {
        uint32 poolId = _ethPool();
        vm.prank(curator);
        db.fundBounty{value: 500}(poolId, 500);
        assertEq(db.getPool(poolId).bountyBudget, 500, "budget");
        assertEq(address(db).balance, 500, "eth held");
    }

    function testFundBountyIncorrectPayment() public {
        uint32 poolId = _ethPool();
        vm.prank(curator);
        vm.expectRevert(abi.encodeWithSelector(IDatabank.IncorrectPayment.selector, uint256(499), uint256(500)));
        db.fundBounty{value: 499}(poolId, 500);
        assertEq(db.getPool(poolId).bountyBudget, 0, "no budget");
    }

    function testFundBountyErc20() public {
        uint32 poolId = _createPool(_params(address(usdc)));
        usdc.mint(curator, 1_000);
        vm.startPrank(curator);
        usdc.approve(address(db), 1_000);
        db.fundBounty(poolId, 1_000);
        vm.stopPrank();
        assertEq(db.getPool(poolId).bountyBudget, 1_000, "budget");
        assertEq(usdc.balanceOf(address(db)), 1_000, "tokens held");
    }

    function testFundBountyErc20WithNativeReverts() public {
        uint32 poolId = _createPool(_params(address(usdc)));
        vm.prank(curator);
        vm.expectRevert(IDatabank.UnexpectedNativePayment.selector);
        db.fundBounty{value: 1}(poolId, 1_000);
        assertEq(db.getPool(poolId).bountyBudget, 0, "no budget");
    }

    function testFundBountyUnknownPool() public {
        vm.prank(curator);
        vm.expectRevert(abi.encodeWithSelector(IDatabank.UnknownPool.selector, uint32(3)));
        db.fundBounty{value: 1}(3, 1);
        assertEq(address(db).balance, 0, "nothing held");
    }

    function testWithdrawBounty() public {
        uint32 poolId = _ethPool();
        vm.startPrank(curator);
        db.fundBounty{value: 500}(poolId, 500);
        db.withdrawBounty(poolId, 200);
        vm.stopPrank();
        assertEq(db.getPool(poolId).bountyBudget, 300, "budget left");
        assertEq(db.creditOf(curator, address(0)), 200, "curator credited");
    }

    function testWithdrawBountyReverts() public {
        uint32 poolId = _ethPool();
        vm.prank(curator);
        db.fundBounty{value: 500}(poolId, 500);
        vm.prank(curator);
        vm.expectRevert(
            abi.encodeWithSelector(IDatabank.BountyBudgetTooSmall.selector, poolId, uint256(500), uint256(501))
        );
        db.withdrawBounty(poolId, 501);
        vm.prank(stranger);
        vm.expectRevert(abi.encodeWithSelector(IDatabank.NotCurator.selector, poolId, stranger));
        db.withdrawBounty(poolId, 1);
        assertEq(db.getPool(poolId).bountyBudget, 500, "budget intact");
    }

    function testBountyCreditedOnAccept() public {
        IDatabank.PoolParams memory p = _params(address(0));
        p.bountyPerContribution = 100;
        uint32 poolId = _createPool(p);
        vm.prank(curator);
        db.fundBounty{value: 150}(poolId, 150);
        _contribute(poolId, alice, "bafyalice");
        assertEq(db.creditOf(alice, address(0)), 100, "bounty credited");
        assertEq(db.getPool(poolId).bountyBudget, 50, "budget reduced");
    }

    /// @notice An empty bounty budget never closes a pool: the contribution joins without a bounty.
    function testJoinsWhenBountyBudgetRunsOut() public {
        IDatabank.PoolParams memory p = _params(address(0));
        p.bountyPerContribution = 100;
        uint32 poolId = _createPool(p);
        vm.prank(curator);
        db.fundBounty{value: 150}(poolId, 150);
        _contribute(poolId, alice, "bafyalice");
        vm.prank(bob);
        uint256 id = db.submitContribution(poolId, "bafybobby", 0, 1);
        vm.prank(custodian);
        db.acceptContribution(id);
        assertEq(db.ownerOf(id), bob, "joined");
        assertEq(db.creditOf(bob, address(0)), 0, "no bounty left for bob");
        assertEq(db.getPool(poolId).bountyBudget, 50, "the remainder stays");
        // A relayed consent joins too.
        IDatabank.ConsentRequest memory req = _request(carol, poolId, "bafycarol");
        bytes memory sig = _signConsent(CAROL_PK, req);
        vm.prank(custodian);
        uint256 c = db.contributeWithSignature(req, sig);
        assertEq(db.ownerOf(c), carol, "relayed join");
        assertEq(db.getPool(poolId).recordsActive, 3, "three active");
    }

    /// @notice A pending submission's bounty is reserved: the curator cannot withdraw it ahead of
    /// the custodian's accept, and it comes back if the submission is rejected.
    function testPendingBountyIsReserved() public {
        IDatabank.PoolParams memory p = _params(address(0));
        p.bountyPerContribution = 100;
        uint32 poolId = _createPool(p);
        vm.prank(curator);
        db.fundBounty{value: 100}(poolId, 100);
        vm.prank(alice);
        uint256 id = db.submitContribution(poolId, "bafyalice", 0, 1);
        assertEq(db.getPool(poolId).bountyBudget, 0, "reserved");
        vm.prank(curator);
        vm.expectRevert(abi.encodeWithSelector(IDatabank.BountyBudgetTooSmall.selector, poolId, 0, 100));
        db.withdrawBounty(poolId, 100);
        vm.prank(custodian);
        db.acceptContribution(id);
        assertEq(db.creditOf(alice, address(0)), 100, "reserved bounty paid");
        // Rejected: the reservation returns to the budget, and the curator can withdraw it.
        vm.prank(curator);
        db.fundBounty{value: 100}(poolId, 100);
        vm.prank(bob);
        id = db.submitContribution(poolId, "bafybobby", 0, 1);
        vm.prank(custodian);
        db.rejectContribution(id, IDatabank.RejectionReason.SchemaMismatch);
        assertEq(db.getPool(poolId).bountyBudget, 100, "returned");
        vm.prank(curator);
        db.withdrawBounty(poolId, 100);
        assertEq(db.creditOf(curator, address(0)), 100, "withdrawn");
    }

    /// @notice Third-party funding is a gift to contributors: the curator cannot withdraw it, and it
    /// is spent before the curator's own.
    function testCuratorCannotWithdrawThirdPartyBounty() public {
        IDatabank.PoolParams memory p = _params(address(0));
        p.bountyPerContribution = 100;
        uint32 poolId = _createPool(p);
        vm.deal(stranger, 1 ether);
        vm.prank(stranger);
        db.fundBounty{value: 150}(poolId, 150);
        vm.prank(curator);
        vm.expectRevert(abi.encodeWithSelector(IDatabank.BountyBudgetTooSmall.selector, poolId, 0, 1));
        db.withdrawBounty(poolId, 1);
        vm.prank(curator);
        db.fundBounty{value: 100}(poolId, 100);
        _contribute(poolId, alice, "bafyalice"); // 250 - 100: the sponsor's money goes first
        assertEq(db.getPool(poolId).curatorBounty, 100, "curator's own intact");
        _contribute(poolId, bob, "bafybobby"); // 150 - 100: 50 of the sponsor's, 50 of the curator's
        vm.prank(curator);
        vm.expectRevert(abi.encodeWithSelector(IDatabank.BountyBudgetTooSmall.selector, poolId, 50, 51));
        db.withdrawBounty(poolId, 51);
        vm.prank(curator);
        db.withdrawBounty(poolId, 50);
        // New sponsor money after the curator's was used up is still not the curator's.
        vm.prank(stranger);
        db.fundBounty{value: 70}(poolId, 70);
        vm.prank(curator);
        vm.expectRevert(abi.encodeWithSelector(IDatabank.BountyBudgetTooSmall.selector, poolId, 0, 1));
        db.withdrawBounty(poolId, 1);
        assertEq(db.getPool(poolId).bountyBudget, 70, "sponsor's budget left for bounties");
    }

    // ================================================================ submissions

    function testSubmitContribution() public {
        uint32 poolId = _ethPool();
        vm.prank(alice);
        uint256 id = db.submitContribution(poolId, "bafyalice", uint40(START + 10 days), 1);
        assertEq(id, 1, "id");
        assertEq(db.pendingContributor(id), alice, "pending contributor");
        IConsentToken.Consent memory c = db.consentOf(id);
        assertEq(uint256(c.status), uint256(IConsentToken.ContributionStatus.Pending), "pending");
        assertEq(c.dataCommitment, keccak256("bafyalice"), "commitment");
        assertEq(c.purposes, PURPOSES, "purposes");
        assertEq(c.expiresAt, START + 10 days, "expiry");
    }

    function testSubmitDuplicateCommitment() public {
        uint32 poolId = _ethPool();
        vm.prank(alice);
        db.submitContribution(poolId, "bafysame", 0, 1);
        vm.prank(alice);
        vm.expectRevert(abi.encodeWithSelector(IDatabank.DuplicateCommitment.selector, poolId, keccak256("bafysame")));
        db.submitContribution(poolId, "bafysame", 0, 1);
        assertEq(db.contributionCount(), 1, "one submission");
    }

    /// @notice A squatter who copies a CID from the mempool cannot block its owner: submissions are
    /// keyed by contributor (the custodian rejects the copy, whose envelope names the owner).
    function testSquatterCannotBlockOwner() public {
        uint32 poolId = _ethPool();
        vm.prank(stranger);
        uint256 squat = db.submitContribution(poolId, "bafyalice", 0, 1);
        IDatabank.ConsentRequest memory req = _request(alice, poolId, "bafyalice");
        bytes memory sig = _signConsent(ALICE_PK, req);
        vm.prank(custodian);
        uint256 id = db.contributeWithSignature(req, sig);
        assertEq(db.ownerOf(id), alice, "owner joined");
        vm.prank(custodian);
        db.rejectContribution(squat, IDatabank.RejectionReason.NotBound);
        assertEq(db.pendingContributor(squat), address(0), "copy discarded");
        // Direct submissions too: the owner submits after a squatter's copy.
        vm.prank(stranger);
        db.submitContribution(poolId, "bafybobby", 0, 1);
        vm.prank(bob);
        uint256 own = db.submitContribution(poolId, "bafybobby", 0, 1);
        assertEq(db.pendingContributor(own), bob, "owner pending");
    }

    /// @notice One spelling per record: other bases, CIDv0, upper case and padding are refused.
    function testSubmitNonCanonicalCid() public {
        uint32 poolId = _ethPool();
        string[6] memory spellings = [
            "zb2rhe5P4gXftAwvA4eXQ5HJwsER2owDyS9sKaQRRVQPn93bA",
            "k2jmtxrqr1gxn1o1q7wrcnayv3qxxdo2e6ikxl4m4p8ukfj1asqe7v18",
            "QmPZ9gcCEpqKTo6aq61g2nXGUhM4iCL3ewB6LDXZCtioEB",
            "BAFYALICE",
            " bafyalice",
            "bafyalice "
        ];
        for (uint256 i = 0; i < spellings.length; ++i) {
            vm.prank(alice);
            vm.expectRevert(abi.encodeWithSelector(IDatabank.NonCanonicalCid.selector, spellings[i]));
            db.submitContribution(poolId, spellings[i], 0, 1);
        }
        assertEq(db.contributionCount(), 0, "none");
    }

    function testSubmitEmptyCid() public {
        uint32 poolId = _ethPool();
        vm.prank(alice);
        vm.expectRevert(abi.encodeWithSelector(IDatabank.NonCanonicalCid.selector, ""));
        db.submitContribution(poolId, "", 0, 1);
        assertEq(db.contributionCount(), 0, "none");
    }

    function testSubmitInvalidExpiry() public {
        uint32 poolId = _ethPool();
        vm.prank(alice);
        vm.expectRevert(abi.encodeWithSelector(IDatabank.InvalidExpiry.selector, uint40(START)));
        db.submitContribution(poolId, "bafyalice", uint40(START), 1);
        assertEq(db.contributionCount(), 0, "none");
    }

    function testAcceptContribution() public {
        uint32 poolId = _ethPool();
        uint256 id = _contribute(poolId, alice, "bafyalice");
        assertEq(db.ownerOf(id), alice, "token minted");
        assertEq(db.getPool(poolId).recordsActive, 1, "active");
        assertEq(db.pendingContributor(id), address(0), "no longer pending");
        IConsentToken.Consent memory c = db.consentOf(id);
        assertEq(uint256(c.status), uint256(IConsentToken.ContributionStatus.Active), "active status");
        assertEq(c.grantedAt, START, "granted at");
    }

    function testAcceptOnlyCustodian() public {
        uint32 poolId = _ethPool();
        vm.prank(alice);
        uint256 id = db.submitContribution(poolId, "bafyalice", 0, 1);
        vm.prank(alice);
        vm.expectRevert(abi.encodeWithSelector(IDatabank.NotCustodian.selector, poolId, alice));
        db.acceptContribution(id);
        assertEq(db.getPool(poolId).recordsActive, 0, "not accepted");
    }

    function testAcceptOnlyPending() public {
        uint32 poolId = _ethPool();
        uint256 id = _contribute(poolId, alice, "bafyalice");
        vm.prank(custodian);
        vm.expectRevert(
            abi.encodeWithSelector(
                IDatabank.InvalidContributionState.selector,
                id,
                IConsentToken.ContributionStatus.Active
            )
        );
        db.acceptContribution(id);
        vm.prank(custodian);
        vm.expectRevert(
            abi.encodeWithSelector(
                IDatabank.InvalidContributionState.selector,
                uint256(99),
                IConsentToken.ContributionStatus.None
            )
        );
        db.acceptContribution(99);
        assertEq(db.getPool(poolId).recordsActive, 1, "one active");
    }

    function testAcceptExpiredPending() public {
        uint32 poolId = _ethPool();
        vm.prank(alice);
        uint256 id = db.submitContribution(poolId, "bafyalice", uint40(START + 1 hours), 1);
        vm.warp(START + 2 hours);
        vm.prank(custodian);
        vm.expectRevert(abi.encodeWithSelector(IDatabank.InvalidExpiry.selector, uint40(START + 1 hours)));
        db.acceptContribution(id);
        assertEq(db.getPool(poolId).recordsActive, 0, "not accepted");
    }

    function testRejectContribution() public {
        uint32 poolId = _ethPool();
        vm.prank(alice);
        uint256 id = db.submitContribution(poolId, "bafyalice", 0, 1);
        vm.prank(custodian);
        db.rejectContribution(id, IDatabank.RejectionReason.SchemaMismatch);
        assertEq(db.pendingContributor(id), address(0), "not pending");
        assertEq(uint256(db.consentOf(id).status), 0, "forgotten");
        // The commitment is free again.
        vm.prank(alice);
        uint256 again = db.submitContribution(poolId, "bafyalice", 0, 1);
        assertEq(again, id + 1, "resubmitted");
    }

    function testRejectOnlyCustodianAndPending() public {
        uint32 poolId = _ethPool();
        vm.prank(alice);
        uint256 id = db.submitContribution(poolId, "bafyalice", 0, 1);
        vm.prank(curator);
        vm.expectRevert(abi.encodeWithSelector(IDatabank.NotCustodian.selector, poolId, curator));
        db.rejectContribution(id, IDatabank.RejectionReason.Other);
        vm.prank(custodian);
        db.acceptContribution(id);
        vm.prank(custodian);
        vm.expectRevert(
            abi.encodeWithSelector(
                IDatabank.InvalidContributionState.selector,
                id,
                IConsentToken.ContributionStatus.Active
            )
        );
        db.rejectContribution(id, IDatabank.RejectionReason.Other);
        assertEq(db.ownerOf(id), alice, "still active");
    }

    function testRevokePendingSubmission() public {
        uint32 poolId = _ethPool();
        vm.prank(alice);
        uint256 id = db.submitContribution(poolId, "bafyalice", 0, 1);
        vm.prank(bob);
        vm.expectRevert(abi.encodeWithSelector(IDatabank.NotContributor.selector, id, bob));
        db.revokeConsent(id);
        vm.prank(alice);
        db.revokeConsent(id);
        assertEq(db.pendingContributor(id), address(0), "withdrawn");
        assertEq(db.getPool(poolId).erasureCount, 0, "no erasure for a pending submission");
    }

    // ================================================================ relayed consent

    function testContributeWithSignature() public {
        uint32 poolId = _ethPool();
        IDatabank.ConsentRequest memory req = _request(alice, poolId, "bafyalice");
        bytes memory sig = _signConsent(ALICE_PK, req);
        vm.prank(custodian);
        uint256 id = db.contributeWithSignature(req, sig);
        assertEq(db.ownerOf(id), alice, "minted to contributor");
        assertEq(db.nonces(alice), 1, "nonce used");
        assertEq(db.getPool(poolId).recordsActive, 1, "active");
        assertEq(_manualDigest(req, 0, block.chainid, address(db)), db.consentDigest(req, 0), "digest matches spec");
    }

    function testContributeWithSignatureWrongSigner() public {
        uint32 poolId = _ethPool();
        IDatabank.ConsentRequest memory req = _request(alice, poolId, "bafyalice");
        bytes memory sig = _sign(BOB_PK, db.consentDigest(req, 0));
        vm.prank(custodian);
        vm.expectRevert(abi.encodeWithSelector(IDatabank.InvalidSignature.selector, alice));
        db.contributeWithSignature(req, sig);
        assertEq(db.getPool(poolId).recordsActive, 0, "none");
    }

    function testContributeWithSignatureReplay() public {
        uint32 poolId = _ethPool();
        IDatabank.ConsentRequest memory req = _request(alice, poolId, "bafyalice");
        bytes memory sig = _signConsent(ALICE_PK, req);
        vm.prank(custodian);
        db.contributeWithSignature(req, sig);
        vm.prank(custodian);
        vm.expectRevert(abi.encodeWithSelector(IDatabank.InvalidSignature.selector, alice));
        db.contributeWithSignature(req, sig);
        assertEq(db.getPool(poolId).recordsActive, 1, "only one");
    }

    function testContributeWithSignatureExpired() public {
        uint32 poolId = _ethPool();
        IDatabank.ConsentRequest memory req = _request(alice, poolId, "bafyalice");
        bytes memory sig = _signConsent(ALICE_PK, req);
        vm.warp(req.deadline + 1);
        vm.prank(custodian);
        vm.expectRevert(abi.encodeWithSelector(IDatabank.SignatureExpired.selector, req.deadline));
        db.contributeWithSignature(req, sig);
        assertEq(db.getPool(poolId).recordsActive, 0, "none");
    }

    function testContributeWithSignatureOtherChain() public {
        uint32 poolId = _ethPool();
        IDatabank.ConsentRequest memory req = _request(alice, poolId, "bafyalice");
        bytes memory sig = _sign(ALICE_PK, _manualDigest(req, 0, block.chainid + 1, address(db)));
        vm.prank(custodian);
        vm.expectRevert(abi.encodeWithSelector(IDatabank.InvalidSignature.selector, alice));
        db.contributeWithSignature(req, sig);
        assertEq(db.getPool(poolId).recordsActive, 0, "none");
    }

    function testContributeWithSignatureOtherContract() public {
        uint32 poolId = _ethPool();
        Databank other = new Databank(owner, treasury, FEE_BPS, renderer);
        IDatabank.ConsentRequest memory req = _request(alice, poolId, "bafyalice");
        bytes memory sig = _sign(ALICE_PK, _manualDigest(req, 0, block.chainid, address(other)));
        vm.prank(custodian);
        vm.expectRevert(abi.encodeWithSelector(IDatabank.InvalidSignature.selector, alice));
        db.contributeWithSignature(req, sig);
        assertEq(db.getPool(poolId).recordsActive, 0, "none");
    }

    function testContributeWithSignatureOnlyCustodian() public {
        uint32 poolId = _ethPool();
        IDatabank.ConsentRequest memory req = _request(alice, poolId, "bafyalice");
        bytes memory sig = _signConsent(ALICE_PK, req);
        vm.prank(alice);
        vm.expectRevert(abi.encodeWithSelector(IDatabank.NotCustodian.selector, poolId, alice));
        db.contributeWithSignature(req, sig);
        assertEq(db.nonces(alice), 0, "nonce unused");
    }

    // ================================================================ consent token

    function testConsentTokenNonTransferable() public {
        uint32 poolId = _ethPool();
        uint256 id = _contribute(poolId, alice, "bafyalice");
        vm.startPrank(alice);
        vm.expectRevert(IConsentToken.ConsentNonTransferable.selector);
        db.transferFrom(alice, bob, id);
        vm.expectRevert(IConsentToken.ConsentNonTransferable.selector);
        db.safeTransferFrom(alice, bob, id);
        vm.expectRevert(IConsentToken.ConsentNonTransferable.selector);
        db.safeTransferFrom(alice, bob, id, "");
        vm.expectRevert(IConsentToken.ConsentNonTransferable.selector);
        db.approve(bob, id);
        vm.expectRevert(IConsentToken.ConsentNonTransferable.selector);
        db.setApprovalForAll(bob, true);
        vm.stopPrank();
        assertEq(db.ownerOf(id), alice, "still alice's");
    }

    function testLockedAndInterfaces() public {
        uint32 poolId = _ethPool();
        uint256 id = _contribute(poolId, alice, "bafyalice");
        assertTrue(db.locked(id), "locked");
        assertTrue(db.supportsInterface(0xb45a3c0e), "ERC-5192");
        assertTrue(db.supportsInterface(0x80ac58cd), "ERC-721");
        assertFalse(db.supportsInterface(0xffffffff), "not 0xffffffff");
    }

    function testTokenUri() public {
        uint32 poolId = _ethPool();
        uint256 id = _contribute(poolId, alice, "bafyalice");
        bytes memory uri = bytes(db.tokenURI(id));
        bytes memory prefix = bytes("data:application/json;base64,");
        assertTrue(uri.length > prefix.length, "has content");
        for (uint256 i = 0; i < prefix.length; ++i) {
            assertTrue(uri[i] == prefix[i], "data URI prefix");
        }
    }

    // ================================================================ purchases

    function testPurchaseEth() public {
        (uint32 poolId, , ) = _ethPoolWithTwo();
        uint256 before = buyer.balance;
        IDatabank.Purchase memory sale = _buy(poolId);
        assertEq(sale.id, 1, "id");
        assertEq(sale.poolId, poolId, "pool");
        assertEq(sale.buyer, buyer, "buyer");
        assertEq(sale.amount, PRICE, "amount");
        assertEq(sale.deadline, START + WINDOW, "deadline");
        assertEq(before - buyer.balance, PRICE, "paid");
        assertEq(address(db).balance, PRICE, "escrowed");
        assertEq(uint256(db.purchaseStatus(1)), uint256(IDatabank.PurchaseStatus.Pending), "pending");
    }

    function testPurchaseIncorrectPayment() public {
        (uint32 poolId, , ) = _ethPoolWithTwo();
        vm.prank(buyer);
        vm.expectRevert(
            abi.encodeWithSelector(IDatabank.IncorrectPayment.selector, uint256(PRICE + 1), uint256(PRICE))
        );
        db.purchase{value: PRICE + 1}(poolId, PRICE + 1, BUYER_KEY);
        assertEq(db.purchaseCount(), 0, "none");
    }

    function testPurchaseErc20() public {
        uint32 poolId = _createPool(_params(address(usdc)));
        _contribute(poolId, alice, "bafyalice");
        _contribute(poolId, bob, "bafybobby");
        usdc.mint(buyer, PRICE);
        vm.startPrank(buyer);
        usdc.approve(address(db), PRICE);
        db.purchase(poolId, PRICE, BUYER_KEY);
        vm.stopPrank();
        assertEq(usdc.balanceOf(address(db)), PRICE, "escrowed");
        assertEq(usdc.balanceOf(buyer), 0, "paid");
    }

    function testPurchaseErc20WithNativeReverts() public {
        uint32 poolId = _createPool(_params(address(usdc)));
        _contribute(poolId, alice, "bafyalice");
        _contribute(poolId, bob, "bafybobby");
        vm.prank(buyer);
        vm.expectRevert(IDatabank.UnexpectedNativePayment.selector);
        db.purchase{value: 1}(poolId, PRICE, BUYER_KEY);
        assertEq(db.purchaseCount(), 0, "none");
    }

    function testPurchaseFeeOnTransferToken() public {
        uint32 poolId = _createPool(_params(address(fot)));
        _contribute(poolId, alice, "bafyalice");
        _contribute(poolId, bob, "bafybobby");
        fot.mint(buyer, PRICE);
        vm.prank(buyer);
        fot.approve(address(db), PRICE);
        vm.prank(buyer);
        vm.expectRevert(
            abi.encodeWithSelector(
                IDatabank.UnsupportedToken.selector,
                address(fot),
                uint256(PRICE),
                (uint256(PRICE) * 99) / 100
            )
        );
        db.purchase(poolId, PRICE, BUYER_KEY);
        assertEq(fot.balanceOf(buyer), PRICE, "nothing taken");
    }

    function testPurchasePriceAboveMax() public {
        (uint32 poolId, , ) = _ethPoolWithTwo();
        vm.prank(buyer);
        vm.expectRevert(abi.encodeWithSelector(IDatabank.PriceAboveMax.selector, PRICE, PRICE - 1));
        db.purchase{value: PRICE}(poolId, PRICE - 1, BUYER_KEY);
        assertEq(db.purchaseCount(), 0, "none");
    }

    function testPurchasePaused() public {
        (uint32 poolId, , ) = _ethPoolWithTwo();
        vm.prank(curator);
        db.setPaused(poolId, true);
        vm.prank(buyer);
        vm.expectRevert(abi.encodeWithSelector(IDatabank.PoolPaused.selector, poolId));
        db.purchase{value: PRICE}(poolId, PRICE, BUYER_KEY);
        assertEq(db.purchaseCount(), 0, "none");
    }

    function testPurchaseBelowThreshold() public {
        uint32 poolId = _ethPool();
        vm.prank(buyer);
        vm.expectRevert(abi.encodeWithSelector(IDatabank.BelowThreshold.selector, poolId, uint32(0), uint32(2)));
        db.purchase{value: PRICE}(poolId, PRICE, BUYER_KEY);
        _contribute(poolId, alice, "bafyalice");
        vm.prank(buyer);
        vm.expectRevert(abi.encodeWithSelector(IDatabank.BelowThreshold.selector, poolId, uint32(1), uint32(2)));
        db.purchase{value: PRICE}(poolId, PRICE, BUYER_KEY);
        assertEq(db.purchaseCount(), 0, "none");
    }

    function testPurchaseMissingBuyerKey() public {
        (uint32 poolId, , ) = _ethPoolWithTwo();
        vm.prank(buyer);
        vm.expectRevert(IDatabank.MissingBuyerKey.selector);
        db.purchase{value: PRICE}(poolId, PRICE, bytes32(0));
        assertEq(db.purchaseCount(), 0, "none");
    }

    function testPurchaseWithPermit() public {
        uint32 poolId = _createPool(_params(address(usdc)));
        _contribute(poolId, alice, "bafyalice");
        _contribute(poolId, bob, "bafybobby");
        usdc.mint(buyer, PRICE);
        uint256 deadline = block.timestamp + 1 hours;
        bytes32 structHash = keccak256(
            abi.encode(
                keccak256("Permit(address owner,address spender,uint256 value,uint256 nonce,uint256 deadline)"),
                buyer,
                address(db),
                uint256(PRICE),
                usdc.nonces(buyer),
                deadline
            )
        );
        (uint8 v, bytes32 r, bytes32 s) = vm.sign(
            BUYER_PK,
            keccak256(abi.encodePacked("\x19\x01", usdc.DOMAIN_SEPARATOR(), structHash))
        );
        vm.prank(buyer);
        IDatabank.Purchase memory sale = db.purchaseWithPermit(poolId, PRICE, BUYER_KEY, deadline, v, r, s);
        assertEq(sale.amount, PRICE, "amount");
        assertEq(usdc.balanceOf(address(db)), PRICE, "escrowed");
        assertEq(usdc.nonces(buyer), 1, "permit used");
    }

    function testPurchaseWithPermitNativePoolReverts() public {
        (uint32 poolId, , ) = _ethPoolWithTwo();
        vm.prank(buyer);
        vm.expectRevert(abi.encodeWithSelector(IDatabank.InvalidPaymentToken.selector, address(0)));
        db.purchaseWithPermit(poolId, PRICE, BUYER_KEY, block.timestamp, 27, bytes32(0), bytes32(0));
        assertEq(db.purchaseCount(), 0, "none");
    }

    // ================================================================ fulfil

    function testFulfillCreditsExactAmounts() public {
        IDatabank.PoolParams memory p = _params(address(0));
        p.price = 1_000;
        uint32 poolId = _createPool(p);
        uint256 a = _contribute(poolId, alice, "bafyalice");
        uint256 b = _contribute(poolId, bob, "bafybobby");
        uint256 c = _contribute(poolId, carol, "bafycarol");
        vm.prank(buyer);
        IDatabank.Purchase memory sale = db.purchase{value: 1_000}(poolId, 1_000, BUYER_KEY);
        _fulfil(sale, 3);
        // 1000: platform 25, net 975, contributors 682 (70%, rounded down), curator 293; 682 = 3 * 227 + 1.
        assertEq(db.creditOf(treasury, address(0)), 25, "platform");
        assertEq(db.creditOf(curator, address(0)), 293, "curator");
        assertEq(db.pendingEarnings(a), 227, "alice");
        assertEq(db.pendingEarnings(b), 227, "bob");
        assertEq(db.pendingEarnings(c), 227, "carol");
        assertEq(db.getPool(poolId).carry, 1, "carry");
        assertEq(uint256(db.purchaseStatus(sale.id)), uint256(IDatabank.PurchaseStatus.Fulfilled), "fulfilled");
        assertTrue(db.buyerErasure(poolId, buyer).delivered, "delivered");
        // The carry is paid out with the next sale: 682 + 1 = 683 = 3 * 227 + 2.
        vm.prank(buyer);
        sale = db.purchase{value: 1_000}(poolId, 1_000, BUYER_KEY);
        _fulfil(sale, 3);
        assertEq(db.pendingEarnings(a), 454, "alice after two sales");
        assertEq(db.getPool(poolId).carry, 2, "carry after two sales");
        assertEq(address(db).balance, 2 * 25 + 2 * 293 + 3 * 454 + 2, "balance accounted");
    }

    function testFulfillNotCustodian() public {
        (uint32 poolId, , ) = _ethPoolWithTwo();
        IDatabank.Purchase memory sale = _buy(poolId);
        vm.prank(curator);
        vm.expectRevert(abi.encodeWithSelector(IDatabank.NotCustodian.selector, poolId, curator));
        db.fulfill(sale, "bafydelivery", bytes32(0), 2, sale.erasureMark);
        assertEq(uint256(db.purchaseStatus(sale.id)), uint256(IDatabank.PurchaseStatus.Pending), "pending");
    }

    function testFulfillRecordCountMismatch() public {
        (uint32 poolId, , ) = _ethPoolWithTwo();
        IDatabank.Purchase memory sale = _buy(poolId);
        vm.prank(custodian);
        vm.expectRevert(abi.encodeWithSelector(IDatabank.RecordCountMismatch.selector, uint32(3), uint32(2)));
        db.fulfill(sale, "bafydelivery", bytes32(0), 3, sale.erasureMark);
        assertEq(uint256(db.purchaseStatus(sale.id)), uint256(IDatabank.PurchaseStatus.Pending), "pending");
    }

    /// @notice The delivered set must be taken after the purchase and not in the future: a
    /// custodian cannot pass off an older, larger set (records revoked before the sale).
    function testFulfillStaleDeliverySet() public {
        uint32 poolId = _ethPool();
        _contribute(poolId, alice, "bafyalice");
        _contribute(poolId, bob, "bafybobby");
        uint256 c = _contribute(poolId, carol, "bafycarol");
        vm.prank(carol);
        db.revokeConsent(c);
        IDatabank.Purchase memory sale = _buy(poolId);
        assertEq(sale.erasureMark, 1, "mark");
        vm.startPrank(custodian);
        vm.expectRevert(abi.encodeWithSelector(IDatabank.StaleDeliverySet.selector, uint32(0), uint32(1), uint32(1)));
        db.fulfill(sale, "bafydelivery", bytes32(0), 3, 0);
        vm.expectRevert(abi.encodeWithSelector(IDatabank.StaleDeliverySet.selector, uint32(2), uint32(1), uint32(1)));
        db.fulfill(sale, "bafydelivery", bytes32(0), 1, 2);
        db.fulfill(sale, "bafydelivery", bytes32(0), 2, 1);
        vm.stopPrank();
    }

    function testFulfillEmptyDelivery() public {
        (uint32 poolId, , ) = _ethPoolWithTwo();
        IDatabank.Purchase memory sale = _buy(poolId);
        vm.prank(custodian);
        vm.expectRevert(IDatabank.EmptyDelivery.selector);
        db.fulfill(sale, "", bytes32(0), 2, sale.erasureMark);
        assertEq(uint256(db.purchaseStatus(sale.id)), uint256(IDatabank.PurchaseStatus.Pending), "pending");
    }

    function testFulfillOverdue() public {
        (uint32 poolId, , ) = _ethPoolWithTwo();
        IDatabank.Purchase memory sale = _buy(poolId);
        vm.warp(uint256(sale.deadline) + 1);
        vm.prank(custodian);
        vm.expectRevert(abi.encodeWithSelector(IDatabank.DeliveryOverdue.selector, sale.id, sale.deadline));
        db.fulfill(sale, "bafydelivery", bytes32(0), 2, sale.erasureMark);
        assertEq(uint256(db.purchaseStatus(sale.id)), uint256(IDatabank.PurchaseStatus.Pending), "pending");
    }

    function testFulfillTamperedPurchase() public {
        (uint32 poolId, , ) = _ethPoolWithTwo();
        IDatabank.Purchase memory sale = _buy(poolId);
        sale.amount = PRICE * 2;
        vm.prank(custodian);
        vm.expectRevert(abi.encodeWithSelector(IDatabank.UnknownPurchase.selector, sale.id));
        db.fulfill(sale, "bafydelivery", bytes32(0), 2, sale.erasureMark);
        sale.amount = PRICE;
        sale.buyer = stranger;
        vm.prank(custodian);
        vm.expectRevert(abi.encodeWithSelector(IDatabank.UnknownPurchase.selector, sale.id));
        db.fulfill(sale, "bafydelivery", bytes32(0), 2, sale.erasureMark);
        assertEq(uint256(db.purchaseStatus(sale.id)), uint256(IDatabank.PurchaseStatus.Pending), "pending");
    }

    function testFulfillTwice() public {
        (uint32 poolId, , ) = _ethPoolWithTwo();
        IDatabank.Purchase memory sale = _buy(poolId);
        _fulfil(sale, 2);
        vm.prank(custodian);
        vm.expectRevert(
            abi.encodeWithSelector(IDatabank.PurchaseSettled.selector, sale.id, IDatabank.PurchaseStatus.Fulfilled)
        );
        db.fulfill(sale, "bafydelivery", bytes32(0), 2, sale.erasureMark);
        vm.expectRevert(
            abi.encodeWithSelector(IDatabank.PurchaseSettled.selector, sale.id, IDatabank.PurchaseStatus.Fulfilled)
        );
        db.refund(sale);
        (, uint256 cur, ) = _split(PRICE);
        assertEq(db.creditOf(curator, address(0)), cur, "credited once");
    }

    // ================================================================ refunds

    function testRefundNotYetAvailable() public {
        (uint32 poolId, , ) = _ethPoolWithTwo();
        IDatabank.Purchase memory sale = _buy(poolId);
        vm.warp(sale.deadline);
        vm.expectRevert(abi.encodeWithSelector(IDatabank.RefundNotYetAvailable.selector, sale.id, sale.deadline));
        db.refund(sale);
        assertEq(address(db).balance, PRICE, "still escrowed");
    }

    function testRefundAfterDeadline() public {
        (uint32 poolId, , ) = _ethPoolWithTwo();
        uint256 before = buyer.balance;
        IDatabank.Purchase memory sale = _buy(poolId);
        vm.warp(uint256(sale.deadline) + 1);
        vm.prank(stranger);
        db.refund(sale);
        assertEq(buyer.balance, before, "full refund to the buyer");
        assertEq(address(db).balance, 0, "escrow empty");
        assertEq(uint256(db.purchaseStatus(sale.id)), uint256(IDatabank.PurchaseStatus.Refunded), "refunded");
        vm.prank(custodian);
        vm.expectRevert(
            abi.encodeWithSelector(IDatabank.PurchaseSettled.selector, sale.id, IDatabank.PurchaseStatus.Refunded)
        );
        db.fulfill(sale, "bafydelivery", bytes32(0), 2, sale.erasureMark);
    }

    function testRefundErc20() public {
        uint32 poolId = _createPool(_params(address(usdc)));
        _contribute(poolId, alice, "bafyalice");
        _contribute(poolId, bob, "bafybobby");
        usdc.mint(buyer, PRICE);
        vm.startPrank(buyer);
        usdc.approve(address(db), PRICE);
        IDatabank.Purchase memory sale = db.purchase(poolId, PRICE, BUYER_KEY);
        vm.stopPrank();
        vm.warp(uint256(sale.deadline) + 1);
        db.refund(sale);
        assertEq(usdc.balanceOf(buyer), PRICE, "refunded");
    }

    /// @notice The race of issue "No trust gaps": a buyer holding a contribution in a pool at its
    /// threshold revokes it while the delivery is in flight. The delivery still lands (the set was
    /// taken before the revocation), the buyer cannot refund, and it owes the record's erasure.
    function testBuyerRevocationRacingDeliveryCannotRefund() public {
        uint32 poolId = _ethPool();
        uint256 a = _contribute(poolId, alice, "bafyalice");
        uint256 own = _contribute(poolId, buyer, "bafybuyer");
        IDatabank.Purchase memory sale = _buy(poolId);
        uint32 seen = db.getPool(poolId).erasureCount; // the custodian takes the set
        vm.prank(buyer);
        db.revokeConsent(own); // the pool is now below its threshold
        vm.prank(stranger);
        vm.expectRevert(abi.encodeWithSelector(IDatabank.RefundNotYetAvailable.selector, sale.id, sale.deadline));
        db.refund(sale);
        vm.prank(buyer);
        vm.expectRevert(abi.encodeWithSelector(IDatabank.RefundNotYetAvailable.selector, sale.id, sale.deadline));
        db.refund(sale);
        vm.prank(custodian);
        db.fulfill(sale, "bafydelivery", bytes32(0), 2, seen);
        assertEq(uint256(db.purchaseStatus(sale.id)), uint256(IDatabank.PurchaseStatus.Fulfilled), "delivered, paid");
        assertEq(db.erasuresOwed(poolId, buyer), 1, "owes the erasure of its own revoked record");
        (, , uint256 contributors) = _split(PRICE);
        assertEq(db.pendingEarnings(a), contributors, "the one still active earns the share");
        vm.expectRevert(
            abi.encodeWithSelector(IDatabank.PurchaseSettled.selector, sale.id, IDatabank.PurchaseStatus.Fulfilled)
        );
        db.refund(sale);
    }

    /// @notice Anyone retiring an expired consent during a delivery does not make it fail either.
    function testRetireExpiredRacingDelivery() public {
        uint32 poolId = _ethPool();
        _contribute(poolId, alice, "bafyalice");
        vm.prank(bob);
        uint256 b = db.submitContribution(poolId, "bafybobby", uint40(START + 2 hours), 1);
        vm.prank(custodian);
        db.acceptContribution(b);
        IDatabank.Purchase memory sale = _buy(poolId);
        vm.warp(START + 2 hours);
        vm.prank(stranger);
        db.retireExpired(b);
        vm.prank(custodian);
        db.fulfill(sale, "bafydelivery", bytes32(0), 2, sale.erasureMark);
        assertEq(db.erasuresOwed(poolId, buyer), 1, "retired record owed");
    }

    /// @notice If every delivered record's consent ended before the delivery landed, there is no
    /// one to pay: the delivery is refused and the buyer is refunded after the deadline.
    function testFulfilWithNoActiveContribution() public {
        (uint32 poolId, uint256 a, uint256 b) = _ethPoolWithTwo();
        IDatabank.Purchase memory sale = _buy(poolId);
        vm.prank(alice);
        db.revokeConsent(a);
        vm.prank(bob);
        db.revokeConsent(b);
        vm.prank(custodian);
        vm.expectRevert(abi.encodeWithSelector(IDatabank.NoActiveContributions.selector, poolId));
        db.fulfill(sale, "bafydelivery", bytes32(0), 2, sale.erasureMark);
        vm.warp(uint256(sale.deadline) + 1);
        db.refund(sale);
        assertEq(uint256(db.purchaseStatus(sale.id)), uint256(IDatabank.PurchaseStatus.Refunded), "refunded");
    }

    // ================================================================ revocation

    function testRevokeBetweenPurchaseAndFulfil() public {
        uint32 poolId = _ethPool();
        uint256 a = _contribute(poolId, alice, "bafyalice");
        uint256 b = _contribute(poolId, bob, "bafybobby");
        uint256 c = _contribute(poolId, carol, "bafycarol");
        IDatabank.Purchase memory sale = _buy(poolId);
        vm.prank(carol);
        db.revokeConsent(c);
        // Taken after the revocation, the set is the two left; taken before, the three.
        vm.prank(custodian);
        vm.expectRevert(abi.encodeWithSelector(IDatabank.RecordCountMismatch.selector, uint32(3), uint32(2)));
        db.fulfill(sale, "bafydelivery", bytes32(0), 3, 1);
        _fulfil(sale, 2);
        (, , uint256 contributors) = _split(PRICE);
        assertEq(db.pendingEarnings(a), contributors / 2, "alice");
        assertEq(db.pendingEarnings(b), contributors / 2, "bob");
        assertEq(db.pendingEarnings(c), 0, "carol earns nothing");
        assertEq(db.creditOf(carol, address(0)), 0, "carol credited nothing");
        vm.prank(carol);
        vm.expectRevert(abi.encodeWithSelector(IDatabank.NothingToClaim.selector, carol, address(0)));
        db.claim(address(0), new uint256[](0));
    }

    function testRevokeKeepsEarnings() public {
        (uint32 poolId, uint256 a, ) = _ethPoolWithTwo();
        _fulfil(_buy(poolId), 2);
        (, , uint256 contributors) = _split(PRICE);
        uint256 per = contributors / 2;
        vm.prank(alice);
        db.revokeConsent(a);
        assertEq(db.creditOf(alice, address(0)), per, "earnings credited");
        assertEq(db.pendingEarnings(a), 0, "nothing pending");
        assertEq(uint256(db.consentOf(a).status), uint256(IConsentToken.ContributionStatus.Revoked), "revoked");
        assertEq(db.getPool(poolId).recordsActive, 1, "one left");
        assertEq(db.getPool(poolId).erasureCount, 1, "erasure requested");
        uint256 before = alice.balance;
        vm.prank(alice);
        uint256 paid = db.claim(address(0), new uint256[](0));
        assertEq(paid, per, "claimed");
        assertEq(alice.balance - before, per, "paid out");
    }

    function testRevokeReverts() public {
        (, uint256 a, ) = _ethPoolWithTwo();
        vm.prank(bob);
        vm.expectRevert(abi.encodeWithSelector(IDatabank.NotContributor.selector, a, bob));
        db.revokeConsent(a);
        vm.prank(alice);
        db.revokeConsent(a);
        vm.prank(alice);
        vm.expectRevert(
            abi.encodeWithSelector(
                IDatabank.InvalidContributionState.selector,
                a,
                IConsentToken.ContributionStatus.Revoked
            )
        );
        db.revokeConsent(a);
        assertEq(db.balanceOf(alice), 0, "token burned");
    }

    function testRetireExpired() public {
        uint32 poolId = _ethPool();
        uint40 expiry = uint40(START + 10 days);
        vm.prank(alice);
        uint256 id = db.submitContribution(poolId, "bafyalice", expiry, 1);
        vm.prank(custodian);
        db.acceptContribution(id);
        vm.expectRevert(abi.encodeWithSelector(IDatabank.ConsentNotExpired.selector, id, expiry));
        db.retireExpired(id);
        uint256 forever = _contribute(poolId, bob, "bafybobby");
        vm.warp(uint256(expiry));
        vm.prank(stranger);
        db.retireExpired(id);
        assertEq(uint256(db.consentOf(id).status), uint256(IConsentToken.ContributionStatus.Revoked), "retired");
        assertEq(db.getPool(poolId).recordsActive, 1, "one left");
        vm.warp(uint256(expiry) + 1000 days);
        vm.expectRevert(abi.encodeWithSelector(IDatabank.ConsentNotExpired.selector, forever, uint40(0)));
        db.retireExpired(forever);
    }

    // ================================================================ erasure

    function testAttestErasure() public {
        uint32 poolId = _ethPool();
        uint256 a = _contribute(poolId, alice, "bafyalice");
        _contribute(poolId, bob, "bafybobby");
        _contribute(poolId, carol, "bafycarol");
        assertEq(db.erasuresOwed(poolId, buyer), 0, "nothing before delivery");
        _fulfil(_buy(poolId), 3);
        vm.prank(alice);
        db.revokeConsent(a);
        assertEq(db.erasuresOwed(poolId, buyer), 1, "owes one erasure");
        vm.prank(buyer);
        vm.expectRevert(
            abi.encodeWithSelector(IDatabank.InvalidErasureIndex.selector, uint32(2), uint32(0), uint32(1))
        );
        db.attestErasure(poolId, 2);
        vm.prank(buyer);
        db.attestErasure(poolId, 1);
        assertEq(db.erasuresOwed(poolId, buyer), 0, "attested");
        assertEq(db.buyerErasure(poolId, buyer).attestedUpTo, 1, "attested up to 1");
        vm.prank(buyer);
        vm.expectRevert(
            abi.encodeWithSelector(IDatabank.InvalidErasureIndex.selector, uint32(1), uint32(1), uint32(1))
        );
        db.attestErasure(poolId, 1);
        vm.prank(stranger);
        vm.expectRevert(
            abi.encodeWithSelector(IDatabank.InvalidErasureIndex.selector, uint32(1), uint32(0), uint32(1))
        );
        db.attestErasure(poolId, 1);
    }

    function testLaterBuyerOwesOnlyLaterErasures() public {
        uint32 poolId = _ethPool();
        uint256 a = _contribute(poolId, alice, "bafyalice");
        uint256 b = _contribute(poolId, bob, "bafybobby");
        _contribute(poolId, carol, "bafycarol");
        vm.prank(alice);
        db.revokeConsent(a);
        _fulfil(_buy(poolId), 2);
        assertEq(db.erasuresOwed(poolId, buyer), 0, "earlier revocation not owed");
        assertEq(db.buyerErasure(poolId, buyer).owedFrom, 1, "owed from index 1");
        vm.prank(bob);
        db.revokeConsent(b);
        assertEq(db.erasuresOwed(poolId, buyer), 1, "later revocation owed");
    }

    // ================================================================ claims

    function testClaimExactAmounts() public {
        (uint32 poolId, uint256 a, uint256 b) = _ethPoolWithTwo();
        _fulfil(_buy(poolId), 2);
        _fulfil(_buy(poolId), 2);
        (uint256 platform, uint256 cur, uint256 contributors) = _split(PRICE);
        uint256[] memory ids = new uint256[](1);
        ids[0] = a;
        uint256 before = alice.balance;
        vm.prank(alice);
        uint256 paid = db.claim(address(0), ids);
        assertEq(paid, contributors, "alice: two sales, half each");
        assertEq(alice.balance - before, contributors, "alice paid");
        assertEq(db.pendingEarnings(a), 0, "alice settled");
        assertEq(db.pendingEarnings(b), contributors, "bob untouched");
        vm.prank(curator);
        assertEq(db.claim(address(0), new uint256[](0)), 2 * cur, "curator");
        vm.prank(treasury);
        assertEq(db.claim(address(0), new uint256[](0)), 2 * platform, "treasury");
        ids[0] = b;
        vm.prank(bob);
        assertEq(db.claim(address(0), ids), contributors, "bob");
        assertEq(address(db).balance, 0, "all paid out");
    }

    function testClaimErc20() public {
        uint32 poolId = _createPool(_params(address(usdc)));
        uint256 a = _contribute(poolId, alice, "bafyalice");
        _contribute(poolId, bob, "bafybobby");
        usdc.mint(buyer, PRICE);
        vm.startPrank(buyer);
        usdc.approve(address(db), PRICE);
        IDatabank.Purchase memory sale = db.purchase(poolId, PRICE, BUYER_KEY);
        vm.stopPrank();
        _fulfil(sale, 2);
        (, , uint256 contributors) = _split(PRICE);
        uint256[] memory ids = new uint256[](1);
        ids[0] = a;
        vm.prank(alice);
        db.claim(address(usdc), ids);
        assertEq(usdc.balanceOf(alice), contributors / 2, "alice paid in tokens");
    }

    function testClaimNothing() public {
        vm.prank(alice);
        vm.expectRevert(abi.encodeWithSelector(IDatabank.NothingToClaim.selector, alice, address(0)));
        db.claim(address(0), new uint256[](0));
        (, uint256 a, ) = _ethPoolWithTwo();
        uint256[] memory ids = new uint256[](1);
        ids[0] = a;
        vm.prank(alice);
        vm.expectRevert(abi.encodeWithSelector(IDatabank.NothingToClaim.selector, alice, address(0)));
        db.claim(address(0), ids);
        assertEq(alice.balance, 0, "nothing paid");
    }

    function testClaimTokenMismatch() public {
        (uint32 poolId, uint256 a, ) = _ethPoolWithTwo();
        _fulfil(_buy(poolId), 2);
        uint256[] memory ids = new uint256[](1);
        ids[0] = a;
        vm.prank(alice);
        vm.expectRevert(abi.encodeWithSelector(IDatabank.TokenMismatch.selector, a, address(0), address(usdc)));
        db.claim(address(usdc), ids);
        assertTrue(db.pendingEarnings(a) > 0, "earnings kept");
    }

    function testClaimNotContributor() public {
        (uint32 poolId, uint256 a, ) = _ethPoolWithTwo();
        _fulfil(_buy(poolId), 2);
        uint256[] memory ids = new uint256[](1);
        ids[0] = a;
        vm.prank(bob);
        vm.expectRevert(abi.encodeWithSelector(IDatabank.NotContributor.selector, a, bob));
        db.claim(address(0), ids);
        assertTrue(db.pendingEarnings(a) > 0, "earnings kept");
    }

    // ================================================================ caps

    function testPoolFull() public {
        IDatabank.PoolParams memory p = _params(address(0));
        p.maxContributors = 2;
        uint32 poolId = _createPool(p);
        _contribute(poolId, alice, "bafyalice");
        _contribute(poolId, bob, "bafybobby");
        vm.prank(carol);
        uint256 id = db.submitContribution(poolId, "bafycarol", 0, 1);
        vm.prank(custodian);
        vm.expectRevert(abi.encodeWithSelector(IDatabank.PoolFull.selector, poolId, uint32(2)));
        db.acceptContribution(id);
        IDatabank.ConsentRequest memory req = _request(carol, poolId, "bafycarolb");
        bytes memory sig = _signConsent(CAROL_PK, req);
        vm.prank(custodian);
        vm.expectRevert(abi.encodeWithSelector(IDatabank.PoolFull.selector, poolId, uint32(2)));
        db.contributeWithSignature(req, sig);
        assertEq(db.getPool(poolId).recordsActive, 2, "capped");
    }

    // ================================================================ ownership and renderer

    function testSetReceiptRenderer() public {
        ConsentReceiptRenderer next = new ConsentReceiptRenderer();
        vm.prank(owner);
        db.setReceiptRenderer(next);
        assertEq(address(db.receiptRenderer()), address(next), "renderer replaced");
        vm.prank(owner);
        vm.expectRevert(abi.encodeWithSelector(IConsentToken.InvalidReceiptRenderer.selector, stranger));
        db.setReceiptRenderer(ConsentReceiptRenderer(stranger));
        vm.prank(stranger);
        vm.expectRevert(abi.encodeWithSelector(Ownable.OwnableUnauthorizedAccount.selector, stranger));
        db.setReceiptRenderer(next);
    }

    function testSetTreasuryOnlyOwner() public {
        vm.prank(stranger);
        vm.expectRevert(abi.encodeWithSelector(Ownable.OwnableUnauthorizedAccount.selector, stranger));
        db.setTreasury(stranger);
        assertEq(db.treasury(), treasury, "treasury unchanged");
    }

    function testTwoStepOwnershipTransfer() public {
        vm.prank(owner);
        db.transferOwnership(stranger);
        assertEq(db.owner(), owner, "owner until accepted");
        assertEq(db.pendingOwner(), stranger, "pending owner");
        vm.prank(stranger);
        db.acceptOwnership();
        assertEq(db.owner(), stranger, "new owner");
    }

    function testViewsOfUnknownThings() public {
        assertEq(uint256(db.purchaseStatus(42)), uint256(IDatabank.PurchaseStatus.None), "no purchase");
        assertEq(db.pendingEarnings(42), 0, "no earnings");
        assertEq(db.erasuresOwed(1, buyer), 0, "no erasures");
        vm.expectRevert(abi.encodeWithSelector(IDatabank.UnknownPool.selector, uint32(9)));
        db.poolDocuments(9);
    }

    function _manualDomain() internal view returns (bytes32) {
        return
            keccak256(
                abi.encode(
                    keccak256("EIP712Domain(string name,string version,uint256 chainId,address verifyingContract)"),
                    keccak256("Databank"),
                    keccak256("1"),
                    block.chainid,
                    address(db)
                )
            );
    }

    // ================================================================ fuzz

    /// @notice Any sale to any number of contributors is fully credited: platform + curator +
    /// every contribution's earnings + carry == price, and each contribution gets the same.
    /// hardhat-config: fuzz.runs = 64
    function testFuzz_FulfilCreditsWholePrice(uint96 price, uint8 contributors, uint16 shareBps) public {
        price = uint96(bound(price, 0, 1_000 ether));
        uint256 n = bound(contributors, 1, 12);
        IDatabank.PoolParams memory p = _params(address(0));
        p.price = price;
        p.minContributors = 1;
        p.contributorShareBps = uint16(bound(shareBps, 0, 10_000));
        uint32 poolId = _createPool(p);
        uint256[] memory ids = new uint256[](n);
        for (uint256 i = 0; i < n; ++i) {
            ids[i] = _contribute(
                poolId,
                address(uint160(0x1000 + i)),
                string.concat("bafyrecord", string(abi.encodePacked(bytes1(uint8(97 + i)))))
            );
        }
        vm.deal(buyer, price);
        vm.prank(buyer);
        IDatabank.Purchase memory sale = db.purchase{value: price}(poolId, price, BUYER_KEY);
        _fulfil(sale, uint32(n));
        uint256 per = db.pendingEarnings(ids[0]);
        for (uint256 i = 1; i < n; ++i) {
            assertEq(db.pendingEarnings(ids[i]), per, "equal shares");
        }
        uint256 total =
            db.creditOf(treasury, address(0)) + db.creditOf(curator, address(0)) + per * n + db.getPool(poolId).carry;
        assertEq(total, price, "whole price credited");
        assertLe(db.creditOf(treasury, address(0)), (uint256(price) * FEE_BPS) / 10_000, "fee bounded");
        assertEq(address(db).balance, price, "held");
    }
}
