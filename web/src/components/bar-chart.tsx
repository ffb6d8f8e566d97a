export interface Bar {
  /** Axis label under the bar (may be empty to leave gaps between labels). */
  readonly label: string;
  readonly value: number;
  /** Tooltip, e.g. "10:00–11:00: 1,204 records". */
  readonly title: string;
}

const width = 720;
const height = 180;
const axis = 22;
const top = 14;

/**
 * A small inline SVG bar chart: no chart library for a handful of bars. It scales with its container; the
 * summary in `description` is what screen readers get (the bars are decoration for them).
 */
export function BarChart({ bars, description }: { bars: readonly Bar[]; description: string }) {
  const max = Math.max(1, ...bars.map((bar) => bar.value));
  const slot = width / Math.max(1, bars.length);
  const barWidth = Math.max(2, slot * 0.7);
  const plot = height - axis - top;
  return (
    <figure className="chart">
      <svg viewBox={`0 0 ${width} ${height}`} role="img" aria-label={description}>
        <line x1={0} x2={width} y1={top + plot} y2={top + plot} className="chart-axis" />
        <text x={2} y={top - 3} className="chart-scale">
          {max.toLocaleString()}
        </text>
        {bars.map((bar, index) => {
          const barHeight = (bar.value / max) * plot;
          const x = index * slot + (slot - barWidth) / 2;
          return (
            <g key={index}>
              <rect
                x={x}
                y={top + plot - barHeight}
                width={barWidth}
                height={Math.max(bar.value > 0 ? 1 : 0, barHeight)}
                className="chart-bar"
              >
                <title>{bar.title}</title>
              </rect>
              {bar.label === '' ? null : (
                <text x={x + barWidth / 2} y={height - 6} className="chart-label" textAnchor="middle">
                  {bar.label}
                </text>
              )}
            </g>
          );
        })}
      </svg>
      <figcaption className="muted">{description}</figcaption>
    </figure>
  );
}
