/**
 * The curator's controls of one pool: pause or resume, change a price (a large change asks
 * first), fund the bounty budget (balance checked before signing) and withdraw its unspent part.
 */
import { useEffect, useId, useRef, useState } from "react";
import { erc20Abi, zeroAddress } from "viem";
import { CONSENT_SCOPE } from "../../../../lib/contracts/client.js";
import { claimInToken } from "../../chain/claim";
import type { PoolView } from "../../hooks/useChainData";
import { useFundsCheck } from "../../hooks/useFundsCheck";
import { useTransaction } from "../../hooks/useTransaction";
import { wordingFor } from "../../logic/errors";
import { checkAmount, formatAmount, type TokenInfo } from "../../logic/format";
import { isLargePriceChange, withdrawableBounty } from "../../logic/poolForm";
import { useRuntime } from "../../runtime";
import { TransactionStatus } from "../TransactionStatus";

/** A price change waiting for the curator's confirmation. */
interface PendingPrice {
  kind: "price" | "queryPrice";
  value: bigint;
}

export function PoolControls({ pool, token }: { pool: PoolView; token: TokenInfo }) {
  const { runtime } = useRuntime();
  const transaction = useTransaction();
  const [newPrice, setNewPrice] = useState("");
  const [newQueryPrice, setNewQueryPrice] = useState("");
  const [bountyAmount, setBountyAmount] = useState("");
  const [withdrawAmount, setWithdrawAmount] = useState("");
  const [inputProblem, setInputProblem] = useState<string>();
  const [pending, setPending] = useState<PendingPrice>();
  const typedBounty = checkAmount(bountyAmount, token);
  const funds = useFundsCheck(pool.paymentToken, typedBounty.ok ? typedBounty.value : undefined);
  const withdrawable = withdrawableBounty(pool);
  const wording = wordingFor(token);
  const show = (amount: bigint) => formatAmount(amount, token);
  const run = (label: string, action: Parameters<typeof transaction.run>[1]) => {
    setInputProblem(undefined);
    void transaction.run(label, action, wording);
  };

  const sendPrice = ({ kind, value }: PendingPrice) => {
    setPending(undefined);
    if (kind === "price") {
      run("Change price", ({ writeDatabank }) => writeDatabank("setPrice", [pool.id, value]));
    } else {
      run("Change question price", ({ writeDatabank }) =>
        writeDatabank("setQueryPrice", [pool.id, value]),
      );
    }
  };
  const changePrice = (kind: PendingPrice["kind"], text: string) => {
    const checked = checkAmount(text, token);
    if (!checked.ok) return setInputProblem(checked.problem);
    const current = kind === "price" ? pool.price : pool.queryPrice;
    if (isLargePriceChange(current, checked.value)) {
      setInputProblem(undefined);
      return setPending({ kind, value: checked.value });
    }
    sendPrice({ kind, value: checked.value });
  };
  const fundBounty = () => {
    if (!typedBounty.ok) return setInputProblem(typedBounty.problem);
    if (funds.problem) return setInputProblem(funds.problem);
    const amount = typedBounty.value;
    run("Fund bounty", async ({ writeDatabank, writeContract }) => {
      if (pool.paymentToken === zeroAddress) {
        return writeDatabank("fundBounty", [pool.id, amount], amount);
      }
      await writeContract({
        address: pool.paymentToken,
        abi: erc20Abi,
        functionName: "approve",
        args: [runtime.databank, amount],
      });
      return writeDatabank("fundBounty", [pool.id, amount]);
    });
  };
  const withdrawBounty = () => {
    const checked = checkAmount(withdrawAmount, token, { max: withdrawable });
    if (!checked.ok) return setInputProblem(checked.problem);
    run("Withdraw bounty budget", async (context) => {
      await context.writeDatabank("withdrawBounty", [pool.id, checked.value]);
      context.reportStep(`Moved ${show(checked.value)} from the bounty budget to your credit`);
      // The credit is paid out at once: the curator asked for the money, not for a credit.
      await claimInToken(context, pool.paymentToken, []);
    });
  };

  return (
    <>
      <div className="actions">
        <button
          type="button"
          onClick={() =>
            run(pool.paused ? "Resume sales" : "Pause sales", ({ writeDatabank }) =>
              writeDatabank("setPaused", [pool.id, !pool.paused]),
            )
          }
          disabled={transaction.busy}
        >
          {pool.paused ? "Resume sales" : "Pause sales"}
        </button>
      </div>
      <div className="row">
        {(pool.products & CONSENT_SCOPE.statistics) !== 0 && (
          <AmountAction
            id={`new-query-price-${pool.id}`}
            label={`New price per question (${token.symbol})`}
            value={newQueryPrice}
            onChange={setNewQueryPrice}
            action="Change question price"
            onAction={() => changePrice("queryPrice", newQueryPrice)}
            disabled={transaction.busy}
          />
        )}
        {(pool.products & CONSENT_SCOPE.records) !== 0 && (
          <AmountAction
            id={`new-price-${pool.id}`}
            label={`New price (${token.symbol})`}
            value={newPrice}
            onChange={setNewPrice}
            action="Change price"
            onAction={() => changePrice("price", newPrice)}
            disabled={transaction.busy}
          />
        )}
        <AmountAction
          id={`bounty-${pool.id}`}
          label={`Add to bounty budget (${token.symbol})`}
          value={bountyAmount}
          onChange={setBountyAmount}
          action="Fund bounty"
          onAction={fundBounty}
          disabled={transaction.busy}
          note={funds.balance !== undefined ? `Your balance: ${show(funds.balance)}` : undefined}
        />
        <AmountAction
          id={`withdraw-bounty-${pool.id}`}
          label={`Withdraw from bounty budget (${token.symbol})`}
          value={withdrawAmount}
          onChange={setWithdrawAmount}
          action="Withdraw bounty"
          onAction={withdrawBounty}
          disabled={transaction.busy || withdrawable === 0n}
          note={`You can withdraw up to ${show(withdrawable)} (your unspent funding).`}
        />
      </div>
      {pending && (
        <PriceConfirmation
          current={show(pending.kind === "price" ? pool.price : pool.queryPrice)}
          next={show(pending.value)}
          onConfirm={() => sendPrice(pending)}
          onCancel={() => {
            setPending(undefined);
            // Back where the curator was: the price they typed, to change it or leave it.
            const input =
              pending.kind === "price" ? `new-price-${pool.id}` : `new-query-price-${pool.id}`;
            document.getElementById(input)?.focus();
          }}
        />
      )}
      {inputProblem && (
        <p className="field-error" role="alert">
          {inputProblem}
        </p>
      )}
      <TransactionStatus state={transaction.state} />
    </>
  );
}

/**
 * "Change the price from 0.1 ETH to 10 ETH?": the focus moves to the choice when it opens, so
 * keyboard and screen-reader users are asked at once (the question is the dialog's label).
 */
function PriceConfirmation(props: {
  current: string;
  next: string;
  onConfirm(): void;
  onCancel(): void;
}) {
  const textId = useId();
  const confirm = useRef<HTMLButtonElement>(null);
  useEffect(() => confirm.current?.focus(), []);
  return (
    <div className="confirmation" role="alertdialog" aria-labelledby={textId}>
      <p id={textId}>
        That is a large change: from {props.current} to {props.next}. Change the price?
      </p>
      <div className="actions">
        <button type="button" onClick={props.onConfirm} ref={confirm}>
          Yes, change it to {props.next}
        </button>
        <button type="button" className="secondary" onClick={props.onCancel}>
          Cancel
        </button>
      </div>
    </div>
  );
}

/** An amount typed in, and the button that acts on it. */
function AmountAction(props: {
  id: string;
  label: string;
  value: string;
  onChange(value: string): void;
  /** The button's text. */
  action: string;
  onAction(): void;
  disabled: boolean;
  /** A line under the button, e.g. the balance it draws on. */
  note?: string;
}) {
  return (
    <div>
      <label htmlFor={props.id}>{props.label}</label>
      <input
        id={props.id}
        type="text"
        inputMode="decimal"
        value={props.value}
        onChange={(event) => props.onChange(event.target.value)}
      />
      <div className="actions">
        <button type="button" onClick={props.onAction} disabled={props.disabled}>
          {props.action}
        </button>
      </div>
      {props.note && <div className="muted">{props.note}</div>}
    </div>
  );
}
