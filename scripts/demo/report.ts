/** The demo's terminal output: a progress display and the closing summary. */
import { fmt, type DemoReporter, type DemoResult } from "./scenario.js";

/** Progress on one line when writing to a terminal, one line per milestone otherwise. */
export function terminalReporter(out: NodeJS.WriteStream = process.stdout): DemoReporter {
  let step = 0;
  let barOpen = false;
  const closeBar = () => {
    if (barOpen) out.write("\n");
    barOpen = false;
  };
  return {
    step(title) {
      closeBar();
      out.write(`\n${++step}. ${title}\n`);
    },
    progress(label, done, total) {
      const width = 30;
      const filled = Math.round((done / total) * width);
      const line = `   [${"#".repeat(filled)}${"-".repeat(width - filled)}] ${done}/${total} ${label}`;
      if (out.isTTY) {
        out.write(`\r${line}`);
        barOpen = done < total;
        if (done === total) out.write("\n");
      } else if (done === total || done % 10 === 0) {
        out.write(`${line}\n`);
      }
    },
    info(line) {
      closeBar();
      out.write(`   ${line}\n`);
    },
  };
}

/** The summary table printed at the end. */
export function summarise(result: DemoResult): string {
  const rows: [string, string][] = [];
  for (const purchase of result.purchases) {
    rows.push([
      `buyer ${short(purchase.buyer)} paid (purchase #${purchase.purchaseId})`,
      `${fmt(purchase.amount)} ETH → ${purchase.records.length} records decrypted`,
    ]);
  }
  rows.push(["platform (treasury) claimed", `${fmt(result.claimed.treasury)} ETH`]);
  rows.push(["curator claimed", `${fmt(result.claimed.curator)} ETH`]);
  for (const [index, contributor] of result.contributors.entries()) {
    rows.push([
      `contributor ${String(index + 1).padStart(2)} ${short(contributor.address)}${contributor.revoked ? " (revoked)" : ""}`,
      `${fmt(contributor.claimed)} ETH`,
    ]);
  }
  for (const rejection of result.rejections) {
    rows.push([`rejected: ${rejection.label}`, rejection.reason]);
  }
  rows.push([
    "erasures owed by the first buyer",
    `${result.erasureAttested.owedBefore} → ${result.erasureAttested.owedAfter} after its attestation`,
  ]);
  const width = Math.max(...rows.map(([label]) => label.length));
  return [
    "",
    "Summary",
    ...rows.map(([label, value]) => `  ${label.padEnd(width)}  ${value}`),
  ].join("\n");
}

function short(address: string): string {
  return `${address.slice(0, 6)}…${address.slice(-4)}`;
}
