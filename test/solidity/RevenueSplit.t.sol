// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {RevenueSplit} from "../../contracts/libraries/RevenueSplit.sol";
import {TestBase} from "./utils/TestBase.sol";

/// @notice Fuzz tests of the revenue split arithmetic.
contract RevenueSplitTest is TestBase {
    function testFuzz_SplitPartsSumToAmount(uint96 amount, uint16 feeBps, uint16 shareBps) public pure {
        feeBps = uint16(bound(feeBps, 0, 1_000));
        shareBps = uint16(bound(shareBps, 0, 10_000));
        (uint256 platform, uint256 curator, uint256 contributors) = RevenueSplit.split(amount, feeBps, shareBps);
        assertEq(platform + curator + contributors, amount, "parts sum to amount");
        assertLe(platform, (uint256(amount) * feeBps) / 10_000, "platform <= amount*fee/1e4");
        assertEq(platform, (uint256(amount) * feeBps) / 10_000, "platform rounds down");
        assertEq(contributors, ((uint256(amount) - platform) * shareBps) / 10_000, "contributors share of net");
        assertEq(curator, uint256(amount) - platform - contributors, "curator takes the rest");
    }

    function testFuzz_SplitFullRange(uint256 amount, uint16 feeBps, uint16 shareBps) public pure {
        amount = bound(amount, 0, type(uint128).max);
        feeBps = uint16(bound(feeBps, 0, 10_000));
        shareBps = uint16(bound(shareBps, 0, 10_000));
        (uint256 platform, uint256 curator, uint256 contributors) = RevenueSplit.split(amount, feeBps, shareBps);
        assertEq(platform + curator + contributors, amount, "parts sum to amount");
        assertLe(platform, (amount * feeBps) / 10_000, "platform bounded");
        assertLe(contributors, amount - platform, "contributors within net");
    }

    function testSplitExample() public pure {
        (uint256 platform, uint256 curator, uint256 contributors) = RevenueSplit.split(1_000_001, 250, 7_000);
        assertEq(platform, 25_000, "platform");
        assertEq(contributors, 682_500, "contributors");
        assertEq(curator, 292_501, "curator");
    }

    function testFuzz_Distribute(uint128 amount, uint32 carry, uint32 count) public pure {
        count = uint32(bound(count, 1, type(uint32).max));
        carry = uint32(bound(carry, 0, count - 1));
        (uint256 per, uint32 newCarry) = RevenueSplit.distribute(amount, carry, count);
        assertEq(per * count + newCarry, uint256(amount) + carry, "per*count + newCarry == amount + carry");
        assertLt(newCarry, count, "newCarry < count");
    }

    function testDistributeExample() public pure {
        (uint256 per, uint32 newCarry) = RevenueSplit.distribute(100, 2, 7);
        assertEq(per, 14, "per");
        assertEq(newCarry, 4, "carry");
    }
}
