// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

/// @title Consent scopes and products
/// @notice What a contribution's consent allows, one bit per use, and the same bits name the
/// products a pool sells: a record sale uses the records that allow `RECORDS`, a query the
/// records that allow `STATISTICS`.
library ConsentScope {
    /// @notice The encrypted record may be delivered to buyers as a copy.
    uint8 internal constant RECORDS = 1 << 0;
    /// @notice The record may only be used inside aggregate, differentially private answers
    /// computed by the custodian.
    uint8 internal constant STATISTICS = 1 << 1;
    /// @notice Every defined use.
    uint8 internal constant ALL = RECORDS | STATISTICS;
    /// @notice ε is counted in millionths: 500_000 is ε = 0.5.
    uint32 internal constant EPSILON_UNIT = 1_000_000;

    /// @notice Whether `scope` is a non-empty combination of the uses in `offered`.
    function isValid(uint8 scope, uint8 offered) internal pure returns (bool) {
        return scope != 0 && scope & ~offered == 0;
    }

    /// @notice Whether `scope` allows copies of the record to be sold.
    function allowsRecords(uint8 scope) internal pure returns (bool) {
        return scope & RECORDS != 0;
    }

    /// @notice Whether `scope` allows the record in aggregate answers.
    function allowsStatistics(uint8 scope) internal pure returns (bool) {
        return scope & STATISTICS != 0;
    }

    /// @notice Plain words for a scope, as the consent receipt shows it.
    function describe(uint8 scope) internal pure returns (string memory) {
        if (scope == ALL) return "records and statistics";
        if (scope == RECORDS) return "records";
        if (scope == STATISTICS) return "statistics only";
        return "none";
    }
}
