// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {Ownable} from "@openzeppelin/contracts/access/Ownable.sol";
import {Ownable2Step} from "@openzeppelin/contracts/access/Ownable2Step.sol";
import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {IERC20Permit} from "@openzeppelin/contracts/token/ERC20/extensions/IERC20Permit.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {Address} from "@openzeppelin/contracts/utils/Address.sol";
import {Nonces} from "@openzeppelin/contracts/utils/Nonces.sol";
import {ReentrancyGuardTransient} from "@openzeppelin/contracts/utils/ReentrancyGuardTransient.sol";
import {EIP712} from "@openzeppelin/contracts/utils/cryptography/EIP712.sol";
import {SignatureChecker} from "@openzeppelin/contracts/utils/cryptography/SignatureChecker.sol";
import {SafeCast} from "@openzeppelin/contracts/utils/math/SafeCast.sol";
import {ConsentToken} from "./ConsentToken.sol";
import {IConsentReceiptRenderer} from "./interfaces/IConsentReceiptRenderer.sol";
import {IDatabank} from "./interfaces/IDatabank.sol";
import {CanonicalCid} from "./libraries/CanonicalCid.sol";
import {PoolRegistry} from "./libraries/PoolRegistry.sol";
import {RevenueSplit} from "./libraries/RevenueSplit.sol";

/// @title Databank personal-data marketplace
/// @notice See {IDatabank}. Payments are pull-based: every party's share is credited and
/// withdrawn with {claim}; the contributors' share of a sale is spread over every active
/// contribution with a reward-per-contribution accumulator, so no function loops over a pool.
contract Databank is IDatabank, ConsentToken, EIP712, Nonces, Ownable2Step, ReentrancyGuardTransient {
    using SafeERC20 for IERC20;
    using SafeCast for uint256;

    /// @notice Hard cap on the platform fee: 10%.
    uint16 public constant MAX_PLATFORM_FEE_BPS = 1_000;
    /// @notice Shortest delivery window a pool may set.
    uint32 public constant MIN_DELIVERY_WINDOW = PoolRegistry.MIN_DELIVERY_WINDOW;
    /// @notice Longest delivery window a pool may set.
    uint32 public constant MAX_DELIVERY_WINDOW = PoolRegistry.MAX_DELIVERY_WINDOW;
    /// @notice EIP-712 type of a relayed consent.
    bytes32 public constant CONSENT_TYPEHASH = keccak256(
        "Consent(address contributor,uint256 poolId,bytes32 dataCommitment,bytes32 termsDigest,uint32 purposes,"
        "uint40 expiresAt,uint256 nonce,uint256 deadline)"
    );

    /// @dev The parts of one sale.
    struct SaleSplit {
        uint256 platform;
        uint256 curator;
        uint256 contributors;
        uint256 perContribution;
        uint32 carry;
    }

    /// @dev A submission awaiting the custodian's check, and the bounty set aside for it.
    struct PendingSubmission {
        address contributor;
        uint96 reservedBounty;
    }

    /// @dev Purchase slots hold the purchase's digest while pending, then one of these markers.
    bytes32 private constant _FULFILLED = bytes32(uint256(1));
    bytes32 private constant _REFUNDED = bytes32(uint256(2));

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
        Pool storage pool = _poolOfCurator(poolId);
        emit PoolPriceChanged(poolId, pool.price, newPrice);
        pool.price = newPrice;
    }

    /// @inheritdoc IDatabank
    function setPaused(uint32 poolId, bool paused) external {
        _poolOfCurator(poolId).paused = paused;
        emit PoolPausedSet(poolId, paused);
    }

    /// @inheritdoc IDatabank
    function fundBounty(uint32 poolId, uint128 amount) external payable nonReentrant {
        Pool storage pool = _existingPool(poolId);
        _collect(pool.paymentToken, amount);
        uint96 added = uint256(amount).toUint96();
        uint96 curatorBounty = _curatorBountyLeft(pool);
        if (msg.sender == pool.curator) curatorBounty += added;
        pool.curatorBounty = curatorBounty;
        pool.bountyBudget += added;
        emit BountyFunded(poolId, msg.sender, amount);
    }

    /// @inheritdoc IDatabank
    function withdrawBounty(uint32 poolId, uint128 amount) external {
        Pool storage pool = _poolOfCurator(poolId);
        uint96 withdrawable = _min(pool.curatorBounty, pool.bountyBudget);
        if (withdrawable < amount) revert BountyBudgetTooSmall(poolId, withdrawable, amount);
        pool.curatorBounty = _curatorBountyLeft(pool) - uint96(amount);
        pool.bountyBudget -= uint96(amount);
        _credit(msg.sender, pool.paymentToken, poolId, amount);
        emit BountyWithdrawn(poolId, msg.sender, amount);
    }

    // ---------------------------------------------------------------- contributors

    /// @inheritdoc IDatabank
    function submitContribution(
        uint32 poolId,
        string calldata dataCid,
        uint40 expiresAt
    ) external returns (uint256 contributionId) {
        Pool storage pool = _existingPool(poolId);
        contributionId = _register(poolId, pool, msg.sender, dataCid, expiresAt);
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
        Pool storage pool = _poolOfCustodian(request.poolId);
        if (block.timestamp > request.deadline) revert SignatureExpired(request.deadline);
        bytes32 digest = _consentDigest(request, pool, _useNonce(request.contributor));
        if (!SignatureChecker.isValidSignatureNow(request.contributor, digest, signature)) {
            revert InvalidSignature(request.contributor);
        }
        contributionId = _register(request.poolId, pool, request.contributor, request.dataCid, request.expiresAt);
        _activate(contributionId, request.contributor, pool, 0);
    }

    /// @inheritdoc IDatabank
    function acceptContribution(uint256 contributionId) external {
        Consent storage consent = _consentIn(contributionId, ContributionStatus.Pending);
        Pool storage pool = _poolOfCustodian(consent.poolId);
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
        address contributor = _discardPending(contributionId, consent, _poolOfCustodian(poolId));
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
        _pay(token, msg.sender, amount);
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
        address token = _existingPool(poolId).paymentToken;
        if (token == address(0)) revert InvalidPaymentToken(token);
        // A failed permit is tolerated: someone may have front-run it with the same signature, in
        // which case the allowance is there and the transfer succeeds; otherwise the transfer reverts.
        try IERC20Permit(token).permit(msg.sender, address(this), maxPrice, permitDeadline, v, r, s) {} catch {}
        return _purchase(poolId, maxPrice, buyerKey);
    }

    /// @inheritdoc IDatabank
    function fulfill(
        Purchase calldata sale,
        string calldata deliveryCid,
        bytes32 recordsRoot,
        uint32 recordCount,
        uint32 erasuresSeen
    ) external {
        Pool storage pool = _poolOfCustodian(sale.poolId);
        _closePurchase(sale, _FULFILLED);
        if (block.timestamp > sale.deadline) revert DeliveryOverdue(sale.id, sale.deadline);
        if (bytes(deliveryCid).length == 0) revert EmptyDelivery();
        uint32 active = pool.activeCount;
        uint32 erasureCount = pool.erasureCount;
        if (erasuresSeen < sale.erasureMark || erasuresSeen > erasureCount) {
            revert StaleDeliverySet(erasuresSeen, sale.erasureMark, erasureCount);
        }
        // The set was taken when `erasuresSeen` consents had ended; every consent that ended since
        // was in it (the custodian accepts no one in between), so it counts as delivered.
        uint32 expected = active + (erasureCount - erasuresSeen);
        if (recordCount != expected) revert RecordCountMismatch(recordCount, expected);
        if (recordCount < pool.minContributors) {
            revert BelowThreshold(sale.poolId, recordCount, pool.minContributors);
        }
        if (active == 0) revert NoActiveContributions(sale.poolId);

        SaleSplit memory split = _creditSale(pool, sale.amount, active);
        _recordDelivery(sale.poolId, sale.buyer, erasuresSeen);
        _emitFulfilled(sale, pool.paymentToken, split, recordCount, recordsRoot, deliveryCid, erasuresSeen);
    }

    /// @inheritdoc IDatabank
    function refund(Purchase calldata sale) external nonReentrant {
        Pool storage pool = _existingPool(sale.poolId);
        _closePurchase(sale, _REFUNDED);
        if (block.timestamp <= sale.deadline) revert RefundNotYetAvailable(sale.id, sale.deadline);
        _pay(pool.paymentToken, sale.buyer, sale.amount);
        emit PurchaseRefunded(sale.id, sale.poolId, sale.buyer, sale.amount);
    }

    /// @inheritdoc IDatabank
    function attestErasure(uint32 poolId, uint32 upToIndex) external {
        uint32 erasureCount = _existingPool(poolId).erasureCount;
        BuyerErasure storage erasure = _buyerErasures[poolId][msg.sender];
        uint32 attested = _attestedUpTo(erasure);
        if (!erasure.delivered || upToIndex <= attested || upToIndex > erasureCount) {
            revert InvalidErasureIndex(upToIndex, attested, erasureCount);
        }
        erasure.attestedUpTo = upToIndex;
        emit ErasureAttested(poolId, msg.sender, attested, upToIndex);
    }

    // ---------------------------------------------------------------- views

    /// @inheritdoc IDatabank
    function getPool(uint32 poolId) external view returns (Pool memory) {
        return _existingPool(poolId);
    }

    /// @inheritdoc IDatabank
    function poolDocuments(uint32 poolId) external view returns (string memory schemaCid, string memory termsCid) {
        _existingPool(poolId);
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
        if (slot == _FULFILLED) return PurchaseStatus.Fulfilled;
        if (slot == _REFUNDED) return PurchaseStatus.Refunded;
        return PurchaseStatus.Pending;
    }

    /// @inheritdoc IDatabank
    function pendingEarnings(uint256 contributionId) external view returns (uint256) {
        Consent storage consent = _consents[contributionId];
        if (consent.status != ContributionStatus.Active) return 0;
        return _pools[consent.poolId].rewardPerContribution - consent.rewardCheckpoint;
    }

    /// @inheritdoc IDatabank
    function creditOf(address account, address token) external view returns (uint256) {
        return _credits[account][token];
    }

    /// @inheritdoc IDatabank
    function erasuresOwed(uint32 poolId, address buyer) external view returns (uint32) {
        BuyerErasure storage erasure = _buyerErasures[poolId][buyer];
        if (!erasure.delivered) return 0;
        return _pools[poolId].erasureCount - _attestedUpTo(erasure);
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
        return _consentDigest(request, _existingPool(request.poolId), nonce);
    }

    /// @notice Number of contributions ever submitted (the highest contribution id).
    function contributionCount() external view returns (uint64) {
        return _contributionCount;
    }

    /// @notice Number of purchases ever made (the highest purchase id).
    function purchaseCount() external view returns (uint64) {
        return _purchaseCount;
    }

    /// @notice The EIP-712 domain separator of this deployment.
    // solhint-disable-next-line func-name-mixedcase
    function DOMAIN_SEPARATOR() external view returns (bytes32) {
        return _domainSeparatorV4();
    }

    // ---------------------------------------------------------------- internal: pools

    function _existingPool(uint32 poolId) private view returns (Pool storage pool) {
        pool = _pools[poolId];
        if (pool.curator == address(0)) revert UnknownPool(poolId);
    }

    function _poolOfCurator(uint32 poolId) private view returns (Pool storage pool) {
        pool = _existingPool(poolId);
        if (pool.curator != msg.sender) revert NotCurator(poolId, msg.sender);
    }

    function _poolOfCustodian(uint32 poolId) private view returns (Pool storage pool) {
        pool = _pools[poolId];
        if (pool.custodian != msg.sender) revert NotCustodian(poolId, msg.sender);
    }

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
        uint40 expiresAt
    ) private returns (uint256 contributionId) {
        if (!CanonicalCid.isCanonical(dataCid)) revert NonCanonicalCid(dataCid);
        if (expiresAt != 0 && expiresAt <= block.timestamp) revert InvalidExpiry(expiresAt);
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
            status: ContributionStatus.Pending,
            rewardCheckpoint: 0,
            dataCommitment: commitment
        });
        emit ContributionSubmitted(contributionId, poolId, contributor, commitment, dataCid, expiresAt);
    }

    /// @dev Makes a pending contribution active: it counts, earns from now on, is delivered, and
    /// gets its bounty: the one reserved at submission, or else one from the budget if it lasts.
    function _activate(uint256 contributionId, address contributor, Pool storage pool, uint96 bounty) private {
        Consent storage consent = _consents[contributionId];
        uint32 poolId = consent.poolId;
        uint32 active = pool.activeCount;
        if (pool.maxContributors != 0 && active >= pool.maxContributors) revert PoolFull(poolId, pool.maxContributors);
        if (bounty == 0) {
            bounty = pool.bountyPerContribution;
            if (bounty != 0 && pool.bountyBudget >= bounty) pool.bountyBudget -= bounty;
            else bounty = 0;
        }
        if (bounty != 0) _credit(contributor, pool.paymentToken, poolId, bounty);
        pool.activeCount = active + 1;
        uint104 checkpoint = pool.rewardPerContribution;
        consent.status = ContributionStatus.Active;
        consent.grantedAt = uint40(block.timestamp);
        consent.rewardCheckpoint = checkpoint;
        _mintConsent(contributor, contributionId);
        emit ConsentGranted(contributionId, poolId, contributor, bounty, checkpoint);
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

    /// @dev What is left of the curator's own funding: what it funded, less what bounties paid
    /// since beyond third-party funding (spent first). Bounty money still held is the budget plus
    /// the reservations, so a reservation never counts as spent (it may come back).
    function _curatorBountyLeft(Pool storage pool) private view returns (uint96) {
        return _min(pool.curatorBounty, pool.bountyBudget + pool.bountyReserved);
    }

    function _min(uint96 a, uint96 b) private pure returns (uint96) {
        return a < b ? a : b;
    }

    /// @dev Ends an active consent: its earnings to date move to the holder's credit, it leaves the
    /// active set, and an erasure request goes to every earlier buyer.
    function _endConsent(uint256 contributionId, Consent storage consent, address holder, bool expired) private {
        uint32 poolId = consent.poolId;
        Pool storage pool = _pools[poolId];
        uint104 accumulated = pool.rewardPerContribution;
        uint256 earned = accumulated - consent.rewardCheckpoint;
        consent.status = ContributionStatus.Revoked;
        consent.rewardCheckpoint = accumulated;
        pool.activeCount -= 1;
        uint32 erasureIndex = pool.erasureCount;
        pool.erasureCount = erasureIndex + 1;
        if (earned != 0) {
            _credits[holder][pool.paymentToken] += earned;
            emit ContributionSettled(contributionId, poolId, holder, earned);
        }
        _burn(contributionId);
        emit ConsentRevoked(contributionId, poolId, holder, expired, earned);
        emit ErasureRequested(poolId, contributionId, erasureIndex);
    }

    /// @dev Brings one of the caller's contributions up to date and returns what it earned since its last settlement.
    function _settleForClaim(uint256 contributionId, address token) private returns (uint256 earned) {
        Consent storage consent = _consentIn(contributionId, ContributionStatus.Active);
        if (_ownerOf(contributionId) != msg.sender) revert NotContributor(contributionId, msg.sender);
        Pool storage pool = _pools[consent.poolId];
        if (pool.paymentToken != token) revert TokenMismatch(contributionId, pool.paymentToken, token);
        uint104 accumulated = pool.rewardPerContribution;
        earned = accumulated - consent.rewardCheckpoint;
        if (earned != 0) {
            consent.rewardCheckpoint = accumulated;
            emit ContributionSettled(contributionId, consent.poolId, msg.sender, earned);
        }
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
                        request.expiresAt,
                        nonce,
                        request.deadline
                    )
                )
            );
    }

    // ---------------------------------------------------------------- internal: purchases

    function _purchase(uint32 poolId, uint96 maxPrice, bytes32 buyerKey) private returns (Purchase memory sale) {
        Pool storage pool = _existingPool(poolId);
        if (pool.paused) revert PoolPaused(poolId);
        if (pool.activeCount < pool.minContributors) {
            revert BelowThreshold(poolId, pool.activeCount, pool.minContributors);
        }
        uint96 price = pool.price;
        if (price > maxPrice) revert PriceAboveMax(price, maxPrice);
        if (buyerKey == bytes32(0)) revert MissingBuyerKey();
        address token = pool.paymentToken;
        _collect(token, price);

        sale = Purchase({
            id: ++_purchaseCount,
            poolId: poolId,
            buyer: msg.sender,
            amount: price,
            deadline: uint40(block.timestamp + pool.deliveryWindow),
            erasureMark: pool.erasureCount
        });
        _purchases[sale.id] = keccak256(abi.encode(sale));
        emit PurchaseCreated(sale.id, poolId, msg.sender, token, price, sale.deadline, buyerKey, sale.erasureMark);
    }

    /// @dev Checks that `sale` is a pending purchase exactly as made, and marks it settled.
    function _closePurchase(Purchase calldata sale, bytes32 outcome) private {
        bytes32 stored = _purchases[sale.id];
        if (stored != keccak256(abi.encode(sale))) {
            if (stored == _FULFILLED) revert PurchaseSettled(sale.id, PurchaseStatus.Fulfilled);
            if (stored == _REFUNDED) revert PurchaseSettled(sale.id, PurchaseStatus.Refunded);
            revert UnknownPurchase(sale.id);
        }
        _purchases[sale.id] = outcome;
    }

    /// @dev Splits a sale and credits every party: the platform and curator directly, the
    /// contributions through the pool's accumulator, whatever their number.
    /// Virtual only so that a test variant can mis-credit a sale and prove the audit tool catches it.
    function _creditSale(
        Pool storage pool,
        uint96 amount,
        uint32 active
    ) internal virtual returns (SaleSplit memory split) {
        (split.platform, split.curator, split.contributors) = RevenueSplit.split(
            amount,
            pool.platformFeeBps,
            pool.contributorShareBps
        );
        (split.perContribution, split.carry) = RevenueSplit.distribute(split.contributors, pool.carry, active);
        pool.rewardPerContribution = (pool.rewardPerContribution + split.perContribution).toUint104();
        pool.carry = split.carry;
        address token = pool.paymentToken;
        if (split.curator != 0) _credits[pool.curator][token] += split.curator;
        if (split.platform != 0) _credits[treasury][token] += split.platform;
    }

    function _emitFulfilled(
        Purchase calldata sale,
        address token,
        SaleSplit memory split,
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

    /// @dev A buyer owes erasure of every contribution that ended after the earliest set it was
    /// delivered was taken. A delivery whose set was taken before erasures the buyer already
    /// attested (it attested while this delivery was in flight, or deliveries landed out of order)
    /// gave it those records again: they are owed again.
    function _recordDelivery(uint32 poolId, address buyer, uint32 erasuresSeen) private {
        BuyerErasure storage erasure = _buyerErasures[poolId][buyer];
        if (!erasure.delivered) {
            erasure.delivered = true;
            erasure.owedFrom = erasuresSeen;
            return;
        }
        if (erasure.owedFrom > erasuresSeen) erasure.owedFrom = erasuresSeen;
        if (erasure.attestedUpTo > erasuresSeen) erasure.attestedUpTo = erasuresSeen;
    }

    function _attestedUpTo(BuyerErasure storage erasure) private view returns (uint32) {
        return erasure.attestedUpTo > erasure.owedFrom ? erasure.attestedUpTo : erasure.owedFrom;
    }

    // ---------------------------------------------------------------- internal: money

    /// @dev Takes exactly `amount` from the caller: the native coin sent, or an ERC-20 transfer whose
    /// effect on our balance is checked, which rejects fee-on-transfer tokens.
    function _collect(address token, uint256 amount) private {
        if (token == address(0)) {
            if (msg.value != amount) revert IncorrectPayment(msg.value, amount);
            return;
        }
        if (msg.value != 0) revert UnexpectedNativePayment();
        uint256 balanceBefore = IERC20(token).balanceOf(address(this));
        IERC20(token).safeTransferFrom(msg.sender, address(this), amount);
        uint256 received = IERC20(token).balanceOf(address(this)) - balanceBefore;
        if (received != amount) revert UnsupportedToken(token, amount, received);
    }

    function _pay(address token, address to, uint256 amount) private {
        if (token == address(0)) {
            Address.sendValue(payable(to), amount);
        } else {
            IERC20(token).safeTransfer(to, amount);
        }
    }

    function _credit(address account, address token, uint32 poolId, uint256 amount) private {
        _credits[account][token] += amount;
        emit Credited(account, token, poolId, amount);
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
