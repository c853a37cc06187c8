import { useRef } from 'react';
import { fmtTime, niceCeil } from '../../lib/format.js';
import { useWidth } from '../../lib/useWidth.js';

export interface Series {
  name: string;
  color: string;
  values: Array<number | null>;
}

const H = 150;
const PAD = { l: 66, r: 10, t: 10, b: 22 };

/** A small multi-series line chart over equal time buckets. */
export function LineChart({
  title,
  series,
  bucketStartsUs,
  format,
}: {
  title: string;
  series: Series[];
  bucketStartsUs: number[];
  format: (v: number) => string;
}) {
  const ref = useRef<HTMLDivElement>(null);
  const width = useWidth(ref, 360);
  const n = bucketStartsUs.length;
  let max = 0;
  for (const s of series) for (const v of s.values) if (v !== null && v > max) max = v;
  max = niceCeil(max);
  const x = (i: number) => PAD.l + (n <= 1 ? 0 : (i / (n - 1)) * (width - PAD.l - PAD.r));
  const y = (v: number) => H - PAD.b - (v / max) * (H - PAD.t - PAD.b);
  const path = (values: Array<number | null>) => {
    let d = '';
    let pen = false;
    values.forEach((v, i) => {
      if (v === null) {
        pen = false;
        return;
      }
      d += `${pen ? 'L' : 'M'}${x(i).toFixed(1)},${y(v).toFixed(1)}`;
      pen = true;
    });
    return d;
  };
  return (
    <div className="chart" ref={ref}>
      <div className="chart-head">
        <span className="chart-title">{title}</span>
        <span className="chart-legend">
          {series.map((s) => (
            <span key={s.name}>
              <span className="legend-swatch" style={{ background: s.color }} />
              {s.name}
            </span>
          ))}
        </span>
      </div>
      <svg width={width} height={H} role="img" aria-label={title}>
        {[0, 0.5, 1].map((f) => (
          <g key={f}>
            <line
              x1={PAD.l}
              x2={width - PAD.r}
              y1={y(max * f)}
              y2={y(max * f)}
              className="grid-line"
            />
            <text x={PAD.l - 6} y={y(max * f) + 4} className="axis-label" textAnchor="end">
              {format(max * f)}
            </text>
          </g>
        ))}
        {n > 0 && (
          <>
            <text x={PAD.l} y={H - 5} className="axis-label">
              {fmtTime(bucketStartsUs[0])}
            </text>
            <text x={width - PAD.r} y={H - 5} className="axis-label" textAnchor="end">
              {fmtTime(bucketStartsUs[n - 1])}
            </text>
          </>
        )}
        {series.map((s) => (
          <path key={s.name} d={path(s.values)} fill="none" stroke={s.color} strokeWidth={1.8} />
        ))}
        {series.map((s) =>
          s.values.map((v, i) =>
            v === null ? null : (
              // biome-ignore lint/suspicious/noArrayIndexKey: buckets are positional
              <circle key={`${s.name}${i}`} cx={x(i)} cy={y(v)} r={2} fill={s.color} />
            ),
          ),
        )}
      </svg>
    </div>
  );
}
