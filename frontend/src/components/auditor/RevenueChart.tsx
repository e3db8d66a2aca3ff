/** Cumulative money paid in and paid out per delivered sale, as an inline SVG (lazy-loaded). */
import { moneySeries, polylinePoints, type SaleSplit } from "../../logic/chartSeries";

const WIDTH = 600;
const HEIGHT = 220;
const LINES = [
  { key: "paidIn", label: "Paid in by buyers", color: "#12263f" },
  { key: "toContributors", label: "To contributors", color: "#11652f" },
  { key: "toCurator", label: "To the curator", color: "#0b5cad" },
  { key: "toPlatform", label: "Platform fee", color: "#a4161a" },
] as const;

export default function RevenueChart({ sales, unit }: { sales: SaleSplit[]; unit: string }) {
  const series = moneySeries(sales);
  // One scale for every line: everything paid out comes from what was paid in.
  const top = series[series.length - 1]!.paidIn;
  return (
    <figure>
      <svg
        viewBox={`-4 -4 ${WIDTH + 8} ${HEIGHT + 8}`}
        width="100%"
        role="img"
        aria-label={`Cumulative revenue and payouts over ${sales.length} delivered sale(s), in ${unit}`}
      >
        <rect x={0} y={0} width={WIDTH} height={HEIGHT} fill="#fbfbfc" stroke="#c9ced6" />
        {LINES.map((line) => (
          <polyline
            key={line.key}
            fill="none"
            stroke={line.color}
            strokeWidth={2.5}
            points={polylinePoints(
              series.map((point) => point[line.key]),
              WIDTH,
              HEIGHT,
              top,
            )}
          />
        ))}
      </svg>
      <figcaption>
        {LINES.map((line) => (
          <span key={line.key} style={{ marginRight: "1rem" }}>
            <span aria-hidden="true" style={{ color: line.color }}>
              ■
            </span>{" "}
            {line.label}
          </span>
        ))}
        <span className="muted">(cumulative, per delivered sale, {unit})</span>
      </figcaption>
    </figure>
  );
}
