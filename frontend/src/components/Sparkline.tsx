/** A tiny inline SVG line of recent prices; colour follows the overall direction. */
export function Sparkline({ values, label, width = 96, height = 28 }: {
  values: number[];
  label: string;
  width?: number;
  height?: number;
}) {
  const finite = values.filter(Number.isFinite);
  if (finite.length < 2) {
    return <span className="sparkline-empty" aria-label={`${label}: no recent data`} role="img" />;
  }
  const min = Math.min(...finite);
  const max = Math.max(...finite);
  const span = max - min || 1;
  const step = width / (finite.length - 1);
  const points = finite
    .map((value, i) => `${(i * step).toFixed(1)},${(height - 2 - ((value - min) / span) * (height - 4)).toFixed(1)}`)
    .join(' ');
  const trend = finite[finite.length - 1]! >= finite[0]! ? 'up' : 'down';
  return (
    <svg
      className={`sparkline sparkline-${trend}`}
      width={width}
      height={height}
      viewBox={`0 0 ${width} ${height}`}
      role="img"
      aria-label={`${label}: trending ${trend}`}
    >
      <polyline points={points} fill="none" strokeWidth="1.5" strokeLinejoin="round" strokeLinecap="round" />
    </svg>
  );
}
