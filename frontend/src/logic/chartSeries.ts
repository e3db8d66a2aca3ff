/** Series of the auditor's revenue/payout chart: cumulative money per delivered sale. */

/** A delivered sale's split (a fulfilled row of lib/audit's report). */
export interface SaleSplit {
  platform: bigint;
  curator: bigint;
  contributors: bigint;
}

export interface MoneyPoint {
  /** Sales so far. */
  sale: number;
  paidIn: bigint;
  toContributors: bigint;
  toCurator: bigint;
  toPlatform: bigint;
}

/** Cumulative amounts after each sale, starting from zero. */
export function moneySeries(sales: readonly SaleSplit[]): MoneyPoint[] {
  const points: MoneyPoint[] = [
    { sale: 0, paidIn: 0n, toContributors: 0n, toCurator: 0n, toPlatform: 0n },
  ];
  for (const sale of sales) {
    const last = points[points.length - 1]!;
    points.push({
      sale: last.sale + 1,
      paidIn: last.paidIn + sale.platform + sale.curator + sale.contributors,
      toContributors: last.toContributors + sale.contributors,
      toCurator: last.toCurator + sale.curator,
      toPlatform: last.toPlatform + sale.platform,
    });
  }
  return points;
}

/**
 * SVG polyline points of `values` in a width × height box (y grows downwards), `max` at the top
 * (default: the largest value; pass the same max to every line of one chart so they compare).
 */
export function polylinePoints(
  values: readonly bigint[],
  width: number,
  height: number,
  max: bigint = values.reduce((top, value) => (value > top ? value : top), 0n),
): string {
  const steps = Math.max(1, values.length - 1);
  return values
    .map((value, index) => {
      const x = (index / steps) * width;
      // Scale in bigint first: token amounts exceed what a float holds exactly.
      const y =
        max === 0n ? height : height - Number((value * 1_000_000n) / max) * (height / 1_000_000);
      return `${x.toFixed(1)},${y.toFixed(1)}`;
    })
    .join(" ");
}

/** A tick of the chart's value axis: its amount and its height (0 at the bottom, 1 at the top). */
export interface ValueTick {
  value: bigint;
  fraction: number;
}

/**
 * `count` + 1 evenly spaced ticks from 0 to `top` (inclusive), in base units: the value axis of a
 * chart whose lines all share `top` as their maximum. One tick (0) when `top` is 0.
 */
export function valueTicks(top: bigint, count = 4): ValueTick[] {
  if (top <= 0n || count < 1) return [{ value: 0n, fraction: 0 }];
  return Array.from({ length: count + 1 }, (_, index) => ({
    value: (top * BigInt(index)) / BigInt(count),
    fraction: index / count,
  }));
}

/** Sale numbers to label on the x axis (0…sales): all of them up to `most`, else evenly spaced. */
export function saleTicks(sales: number, most = 10): number[] {
  if (sales <= most) return Array.from({ length: sales + 1 }, (_, index) => index);
  const step = Math.ceil(sales / most);
  const ticks: number[] = [];
  for (let sale = 0; sale < sales; sale += step) ticks.push(sale);
  ticks.push(sales);
  return ticks;
}
