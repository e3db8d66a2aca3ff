// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

/// @title Force-send (test helper)
/// @notice Sends the value it is created with to `target` by self-destructing in its constructor.
/// No code of the target runs, so even a contract without `receive` (Databank) is credited: the
/// audit must report such funds as a surplus, not fail forever. Since Cancun (EIP-6780),
/// SELFDESTRUCT in the creating transaction still transfers the balance. Not deployed.
contract ForceSend {
    /// @param target The account credited with the value sent.
    constructor(address payable target) payable {
        selfdestruct(target);
    }
}
