// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

/// @title Cheatcodes used by the Databank Solidity tests
/// @notice The subset of the forge-style cheatcode interface that Hardhat 3's EDR serves at
/// 0x7109709ECfa91a80626fF3989D68f67F5b1DD12D. Only the cheatcodes these tests use.
interface Vm {
    function warp(uint256 newTimestamp) external;
    function prank(address sender) external;
    function startPrank(address sender) external;
    function stopPrank() external;
    function deal(address account, uint256 newBalance) external;
    function expectRevert(bytes4 revertData) external;
    function expectRevert(bytes calldata revertData) external;
    function expectEmit(bool checkTopic1, bool checkTopic2, bool checkTopic3, bool checkData) external;
    function sign(uint256 privateKey, bytes32 digest) external returns (uint8 v, bytes32 r, bytes32 s);
    function addr(uint256 privateKey) external returns (address keyAddr);
    function assume(bool condition) external;
    function label(address account, string calldata newLabel) external;
}
