// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {IConsentToken} from "./IConsentToken.sol";

/// @title Databank personal-data marketplace
/// @notice Curators open pools asking for data; contributors join them with encrypted data and an
/// on-chain consent; buyers pay for access; a custodian delivers the data keys and the payment is
/// split between the platform, the curator and every active contribution in constant gas.
/// A pool sells up to two products. A record sale delivers a copy of every record whose consent
/// allows records. A query buys a differentially private answer computed by the custodian over
/// every record whose consent allows statistics, and spends part of the pool's public privacy
/// budget (ε, counted in millionths: `ConsentScope.EPSILON_UNIT`). Each product pays exactly the
/// contributions it used, through one accumulator per product.
interface IDatabank is IConsentToken {
    // ---------------------------------------------------------------- types

    /// @notice Parameters a curator chooses when opening a pool.
    /// @param paymentToken ERC-20 token buyers pay with, or address(0) for the native coin.
    /// @param price Price of one record sale (one delivery of every active record that allows records),
    /// when the pool sells records (else 0).
    /// @param contributorShareBps Share of the net sale (after the platform fee) credited to the
    /// contributions, in basis points; the curator receives the rest.
    /// @param minContributors Minimum active contributions before any sale (k-anonymity threshold), >= 1.
    /// @param maxContributors Cap on active contributions, 0 for no cap.
    /// @param bountyPerContribution Credit paid from the curator's bounty budget to each accepted contribution.
    /// @param deliveryWindow Seconds the custodian has to deliver a purchase before the buyer may take a refund.
    /// @param purposes Bitmask of processing purposes the contributor consents to (see ConsentReceipt).
    /// @param custodian The data bank node that checks contributions and delivers data keys.
    /// @param custodianKey The custodian's X25519 public key; contributors wrap their data keys to it.
    /// @param schemaCid IPFS CID of the JSON Schema records must match.
    /// @param termsCid IPFS CID of the consent terms in full.
    /// @param products The products sold, a non-empty combination of `ConsentScope.RECORDS` (record
    /// sales) and `ConsentScope.STATISTICS` (queries); contributions may allow only these.
    /// @param queryPrice Price of one query, when the pool sells queries (else 0).
    /// @param epsilonBudget Total privacy loss (ε, in millionths) all queries together may ever
    /// spend; fixed for life. 0 when the pool sells no queries.
    /// @param maxEpsilonPerQuery Most ε (in millionths) one query may spend, at most `epsilonBudget`.
    struct PoolParams {
        address paymentToken;
        uint96 price;
        uint16 contributorShareBps;
        uint32 minContributors;
        uint32 maxContributors;
        uint96 bountyPerContribution;
        uint32 deliveryWindow;
        uint32 purposes;
        address custodian;
        bytes32 custodianKey;
        string schemaCid;
        string termsCid;
        uint8 products;
        uint96 queryPrice;
        uint32 epsilonBudget;
        uint32 maxEpsilonPerQuery;
    }

    /// @notice A pool as stored, packed so that each operation touches as few slots as possible.
    /// `bountyBudget` is what bounties can still be paid from, net of `bountyReserved`, the bounties
    /// set aside for pending submissions. `curatorBounty` is what the curator funded and bounties
    /// have not used yet (third-party funding is spent first); the curator may withdraw at most
    /// the smaller of it and `bountyBudget`.
    /// Record sales: `recordsActive` counts the active contributions that allow records, and
    /// `rewardPerContribution` and `carry` are their accumulator. `erasureCount` counts every such
    /// consent that ended (revoked or retired), so it also numbers erasure requests.
    /// Queries: `statisticsActive` counts the active contributions that allow statistics (of which
    /// `statisticsOnlyActive` allow nothing else), `statisticsEnded` those that ended, and
    /// `statisticsRewardPerContribution` and `statisticsCarry` are their accumulator. The privacy
    /// budget: `epsilonSpent` by answered queries never exceeds `epsilonBudget`.
    /// The pool's active contributions are `recordsActive + statisticsOnlyActive`.
    struct Pool {
        // slot 0: read by record sales, accept and revoke
        address custodian;
        uint32 recordsActive;
        uint32 minContributors;
        uint32 erasureCount;
        // slot 1
        address paymentToken;
        uint16 contributorShareBps;
        uint16 platformFeeBps;
        uint32 deliveryWindow;
        bool paused;
        // slot 2
        address curator;
        uint96 price;
        // slot 3: the only pool slot a record sale writes
        uint104 rewardPerContribution;
        uint32 carry;
        uint96 bountyPerContribution;
        // slot 4 (purposes fit in 5 bits, see ConsentReceipt)
        uint96 bountyBudget;
        uint96 curatorBounty;
        uint32 maxContributors;
        uint24 purposes;
        uint8 products;
        // slot 5, 6
        bytes32 custodianKey;
        bytes32 termsDigest;
        // slot 7: read by queries and by statistics-scoped joins and ends
        uint96 queryPrice;
        uint32 statisticsActive;
        uint32 statisticsEnded;
        uint32 maxEpsilonPerQuery;
        uint32 epsilonBudget;
        uint32 statisticsOnlyActive;
        // slot 8: the only pool slot a query writes
        uint104 statisticsRewardPerContribution;
        uint32 statisticsCarry;
        uint32 epsilonSpent;
        // slot 9: written only by direct submissions with a bounty, and their accept or reject
        uint96 bountyReserved;
    }

    /// @notice What a purchase buys.
    enum Product {
        Records,
        Query
    }

    /// @notice A purchase held in escrow. Only its digest is stored; callers pass it back in full
    /// (it is in the `PurchaseCreated` or `QueryPurchased` event), which keeps a purchase at one
    /// storage slot. `erasureMark` is the count of ended consents of the product's scope at purchase
    /// (for record sales the pool's erasure count, for queries `statisticsEnded`): the set used may
    /// be taken at any moment from then on (see `fulfill`). `epsilon` is the most privacy loss (ε in
    /// millionths) a query may spend, always above 0; it is 0 for a record sale, so it also says
    /// which product the purchase is (one calldata word less on every fulfilment than a field of its own).
    struct Purchase {
        uint64 id;
        uint32 poolId;
        address buyer;
        uint96 amount;
        uint40 deadline;
        uint32 erasureMark;
        uint32 epsilon;
    }

    /// @notice State of a purchase.
    enum PurchaseStatus {
        None,
        Pending,
        Fulfilled,
        Refunded
    }

    /// @notice Why a custodian rejected a submitted contribution. `NotBound`: the envelope is sealed
    /// for another contributor or pool than the submission's (a copy of someone else's record).
    enum RejectionReason {
        Undecryptable,
        SchemaMismatch,
        Duplicate,
        Expired,
        Other,
        NotBound
    }

    /// @notice A consent signed by a contributor for the custodian to relay (gasless onboarding).
    /// @param contributor The signer, who receives the consent token.
    /// @param poolId The pool joined.
    /// @param dataCid CID of the encrypted data envelope (canonical); its keccak256 is the data commitment.
    /// @param expiresAt When consent ends (0 = until revoked).
    /// @param deadline Last timestamp at which the signature may be used.
    /// @param scope The uses allowed (see `ConsentScope`), within the pool's products.
    struct ConsentRequest {
        address contributor;
        uint32 poolId;
        string dataCid;
        uint40 expiresAt;
        uint256 deadline;
        uint8 scope;
    }

    /// @notice Erasure bookkeeping of one buyer in one pool.
    /// @param owedFrom Index of the first erasure request the buyer owes: the pool's erasure count at its
    /// first delivery.
    /// @param attestedUpTo Erasure requests with a lower index are attested.
    /// @param delivered Whether the buyer ever received a delivery from the pool.
    struct BuyerErasure {
        uint32 owedFrom;
        uint32 attestedUpTo;
        bool delivered;
    }

    // ---------------------------------------------------------------- events

    /// @notice A pool was opened with `params`; `platformFeeBps` is the platform fee it keeps for life.
    event PoolCreated(
        uint32 indexed poolId,
        address indexed curator,
        address indexed custodian,
        uint16 platformFeeBps,
        PoolParams params
    );
    /// @notice The curator changed the price of future sales.
    event PoolPriceChanged(uint32 indexed poolId, uint96 oldPrice, uint96 newPrice);
    /// @notice The curator paused or resumed sales.
    event PoolPausedSet(uint32 indexed poolId, bool paused);
    /// @notice The bounty budget of a pool was topped up.
    event BountyFunded(uint32 indexed poolId, address indexed funder, uint256 amount);
    /// @notice The curator took unused bounty budget back (credited to it).
    event BountyWithdrawn(uint32 indexed poolId, address indexed curator, uint256 amount);
    /// @notice A pending submission's bounty was set aside from the budget (`reserved` true), or
    /// returned to it because the submission was rejected or withdrawn (`reserved` false).
    event BountyReserved(uint256 indexed contributionId, uint32 indexed poolId, uint256 amount, bool reserved);

    /// @notice A contribution was submitted and awaits the custodian's check. `scope` is the uses
    /// its consent allows (see `ConsentScope`).
    event ContributionSubmitted(
        uint256 indexed contributionId,
        uint32 indexed poolId,
        address indexed contributor,
        bytes32 dataCommitment,
        string dataCid,
        uint40 expiresAt,
        uint8 scope
    );
    /// @notice The custodian rejected a submission; no token exists for it.
    event ContributionRejected(
        uint256 indexed contributionId,
        uint32 indexed poolId,
        address indexed contributor,
        RejectionReason reason
    );
    /// @notice A contribution became active: its consent token was minted. The data commitment,
    /// expiry and data CID are in its `ContributionSubmitted` event, the terms and purposes in the pool's.
    /// @param rewardCheckpoint The pool's record-sale reward per contribution at acceptance (0 when
    /// the consent does not allow records): it earns from here on.
    /// @param statisticsCheckpoint The same for queries (0 when it does not allow statistics).
    event ConsentGranted(
        uint256 indexed contributionId,
        uint32 indexed poolId,
        address indexed contributor,
        uint256 bounty,
        uint104 rewardCheckpoint,
        uint104 statisticsCheckpoint
    );
    /// @notice Consent ended (revoked by its holder, or retired after expiry); earnings to date were credited.
    event ConsentRevoked(
        uint256 indexed contributionId,
        uint32 indexed poolId,
        address indexed contributor,
        bool expired,
        uint256 settled
    );
    /// @notice Every buyer that received the pool's records before now must erase this contribution.
    /// Only contributions that allow records are ever delivered, so only their end requests erasure.
    event ErasureRequested(uint32 indexed poolId, uint256 indexed contributionId, uint32 erasureIndex);
    /// @notice A buyer attested it erased every requested record with an index below `upToIndex`.
    event ErasureAttested(uint32 indexed poolId, address indexed buyer, uint32 fromIndex, uint32 upToIndex);

    /// @notice A buyer paid into escrow.
    event PurchaseCreated(
        uint64 indexed purchaseId,
        uint32 indexed poolId,
        address indexed buyer,
        address paymentToken,
        uint96 amount,
        uint40 deadline,
        bytes32 buyerKey,
        uint32 erasureMark
    );
    /// @notice The custodian delivered; escrow was split. `perContribution` was credited to each
    /// contribution active now; `carry` is the remainder kept for the next sale. The `recordCount`
    /// records delivered are the contributions active when the pool's erasure count was
    /// `erasuresSeen`; those that ended since are delivered too, and the buyer owes their erasure.
    event PurchaseFulfilled(
        uint64 indexed purchaseId,
        uint32 indexed poolId,
        address indexed buyer,
        address paymentToken,
        uint256 platformAmount,
        uint256 curatorAmount,
        uint256 contributorsAmount,
        uint256 perContribution,
        uint32 carry,
        uint32 recordCount,
        bytes32 recordsRoot,
        string deliveryCid,
        uint32 erasuresSeen
    );
    /// @notice An undelivered purchase was refunded in full.
    event PurchaseRefunded(uint64 indexed purchaseId, uint32 indexed poolId, address indexed buyer, uint96 amount);
    /// @notice The curator changed the price of future queries.
    event QueryPriceChanged(uint32 indexed poolId, uint96 oldPrice, uint96 newPrice);
    /// @notice A buyer paid into escrow (in the pool's payment token) for a query that may spend up
    /// to `epsilon` of the pool's privacy budget. The query is the JSON document at `queryCid`,
    /// whose bytes hash (keccak256) to `queryDigest`.
    /// @param statisticsMark The pool's `statisticsEnded` at purchase (the purchase's `erasureMark`).
    event QueryPurchased(
        uint64 indexed purchaseId,
        uint32 indexed poolId,
        address indexed buyer,
        uint96 amount,
        uint40 deadline,
        bytes32 buyerKey,
        uint32 statisticsMark,
        uint32 epsilon,
        string queryCid,
        bytes32 queryDigest
    );
    /// @notice The custodian answered a query; escrow was split as in `PurchaseFulfilled` (the
    /// platform, curator and contributors' amounts follow from the purchase's amount and the pool's
    /// shares, by `RevenueSplit.split`), over the contributions that allow statistics:
    /// `perContribution` to each active one. The `recordCount` records used are those active when
    /// the pool's `statisticsEnded` was `statisticsSeen`. The answer, sealed to the buyer, is at
    /// `answerCid`; it spent `epsilonSpent` (millionths of ε) of the pool's budget.
    event QueryAnswered(
        uint64 indexed purchaseId,
        uint32 indexed poolId,
        address indexed buyer,
        uint256 perContribution,
        uint32 carry,
        uint32 recordCount,
        bytes32 recordsRoot,
        string answerCid,
        uint32 statisticsSeen,
        uint32 epsilonSpent
    );
    /// @notice The custodian declined a pending purchase (for a query: its policy forbids it, or the
    /// budget cannot pay its ε any more) and the buyer was credited in full at once.
    event PurchaseRejected(
        uint64 indexed purchaseId,
        uint32 indexed poolId,
        address indexed buyer,
        uint96 amount,
        string reason
    );

    /// @notice A contribution's dividends were moved into its holder's credit.
    event ContributionSettled(
        uint256 indexed contributionId,
        uint32 indexed poolId,
        address indexed account,
        uint256 amount
    );
    /// @notice A bounty was credited to a contributor, or withdrawn bounty budget to the curator. (Sale
    /// credits to the curator and the treasury are in `PurchaseFulfilled`.)
    event Credited(address indexed account, address indexed token, uint32 indexed poolId, uint256 amount);
    /// @notice An account withdrew its credit.
    event Withdrawn(address indexed account, address indexed token, uint256 amount);

    /// @notice The owner changed the platform fee for pools created from now on.
    event PlatformFeeChanged(uint16 oldFeeBps, uint16 newFeeBps);
    /// @notice The owner changed where platform fees are credited.
    event TreasuryChanged(address oldTreasury, address newTreasury);

    // ---------------------------------------------------------------- errors

    /// @notice The platform fee is above the hard cap.
    error PlatformFeeTooHigh(uint16 feeBps, uint16 maxFeeBps);
    /// @notice The treasury cannot be the zero address.
    error InvalidTreasury();
    /// @notice A basis-point share above 10,000.
    error InvalidShare(uint16 shareBps);
    /// @notice The k-anonymity threshold must be at least 1 and within the cap.
    error InvalidThreshold(uint32 minContributors, uint32 maxContributors);
    /// @notice The delivery window is outside the allowed range.
    error InvalidDeliveryWindow(uint32 window, uint32 minWindow, uint32 maxWindow);
    /// @notice The custodian address or key is missing.
    error InvalidCustodian();
    /// @notice The payment token is not a contract.
    error InvalidPaymentToken(address token);
    /// @notice A required CID is empty.
    error EmptyCid();
    /// @notice The pool does not exist.
    error UnknownPool(uint32 poolId);
    /// @notice Only the pool's curator may do this.
    error NotCurator(uint32 poolId, address caller);
    /// @notice Only the pool's custodian may do this.
    error NotCustodian(uint32 poolId, address caller);
    /// @notice The contribution does not exist or is not in the state this needs.
    error InvalidContributionState(uint256 contributionId, ContributionStatus status);
    /// @notice Only the contribution's holder may do this.
    error NotContributor(uint256 contributionId, address caller);
    /// @notice This contributor already submitted these data to this pool.
    error DuplicateCommitment(uint32 poolId, bytes32 dataCommitment);
    /// @notice A data CID must be spelled one way: CIDv1 in lowercase base32 ("b…", letters a-z and
    /// digits 2-7), so one record cannot join twice under two spellings.
    error NonCanonicalCid(string dataCid);
    /// @notice The consent's expiry is in the past.
    error InvalidExpiry(uint40 expiresAt);
    /// @notice The consent has not expired yet.
    error ConsentNotExpired(uint256 contributionId, uint40 expiresAt);
    /// @notice The pool has reached its cap on contributors.
    error PoolFull(uint32 poolId, uint32 maxContributors);
    /// @notice The relayed signature's deadline has passed.
    error SignatureExpired(uint256 deadline);
    /// @notice The relayed signature is not the contributor's for this request and nonce.
    error InvalidSignature(address contributor);
    /// @notice Sales of the pool are paused.
    error PoolPaused(uint32 poolId);
    /// @notice Fewer active contributions than the pool's k-anonymity threshold.
    error BelowThreshold(uint32 poolId, uint32 activeCount, uint32 minContributors);
    /// @notice The price rose above what the buyer accepted.
    error PriceAboveMax(uint96 price, uint96 maxPrice);
    /// @notice The native coin sent does not match the amount due.
    error IncorrectPayment(uint256 sent, uint256 expected);
    /// @notice The token moved a different amount than requested (fee-on-transfer tokens are not supported).
    error UnsupportedToken(address token, uint256 expected, uint256 received);
    /// @notice A buyer must register an X25519 public key to receive data keys.
    error MissingBuyerKey();
    /// @notice The purchase passed does not match a pending purchase.
    error UnknownPurchase(uint64 purchaseId);
    /// @notice The purchase was already fulfilled or refunded.
    error PurchaseSettled(uint64 purchaseId, PurchaseStatus status);
    /// @notice The delivery deadline has passed; the buyer may take a refund.
    error DeliveryOverdue(uint64 purchaseId, uint40 deadline);
    /// @notice The delivered count differs from the contributions active when the set was taken.
    error RecordCountMismatch(uint32 delivered, uint32 expected);
    /// @notice The delivered set must be taken between the purchase and now: `erasuresSeen` must lie
    /// between the purchase's erasure mark and the pool's erasure count.
    error StaleDeliverySet(uint32 erasuresSeen, uint32 erasureMark, uint32 erasureCount);
    /// @notice Every delivered record's consent ended before the delivery landed: nobody to pay.
    error NoActiveContributions(uint32 poolId);
    /// @notice A refund needs the delivery deadline to pass.
    error RefundNotYetAvailable(uint64 purchaseId, uint40 deadline);
    /// @notice A delivery CID is required.
    error EmptyDelivery();
    /// @notice The contribution belongs to a pool paid in another token than the one claimed.
    error TokenMismatch(uint256 contributionId, address expected, address given);
    /// @notice There is nothing to attest, or the index is beyond the requests made.
    error InvalidErasureIndex(uint32 upToIndex, uint32 attestedUpTo, uint32 erasureCount);
    /// @notice The native coin was sent where the pool is paid in an ERC-20.
    error UnexpectedNativePayment();
    /// @notice Purposes must be a non-empty combination of the defined purposes.
    error InvalidPurposes(uint32 purposes);
    /// @notice A pool's products must be a non-empty combination of `ConsentScope.RECORDS` and
    /// `ConsentScope.STATISTICS`.
    error InvalidProducts(uint8 products);
    /// @notice A pool selling queries needs a privacy budget and a per-query maximum, with
    /// 0 < maxEpsilonPerQuery <= epsilonBudget; a pool selling no queries sets both (and its query price) to 0.
    error InvalidPrivacyBudget(uint32 epsilonBudget, uint32 maxEpsilonPerQuery);
    /// @notice A consent's scope must be a non-empty combination of the uses the pool offers.
    error InvalidScope(uint8 scope, uint8 products);
    /// @notice The pool does not sell this product.
    error ProductNotOffered(uint32 poolId, Product product);
    /// @notice A pool that sells no record copies (`products` without `ConsentScope.RECORDS`) sets
    /// its record price to 0, so nobody reads a price for a product it does not sell.
    /// @param products The products the pool would sell.
    error PriceForUnsoldProduct(uint8 products);
    /// @notice A query's ε must be above 0 and at most `maxEpsilon` (at purchase, the pool's
    /// per-query maximum; at fulfilment, the most the buyer allowed it to spend).
    error InvalidEpsilon(uint32 epsilon, uint32 maxEpsilon);
    /// @notice The pool's privacy budget has only `remaining` (millionths of ε) left, less than the
    /// answer would spend.
    error PrivacyBudgetExhausted(uint32 poolId, uint32 remaining, uint32 requested);
    /// @notice The purchase is for another product than this call handles.
    error WrongProduct(uint64 purchaseId, Product product);
    /// @notice Nothing to withdraw.
    error NothingToClaim(address account, address token);
    /// @notice The curator may withdraw at most `withdrawable`: what it funded itself, less what
    /// bounties and reservations used.
    error BountyBudgetTooSmall(uint32 poolId, uint256 withdrawable, uint256 requested);

    // ---------------------------------------------------------------- platform

    /// @notice Sets the platform fee for pools created from now on. Owner only.
    /// @param feeBps Fee in basis points, at most `MAX_PLATFORM_FEE_BPS`.
    function setPlatformFee(uint16 feeBps) external;

    /// @notice Sets the account credited with platform fees from now on. Owner only.
    /// @param treasury The new treasury account.
    function setTreasury(address treasury) external;

    // ---------------------------------------------------------------- curators

    /// @notice Opens a pool; the caller becomes its curator.
    /// @param params The pool's parameters.
    /// @return poolId The new pool's id.
    function createPool(PoolParams calldata params) external returns (uint32 poolId);

    /// @notice Changes the price of future record sales; purchases already made keep their price.
    /// Curator only; a pool that sells no record copies reverts `ProductNotOffered`.
    /// @param poolId The pool.
    /// @param newPrice The new price.
    function setPrice(uint32 poolId, uint96 newPrice) external;

    /// @notice Changes the price of future queries; queries already bought keep their price. Curator only.
    /// @param poolId The pool.
    /// @param newPrice The new price.
    function setQueryPrice(uint32 poolId, uint96 newPrice) external;

    /// @notice Pauses or resumes sales of both products. Curator only.
    /// @param poolId The pool.
    /// @param paused True to pause.
    function setPaused(uint32 poolId, bool paused) external;

    /// @notice Adds to a pool's bounty budget, in the pool's payment token (send the native coin
    /// with the call, or approve the ERC-20 first). Funding by anyone but the curator is a gift to
    /// the pool's contributors: it is only ever paid out as bounties (spent before the curator's own
    /// funding) and nobody can withdraw it.
    /// @param poolId The pool.
    /// @param amount The amount added.
    function fundBounty(uint32 poolId, uint128 amount) external payable;

    /// @notice Moves unused bounty budget that the curator funded itself to its credit; budget
    /// reserved for pending submissions and third-party funding stay. Curator only.
    /// @param poolId The pool.
    /// @param amount The amount withdrawn.
    function withdrawBounty(uint32 poolId, uint128 amount) external;

    // ---------------------------------------------------------------- contributors

    /// @notice Submits a contribution, paying the gas; it becomes active once the custodian accepts
    /// it. While the bounty budget lasts, the bounty is reserved for it at once.
    /// @param poolId The pool joined; calling this is consent to the pool's terms and purposes.
    /// @param dataCid CID of the encrypted data envelope, canonical (CIDv1, lowercase base32).
    /// @param expiresAt When consent ends (0 = until revoked).
    /// @param scope The uses allowed (see `ConsentScope`), within the pool's products.
    /// @return contributionId The id of the pending contribution (and of its future token).
    function submitContribution(
        uint32 poolId,
        string calldata dataCid,
        uint40 expiresAt,
        uint8 scope
    ) external returns (uint256 contributionId);

    /// @notice Submits and accepts a contribution signed by the contributor (EIP-712), so the
    /// contributor pays no gas. Custodian only: it has checked the data before relaying.
    /// @param request The signed consent.
    /// @param signature The contributor's signature (ECDSA, or ERC-1271 for contract wallets).
    /// @return contributionId The id of the new consent token.
    function contributeWithSignature(
        ConsentRequest calldata request,
        bytes calldata signature
    ) external returns (uint256 contributionId);

    /// @notice Accepts a pending contribution after the off-chain checks: mints the consent token,
    /// starts its earnings and pays the bounty (reserved at submission, or from the budget if it
    /// lasts). A contribution joins whether or not a bounty is left. Custodian only.
    /// @param contributionId The pending contribution.
    function acceptContribution(uint256 contributionId) external;

    /// @notice Rejects a pending contribution; it leaves no token. Custodian only.
    /// @param contributionId The pending contribution.
    /// @param reason Why it was rejected.
    function rejectContribution(uint256 contributionId, RejectionReason reason) external;

    /// @notice Revokes consent (or withdraws a pending submission). Earnings to date stay
    /// claimable; the contribution earns nothing from, and is excluded from, later sales and
    /// queries, and every earlier buyer of its record (if it allowed records) is asked to erase it.
    /// @param contributionId The caller's contribution.
    function revokeConsent(uint256 contributionId) external;

    /// @notice Ends an expired consent, as a revocation. Anyone may call it.
    /// @param contributionId The expired contribution.
    function retireExpired(uint256 contributionId) external;

    /// @notice Withdraws everything the caller has earned in `token`: the dividends of the listed
    /// contributions plus its credit (bounties, curator share, platform fee, revoked contributions' earnings).
    /// @param token The payment token (address(0) for the native coin).
    /// @param contributionIds The caller's active contributions in pools paid in `token` (may be empty).
    /// @return amount The amount paid out.
    function claim(address token, uint256[] calldata contributionIds) external returns (uint256 amount);

    // ---------------------------------------------------------------- buyers

    /// @notice Pays for one delivery of the pool's active records that allow records into escrow.
    /// @param poolId The pool.
    /// @param maxPrice The most the buyer accepts to pay (protects against a price change).
    /// @param buyerKey The buyer's X25519 public key; data keys are wrapped to it.
    /// @return purchase The purchase, to pass back to `refund`.
    function purchase(
        uint32 poolId,
        uint96 maxPrice,
        bytes32 buyerKey
    ) external payable returns (Purchase memory purchase);

    /// @notice As `purchase`, approving the ERC-20 payment with an EIP-2612 permit in the same call.
    /// @param poolId The pool.
    /// @param maxPrice The most the buyer accepts to pay; also the permit's value.
    /// @param buyerKey The buyer's X25519 public key.
    /// @param permitDeadline The permit's deadline.
    /// @param v The permit signature's v.
    /// @param r The permit signature's r.
    /// @param s The permit signature's s.
    /// @return purchase The purchase.
    function purchaseWithPermit(
        uint32 poolId,
        uint96 maxPrice,
        bytes32 buyerKey,
        uint256 permitDeadline,
        uint8 v,
        bytes32 r,
        bytes32 s
    ) external returns (Purchase memory purchase);

    /// @notice Records the delivery of a purchase and releases its escrow: platform fee, curator
    /// share, and the contributors' share credited to every active contribution at once. Custodian only.
    /// The delivered set is the contributions active when the pool's erasure count was
    /// `erasuresSeen` (no contribution may have joined since): a revocation or expiry racing the
    /// delivery cannot make it fail, and the buyer owes the erasure of those records.
    /// @param purchase The pending purchase.
    /// @param deliveryCid CID of the delivery manifest (per record: token id, data CID, sealed data key).
    /// @param recordsRoot Merkle root over (token id, data commitment) of the delivered records.
    /// @param recordCount Number of delivered records: the active contributions now plus those ended
    /// since `erasuresSeen`; at least the pool's threshold.
    /// @param erasuresSeen The pool's erasure count when the set was taken, from the purchase's
    /// erasure mark up to now.
    function fulfill(
        Purchase calldata purchase,
        string calldata deliveryCid,
        bytes32 recordsRoot,
        uint32 recordCount,
        uint32 erasuresSeen
    ) external;

    /// @notice Pays into escrow for one differentially private answer to a query, computed by the
    /// custodian over every active record that allows statistics. The budget is enforced when the
    /// answer lands, which is what spends it: read what is left from `getPool` before paying. A
    /// query that no longer fits is declined by the custodian (`rejectPurchase`, an immediate credit).
    /// @param poolId The pool.
    /// @param maxPrice The most the buyer accepts to pay.
    /// @param buyerKey The buyer's X25519 public key; the answer is sealed to it.
    /// @param epsilon The most privacy loss (millionths of ε) the answer may spend: above 0 and at
    /// most the pool's per-query maximum.
    /// @param queryCid CID of the query document (canonical: CIDv1, lowercase base32).
    /// @param queryDigest keccak256 of the query document's bytes.
    /// @return purchase The purchase, to pass back to `refund`.
    function purchaseQuery(
        uint32 poolId,
        uint96 maxPrice,
        bytes32 buyerKey,
        uint32 epsilon,
        string calldata queryCid,
        bytes32 queryDigest
    ) external payable returns (Purchase memory purchase);

    /// @notice Records the answer to a query and releases its escrow as `fulfill` does, to every
    /// active contribution that allows statistics, and spends `epsilonSpent` of the pool's privacy
    /// budget: never past it (`PrivacyBudgetExhausted`). Custodian only.
    /// @param purchase The pending query purchase.
    /// @param answerCid CID of the answer, sealed to the buyer.
    /// @param recordsRoot Merkle root over (token id, data commitment) of the records used.
    /// @param recordCount Number of records used: the active contributions that allow statistics
    /// now plus those ended since `statisticsSeen`; at least the pool's threshold.
    /// @param statisticsSeen The pool's `statisticsEnded` when the set was taken, from the
    /// purchase's mark up to now.
    /// @param epsilonSpent The privacy loss of the answer (millionths of ε), above 0 and at most
    /// the purchase's `epsilon`.
    function fulfillQuery(
        Purchase calldata purchase,
        string calldata answerCid,
        bytes32 recordsRoot,
        uint32 recordCount,
        uint32 statisticsSeen,
        uint32 epsilonSpent
    ) external;

    /// @notice Declines a pending purchase and credits the buyer in full at once (withdraw with
    /// `claim`). Custodian only; for a query that its policy forbids or the budget can no longer
    /// pay, or any purchase it cannot serve.
    /// @param purchase The pending purchase.
    /// @param reason Why, in plain words, for the buyer.
    function rejectPurchase(Purchase calldata purchase, string calldata reason) external;

    /// @notice Refunds an undelivered purchase in full once its deadline passed. Anyone may call it;
    /// the buyer is paid. Never earlier: revocations after the purchase do not stop a delivery (see
    /// `fulfill`), so nobody can race a delivery with a refund or refund another buyer's purchase.
    /// @param purchase The pending purchase.
    function refund(Purchase calldata purchase) external;

    /// @notice Attests that the caller erased every record of the pool whose erasure was requested
    /// with an index below `upToIndex`.
    /// @param poolId The pool.
    /// @param upToIndex One past the last erasure request index attested.
    function attestErasure(uint32 poolId, uint32 upToIndex) external;

    // ---------------------------------------------------------------- views

    /// @notice Returns a pool.
    function getPool(uint32 poolId) external view returns (Pool memory);

    /// @notice Returns the schema and terms CIDs of a pool.
    function poolDocuments(uint32 poolId) external view returns (string memory schemaCid, string memory termsCid);

    /// @notice Number of pools created.
    function poolCount() external view returns (uint32);

    /// @notice Returns the state of a purchase.
    function purchaseStatus(uint64 purchaseId) external view returns (PurchaseStatus);

    /// @notice Dividends a contribution has earned and not yet settled, from both products.
    function pendingEarnings(uint256 contributionId) external view returns (uint256);

    /// @notice A contribution's privacy loss so far (millionths of ε): the ε of every query
    /// answered while it was active and allowed statistics. A query whose set was taken just
    /// before its consent ended, and answered after, used it too and is not counted here; the
    /// pool's `epsilonSpent` bounds every contribution's loss whatever the timing.
    function privacyLoss(uint256 contributionId) external view returns (uint32);

    /// @notice Credit an account can withdraw in a token, beside its contributions' pending earnings.
    function creditOf(address account, address token) external view returns (uint256);

    /// @notice Erasure requests a buyer has not attested yet in a pool.
    function erasuresOwed(uint32 poolId, address buyer) external view returns (uint32);

    /// @notice Erasure bookkeeping of a buyer in a pool.
    function buyerErasure(uint32 poolId, address buyer) external view returns (BuyerErasure memory);

    /// @notice The contributor of a pending submission (address(0) when not pending).
    function pendingContributor(uint256 contributionId) external view returns (address);

    /// @notice EIP-712 digest a contributor signs for `contributeWithSignature`.
    function consentDigest(ConsentRequest calldata request, uint256 nonce) external view returns (bytes32);
}
