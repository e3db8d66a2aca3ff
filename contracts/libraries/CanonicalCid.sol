// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

/// @title Canonical CID spelling
/// @notice One record, one spelling. A CID can be written in many bases (base58 "z…", base36 "k…",
/// CIDv0 "Qm…", upper case, padded); the contract commits to the string, so each spelling would
/// count as new data. Databank accepts only CIDv1 in lowercase base32, the spelling
/// `CID.toString()` gives: "b" then letters a-z and digits 2-7. (Non-zero trailing bits, the one
/// variant left, are rejected by every CID parser, so such a string names no content.)
library CanonicalCid {
    /// @notice Shortest canonical CID: "b" and the 7 characters of a CIDv1 with an empty digest.
    uint256 internal constant MIN_LENGTH = 8;
    /// @notice Longest canonical CID accepted (a CIDv1 with a 64-byte digest is 113 characters).
    uint256 internal constant MAX_LENGTH = 128;

    /// @dev 0x01 in every byte: multiplies a byte into every lane of a word.
    uint256 private constant _LANES = 0x0101010101010101010101010101010101010101010101010101010101010101;

    /// @notice Whether `cid` is spelled canonically: "b", then only a-z and 2-7, 8 to 128 characters.
    /// @dev Checks 32 characters per step (SIMD within a register): for a byte x < 0x80, adding
    /// 0x80 - lo sets its top bit iff x >= lo, and adding 0x7f - hi sets it iff x > hi, with no carry
    /// into the next byte. So about 100 gas for a typical CID instead of 40 per character.
    function isCanonical(string calldata cid) internal pure returns (bool ok) {
        uint256 minLength = MIN_LENGTH;
        uint256 maxLength = MAX_LENGTH;
        assembly ("memory-safe") {
            let length := cid.length
            let start := cid.offset
            let high := mul(_LANES, 0x80)
            ok := and(
                and(iszero(lt(length, minLength)), iszero(gt(length, maxLength))),
                eq(byte(0, calldataload(start)), 0x62) // "b": the base32 multibase prefix
            )
            for {
                let i := 1
            } lt(i, length) {
                i := add(i, 32)
            } {
                let word := calldataload(add(start, i))
                let left := sub(length, i)
                if lt(left, 32) {
                    // Bytes past the end become "a", which passes.
                    let keep := not(shr(mul(left, 8), not(0)))
                    word := or(and(word, keep), and(mul(_LANES, 0x61), not(keep)))
                }
                let letter := and(add(word, mul(_LANES, 0x1f)), not(add(word, mul(_LANES, 0x05)))) // a-z
                let digit := and(add(word, mul(_LANES, 0x4e)), not(add(word, mul(_LANES, 0x48)))) // 2-7
                if or(and(word, high), xor(and(or(letter, digit), high), high)) {
                    ok := 0
                }
            }
        }
    }
}
