import { useMemo, useRef, useState } from 'react';
import { serviceColor } from '../../lib/colors.js';
import { fmtDuration, fmtTime, niceCeil } from '../../lib/format.js';
import { useWidth } from '../../lib/useWidth.js';
import type { TraceSummary } from './summary.js';

const H = 170;
const PAD = { l: 60, r: 14, t: 12, b: 24 };

/** Duration over time of the results; a click opens the trace. */
export function Scatter({
  traces,
  onOpen,
}: {
  traces: TraceSummary[];
  onOpen: (t: TraceSummary) => void;
}) {
  const ref = useRef<HTMLDivElement>(null);
  const width = useWidth(ref);
  const [hover, setHover] = useState<TraceSummary | null>(null);
  const scale = useMemo(() => {
    const xs = traces.map((t) => t.startUs);
    // Pad the time domain so points at the ends are not cut by the frame.
    const lo = Math.min(...xs);
    const hi = Math.max(...xs);
    const pad = (hi - lo) * 0.04 || 1_000_000;
    const x0 = lo - pad;
    const x1 = hi + pad;
    const yMax = niceCeil(Math.max(...traces.map((t) => t.durationMs)) * 1.05);
    const span = x1 - x0;
    return {
      x: (us: number) => PAD.l + ((us - x0) / span) * (width - PAD.l - PAD.r),
      y: (ms: number) => H - PAD.b - (ms / yMax) * (H - PAD.t - PAD.b),
      x0,
      x1,
      yMax,
    };
  }, [traces, width]);
  if (traces.length === 0) return null;
  const yTicks = [0, scale.yMax / 2, scale.yMax];
  return (
    <div className="scatter" ref={ref}>
      <svg width={width} height={H} role="img" aria-label="Trace durations over time">
        {yTicks.map((v) => (
          <g key={v}>
            <line
              x1={PAD.l}
              x2={width - PAD.r}
              y1={scale.y(v)}
              y2={scale.y(v)}
              className="grid-line"
            />
            <text x={PAD.l - 6} y={scale.y(v) + 4} className="axis-label" textAnchor="end">
              {fmtDuration(v)}
            </text>
          </g>
        ))}
        <text x={PAD.l} y={H - 6} className="axis-label">
          {fmtTime(scale.x0)}
        </text>
        <text x={width - PAD.r} y={H - 6} className="axis-label" textAnchor="end">
          {fmtTime(scale.x1)}
        </text>
        {traces.map((t) => (
          // biome-ignore lint/a11y/noStaticElementInteractions: the result table below is the keyboard path
          <circle
            key={t.traceId}
            cx={scale.x(t.startUs)}
            cy={scale.y(t.durationMs)}
            r={Math.min(9, 3.5 + Math.log2(t.spanCount + 1) / 1.5)}
            className={`point${t.errorCount ? ' point-error' : ''}`}
            style={{ fill: t.errorCount ? undefined : serviceColor(t.rootService) }}
            onClick={() => onOpen(t)}
            onMouseEnter={() => setHover(t)}
            onMouseLeave={() => setHover(null)}
            data-trace-id={t.traceId}
          />
        ))}
      </svg>
      {hover && (
        <div
          className="tooltip"
          style={{
            left: Math.min(scale.x(hover.startUs) + 10, width - 260),
            top: Math.max(0, scale.y(hover.durationMs) - 10),
          }}
        >
          <div>
            <strong>{hover.rootService}</strong> {hover.rootOperation}
          </div>
          <div className="muted">
            {fmtDuration(hover.durationMs)} · {hover.spanCount} spans · {fmtTime(hover.startUs)}
          </div>
        </div>
      )}
    </div>
  );
}
