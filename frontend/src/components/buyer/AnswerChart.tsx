/** A question's answer as a bar chart (inline SVG): one bar per group or bin, with axis and values. */
import { formatAnswerNumber, layoutBars, type BarSeries } from "../../logic/queryAnswer";

const WIDTH = 600;
const HEIGHT = 200;
/** Room left of the plot for the axis values, and below it for the bar labels. */
const LEFT = 48;
const BOTTOM = 40;

export function AnswerChart({ series }: { series: BarSeries }) {
  const { rects, baseline, max, min } = layoutBars(series.bars, WIDTH, HEIGHT);
  return (
    <figure>
      <svg
        viewBox={`${-LEFT} -12 ${WIDTH + LEFT + 8} ${HEIGHT + BOTTOM + 16}`}
        width="100%"
        role="img"
        aria-label={`Bar chart of ${series.title}: ${series.bars
          .map((bar) => `${bar.label} ${formatAnswerNumber(bar.value)}`)
          .join(", ")}`}
      >
        <line x1={0} y1={0} x2={0} y2={HEIGHT} stroke="#5b6472" />
        <line x1={0} y1={baseline} x2={WIDTH} y2={baseline} stroke="#5b6472" />
        <text x={-6} y={6} textAnchor="end" fontSize={12}>
          {formatAnswerNumber(max)}
        </text>
        <text x={-6} y={baseline + 4} textAnchor="end" fontSize={12}>
          0
        </text>
        {min < 0 && (
          <text x={-6} y={HEIGHT} textAnchor="end" fontSize={12}>
            {formatAnswerNumber(min)}
          </text>
        )}
        {rects.map((rect) => (
          <g key={rect.label}>
            <rect x={rect.x} y={rect.y} width={rect.width} height={rect.height} fill="#0b5cad" />
            <text
              x={rect.x + rect.width / 2}
              y={rect.value >= 0 ? rect.y - 3 : rect.y + rect.height + 12}
              textAnchor="middle"
              fontSize={12}
            >
              {formatAnswerNumber(rect.value)}
            </text>
            <text x={rect.x + rect.width / 2} y={HEIGHT + 16} textAnchor="middle" fontSize={12}>
              {rect.label.length > 18 ? `${rect.label.slice(0, 17)}…` : rect.label}
            </text>
          </g>
        ))}
      </svg>
      <figcaption>
        {series.title} <span className="muted">(noisy values: differential privacy)</span>
      </figcaption>
    </figure>
  );
}
