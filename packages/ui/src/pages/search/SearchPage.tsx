import { type FormEvent, useEffect, useMemo, useState } from 'react';
import { buildUrl, getJaeger } from '../../api/client.js';
import type { JaegerTrace } from '../../api/types.js';
import { ErrorMessage } from '../../components/ErrorMessage.js';
import { ServiceTag } from '../../components/ServiceTag.js';
import { fmtAgo, fmtDuration, fmtTime } from '../../lib/format.js';
import { classifyId } from '../../lib/ids.js';
import { navigate, traceHref, useLocation } from '../../lib/router.js';
import { useApi } from '../../lib/useApi.js';
import { Scatter } from './Scatter.js';
import { summarize, type TraceSummary } from './summary.js';

const FILTER_KEYS = [
  'service',
  'operation',
  'tags',
  'minDuration',
  'maxDuration',
  'errors',
  'lookback',
  'limit',
] as const;
type Filters = Record<(typeof FILTER_KEYS)[number], string>;
const LOOKBACKS = ['15m', '1h', '6h', '24h', '7d'];
const DURATION = /^\d+(\.\d+)?(us|µs|ms|s|m|h)$/;

function filtersFrom(search: URLSearchParams): Filters {
  const f = {} as Filters;
  for (const k of FILTER_KEYS) f[k] = search.get(k) ?? '';
  return f;
}

export function SearchPage() {
  const { search } = useLocation();
  const applied = useMemo(() => filtersFrom(search), [search]);
  const [form, setForm] = useState<Filters>(applied);
  useEffect(() => setForm(applied), [applied]);
  const [id, setId] = useState('');
  const [idProblem, setIdProblem] = useState<string | null>(null);

  const services = useApi((s) => getJaeger<string[]>('/api/services', {}, s), []);
  const operations = useApi(
    (s) =>
      form.service
        ? getJaeger<string[]>(`/api/services/${encodeURIComponent(form.service)}/operations`, {}, s)
        : Promise.resolve([]),
    [form.service],
  );
  const results = useApi(
    (s) =>
      getJaeger<JaegerTrace[]>(
        '/api/traces',
        {
          service: applied.service,
          operation: applied.operation,
          tags: applied.tags,
          minDuration: applied.minDuration,
          maxDuration: applied.maxDuration,
          errors: applied.errors === 'true',
          lookback: applied.lookback || '1h',
          limit: applied.limit || 50,
        },
        s,
      ),
    [applied],
  );
  const rows = useMemo(
    () => (results.data ?? []).map(summarize).sort((a, b) => b.startUs - a.startUs),
    [results.data],
  );

  const openId = (e: FormEvent) => {
    e.preventDefault();
    const parsed = classifyId(id);
    if (!parsed) {
      setIdProblem(
        'Expected a request ID (req_…, up to 128 of A–Z a–z 0–9 . _ : -), a 32-hex trace ID or a traceparent.',
      );
      return;
    }
    navigate(traceHref(parsed.id));
  };

  const durationProblem = [form.minDuration, form.maxDuration].some(
    (d) => d && !DURATION.test(d.trim()),
  )
    ? 'Durations look like 250ms, 1.5s, 2m.'
    : null;

  const apply = (e: FormEvent) => {
    e.preventDefault();
    if (durationProblem) return;
    const params: Record<string, string> = {};
    for (const k of FILTER_KEYS) if (form[k].trim()) params[k] = form[k].trim();
    navigate(buildUrl('/', params));
  };
  const set = (k: keyof Filters) => (v: string) => setForm((f) => ({ ...f, [k]: v }));
  const open = (t: TraceSummary) => navigate(traceHref(t.traceId));

  return (
    <div className="page search-page">
      <form className="id-search" onSubmit={openId}>
        <input
          className="input input-large"
          name="id"
          data-hotkey="search"
          placeholder="Paste a request ID (req_3f9a…), a trace ID or a traceparent"
          value={id}
          onChange={(e) => {
            setId(e.target.value);
            setIdProblem(null);
          }}
          spellCheck={false}
          autoComplete="off"
          // biome-ignore lint/a11y/noAutofocus: the landing page is this box
          autoFocus
        />
        <button type="submit" className="btn btn-primary btn-large">
          Open
        </button>
      </form>
      {idProblem && <div className="field-problem">{idProblem}</div>}

      <form className="filters card" onSubmit={apply} aria-label="Trace search filters">
        <label>
          Service
          <select
            className="input"
            name="service"
            value={form.service}
            onChange={(e) => setForm((f) => ({ ...f, service: e.target.value, operation: '' }))}
          >
            <option value="">All services</option>
            {(services.data ?? []).map((s) => (
              <option key={s} value={s}>
                {s}
              </option>
            ))}
          </select>
        </label>
        <label>
          Operation
          <select
            className="input"
            name="operation"
            value={form.operation}
            onChange={(e) => set('operation')(e.target.value)}
            disabled={!form.service}
          >
            <option value="">All operations</option>
            {(operations.data ?? []).map((o) => (
              <option key={o} value={o}>
                {o}
              </option>
            ))}
          </select>
        </label>
        <label className="grow">
          Tags
          <input
            className="input"
            name="tags"
            placeholder="http.status_code=500 user.id=42"
            value={form.tags}
            onChange={(e) => set('tags')(e.target.value)}
            spellCheck={false}
          />
        </label>
        <label className="narrow">
          Min duration
          <input
            className="input"
            name="minDuration"
            placeholder="100ms"
            value={form.minDuration}
            onChange={(e) => set('minDuration')(e.target.value)}
          />
        </label>
        <label className="narrow">
          Max duration
          <input
            className="input"
            name="maxDuration"
            placeholder="5s"
            value={form.maxDuration}
            onChange={(e) => set('maxDuration')(e.target.value)}
          />
        </label>
        <label className="narrow">
          Time range
          <select
            className="input"
            name="lookback"
            value={form.lookback || '1h'}
            onChange={(e) => set('lookback')(e.target.value)}
          >
            {LOOKBACKS.map((l) => (
              <option key={l} value={l}>
                last {l}
              </option>
            ))}
          </select>
        </label>
        <label className="check">
          <input
            type="checkbox"
            name="errors"
            checked={form.errors === 'true'}
            onChange={(e) => set('errors')(e.target.checked ? 'true' : '')}
          />
          Errors only
        </label>
        <button type="submit" className="btn">
          Find traces
        </button>
        {durationProblem && <div className="field-problem">{durationProblem}</div>}
      </form>

      {results.state === 'error' && <ErrorMessage error={results.error} what="traces" />}
      {results.state === 'loading' && !results.data && <div className="muted pad">Searching…</div>}
      {results.data && rows.length === 0 && results.state === 'ok' && (
        <div className="empty card">
          <strong>No traces match.</strong>
          <div className="muted">
            Widen the time range or clear a filter. Send traces with OTLP to <code>/v1/traces</code>
            .
          </div>
        </div>
      )}
      {rows.length > 0 && (
        <div className="card results">
          <div className="results-head">
            <span>
              <strong>{rows.length}</strong> traces
            </span>
            <span className="muted">duration over time · click a point to open</span>
          </div>
          <Scatter traces={rows} onOpen={open} />
          <table className="table result-table">
            <thead>
              <tr>
                <th>Root</th>
                <th>Services</th>
                <th className="num">Spans</th>
                <th className="num">Duration</th>
                <th>Started</th>
              </tr>
            </thead>
            <tbody>
              {rows.map((t) => (
                <tr key={t.traceId} className="clickable" onClick={() => open(t)}>
                  <td>
                    <a
                      href={traceHref(t.traceId)}
                      onClick={(e) => {
                        e.preventDefault();
                        open(t);
                      }}
                      className="result-root"
                    >
                      {t.errorCount > 0 && (
                        <span className="error-mark" title={`${t.errorCount} error spans`}>
                          !
                        </span>
                      )}
                      <ServiceTag service={t.rootService} />
                      <span className="op">{t.rootOperation}</span>
                    </a>
                    <div className="muted mono small">{t.requestId ?? t.traceId}</div>
                  </td>
                  <td>
                    <div className="services-cell">
                      {t.services.slice(0, 4).map((s) => (
                        <ServiceTag key={s} service={s} />
                      ))}
                      {t.services.length > 4 && (
                        <span className="muted"> +{t.services.length - 4}</span>
                      )}
                    </div>
                  </td>
                  <td className="num">{t.spanCount}</td>
                  <td className="num">{fmtDuration(t.durationMs)}</td>
                  <td title={fmtTime(t.startUs)}>{fmtAgo(t.startUs)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </div>
  );
}
