// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {CanonicalCid} from "../../contracts/libraries/CanonicalCid.sol";
import {TestBase} from "./utils/TestBase.sol";

/// @dev Calldata entry point for the library.
contract CanonicalCidHarness {
    function isCanonical(string calldata cid) external pure returns (bool) {
        return CanonicalCid.isCanonical(cid);
    }
}

/// @notice The word-at-a-time check of CanonicalCid against a plain per-character reference.
contract CanonicalCidTest is TestBase {
    CanonicalCidHarness internal harness = new CanonicalCidHarness();

    function _reference(bytes memory cid) internal pure returns (bool) {
        if (cid.length < 8 || cid.length > 128 || cid[0] != "b") return false;
        for (uint256 i = 1; i < cid.length; ++i) {
            bytes1 c = cid[i];
            if (!((c >= "a" && c <= "z") || (c >= "2" && c <= "7"))) return false;
        }
        return true;
    }

    function testRealCids() public view {
        assertTrue(harness.isCanonical("bafkreihdwdcefgh4dqkjv67uzcmw7ojee6xedzdetojuzjevtenxquvyku"), "raw sha-256");
        assertTrue(harness.isCanonical("bafybeigdyrzt5sfp7udm7hu76uh7y26nf3efuylqabf3oclgtqy55fbzdi"), "dag-pb");
        assertFalse(harness.isCanonical("QmYwAPJzv5CZsnA625s3Xf2nemtYgPpHdWEz79ojWnPbdG"), "CIDv0");
        assertFalse(
            harness.isCanonical("bafkreihdwdcefgh4dqkjv67uzcmw7ojee6xedzdetojuzjevtenxquvyk1"),
            "1 is not base32"
        );
        assertFalse(harness.isCanonical("bafkreihdwdcefgh4dqkjv67uzcmw7ojee6xedzdetojuzjevtenxquvykU"), "upper case");
        assertFalse(harness.isCanonical("bafkreihdwdcefgh4dqkjv67uzcmw7ojee6xedzdetojuzjevtenxquvyku\x00"), "NUL");
        assertFalse(
            harness.isCanonical(
                string(bytes.concat("bafkreihdwdcefgh4dqkjv67uzcmw7ojee6xedzdetojuzjevtenxquvyk", hex"e1"))
            ),
            "high byte"
        );
    }

    /// @notice Every length around the 32-byte word boundaries, with one bad character anywhere.
    function testEveryPositionAndLength() public view {
        for (uint256 length = 1; length <= 130; ++length) {
            bytes memory cid = new bytes(length);
            cid[0] = "b";
            for (uint256 i = 1; i < length; ++i) cid[i] = bytes1(uint8(97 + (i % 26)));
            assertEq(harness.isCanonical(string(cid)), _reference(cid), "clean");
            for (uint256 bad = 1; bad < length; bad += 7) {
                bytes1 saved = cid[bad];
                cid[bad] = bad % 2 == 0 ? bytes1("8") : bytes1("{");
                assertFalse(harness.isCanonical(string(cid)), "bad character caught");
                cid[bad] = saved;
            }
        }
    }

    function testFuzz_MatchesReference(bytes memory cid) public view {
        assertEq(harness.isCanonical(string(cid)), _reference(cid), "same verdict");
    }

    /// @notice Mostly-valid inputs, so the fuzzer explores the accepting side too.
    function testFuzz_MatchesReferenceNearValid(uint8 length, uint256 seed, uint8 flips) public view {
        length = uint8(bound(length, 8, 128));
        bytes memory cid = new bytes(length);
        cid[0] = "b";
        for (uint256 i = 1; i < length; ++i) {
            uint256 r = uint256(keccak256(abi.encode(seed, i))) % 32;
            cid[i] = r < 26 ? bytes1(uint8(97 + r)) : bytes1(uint8(50 + r - 26));
        }
        if (flips % 4 == 0) cid[uint256(flips) % length] = bytes1(flips);
        assertEq(harness.isCanonical(string(cid)), _reference(cid), "same verdict");
    }
}
