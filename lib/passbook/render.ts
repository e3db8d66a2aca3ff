/**
 * The passbook as people read it: a statement with one table per contribution and the totals,
 * money in token units with the symbol, dates in words; and as CSV, one line per entry, for a
 * spreadsheet. Nothing here reads the chain. Browser-safe (the dApp's download uses the CSV).
 */
import { formatUnits, type Address } from "viem";
import { ETH_UNITS, formatTokenAmount, textTable, type TokenUnits } from "../audit/index.js";
import { formatEpsilon } from "../query/epsilon.js";
import { formatDuration } from "../format/duration.js";
import type { Passbook, PassbookContribution, PassbookTx } from "./schema.js";

/** A unix time as people read it, in UTC: "2026-11-26 00:24 UTC". */
export function formatDate(seconds: number): string {
  return `${new Date(seconds * 1000).toISOString().slice(0, 16).replace("T", " ")} UTC`;
}

export { formatDuration } from "../format/duration.js";

/**
 * The units (symbol, decimals) of each token of a passbook (ETH's when a token is missing, which it
 * never is when built): for every rendering, the CLI's and the dApp's.
 */
export function passbookUnits(passbook: Passbook): (token: string) => TokenUnits {
  const units = new Map(passbook.tokens.map((t) => [t.token.toLowerCase(), t]));
  return (token) => units.get(token.toLowerCase()) ?? ETH_UNITS;
}

const short = (address: string) => `${address.slice(0, 6)}…${address.slice(-4)}`;
const txText = (tx: PassbookTx | undefined) => (tx ? (tx.url ?? tx.hash) : "");

/** The readable statement: header, one section per contribution, totals. */
export function passbookToText(passbook: Passbook): string {
  const units = passbookUnits(passbook);
  const money = (amount: string, token: string) => formatTokenAmount(BigInt(amount), units(token));
  const out: string[] = [
    `Passbook of ${passbook.wallet}`,
    `Databank ${passbook.databank} on chain ${passbook.chainId}, as of block ${passbook.block} (${formatDate(passbook.asOf)})`,
    `From on-chain events only; erasures are due ${formatDuration(passbook.erasureGraceSeconds)} after the request.`,
    "",
  ];
  if (passbook.contributions.length === 0) out.push("No contributions from this wallet.", "");
  for (const c of passbook.contributions) out.push(...contributionText(c, money), "");
  out.push("Totals");
  out.push(
    textTable(
      ["token", "bounties", "dividends", "earned", "claimed", "unclaimed"],
      passbook.totals.map((t) => [
        units(t.token).symbol,
        money(t.bounties, t.token),
        money(t.dividends, t.token),
        money(t.earned, t.token),
        money(t.claimed, t.token),
        money(t.unclaimed, t.token),
      ]),
    ),
  );
  out.push(`Buyers holding a copy of your records now: ${passbook.buyersHoldingCopy}`);
  return `${out.join("\n")}\n`;
}

function contributionText(
  c: PassbookContribution,
  money: (amount: string, token: string) => string,
): string[] {
  const lines = [
    `Contribution #${c.contributionId} in pool ${c.poolId} (${c.scope}): ${c.status}${c.expired ? " (expired)" : ""}`,
    `  submitted ${formatDate(c.submitted.at)}` +
      (c.granted ? `, accepted ${formatDate(c.granted.at)}` : "") +
      (c.ended ? `, consent ended ${formatDate(c.ended.at)}` : ""),
    `  bounty ${money(c.bounty, c.token)}${c.bountyClaimed ? " (claimed)" : ""}`,
  ];
  const uses = [...c.deliveries, ...c.queries].sort((x, y) => x.tx.at - y.tx.at);
  if (uses.length === 0) {
    lines.push("  not sold or used yet");
  } else {
    lines.push(
      indent(
        textTable(
          ["date", "purchase", "product", "buyer", "ε spent", "earned", "transaction"],
          uses.map((use) => [
            formatDate(use.tx.at),
            `#${use.purchaseId}`,
            use.product === "records" ? "record sale" : "query",
            short(use.buyer),
            use.product === "query" ? formatEpsilon(BigInt(use.epsilonSpent)) : "",
            money(use.earned, c.token) + (use.endedInFlight ? " (consent had ended)" : ""),
            txText(use.tx),
          ]),
        ),
      ),
    );
  }
  for (const s of c.settlements) {
    lines.push(
      `  ${formatDate(s.tx.at)} ${s.reason === "claim" ? "claimed" : "settled at revocation"} ${money(s.amount, c.token)}${s.reason === "revocation" ? (s.claimed ? " (claimed since)" : " (in your credit, unclaimed)") : ""}  ${txText(s.tx)}`,
    );
  }
  if (c.erasure) {
    lines.push(
      `  erasure request #${c.erasure.index}, ${formatDate(c.erasure.requested.at)}, due ${formatDate(c.erasure.dueAt)}`,
    );
    if (c.erasure.buyers.length === 0) lines.push("    no buyer received this record");
    for (const b of c.erasure.buyers) {
      lines.push(
        `    ${b.buyer}: ${
          b.status === "attested"
            ? `attested erased${b.attested ? ` ${formatDate(b.attested.at)}` : ""}`
            : b.status === "overdue"
              ? "OVERDUE, not attested"
              : "not attested yet"
        }`,
      );
    }
  }
  if (c.privacyLoss > 0) lines.push(`  privacy loss ε ${formatEpsilon(BigInt(c.privacyLoss))}`);
  lines.push(
    `  earned ${money(c.earned, c.token)}, claimed ${money(c.claimed, c.token)}, unclaimed ${money(c.unclaimed, c.token)}; ${c.buyersHoldingCopy.length} buyer(s) hold a copy`,
  );
  return lines;
}

function indent(text: string): string {
  return text
    .split("\n")
    .map((line) => `  ${line}`)
    .join("\n");
}

/** Columns of the CSV statement. */
export const PASSBOOK_CSV_COLUMNS = [
  "entry",
  "contribution",
  "pool",
  "date",
  "purchase",
  "product",
  "counterparty",
  "amount",
  "symbol",
  "epsilon",
  "status",
  "due",
  "tx",
] as const;

type CsvLine = Partial<Record<(typeof PASSBOOK_CSV_COLUMNS)[number], string | number | undefined>>;

function csvCell(value: unknown): string {
  if (value === undefined || value === null) return "";
  const text = String(value);
  return /[",\n\r]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

/**
 * The statement as CSV (RFC 4180 quoting): one line per contribution, delivery, query answer,
 * settlement, erasure recipient, withdrawal and token total. Amounts in token units (the symbol in
 * its own column), dates in ISO 8601 UTC, ε in ε.
 */
export function passbookToCsv(passbook: Passbook): string {
  const units = passbookUnits(passbook);
  const amount = (value: string, token: Address | string) => {
    const unit = units(token);
    return { amount: formatUnits(BigInt(value), unit.decimals), symbol: unit.symbol };
  };
  const iso = (seconds: number) => new Date(seconds * 1000).toISOString();
  const lines: CsvLine[] = [];
  for (const c of passbook.contributions) {
    const base = { contribution: c.contributionId, pool: c.poolId };
    lines.push({
      entry: "contribution",
      ...base,
      date: iso((c.granted ?? c.submitted).at),
      product: c.scope,
      status: c.status,
      ...amount(c.earned, c.token),
      tx: txText(c.granted ?? c.submitted),
    });
    if (c.bounty !== "0") {
      lines.push({
        entry: "bounty",
        ...base,
        date: c.granted ? iso(c.granted.at) : undefined,
        status: c.bountyClaimed ? "claimed" : "unclaimed",
        ...amount(c.bounty, c.token),
        tx: txText(c.granted),
      });
    }
    for (const use of [...c.deliveries, ...c.queries]) {
      lines.push({
        entry: use.product === "records" ? "delivery" : "query",
        ...base,
        date: iso(use.tx.at),
        purchase: use.purchaseId,
        product: use.product,
        counterparty: use.buyer,
        ...amount(use.earned, c.token),
        epsilon: use.product === "query" ? formatEpsilon(BigInt(use.epsilonSpent)) : undefined,
        status: use.endedInFlight ? "consent had ended" : "paid",
        tx: txText(use.tx),
      });
    }
    for (const s of c.settlements) {
      lines.push({
        entry: s.reason === "claim" ? "claim" : "revocation-settlement",
        ...base,
        date: iso(s.tx.at),
        ...amount(s.amount, c.token),
        status: s.claimed ? "claimed" : "unclaimed",
        tx: txText(s.tx),
      });
    }
    if (c.ended) {
      lines.push({
        entry: "revocation",
        ...base,
        date: iso(c.ended.at),
        status: c.expired ? "expired" : "revoked",
        tx: txText(c.ended),
      });
    }
    for (const b of c.erasure?.buyers ?? []) {
      lines.push({
        entry: "erasure",
        ...base,
        date: iso(c.erasure!.requested.at),
        counterparty: b.buyer,
        status: b.status,
        due: iso(c.erasure!.dueAt),
        tx: txText(b.attested ?? c.erasure!.requested),
      });
    }
  }
  for (const w of passbook.withdrawals) {
    lines.push({
      entry: "withdrawal",
      date: iso(w.tx.at),
      ...amount(w.amount, w.token),
      tx: txText(w.tx),
    });
  }
  for (const t of passbook.totals) {
    for (const key of ["earned", "claimed", "unclaimed"] as const) {
      lines.push({ entry: `total-${key}`, ...amount(t[key], t.token) });
    }
  }
  lines.push({ entry: "buyers-holding-copy", amount: passbook.buyersHoldingCopy });
  const text = [PASSBOOK_CSV_COLUMNS.join(",")];
  for (const line of lines) {
    text.push(PASSBOOK_CSV_COLUMNS.map((column) => csvCell(line[column])).join(","));
  }
  return `${text.join("\n")}\n`;
}
