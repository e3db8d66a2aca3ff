/**
 * The connected account's balances in the wallet bar (native coin and test stablecoin), and on the
 * local chain (31337) a faucet: TestStablecoin.mint is open to anyone, so one click gives the
 * account stablecoin to buy or fund bounties with.
 */
import { useEffect } from "react";
import { hardhat } from "viem/chains";
import type { Address } from "viem";
import { useWalletBalances } from "../hooks/useWalletBalances";
import { useTransaction } from "../hooks/useTransaction";
import { formatAmount } from "../logic/format";
import { TEST_STABLECOIN_MINT_ABI } from "../logic/testStablecoin";
import { useRuntime } from "../runtime";
import { TransactionStatus } from "./TransactionStatus";

/** Whole tokens the faucet mints per click. */
const FAUCET_TOKENS = 1_000n;

/** Decimals shown in the bar: enough to see a change, short enough for a phone's header. */
const SHOWN_DECIMALS = 4;

/** `amount` without the digits past {@link SHOWN_DECIMALS} (never shows more than is held). */
function roundedDown(amount: bigint, token: { decimals: number }): bigint {
  if (token.decimals <= SHOWN_DECIMALS) return amount;
  const step = 10n ** BigInt(token.decimals - SHOWN_DECIMALS);
  return amount - (amount % step);
}

export function WalletBalances({ account }: { account: Address }) {
  const { runtime } = useRuntime();
  const { data: balances } = useWalletBalances(account);
  const faucet = useTransaction();
  const stablecoin = balances?.find((balance) => !balance.token.native)?.token;
  const canMint = runtime.chainId === hardhat.id && stablecoin !== undefined;
  const { phase } = faucet.state;
  const { reset } = faucet;
  // The new balance shows the result: the confirmation need not take header room for long.
  useEffect(() => {
    if (phase !== "confirmed") return;
    const timer = setTimeout(reset, 8_000);
    return () => clearTimeout(timer);
  }, [phase, reset]);

  async function mint() {
    if (!stablecoin) return;
    const amount = FAUCET_TOKENS * 10n ** BigInt(stablecoin.decimals);
    await faucet.run(`Faucet: ${formatAmount(amount, stablecoin)}`, (context) =>
      context.writeContract({
        address: stablecoin.address,
        abi: TEST_STABLECOIN_MINT_ABI,
        functionName: "mint",
        args: [context.account, amount],
      }),
    );
  }

  return (
    <>
      <span className="balances">
        <span className="visually-hidden">Balances: </span>
        {balances
          ? balances
              .map((balance) =>
                formatAmount(roundedDown(balance.amount, balance.token), balance.token),
              )
              .join(" · ")
          : "…"}
      </span>
      {canMint && (
        <button type="button" className="secondary" onClick={mint} disabled={faucet.busy}>
          Get {FAUCET_TOKENS.toString()} {stablecoin.symbol}
        </button>
      )}
      <TransactionStatus state={faucet.state} />
    </>
  );
}
