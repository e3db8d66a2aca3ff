// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {Ownable} from "@openzeppelin/contracts/access/Ownable.sol";
import {Ownable2Step} from "@openzeppelin/contracts/access/Ownable2Step.sol";
import {IERC20Permit} from "@openzeppelin/contracts/token/ERC20/extensions/IERC20Permit.sol";
import {Nonces} from "@openzeppelin/contracts/utils/Nonces.sol";
import {ReentrancyGuardTransient} from "@openzeppelin/contracts/utils/ReentrancyGuardTransient.sol";
import {EIP712} from "@openzeppelin/contracts/utils/cryptography/EIP712.sol";
import {SignatureChecker} from "@openzeppelin/contracts/utils/cryptography/SignatureChecker.sol";
import {SafeCast} from "@openzeppelin/contracts/utils/math/SafeCast.sol";
import {ConsentToken} from "./ConsentToken.sol";
import {IConsentReceiptRenderer} from "./interfaces/IConsentReceiptRenderer.sol";
import {IDatabank} from "./interfaces/IDatabank.sol";
import {BountyBudget} from "./libraries/BountyBudget.sol";
import {CanonicalCid} from "./libraries/CanonicalCid.sol";
import {ErasureLedger} from "./libraries/ErasureLedger.sol";
import {EscrowReturns} from "./libraries/EscrowReturns.sol";
import {ConsentScope} from "./libraries/ConsentScope.sol";
import {ContributionShares} from "./libraries/ContributionShares.sol";
import {Payments} from "./libraries/Payments.sol";
import {PoolAccess} from "./libraries/PoolAccess.sol";
import {PoolRegistry} from "./libraries/PoolRegistry.sol";
import {QuerySales} from "./libraries/QuerySales.sol";
import {SaleLedger} from "./libraries/SaleLedger.sol";

/// @title Databank personal-data marketplace
/// @notice See {IDatabank}. Payments are pull-based: every party's share is credited and
/// withdrawn with {claim}; the contributors' share of a sale is spread over every active
/// contribution with a reward-per-contribution accumulator, so no function loops over a pool.
contract Databank is IDatabank, ConsentToken, EIP712, Nonces, Ownable2Step, ReentrancyGuardTransient {
    using SafeCast for uint256;
    using PoolAccess for mapping(uint32 => Pool);
    using SaleLedger for mapping(uint64 => bytes32);

    /// @notice Hard cap on the platform fee: 10%.
    uint16 public constant MAX_PLATFORM_FEE_BPS = 1_000;
    /// @notice Shortest delivery window a pool may set.
    uint32 public constant MIN_DELIVERY_WINDOW = PoolRegistry.MIN_DELIVERY_WINDOW;
    /// @notice Longest delivery window a pool may set.
    uint32 public constant MAX_DELIVERY_WINDOW = PoolRegistry.MAX_DELIVERY_WINDOW;
    /// @notice EIP-712 type of a relayed consent.
    bytes32 public constant CONSENT_TYPEHASH = keccak256(
        "Consent(address contributor,uint256 poolId,bytes32 dataCommitment,bytes32 termsDigest,uint32 purposes,"
        "uint8 scope,uint40 expiresAt,uint256 nonce,uint256 deadline)"
    );

    /// @dev A submission awaiting the custodian's check, and the bounty set aside for it.
    struct PendingSubmission {
        address contributor;
        uint96 reservedBounty;
    }

    /// @notice Account credited with platform fees.
    address public treasury;
    /// @notice Platform fee applied to pools created from now on; each pool keeps the fee it was created with.
    uint16 public platformFeeBps;

    uint32 private _poolCount;
    uint64 private _purchaseCount;
    uint64 private _contributionCount;

    mapping(uint32 poolId => Pool) private _pools;
    mapping(uint32 poolId => string[2]) private _poolDocuments;
    /// @dev Keyed by keccak256(contributor, data commitment): a squatter copying someone's CID
    /// cannot block its owner, and the custodian rejects the copy (its envelope names the owner).
    mapping(uint32 poolId => mapping(bytes32 submissionKey => bool)) private _committed;
    mapping(uint256 contributionId => PendingSubmission) private _pending;
    mapping(uint64 purchaseId => bytes32) private _purchases;
    mapping(address account => mapping(address token => uint256)) private _credits;
    mapping(uint32 poolId => mapping(address buyer => BuyerErasure)) private _buyerErasures;
    /// @dev Written only for contributions that allow statistics, so a records-only join costs nothing more.
    mapping(uint256 contributionId => ContributionShares.StatisticsShare) private _statisticsShares;

    /// @param initialOwner Account that sets the platform fee and treasury.
    /// @param initialTreasury Account credited with platform fees.
    /// @param initialFeeBps Platform fee in basis points, at most `MAX_PLATFORM_FEE_BPS`.
    /// @param renderer Contract rendering consent receipts.
    constructor(
        address initialOwner,
        address initialTreasury,
        uint16 initialFeeBps,
        IConsentReceiptRenderer renderer
    ) ConsentToken(renderer) Ownable(initialOwner) EIP712("Databank", "1") {
        _setTreasury(initialTreasury);
        _setPlatformFee(initialFeeBps);
    }

    // ---------------------------------------------------------------- platform

    /// @inheritdoc IDatabank
    function setPlatformFee(uint16 feeBps) external onlyOwner {
        _setPlatformFee(feeBps);
    }

    /// @inheritdoc IDatabank
    function setTreasury(address newTreasury) external onlyOwner {
        _setTreasury(newTreasury);
    }

    /// @notice Replaces the consent receipt renderer. Owner only.
    /// @param renderer The new renderer.
    function setReceiptRenderer(IConsentReceiptRenderer renderer) external onlyOwner {
        _setReceiptRenderer(renderer);
    }

    // ---------------------------------------------------------------- curators

    /// @inheritdoc IDatabank
    function createPool(PoolParams calldata params) external returns (uint32 poolId) {
        poolId = ++_poolCount;
        PoolRegistry.create(_pools, _poolDocuments, poolId, params, msg.sender, platformFeeBps);
    }

    /// @inheritdoc IDatabank
    function setPrice(uint32 poolId, uint96 newPrice) external {
        PoolRegistry.setPrice(_pools, poolId, Product.Records, newPrice);
    }

    /// @inheritdoc IDatabank
    function setQueryPrice(uint32 poolId, uint96 newPrice) external {
        PoolRegistry.setPrice(_pools, poolId, Product.Query, newPrice);
    }

    /// @inheritdoc IDatabank
    function setPaused(uint32 poolId, bool paused) external {
        PoolRegistry.setPaused(_pools, poolId, paused);
    }

    /// @inheritdoc IDatabank
    function fundBounty(uint32 poolId, uint128 amount) external payable nonReentrant {
        BountyBudget.fund(_pools, poolId, amount);
    }

    /// @inheritdoc IDatabank
    function withdrawBounty(uint32 poolId, uint128 amount) external {
        BountyBudget.withdraw(_pools, _credits, poolId, amount);
    }

    // ---------------------------------------------------------------- contributors

    /// @inheritdoc IDatabank
    function submitContribution(
        uint32 poolId,
        string calldata dataCid,
        uint40 expiresAt,
        uint8 scope
    ) external returns (uint256 contributionId) {
        Pool storage pool = _pools.existing(poolId);
        contributionId = _register(poolId, pool, msg.sender, dataCid, expiresAt, scope);
        uint96 bounty = pool.bountyPerContribution;
        if (bounty == 0 || pool.bountyBudget < bounty) bounty = 0;
        else {
            pool.bountyBudget -= bounty;
            pool.bountyReserved += bounty;
            emit BountyReserved(contributionId, poolId, bounty, true);
        }
        _pending[contributionId] = PendingSubmission(msg.sender, bounty);
    }

    /// @inheritdoc IDatabank
    function contributeWithSignature(
        ConsentRequest calldata request,
        bytes calldata signature
    ) external returns (uint256 contributionId) {
        Pool storage pool = _pools.ofCustodian(request.poolId);
        if (block.timestamp > request.deadline) revert SignatureExpired(request.deadline);
        bytes32 digest = _consentDigest(request, pool, _useNonce(request.contributor));
        if (!SignatureChecker.isValidSignatureNow(request.contributor, digest, signature)) {
            revert InvalidSignature(request.contributor);
        }
        contributionId = _register(
            request.poolId,
            pool,
            request.contributor,
            request.dataCid,
            request.expiresAt,
            request.scope
        );
        _activate(contributionId, request.contributor, pool, 0);
    }

    /// @inheritdoc IDatabank
    function acceptContribution(uint256 contributionId) external {
        Consent storage consent = _consentIn(contributionId, ContributionStatus.Pending);
        Pool storage pool = _pools.ofCustodian(consent.poolId);
        if (consent.expiresAt != 0 && consent.expiresAt <= block.timestamp) revert InvalidExpiry(consent.expiresAt);
        PendingSubmission memory pending = _pending[contributionId];
        delete _pending[contributionId];
        if (pending.reservedBounty != 0) pool.bountyReserved -= pending.reservedBounty;
        _activate(contributionId, pending.contributor, pool, pending.reservedBounty);
    }

    /// @inheritdoc IDatabank
    function rejectContribution(uint256 contributionId, RejectionReason reason) external {
        Consent storage consent = _consentIn(contributionId, ContributionStatus.Pending);
        uint32 poolId = consent.poolId;
        address contributor = _discardPending(contributionId, consent, _pools.ofCustodian(poolId));
        emit ContributionRejected(contributionId, poolId, contributor, reason);
    }

    /// @inheritdoc IDatabank
    function revokeConsent(uint256 contributionId) external {
        Consent storage consent = _consents[contributionId];
        if (consent.status == ContributionStatus.Pending) {
            if (_pending[contributionId].contributor != msg.sender) revert NotContributor(contributionId, msg.sender);
            uint32 poolId = consent.poolId;
            _discardPending(contributionId, consent, _pools[poolId]);
            emit ConsentRevoked(contributionId, poolId, msg.sender, false, 0);
            return;
        }
        if (consent.status != ContributionStatus.Active)
            revert InvalidContributionState(contributionId, consent.status);
        if (_ownerOf(contributionId) != msg.sender) revert NotContributor(contributionId, msg.sender);
        _endConsent(contributionId, consent, msg.sender, false);
    }

    /// @inheritdoc IDatabank
    function retireExpired(uint256 contributionId) external {
        Consent storage consent = _consentIn(contributionId, ContributionStatus.Active);
        if (consent.expiresAt == 0 || consent.expiresAt > block.timestamp) {
            revert ConsentNotExpired(contributionId, consent.expiresAt);
        }
        _endConsent(contributionId, consent, _ownerOf(contributionId), true);
    }

    /// @inheritdoc IDatabank
    function claim(address token, uint256[] calldata contributionIds) external nonReentrant returns (uint256 amount) {
        for (uint256 i = 0; i < contributionIds.length; ++i) {
            amount += _settleForClaim(contributionIds[i], token);
        }
        uint256 credit = _credits[msg.sender][token];
        if (credit != 0) {
            delete _credits[msg.sender][token];
            amount += credit;
        }
        if (amount == 0) revert NothingToClaim(msg.sender, token);
        Payments.pay(token, msg.sender, amount);
        emit Withdrawn(msg.sender, token, amount);
    }

    // ---------------------------------------------------------------- buyers

    /// @inheritdoc IDatabank
    function purchase(
        uint32 poolId,
        uint96 maxPrice,
        bytes32 buyerKey
    ) external payable nonReentrant returns (Purchase memory) {
        return _purchase(poolId, maxPrice, buyerKey);
    }

    /// @inheritdoc IDatabank
    function purchaseWithPermit(
        uint32 poolId,
        uint96 maxPrice,
        bytes32 buyerKey,
        uint256 permitDeadline,
        uint8 v,
        bytes32 r,
        bytes32 s
    ) external nonReentrant returns (Purchase memory) {
        address token = _pools.existing(poolId).paymentToken;
        if (token == address(0)) revert InvalidPaymentToken(token);
        // A failed permit is tolerated: someone may have front-run it with the same signature, in
        // which case the allowance is there and the transfer succeeds; otherwise the transfer reverts.
        try IERC20Permit(token).permit(msg.sender, address(this), maxPrice, permitDeadline, v, r, s) {} catch {}
        return _purchase(poolId, maxPrice, buyerKey);
    }

    /// @inheritdoc IDatabank
    function purchaseQuery(
        uint32 poolId,
        uint96 maxPrice,
        bytes32 buyerKey,
        uint32 epsilon,
        string calldata queryCid,
        bytes32 queryDigest
    ) external payable nonReentrant returns (Purchase memory sale) {
        sale = QuerySales.purchase(
            _pools,
            _purchases,
            ++_purchaseCount,
            QuerySales.Order(poolId, maxPrice, buyerKey, epsilon, queryDigest),
            queryCid
        );
        Payments.collect(_pools[poolId].paymentToken, sale.amount);
    }

    /// @inheritdoc IDatabank
    function fulfill(
        Purchase calldata sale,
        string calldata deliveryCid,
        bytes32 recordsRoot,
        uint32 recordCount,
        uint32 erasuresSeen
    ) external {
        Pool storage pool = _pools.ofCustodian(sale.poolId);
        if (sale.epsilon != 0) revert WrongProduct(sale.id, Product.Query);
        _purchases.closeDelivered(sale, deliveryCid);
        uint32 active = pool.recordsActive;
        SaleLedger.checkSetUsed(sale, pool, active, pool.erasureCount, recordCount, erasuresSeen);

        SaleLedger.SaleSplit memory split = _creditSale(pool, sale.amount, active);
        ErasureLedger.recordDelivery(_buyerErasures[sale.poolId][sale.buyer], erasuresSeen);
        _emitFulfilled(sale, pool.paymentToken, split, recordCount, recordsRoot, deliveryCid, erasuresSeen);
    }

    /// @inheritdoc IDatabank
    function fulfillQuery(
        Purchase calldata sale,
        string calldata answerCid,
        bytes32 recordsRoot,
        uint32 recordCount,
        uint32 statisticsSeen,
        uint32 epsilonSpent
    ) external {
        QuerySales.answer(
            _pools,
            _purchases,
            _credits,
            treasury,
            sale,
            QuerySales.Answer(recordsRoot, recordCount, statisticsSeen, epsilonSpent),
            answerCid
        );
    }

    /// @inheritdoc IDatabank
    function rejectPurchase(Purchase calldata sale, string calldata reason) external {
        EscrowReturns.reject(_pools, _purchases, _credits, sale, reason);
    }

    /// @inheritdoc IDatabank
    function refund(Purchase calldata sale) external nonReentrant {
        EscrowReturns.refund(_pools, _purchases, sale);
    }

    /// @inheritdoc IDatabank
    function attestErasure(uint32 poolId, uint32 upToIndex) external {
        ErasureLedger.attest(_pools, _buyerErasures, poolId, upToIndex);
    }

    // ---------------------------------------------------------------- views

    /// @inheritdoc IDatabank
    function getPool(uint32 poolId) external view returns (Pool memory) {
        return _pools.existing(poolId);
    }

    /// @inheritdoc IDatabank
    function poolDocuments(uint32 poolId) external view returns (string memory schemaCid, string memory termsCid) {
        _pools.existing(poolId);
        string[2] storage documents = _poolDocuments[poolId];
        return (documents[0], documents[1]);
    }

    /// @inheritdoc IDatabank
    function poolCount() external view returns (uint32) {
        return _poolCount;
    }

    /// @inheritdoc IDatabank
    function purchaseStatus(uint64 purchaseId) external view returns (PurchaseStatus) {
        bytes32 slot = _purchases[purchaseId];
        if (slot == bytes32(0)) return PurchaseStatus.None;
        if (slot == SaleLedger.FULFILLED) return PurchaseStatus.Fulfilled;
        if (slot == SaleLedger.REFUNDED) return PurchaseStatus.Refunded;
        return PurchaseStatus.Pending;
    }

    /// @inheritdoc IDatabank
    function pendingEarnings(uint256 contributionId) external view returns (uint256) {
        return ContributionShares.earnings(_pools, _consents[contributionId], _statisticsShares[contributionId]);
    }

    /// @inheritdoc IDatabank
    function privacyLoss(uint256 contributionId) external view returns (uint32) {
        return ContributionShares.privacyLoss(_pools, _consents[contributionId], _statisticsShares[contributionId]);
    }

    /// @inheritdoc IDatabank
    function creditOf(address account, address token) external view returns (uint256) {
        return _credits[account][token];
    }

    /// @inheritdoc IDatabank
    function erasuresOwed(uint32 poolId, address buyer) external view returns (uint32) {
        return ErasureLedger.owed(_pools, _buyerErasures, poolId, buyer);
    }

    /// @inheritdoc IDatabank
    function buyerErasure(uint32 poolId, address buyer) external view returns (BuyerErasure memory) {
        return _buyerErasures[poolId][buyer];
    }

    /// @inheritdoc IDatabank
    function pendingContributor(uint256 contributionId) external view returns (address) {
        return _pending[contributionId].contributor;
    }

    /// @inheritdoc IDatabank
    function consentDigest(ConsentRequest calldata request, uint256 nonce) external view returns (bytes32) {
        return _consentDigest(request, _pools.existing(request.poolId), nonce);
    }

    /// @notice Number of contributions ever submitted (the highest contribution id).
    function contributionCount() external view returns (uint64) {
        return _contributionCount;
    }

    /// @notice Number of purchases ever made (the highest purchase id).
    function purchaseCount() external view returns (uint64) {
        return _purchaseCount;
    }

    // ---------------------------------------------------------------- internal: pools

    function _termsOf(uint32 poolId) internal view override returns (string memory termsCid, bytes32 termsDigest) {
        return (_poolDocuments[poolId][1], _pools[poolId].termsDigest);
    }

    // ---------------------------------------------------------------- internal: contributions

    /// @dev Records a submission as pending; a contributor may submit the same data to a pool once.
    function _register(
        uint32 poolId,
        Pool storage pool,
        address contributor,
        string calldata dataCid,
        uint40 expiresAt,
        uint8 scope
    ) private returns (uint256 contributionId) {
        if (!CanonicalCid.isCanonical(dataCid)) revert NonCanonicalCid(dataCid);
        if (expiresAt != 0 && expiresAt <= block.timestamp) revert InvalidExpiry(expiresAt);
        if (!ConsentScope.isValid(scope, pool.products)) revert InvalidScope(scope, pool.products);
        bytes32 commitment = keccak256(bytes(dataCid));
        bytes32 key = _submissionKey(contributor, commitment);
        if (_committed[poolId][key]) revert DuplicateCommitment(poolId, commitment);
        _committed[poolId][key] = true;
        contributionId = ++_contributionCount;
        _consents[contributionId] = Consent({
            poolId: poolId,
            grantedAt: 0,
            expiresAt: expiresAt,
            purposes: pool.purposes,
            scope: scope,
            status: ContributionStatus.Pending,
            rewardCheckpoint: 0,
            dataCommitment: commitment
        });
        emit ContributionSubmitted(contributionId, poolId, contributor, commitment, dataCid, expiresAt, scope);
    }

    /// @dev Makes a pending contribution active: it counts in the products its scope allows, earns
    /// from now on, and gets its bounty: the one reserved at submission, or else one from the
    /// budget if it lasts.
    function _activate(uint256 contributionId, address contributor, Pool storage pool, uint96 bounty) private {
        Consent storage consent = _consents[contributionId];
        uint32 poolId = consent.poolId;
        uint8 scope = consent.scope;
        uint32 cap = pool.maxContributors;
        if (cap != 0 && pool.recordsActive + pool.statisticsOnlyActive >= cap) revert PoolFull(poolId, cap);
        if (bounty == 0) {
            bounty = pool.bountyPerContribution;
            if (bounty != 0 && pool.bountyBudget >= bounty) pool.bountyBudget -= bounty;
            else bounty = 0;
        }
        if (bounty != 0) _credit(contributor, pool.paymentToken, poolId, bounty);
        uint104 checkpoint;
        if (ConsentScope.allowsRecords(scope)) {
            pool.recordsActive += 1;
            checkpoint = pool.rewardPerContribution;
        }
        uint104 statisticsCheckpoint;
        if (ConsentScope.allowsStatistics(scope)) {
            statisticsCheckpoint = ContributionShares.joinStatistics(pool, _statisticsShares[contributionId], scope);
        }
        consent.status = ContributionStatus.Active;
        consent.grantedAt = uint40(block.timestamp);
        consent.rewardCheckpoint = checkpoint;
        _mintConsent(contributor, contributionId);
        emit ConsentGranted(contributionId, poolId, contributor, bounty, checkpoint, statisticsCheckpoint);
    }

    /// @dev Forgets a pending submission entirely, freeing its data commitment and returning its
    /// reserved bounty to the budget.
    function _discardPending(
        uint256 contributionId,
        Consent storage consent,
        Pool storage pool
    ) private returns (address contributor) {
        PendingSubmission memory pending = _pending[contributionId];
        contributor = pending.contributor;
        uint32 poolId = consent.poolId;
        if (pending.reservedBounty != 0) {
            pool.bountyReserved -= pending.reservedBounty;
            pool.bountyBudget += pending.reservedBounty;
            emit BountyReserved(contributionId, poolId, pending.reservedBounty, false);
        }
        delete _committed[poolId][_submissionKey(contributor, consent.dataCommitment)];
        delete _pending[contributionId];
        delete _consents[contributionId];
    }

    function _submissionKey(address contributor, bytes32 commitment) private pure returns (bytes32) {
        return keccak256(abi.encode(contributor, commitment));
    }

    /// @dev Ends an active consent: its earnings to date move to the holder's credit, it leaves the
    /// products it was in, and if it allowed records an erasure request goes to every earlier buyer.
    function _endConsent(uint256 contributionId, Consent storage consent, address holder, bool expired) private {
        uint32 poolId = consent.poolId;
        Pool storage pool = _pools[poolId];
        uint8 scope = consent.scope;
        uint256 earned = ContributionShares.settle(pool, consent, _statisticsShares[contributionId]);
        consent.status = ContributionStatus.Revoked;
        bool requestsErasure = ConsentScope.allowsRecords(scope);
        uint32 erasureIndex = pool.erasureCount;
        if (requestsErasure) {
            pool.recordsActive -= 1;
            pool.erasureCount = erasureIndex + 1;
        }
        if (ConsentScope.allowsStatistics(scope)) {
            ContributionShares.leaveStatistics(pool, _statisticsShares[contributionId], scope);
        }
        if (earned != 0) {
            _credits[holder][pool.paymentToken] += earned;
            emit ContributionSettled(contributionId, poolId, holder, earned);
        }
        _burn(contributionId);
        emit ConsentRevoked(contributionId, poolId, holder, expired, earned);
        if (requestsErasure) emit ErasureRequested(poolId, contributionId, erasureIndex);
    }

    /// @dev Brings one of the caller's contributions up to date and returns what it earned since its last settlement.
    function _settleForClaim(uint256 contributionId, address token) private returns (uint256 earned) {
        Consent storage consent = _consentIn(contributionId, ContributionStatus.Active);
        if (_ownerOf(contributionId) != msg.sender) revert NotContributor(contributionId, msg.sender);
        Pool storage pool = _pools[consent.poolId];
        if (pool.paymentToken != token) revert TokenMismatch(contributionId, pool.paymentToken, token);
        earned = ContributionShares.settle(pool, consent, _statisticsShares[contributionId]);
        if (earned != 0) emit ContributionSettled(contributionId, consent.poolId, msg.sender, earned);
    }

    function _consentIn(
        uint256 contributionId,
        ContributionStatus expected
    ) private view returns (Consent storage consent) {
        consent = _consents[contributionId];
        if (consent.status != expected) revert InvalidContributionState(contributionId, consent.status);
    }

    function _consentDigest(
        ConsentRequest calldata request,
        Pool storage pool,
        uint256 nonce
    ) private view returns (bytes32) {
        return
            _hashTypedDataV4(
                keccak256(
                    abi.encode(
                        CONSENT_TYPEHASH,
                        request.contributor,
                        request.poolId,
                        keccak256(bytes(request.dataCid)),
                        pool.termsDigest,
                        pool.purposes,
                        request.scope,
                        request.expiresAt,
                        nonce,
                        request.deadline
                    )
                )
            );
    }

    // ---------------------------------------------------------------- internal: purchases

    function _purchase(uint32 poolId, uint96 maxPrice, bytes32 buyerKey) private returns (Purchase memory sale) {
        Pool storage pool = _pools.openForSale(poolId, Product.Records);
        uint96 price = pool.price;
        if (price > maxPrice) revert PriceAboveMax(price, maxPrice);
        if (buyerKey == bytes32(0)) revert MissingBuyerKey();
        address token = pool.paymentToken;
        Payments.collect(token, price);

        sale = Purchase({
            id: ++_purchaseCount,
            poolId: poolId,
            buyer: msg.sender,
            amount: price,
            deadline: uint40(block.timestamp + pool.deliveryWindow),
            erasureMark: pool.erasureCount,
            epsilon: 0
        });
        _purchases.open(sale);
        emit PurchaseCreated(sale.id, poolId, msg.sender, token, price, sale.deadline, buyerKey, sale.erasureMark);
    }

    /// @dev Credits a record sale (see `SaleLedger.credit`). Virtual only so that a test variant
    /// can mis-credit a sale and prove the audit tool catches it.
    function _creditSale(
        Pool storage pool,
        uint96 amount,
        uint32 active
    ) internal virtual returns (SaleLedger.SaleSplit memory) {
        return SaleLedger.credit(pool, _credits, treasury, amount, active, Product.Records);
    }

    function _emitFulfilled(
        Purchase calldata sale,
        address token,
        SaleLedger.SaleSplit memory split,
        uint32 recordCount,
        bytes32 recordsRoot,
        string calldata deliveryCid,
        uint32 erasuresSeen
    ) private {
        emit PurchaseFulfilled(
            sale.id,
            sale.poolId,
            sale.buyer,
            token,
            split.platform,
            split.curator,
            split.contributors,
            split.perContribution,
            split.carry,
            recordCount,
            recordsRoot,
            deliveryCid,
            erasuresSeen
        );
    }

    // ---------------------------------------------------------------- internal: money

    function _credit(address account, address token, uint32 poolId, uint256 amount) private {
        Payments.credit(_credits, account, token, poolId, amount);
    }

    function _setPlatformFee(uint16 feeBps) private {
        if (feeBps > MAX_PLATFORM_FEE_BPS) revert PlatformFeeTooHigh(feeBps, MAX_PLATFORM_FEE_BPS);
        emit PlatformFeeChanged(platformFeeBps, feeBps);
        platformFeeBps = feeBps;
    }

    function _setTreasury(address newTreasury) private {
        if (newTreasury == address(0)) revert InvalidTreasury();
        emit TreasuryChanged(treasury, newTreasury);
        treasury = newTreasury;
    }
}
