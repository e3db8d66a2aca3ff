/**
 * Cumulative money paid in and paid out per delivered sale, as an inline SVG (lazy-loaded): a value
 * axis in token units, a sale axis, both titled, the final amount of each line in the legend, and
 * the same figures as a table for screen readers.
 */
import {
  moneySeries,
  polylinePoints,
  saleTicks,
  valueTicks,
  type SaleSplit,
} from "../../logic/chartSeries";
import { formatAmount, type TokenInfo } from "../../logic/format";

const PLOT_WIDTH = 600;
const PLOT_HEIGHT = 220;
/** Room left of the plot for the value labels, and below it for the sale labels and title. */
const LEFT = 96;
const BOTTOM = 44;
const TOP = 10;
const RIGHT = 12;
const LINES = [
  { key: "paidIn", label: "Paid in by buyers", color: "#12263f" },
  { key: "toContributors", label: "To contributors", color: "#11652f" },
  { key: "toCurator", label: "To the curator", color: "#0b5cad" },
  { key: "toPlatform", label: "Platform fee", color: "#a4161a" },
] as const;

export default function RevenueChart({
  sales,
  token,
}: {
  sales: SaleSplit[];
  token: Pick<TokenInfo, "symbol" | "decimals">;
}) {
  const series = moneySeries(sales);
  const last = series[series.length - 1]!;
  // One scale for every line: everything paid out comes from what was paid in.
  const top = last.paidIn;
  const xOf = (sale: number) => LEFT + (sale / Math.max(1, sales.length)) * PLOT_WIDTH;
  const yOf = (fraction: number) => TOP + PLOT_HEIGHT - fraction * PLOT_HEIGHT;
  return (
    <figure>
      <svg
        viewBox={`0 0 ${LEFT + PLOT_WIDTH + RIGHT} ${TOP + PLOT_HEIGHT + BOTTOM}`}
        width="100%"
        role="img"
        aria-label={`Cumulative revenue and payouts over ${sales.length} delivered sale(s), in ${token.symbol}: ${formatAmount(top, token)} paid in`}
      >
        <rect
          x={LEFT}
          y={TOP}
          width={PLOT_WIDTH}
          height={PLOT_HEIGHT}
          fill="#fbfbfc"
          stroke="#6b7380"
        />
        {valueTicks(top).map((tick) => (
          <g key={tick.fraction}>
            <line
              x1={LEFT - 4}
              x2={LEFT + PLOT_WIDTH}
              y1={yOf(tick.fraction)}
              y2={yOf(tick.fraction)}
              stroke="#dde1e7"
            />
            <text
              x={LEFT - 8}
              y={yOf(tick.fraction) + 4}
              textAnchor="end"
              fontSize="12"
              fill="#1b1f24"
            >
              {formatAmount(tick.value, token)}
            </text>
          </g>
        ))}
        {saleTicks(sales.length).map((sale) => (
          <text
            key={sale}
            x={xOf(sale)}
            y={TOP + PLOT_HEIGHT + 16}
            textAnchor="middle"
            fontSize="12"
            fill="#1b1f24"
          >
            {sale}
          </text>
        ))}
        <text
          x={LEFT + PLOT_WIDTH / 2}
          y={TOP + PLOT_HEIGHT + 36}
          textAnchor="middle"
          fontSize="13"
          fill="#1b1f24"
        >
          Delivered sales
        </text>
        <g transform={`translate(${LEFT}, ${TOP})`}>
          {LINES.map((line) => (
            <polyline
              key={line.key}
              fill="none"
              stroke={line.color}
              strokeWidth={2.5}
              points={polylinePoints(
                series.map((point) => point[line.key]),
                PLOT_WIDTH,
                PLOT_HEIGHT,
                top,
              )}
            />
          ))}
        </g>
      </svg>
      <figcaption>
        <span className="muted">
          Cumulative amount in {token.symbol} after each delivered sale:{" "}
        </span>
        {LINES.map((line) => (
          <span key={line.key} className="chart-legend">
            <span aria-hidden="true" style={{ color: line.color }}>
              ■
            </span>{" "}
            {line.label}: {formatAmount(last[line.key], token)}
          </span>
        ))}
      </figcaption>
    </figure>
  );
}
