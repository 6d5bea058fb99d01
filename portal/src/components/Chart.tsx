import { formatTime } from "../format";

export interface Series {
  name: string;
  /** A CSS class giving the line its colour (see styles.css). */
  className: string;
  values: number[];
}

const width = 640, height = 220;
const pad = { left: 44, right: 12, top: 12, bottom: 28 };

/**
 * Percentages over time as an SVG line chart: 0–100 % on the y axis, the samples' times on the x axis.
 * Plain SVG, so it stays light; its title and description carry the figures for screen readers.
 */
export function PercentChart({ id, title, times, series }: { id: string; title: string; times: string[]; series: Series[] }) {
  if (times.length === 0)
    return (
      <figure class="chart" data-samples="0">
        <figcaption>{title}</figcaption>
        <p class="muted">No samples yet: the agent sends metrics at its metrics interval once it runs.</p>
      </figure>
    );
  const t0 = new Date(times[0]).getTime();
  const t1 = new Date(times[times.length - 1]).getTime();
  const span = Math.max(t1 - t0, 1);
  const x = (t: string) => pad.left + ((new Date(t).getTime() - t0) / span) * (width - pad.left - pad.right);
  const y = (v: number) => pad.top + (1 - Math.min(Math.max(v, 0), 100) / 100) * (height - pad.top - pad.bottom);
  const latest = series.map((s) => `${s.name} ${s.values[s.values.length - 1].toFixed(1)} %`).join(", ");
  const description = `${times.length} samples from ${formatTime(times[0])} to ${formatTime(times[times.length - 1])}; latest: ${latest}.`;
  return (
    <figure class="chart" data-samples={times.length}>
      <figcaption>{title}</figcaption>
      <svg viewBox={`0 0 ${width} ${height}`} role="img" aria-labelledby={`${id}-title ${id}-desc`}>
        <title id={`${id}-title`}>{title}</title>
        <desc id={`${id}-desc`}>{description}</desc>
        {[0, 25, 50, 75, 100].map((v) => (
          <g key={v} class="grid">
            <line x1={pad.left} x2={width - pad.right} y1={y(v)} y2={y(v)} />
            <text x={pad.left - 6} y={y(v) + 4} text-anchor="end">{`${v}%`}</text>
          </g>
        ))}
        <text class="axis" x={pad.left} y={height - 8}>{formatTime(times[0])}</text>
        <text class="axis" x={width - pad.right} y={height - 8} text-anchor="end">{formatTime(times[times.length - 1])}</text>
        {series.map((s) => (
          <polyline key={s.name} class={`line ${s.className}`} fill="none"
            points={s.values.map((v, i) => `${x(times[i]).toFixed(1)},${y(v).toFixed(1)}`).join(" ")} />
        ))}
      </svg>
      <ul class="legend">
        {series.map((s) => (
          <li key={s.name} class={s.className}>
            {s.name}: {s.values[s.values.length - 1].toFixed(1)} %
          </li>
        ))}
      </ul>
    </figure>
  );
}
