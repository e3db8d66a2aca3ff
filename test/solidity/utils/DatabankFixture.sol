// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {Databank} from "../../../contracts/Databank.sol";
import {ConsentReceiptRenderer} from "../../../contracts/ConsentReceiptRenderer.sol";
import {IDatabank} from "../../../contracts/interfaces/IDatabank.sol";
import {TestBase} from "./TestBase.sol";

/// @title Shared setup of the Databank product tests
/// @notice A fresh Databank, named actors, and one-line helpers to open pools selling either or
/// both products, join them with any scope, and buy, fulfil and answer sales. Pools are paid in the
/// native coin and have a threshold of 1 unless a test says otherwise.
/// @dev Databank's external libraries (QuerySales, ContributionShares, ...) are linked: the test
/// runner deploys them from `artifacts/`, which `hardhat test solidity <file>` does not rebuild. After
/// changing a library, run `npx hardhat build` (or the whole suite) before a single file, or the file
/// runs against the old library and may pass when it should fail.
abstract contract DatabankFixture is TestBase {
    /// @dev Consent scopes and pool products (ConsentScope's bits, spelled out so that a change
    /// in the library is caught by the tests rather than followed by them).
    uint8 internal constant RECORDS = 1;
    uint8 internal constant STATISTICS = 2;
    uint8 internal constant BOTH = 3;

    uint16 internal constant FEE_BPS = 250;
    uint16 internal constant SHARE_BPS = 7_000;
    uint96 internal constant PRICE = 1_000_000;
    /// @dev Odd, so query splits round and leave a carry.
    uint96 internal constant QUERY_PRICE = 2_000_003;
    uint32 internal constant WINDOW = 1 days;
    /// @dev ε = 3 for the pool's life, at most ε = 1 per query.
    uint32 internal constant BUDGET = 3_000_000;
    uint32 internal constant MAX_EPSILON = 1_000_000;
    bytes32 internal constant BUYER_KEY = keccak256("buyer x25519 key");
    // solhint-disable-next-line quotes
    bytes32 internal constant QUERY_DIGEST = keccak256('{"aggregates":[{"count":true}]}');
    string internal constant QUERY_CID = "bafyquerydocument";
    string internal constant ANSWER_CID = "bafyanswer";
    uint256 internal constant START = 1_700_000_000;

    Databank internal db;
    ConsentReceiptRenderer internal renderer;

    address internal owner = _named("owner");
    address internal treasury = _named("treasury");
    address internal curator = _named("curator");
    address internal custodian = _named("custodian");
    address internal stranger = _named("stranger");
    address internal buyer = _named("buyer");
    address internal alice = _named("alice");
    address internal bob = _named("bob");
    address internal carol = _named("carol");

    function setUp() public virtual {
        vm.warp(START);
        renderer = new ConsentReceiptRenderer();
        db = new Databank(owner, treasury, FEE_BPS, renderer);
        vm.deal(buyer, 1_000 ether);
        vm.deal(stranger, 1_000 ether);
        vm.deal(curator, 1_000 ether);
    }

    // ---------------------------------------------------------------- pools

    /// @dev Valid parameters for a pool selling `products`; the record price is set only when it
    /// sells records, the query fields only when it sells queries.
    function _params(uint8 products) internal view returns (IDatabank.PoolParams memory p) {
        bool queries = products & STATISTICS != 0;
        p = IDatabank.PoolParams({
            paymentToken: address(0),
            price: products & RECORDS != 0 ? PRICE : 0,
            contributorShareBps: SHARE_BPS,
            minContributors: 1,
            maxContributors: 0,
            bountyPerContribution: 0,
            deliveryWindow: WINDOW,
            purposes: 1,
            custodian: custodian,
            custodianKey: keccak256("custodian x25519 key"),
            schemaCid: "bafyschema",
            termsCid: "bafyterms",
            products: products,
            queryPrice: queries ? QUERY_PRICE : 0,
            epsilonBudget: queries ? BUDGET : 0,
            maxEpsilonPerQuery: queries ? MAX_EPSILON : 0
        });
    }

    function _createPool(IDatabank.PoolParams memory p) internal returns (uint32 poolId) {
        vm.prank(curator);
        poolId = db.createPool(p);
    }

    function _pool(uint8 products) internal returns (uint32) {
        return _createPool(_params(products));
    }

    // ---------------------------------------------------------------- contributions

    /// @dev `who` submits `cid` with `scope` and the custodian accepts it.
    function _contribute(uint32 poolId, address who, string memory cid, uint8 scope) internal returns (uint256 id) {
        vm.prank(who);
        id = db.submitContribution(poolId, cid, 0, scope);
        vm.prank(custodian);
        db.acceptContribution(id);
    }

    /// @dev A fresh contributor, one per `n`.
    function _contributor(uint256 n) internal pure returns (address) {
        return address(uint160(uint256(keccak256(abi.encode("contributor", n)))));
    }

    /// @dev The `n`th canonical data CID (CIDv1 base32 letters only).
    function _cid(uint256 n) internal pure returns (string memory out) {
        out = "";
        do {
            out = string.concat(string(abi.encodePacked(bytes1(uint8(97 + (n % 26))))), out);
            n /= 26;
        } while (n != 0);
        out = string.concat("bafyrecord", out);
    }

    /// @dev Contributor `n` joins with data CID `n` and `scope`.
    function _join(uint32 poolId, uint256 n, uint8 scope) internal returns (uint256) {
        return _contribute(poolId, _contributor(n), _cid(n), scope);
    }

    function _revoke(uint256 id) internal {
        vm.prank(db.ownerOf(id));
        db.revokeConsent(id);
    }

    // ---------------------------------------------------------------- sales

    function _buyRecords(uint32 poolId) internal returns (IDatabank.Purchase memory sale) {
        uint96 price = db.getPool(poolId).price;
        vm.prank(buyer);
        sale = db.purchase{value: price}(poolId, price, BUYER_KEY);
    }

    function _buyQuery(uint32 poolId, uint32 epsilon) internal returns (IDatabank.Purchase memory) {
        return _buyQueryAs(buyer, poolId, epsilon);
    }

    function _buyQueryAs(address who, uint32 poolId, uint32 epsilon) internal returns (IDatabank.Purchase memory sale) {
        uint96 price = db.getPool(poolId).queryPrice;
        vm.prank(who);
        sale = db.purchaseQuery{value: price}(poolId, price, BUYER_KEY, epsilon, QUERY_CID, QUERY_DIGEST);
    }

    /// @dev The custodian delivers a record sale with the set taken now.
    function _fulfilRecords(IDatabank.Purchase memory sale) internal {
        IDatabank.Pool memory pool = db.getPool(sale.poolId);
        vm.prank(custodian);
        db.fulfill(sale, "bafydelivery", keccak256("records root"), pool.recordsActive, pool.erasureCount);
    }

    /// @dev The custodian answers a query with the set taken now, spending `spent`.
    function _answer(IDatabank.Purchase memory sale, uint32 spent) internal {
        IDatabank.Pool memory pool = db.getPool(sale.poolId);
        vm.prank(custodian);
        db.fulfillQuery(
            sale,
            ANSWER_CID,
            keccak256("records root"),
            pool.statisticsActive,
            pool.statisticsEnded,
            spent
        );
    }

    /// @dev The answer of a query that no longer fits reverts, naming what is left and what it spent.
    function _expectAnswerExhausted(IDatabank.Purchase memory sale, uint32 remaining, uint32 spent) internal {
        IDatabank.Pool memory pool = db.getPool(sale.poolId);
        vm.prank(custodian);
        vm.expectRevert(
            abi.encodeWithSelector(IDatabank.PrivacyBudgetExhausted.selector, sale.poolId, remaining, spent)
        );
        db.fulfillQuery(sale, ANSWER_CID, bytes32(0), pool.statisticsActive, pool.statisticsEnded, spent);
    }

    /// @dev A copy of a purchase to tamper with (assigning a memory struct only copies a reference).
    function _copy(IDatabank.Purchase memory sale) internal pure returns (IDatabank.Purchase memory) {
        return abi.decode(abi.encode(sale), (IDatabank.Purchase));
    }

    // ---------------------------------------------------------------- arithmetic

    /// @dev The platform's, curator's and contributors' parts of a sale of `amount`.
    function _split(uint256 amount) internal pure returns (uint256 platform, uint256 cur, uint256 contributors) {
        platform = (amount * FEE_BPS) / 10_000;
        contributors = ((amount - platform) * SHARE_BPS) / 10_000;
        cur = amount - platform - contributors;
    }

    function _contributorsPart(uint256 amount) internal pure returns (uint256 contributors) {
        (, , contributors) = _split(amount);
    }

    function _named(string memory name) private pure returns (address) {
        return address(uint160(uint256(keccak256(bytes(name)))));
    }
}
