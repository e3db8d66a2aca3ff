/** What a contributor must know about a pool before typing or signing (logic/joinability). */
import type { Address } from "viem";
import type { JoinNotice } from "../../logic/joinability";
import { Amount } from "../Amount";

export function JoinNotices({
  poolId,
  notices,
  token,
}: {
  poolId: number;
  notices: JoinNotice[];
  token: Address;
}) {
  if (notices.length === 0) return null;
  return (
    <div className="banner warning" role="note" aria-label={`Before you join pool ${poolId}`}>
      <ul>
        {notices.map((notice) => (
          <li key={notice.kind}>
            {notice.kind === "full" &&
              `Pool ${poolId} is full: it takes at most ${notice.cap} contributors and has that many. It cannot accept a contribution until someone leaves.`}
            {notice.kind === "paused" &&
              "The curator has paused sales: you can join, but your record earns nothing until sales resume."}
            {notice.kind === "no-bounty-left" && (
              <>
                Its bounty budget is used up: you would join without the bounty of{" "}
                <Amount value={notice.bounty} token={token} /> it offers.
              </>
            )}
          </li>
        ))}
      </ul>
    </div>
  );
}
