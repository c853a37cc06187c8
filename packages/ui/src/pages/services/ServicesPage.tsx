import { Fragment, useMemo } from 'react';
import { buildUrl, getJaeger, getJson } from '../../api/client.js';
import type { JaegerDependencyLink, JaegerTrace, StatsResponse } from '../../api/types.js';
import { ErrorMessage } from '../../components/ErrorMessage.js';
import { ServiceTag } from '../../components/ServiceTag.js';
import { fmtCount, fmtDuration, fmtPct, fmtRate } from '../../lib/format.js';
import { navigate, useLocation } from '../../lib/router.js';
import { useApi } from '../../lib/useApi.js';
import { DependencyMap } from './DependencyMap.js';
import { LineChart } from './LineChart.js';
import { bucketize } from './series.js';

const WINDOWS = ['15m', '1h', '6h', '24h', '7d'];
const WINDOW_S: Record<string, number> = {
  '15m': 900,
  '1h': 3600,
  '6h': 21600,
  '24h': 86400,
  '7d': 604800,
};

export function ServicesPage() {
  const { search } = useLocation();
  const since = WINDOWS.includes(search.get('since') ?? '')
    ? (search.get('since') as string)
    : '1h';
  const selected = search.get('service');
  const operation = search.get('operation');
  const go = (p: Record<string, string | null | undefined>) => {
    const cur: Record<string, string> = { since };
    if (selected) cur.service = selected;
    if (operation) cur.operation = operation;
    for (const [k, v] of Object.entries(p)) {
      if (v) cur[k] = v;
      else delete cur[k];
    }
    navigate(buildUrl('/services', cur), { replace: true });
  };

  const stats = useApi((s) => getJson<StatsResponse>('/api/stats', { since }, s), [since]);
  const deps = useApi(
    (s) => getJaeger<JaegerDependencyLink[]>('/api/dependencies', { lookback: since }, s),
    [since],
  );

  return (
    <div className="page services-page">
      <div className="page-head">
        <h2>Services</h2>
        <div className="seg" title="Time window">
          {WINDOWS.map((w) => (
            <button
              type="button"
              key={w}
              className={w === since ? 'active' : ''}
              onClick={() => go({ since: w })}
            >
              {w}
            </button>
          ))}
        </div>
      </div>

      {stats.state === 'error' && <ErrorMessage error={stats.error} what="service stats" />}
      {stats.data && stats.data.services.length === 0 && (
        <div className="empty card">
          <strong>No spans in the last {since}.</strong>
          <div className="muted">Point an OpenTelemetry exporter at this server's /v1/traces.</div>
        </div>
      )}
      {stats.data && stats.data.services.length > 0 && (
        <div className="card">
          <table className="table red-table" data-testid="red-table">
            <thead>
              <tr>
                <th>Service / operation</th>
                <th className="num">Requests</th>
                <th className="num">Rate</th>
                <th className="num">Errors</th>
                <th className="num">p50</th>
                <th className="num">p95</th>
                <th className="num">p99</th>
                <th className="num">max</th>
              </tr>
            </thead>
            <tbody>
              {stats.data.services.map((s) => {
                const open = selected === s.service;
                return (
                  <Fragment key={s.service}>
                    <tr
                      className={`clickable${open ? ' selected' : ''}`}
                      onClick={() => go({ service: open ? null : s.service, operation: null })}
                      data-service-row={s.service}
                    >
                      <td>
                        <span className="caret">{open ? '▾' : '▸'}</span>
                        <ServiceTag service={s.service} />
                      </td>
                      <td className="num">{fmtCount(s.count)}</td>
                      <td className="num">{fmtRate(s.rate_per_s)}</td>
                      <td className={`num${s.errors ? ' text-error' : ''}`}>
                        {fmtPct(s.error_rate)}
                      </td>
                      <td className="num">{fmtDuration(s.p50_ms)}</td>
                      <td className="num">{fmtDuration(s.p95_ms)}</td>
                      <td className="num">{fmtDuration(s.p99_ms)}</td>
                      <td className="num">{fmtDuration(s.max_ms)}</td>
                    </tr>
                    {open &&
                      s.operations.map((o) => (
                        <tr
                          key={`${o.operation}|${o.span_kind}`}
                          className={`op-row clickable${operation === o.operation ? ' selected' : ''}`}
                          onClick={() =>
                            go({ operation: operation === o.operation ? null : o.operation })
                          }
                        >
                          <td>
                            <span className="op-name">{o.operation}</span>{' '}
                            <span className={`kind kind-${o.span_kind}`}>{o.span_kind}</span>
                          </td>
                          <td className="num">{fmtCount(o.count)}</td>
                          <td className="num">{fmtRate(o.rate_per_s)}</td>
                          <td className={`num${o.errors ? ' text-error' : ''}`}>
                            {fmtPct(o.error_rate)}
                          </td>
                          <td className="num">{fmtDuration(o.p50_ms)}</td>
                          <td className="num">{fmtDuration(o.p95_ms)}</td>
                          <td className="num">{fmtDuration(o.p99_ms)}</td>
                          <td className="num">{fmtDuration(o.max_ms)}</td>
                        </tr>
                      ))}
                  </Fragment>
                );
              })}
            </tbody>
          </table>
        </div>
      )}

      {selected && <ServiceCharts service={selected} operation={operation} since={since} />}

      <div className="card">
        <div className="card-title">Dependencies · last {since}</div>
        {deps.state === 'error' && <ErrorMessage error={deps.error} what="dependencies" />}
        {deps.data && (
          <DependencyMap links={deps.data} onPick={(s) => go({ service: s, operation: null })} />
        )}
      </div>
    </div>
  );
}

function ServiceCharts({
  service,
  operation,
  since,
}: {
  service: string;
  operation: string | null;
  since: string;
}) {
  const traces = useApi(
    (s) =>
      getJaeger<JaegerTrace[]>(
        '/api/traces',
        { service, operation: operation ?? undefined, lookback: since, limit: 400 },
        s,
      ),
    [service, operation, since],
  );
  const buckets = useMemo(() => {
    if (!traces.data) return null;
    const endUs = Date.now() * 1000;
    return bucketize(traces.data, service, operation, endUs - WINDOW_S[since] * 1e6, endUs);
  }, [traces.data, service, operation, since]);
  return (
    <div className="card">
      <div className="card-title">
        {service}
        {operation ? ` · ${operation}` : ''} over the last {since}
        <span className="muted small"> from the {traces.data?.length ?? 0} most recent traces</span>
      </div>
      {traces.state === 'error' && <ErrorMessage error={traces.error} what="traces" />}
      {buckets && (
        <div className="charts">
          <LineChart
            title="Rate"
            series={[{ name: 'req/s', color: '#4f6bed', values: buckets.rate }]}
            bucketStartsUs={buckets.startsUs}
            format={(v) => fmtRate(v)}
          />
          <LineChart
            title="Error rate"
            series={[{ name: 'errors', color: '#d64545', values: buckets.errorRate }]}
            bucketStartsUs={buckets.startsUs}
            format={(v) => fmtPct(v)}
          />
          <LineChart
            title="Latency"
            series={[
              { name: 'p50', color: '#2bb39b', values: buckets.p50 },
              { name: 'p95', color: '#e0b32c', values: buckets.p95 },
              { name: 'p99', color: '#e2557b', values: buckets.p99 },
            ]}
            bucketStartsUs={buckets.startsUs}
            format={(v) => fmtDuration(v)}
          />
        </div>
      )}
    </div>
  );
}
