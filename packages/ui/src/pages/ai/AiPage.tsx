import { getJson } from '../../api/client.js';
import type {
  AiCallsResponse,
  AiModelsResponse,
  AiSeriesResponse,
  AiUsageResponse,
} from '../../api/types.js';
import { ErrorMessage } from '../../components/ErrorMessage.js';
import { ServiceTag } from '../../components/ServiceTag.js';
import { fmtTokens, fmtUsd } from '../../lib/ai.js';
import { fmtDuration, fmtTime } from '../../lib/format.js';
import { Link, navigate, traceHref, useLocation } from '../../lib/router.js';
import { useApi } from '../../lib/useApi.js';
import { SeriesChart } from './SeriesChart.js';

const WINDOWS: Record<string, string> = { '1h': '1m', '6h': '10m', '24h': '1h', '7d': '6h' };
const BYS = ['model', 'service', 'provider'] as const;
type By = (typeof BYS)[number];

/** Issue 7: which model calls were slow, what they cost, over time and per model. */
export function AiPage() {
  const { search } = useLocation();
  const since = (search.get('since') ?? '') in WINDOWS ? (search.get('since') as string) : '24h';
  const by: By = (BYS as readonly string[]).includes(search.get('by') ?? '')
    ? (search.get('by') as By)
    : 'model';
  const order = search.get('order') === 'costliest' ? 'costliest' : 'slowest';
  const go = (p: Record<string, string>) => {
    const q = new URLSearchParams({ since, by, order, ...p });
    navigate(`/ai?${q}`, { replace: true });
  };

  const series = useApi(
    (s) => getJson<AiSeriesResponse>('/api/ai/series', { since, by, step: WINDOWS[since] }, s),
    [since, by],
  );
  const models = useApi((s) => getJson<AiModelsResponse>('/api/ai/models', { since }, s), [since]);
  const usage = useApi(
    (s) => getJson<AiUsageResponse>('/api/ai/usage', { since, group_by: 'model' }, s),
    [since],
  );
  const calls = useApi(
    (s) => getJson<AiCallsResponse>('/api/ai/calls', { since, order, limit: 20 }, s),
    [since, order],
  );

  return (
    <div className="page">
      <div className="page-head">
        <h2>AI</h2>
        <span className="seg">
          {Object.keys(WINDOWS).map((w) => (
            <button
              type="button"
              key={w}
              className={w === since ? 'active' : ''}
              onClick={() => go({ since: w })}
            >
              {w}
            </button>
          ))}
        </span>
      </div>

      <section className="card" data-testid="ai-series">
        <div className="card-title">
          Cost and tokens over time by{' '}
          <select value={by} onChange={(e) => go({ by: e.target.value })} aria-label="group by">
            {BYS.map((b) => (
              <option key={b}>{b}</option>
            ))}
          </select>
        </div>
        {series.state === 'error' && <ErrorMessage error={series.error} what="the AI series" />}
        {series.data &&
          (series.data.series.length === 0 ? (
            <p className="muted">No LLM calls in the last {since}.</p>
          ) : (
            <SeriesChart data={series.data} />
          ))}
      </section>

      <section className="card">
        <div className="card-title">Models: latency and time to first token</div>
        {models.state === 'error' && <ErrorMessage error={models.error} what="model latency" />}
        {models.data && (
          <table className="table" data-testid="ai-models-table">
            <thead>
              <tr>
                <th>Model</th>
                <th className="num">Calls</th>
                <th className="num">Errors</th>
                <th className="num">p50</th>
                <th className="num">p95</th>
                <th className="num">TTFT p50</th>
                <th className="num">TTFT p95</th>
                <th className="num">Output tok/s</th>
                <th className="num">Cost</th>
              </tr>
            </thead>
            <tbody>
              {models.data.models.map((m) => {
                const u = usage.data?.groups.find((g) => g.key === m.model);
                return (
                  <tr key={`${m.provider}/${m.model}`}>
                    <td>
                      {m.model ?? 'unknown'} <span className="muted">{m.provider ?? ''}</span>
                    </td>
                    <td className="num">{m.calls}</td>
                    <td className="num">{m.errors}</td>
                    <td className="num">{fmtDuration(m.p50_ms)}</td>
                    <td className="num">{fmtDuration(m.p95_ms)}</td>
                    <td className="num">{fmtDuration(m.ttft_p50_ms)}</td>
                    <td className="num">{fmtDuration(m.ttft_p95_ms)}</td>
                    <td className="num">
                      {m.output_tokens_per_s === null ? '–' : m.output_tokens_per_s.toFixed(1)}
                    </td>
                    <td className="num" data-testid="model-cost">
                      {u ? fmtUsd(u.cost_usd) : '–'}
                      {u && u.unpriced_calls > 0 ? (
                        <span className="muted" title="calls without a price">
                          {' '}
                          (+{u.unpriced_calls} unpriced)
                        </span>
                      ) : null}
                    </td>
                  </tr>
                );
              })}
              {models.data.models.length === 0 && (
                <tr>
                  <td colSpan={9} className="muted">
                    No LLM calls in the last {since}.
                  </td>
                </tr>
              )}
            </tbody>
          </table>
        )}
      </section>

      <section className="card">
        <div className="card-title">
          <span className="seg">
            {(['slowest', 'costliest'] as const).map((o) => (
              <button
                type="button"
                key={o}
                className={o === order ? 'active' : ''}
                onClick={() => go({ order: o })}
              >
                {o === 'slowest' ? 'Slowest' : 'Costliest'} LLM calls
              </button>
            ))}
          </span>
        </div>
        {calls.state === 'error' && <ErrorMessage error={calls.error} what="LLM calls" />}
        {calls.data && (
          <table className="table" data-testid="ai-calls-table">
            <thead>
              <tr>
                <th>When</th>
                <th>Service</th>
                <th>Call</th>
                <th>Model</th>
                <th className="num">Duration</th>
                <th className="num">TTFT</th>
                <th className="num">Tokens in/out</th>
                <th className="num">Cost</th>
                <th>Request</th>
              </tr>
            </thead>
            <tbody>
              {calls.data.calls.map((c) => (
                <tr
                  key={`${c.trace_id}:${c.span_id}`}
                  className={c.status === 'error' ? 'row-error' : ''}
                >
                  <td className="mono">{fmtTime(c.start_us)}</td>
                  <td>
                    <ServiceTag service={c.service} />
                  </td>
                  <td>{c.name}</td>
                  <td>{c.model ?? '–'}</td>
                  <td className="num">{fmtDuration(c.duration_ms)}</td>
                  <td className="num">{fmtDuration(c.ttft_ms)}</td>
                  <td className="num">
                    {fmtTokens(c.input_tokens)} / {fmtTokens(c.output_tokens)}
                  </td>
                  <td className="num">
                    {c.cost_usd !== null ? (
                      fmtUsd(c.cost_usd)
                    ) : (
                      <span className="muted">not priced</span>
                    )}
                  </td>
                  <td>
                    <Link to={traceHref(c.request_id ?? c.trace_id, c.span_id)} className="mono">
                      {c.request_id ?? c.trace_id.slice(0, 16)}
                    </Link>
                  </td>
                </tr>
              ))}
              {calls.data.calls.length === 0 && (
                <tr>
                  <td colSpan={9} className="muted">
                    No LLM calls in the last {since}.
                  </td>
                </tr>
              )}
            </tbody>
          </table>
        )}
      </section>
    </div>
  );
}
