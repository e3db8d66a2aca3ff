/**
 * The passbook as a print-ready HTML statement: one self-contained page (inline print CSS, no
 * script, no external resource) that a browser prints or saves as PDF. Amounts are exact, in token
 * units with the symbol (lib/audit's `formatTokenAmount`); dates in UTC (lib/passbook's
 * `formatDate`). Pure: the dApp downloads the string.
 */
import { formatTokenAmount } from "../../../lib/audit/money.js";
import { formatEpsilon } from "../../../lib/query/epsilon.js";
import {
  formatDate,
  formatDuration,
  passbookUnits,
  type Passbook,
  type PassbookContribution,
  type PassbookTx,
} from "../../../lib/passbook/index.js";

/** Escapes text for HTML content and attribute values. */
export function escapeHtml(text: string): string {
  return text
    .replaceAll("&", "&amp;")
    .replaceAll("<", "&lt;")
    .replaceAll(">", "&gt;")
    .replaceAll('"', "&quot;")
    .replaceAll("'", "&#39;");
}

const STATEMENT_CSS = `
body { font: 11pt/1.4 system-ui, sans-serif; color: #111; margin: 2em; }
h1 { font-size: 16pt; margin: 0 0 .2em; } h2 { font-size: 12.5pt; margin: 1.4em 0 .3em; }
table { border-collapse: collapse; width: 100%; margin: .4em 0; }
th, td { border: 1px solid #999; padding: .2em .4em; text-align: left; vertical-align: top; }
td.amount, th.amount { text-align: right; white-space: nowrap; }
.muted { color: #555; } .overdue { font-weight: bold; color: #a00; }
.mono { font-family: ui-monospace, monospace; word-break: break-all; }
section { break-inside: avoid; }
@media print { body { margin: 0; } a { color: inherit; text-decoration: none; } @page { margin: 15mm; } }
`;

type Cell = string | { html: string } | { amount: string };

function row(cells: Cell[], header = false): string {
  const tag = header ? "th" : "td";
  return `<tr>${cells
    .map((cell) => {
      if (typeof cell === "string") return `<${tag}>${escapeHtml(cell)}</${tag}>`;
      if ("amount" in cell) return `<${tag} class="amount">${escapeHtml(cell.amount)}</${tag}>`;
      return `<${tag}>${cell.html}</${tag}>`;
    })
    .join("")}</tr>`;
}

function table(head: string[], rows: Cell[][]): string {
  return `<table><thead>${row(head, true)}</thead><tbody>${rows.map((r) => row(r)).join("")}</tbody></table>`;
}

function txCell(tx: PassbookTx | undefined): Cell {
  if (!tx) return "";
  const text = `${tx.hash.slice(0, 10)}…${tx.hash.slice(-6)}`;
  return {
    html: tx.url
      ? `<a class="mono" href="${escapeHtml(tx.url)}">${escapeHtml(text)}</a>`
      : `<span class="mono">${escapeHtml(text)}</span>`,
  };
}

/** The statement of a passbook as a standalone HTML document. */
export function passbookToHtml(passbook: Passbook): string {
  const units = passbookUnits(passbook);
  const money = (amount: string, token: string) => formatTokenAmount(BigInt(amount), units(token));
  const totals = table(
    ["Token", "Bounties", "From sales and queries", "Earned", "Claimed", "Unclaimed"],
    passbook.totals.map((t) => [
      units(t.token).symbol,
      { amount: money(t.bounties, t.token) },
      { amount: money(t.dividends, t.token) },
      { amount: money(t.earned, t.token) },
      { amount: money(t.claimed, t.token) },
      { amount: money(t.unclaimed, t.token) },
    ]),
  );
  const sections = passbook.contributions.map((c) => contributionHtml(c, money)).join("\n");
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<title>Databank passbook of ${escapeHtml(passbook.wallet)}</title>
<style>${STATEMENT_CSS}</style></head>
<body>
<h1>Databank passbook</h1>
<p class="mono">${escapeHtml(passbook.wallet)}</p>
<p class="muted">Rebuilt from on-chain events only: Databank ${escapeHtml(passbook.databank)} on chain ${passbook.chainId}, as of block ${escapeHtml(passbook.block)} (${escapeHtml(formatDate(passbook.asOf))}). Buyers must attest an erasure within ${escapeHtml(formatDuration(passbook.erasureGraceSeconds))} of the request.</p>
<h2>Totals</h2>
${passbook.totals.length > 0 ? totals : '<p class="muted">Nothing earned yet.</p>'}
<p>Buyers holding a copy of your records now: <strong>${passbook.buyersHoldingCopy}</strong></p>
${sections || '<p class="muted">No contributions from this wallet.</p>'}
</body></html>
`;
}

function contributionHtml(
  c: PassbookContribution,
  money: (amount: string, token: string) => string,
): string {
  const uses = [...c.deliveries, ...c.queries].sort((x, y) => x.tx.at - y.tx.at);
  const usesTable =
    uses.length === 0
      ? '<p class="muted">Not sold or used yet.</p>'
      : table(
          ["Date", "Purchase", "Product", "Buyer", "ε spent", "Earned", "Transaction"],
          uses.map((use) => [
            formatDate(use.tx.at),
            `#${use.purchaseId}`,
            use.product === "records" ? "record sale (a copy)" : "query answer",
            { html: `<span class="mono">${escapeHtml(use.buyer)}</span>` },
            use.product === "query" ? formatEpsilon(BigInt(use.epsilonSpent)) : "",
            {
              amount:
                money(use.earned, c.token) + (use.endedInFlight ? " (consent had ended)" : ""),
            },
            txCell(use.tx),
          ]),
        );
  const events: Cell[][] = [["Submitted", formatDate(c.submitted.at), "", txCell(c.submitted)]];
  if (c.granted) {
    events.push([
      "Accepted, bounty",
      formatDate(c.granted.at),
      { amount: money(c.bounty, c.token) + (c.bountyClaimed ? " (claimed)" : "") },
      txCell(c.granted),
    ]);
  }
  for (const s of c.settlements) {
    events.push([
      s.reason === "claim" ? "Claimed" : "Settled at revocation",
      formatDate(s.tx.at),
      { amount: money(s.amount, c.token) + (s.claimed ? " (paid out)" : " (in your credit)") },
      txCell(s.tx),
    ]);
  }
  if (c.ended) {
    events.push([
      c.expired ? "Consent expired" : "Consent revoked",
      formatDate(c.ended.at),
      "",
      txCell(c.ended),
    ]);
  }
  const erasure = c.erasure
    ? `<p>Erasure request #${c.erasure.index}, ${escapeHtml(formatDate(c.erasure.requested.at))}, due ${escapeHtml(formatDate(c.erasure.dueAt))}</p>` +
      (c.erasure.buyers.length === 0
        ? '<p class="muted">No buyer had received this record.</p>'
        : table(
            ["Buyer", "Erasure", "Transaction"],
            c.erasure.buyers.map((b) => [
              { html: `<span class="mono">${escapeHtml(b.buyer)}</span>` },
              b.status === "attested"
                ? `attested erased${b.attested ? ` ${formatDate(b.attested.at)}` : ""}`
                : b.status === "overdue"
                  ? { html: '<span class="overdue">OVERDUE, not attested</span>' }
                  : "due, not attested yet",
              txCell(b.attested),
            ]),
          ))
    : "";
  return `<section>
<h2>Contribution #${escapeHtml(c.contributionId)}, pool ${c.poolId} (${escapeHtml(c.scope)}): ${escapeHtml(c.status)}${c.expired ? " (expired)" : ""}</h2>
${usesTable}
${table(["Event", "Date", "Amount", "Transaction"], events)}
${erasure}
<p>Earned <strong>${escapeHtml(money(c.earned, c.token))}</strong>, claimed ${escapeHtml(money(c.claimed, c.token))}, unclaimed ${escapeHtml(money(c.unclaimed, c.token))}${c.privacyLoss > 0 ? `; privacy spent ε ${escapeHtml(formatEpsilon(BigInt(c.privacyLoss)))}` : ""}; ${c.buyersHoldingCopy.length} buyer(s) hold a copy.</p>
</section>`;
}
