import type { AiSeriesResponse } from '../../api/types.js';
import { fmtTokens, fmtUsd } from '../../lib/ai.js';
import { serviceColor } from '../../lib/colors.js';
import { fmtTime } from '../../lib/format.js';

type Metric = 'cost_usd' | 'tokens';

/** Stacked bars per time bucket, one colour per model/service, for cost and for tokens. */
export function SeriesChart({ data }: { data: AiSeriesResponse }) {
  return (
    <div>
      <Bars data={data} metric="cost_usd" title="Cost" />
      <Bars data={data} metric="tokens" title="Tokens (in + out)" />
      <div className="legend">
        {data.series.map((s) => (
          <span key={s.key ?? '∅'} data-testid="series-legend">
            <i style={{ background: serviceColor(s.key ?? 'unknown') }} />
            {s.key ?? 'unknown'} · {fmtUsd(s.cost_usd)} · {s.calls} calls
          </span>
        ))}
      </div>
    </div>
  );
}

function Bars({ data, metric, title }: { data: AiSeriesResponse; metric: Metric; title: string }) {
  const startUs = Date.parse(data.start) * 1000;
  const endUs = Date.parse(data.end) * 1000;
  const stepUs = data.step_ms * 1000;
  const n = Math.max(1, Math.min(500, Math.ceil((endUs - startUs) / stepUs)));
  const buckets: Array<Array<{ key: string; v: number }>> = Array.from({ length: n }, () => []);
  for (const s of data.series) {
    for (const p of s.points) {
      const i = Math.min(n - 1, Math.max(0, Math.floor((p.start_us - startUs) / stepUs)));
      const v = metric === 'cost_usd' ? p.cost_usd : p.input_tokens + p.output_tokens;
      buckets[i].push({ key: s.key ?? 'unknown', v });
    }
  }
  const max = Math.max(...buckets.map((b) => b.reduce((a, x) => a + x.v, 0)), 0);
  const fmt = metric === 'cost_usd' ? fmtUsd : fmtTokens;
  return (
    <div style={{ marginBottom: 10 }}>
      <div className="muted" style={{ fontSize: 12 }}>
        {title} · peak {fmt(max)} per{' '}
        {data.step_ms >= 3_600_000 ? `${data.step_ms / 3_600_000}h` : `${data.step_ms / 60_000}m`}
      </div>
      <div className="stack-bars">
        {buckets.map((b, i) => (
          <div
            // biome-ignore lint/suspicious/noArrayIndexKey: buckets are positions in time
            key={i}
            title={`${fmtTime(startUs + i * stepUs)}\n${b.map((x) => `${x.key}: ${fmt(x.v)}`).join('\n')}`}
          >
            {b.map((x) => (
              <span
                key={x.key}
                style={{
                  display: 'block',
                  height: max > 0 ? `${(x.v / max) * 118}px` : 0,
                  background: serviceColor(x.key),
                }}
              />
            ))}
          </div>
        ))}
      </div>
    </div>
  );
}
