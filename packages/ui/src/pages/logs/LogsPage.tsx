import { type FormEvent, useCallback, useEffect, useMemo, useRef, useState } from 'react';
import { buildUrl, getJaeger, getJson } from '../../api/client.js';
import type { DebugLog, DebugLogsResponse, LogLevelName } from '../../api/types.js';
import { ErrorMessage } from '../../components/ErrorMessage.js';
import { serviceColor } from '../../lib/colors.js';
import { fmtTime, valueText } from '../../lib/format.js';
import { Link, navigate, traceHref, useLocation } from '../../lib/router.js';
import { useApi } from '../../lib/useApi.js';

const KEYS = ['service', 'level', 'request_id', 'q', 'since'] as const;
type Filters = Record<(typeof KEYS)[number], string>;
const LEVELS: LogLevelName[] = ['debug', 'info', 'warn', 'error', 'fatal'];
const SINCES = ['5m', '15m', '1h', '6h', '24h', '7d'];
const TAIL_MS = 1500;
const MAX_LINES = 5000;

const lineKey = (l: DebugLog) =>
  l.cursor ?? `${l.timestamp_us}|${l.service}|${l.span_id ?? ''}|${l.message}`;

export function LogsPage() {
  const { search } = useLocation();
  const applied = useMemo(() => {
    const f = {} as Filters;
    for (const k of KEYS) f[k] = search.get(k) ?? '';
    return f;
  }, [search]);
  const tail = search.get('tail') === '1';
  const [form, setForm] = useState(applied);
  useEffect(() => setForm(applied), [applied]);
  const services = useApi((s) => getJaeger<string[]>('/api/services', {}, s), []);

  const params = useMemo(
    () => ({
      service: applied.service,
      level: applied.level,
      request_id: applied.request_id,
      q: applied.q,
      since: applied.since || '1h',
      limit: 200,
    }),
    [applied],
  );
  const first = useApi((s) => getJson<DebugLogsResponse>('/api/debug/logs', params, s), [params]);
  const [lines, setLines] = useState<DebugLog[]>([]);
  const [older, setOlder] = useState<string | null>(null);
  const [tailError, setTailError] = useState<Error | null>(null);
  const [fresh, setFresh] = useState<Set<string>>(new Set());
  useEffect(() => {
    if (first.state === 'ok') {
      setLines(first.data.logs);
      setOlder(first.data.next_cursor);
    }
  }, [first]);

  // Live tail: ask for lines since the newest one shown; the server's cursor identifies lines, so
  // the boundary millisecond (asked for again) does not duplicate anything.
  const linesRef = useRef(lines);
  linesRef.current = lines;
  useEffect(() => {
    if (!tail || first.state !== 'ok') return;
    let stopped = false;
    let timer: ReturnType<typeof setTimeout>;
    const poll = async () => {
      const newest = linesRef.current[0];
      try {
        const page = await getJson<DebugLogsResponse>('/api/debug/logs', {
          ...params,
          since: newest
            ? new Date(Math.floor(newest.timestamp_us / 1000)).toISOString()
            : params.since,
          limit: 500,
        });
        if (stopped) return;
        setTailError(null);
        const known = new Set(linesRef.current.slice(0, 1000).map(lineKey));
        const added = page.logs.filter((l) => !known.has(lineKey(l)));
        if (added.length) {
          setLines((cur) => [...added, ...cur].slice(0, MAX_LINES));
          setFresh(new Set(added.map(lineKey)));
        }
      } catch (err) {
        if (!stopped) setTailError(err as Error);
      }
      if (!stopped) timer = setTimeout(poll, TAIL_MS);
    };
    timer = setTimeout(poll, TAIL_MS);
    return () => {
      stopped = true;
      clearTimeout(timer);
    };
  }, [tail, first.state, params]);

  const loadOlder = useCallback(async () => {
    if (!older) return;
    try {
      const page = await getJson<DebugLogsResponse>('/api/debug/logs', {
        ...params,
        cursor: older,
      });
      setLines((cur) => [...cur, ...page.logs]);
      setOlder(page.next_cursor);
    } catch (err) {
      setTailError(err as Error);
    }
  }, [older, params]);

  const apply = (e?: FormEvent, nextTail = tail) => {
    e?.preventDefault();
    const p: Record<string, string> = {};
    for (const k of KEYS) if (form[k].trim()) p[k] = form[k].trim();
    if (nextTail) p.tail = '1';
    navigate(buildUrl('/logs', p));
  };

  return (
    <div className="page logs-page">
      <form className="filters card" onSubmit={apply} aria-label="Log filters">
        <label className="grow">
          Text
          <input
            className="input"
            name="q"
            placeholder="message, event or error contains…"
            value={form.q}
            onChange={(e) => setForm({ ...form, q: e.target.value })}
            data-hotkey="search"
          />
        </label>
        <label>
          Service
          <select
            className="input"
            name="service"
            value={form.service}
            onChange={(e) => setForm({ ...form, service: e.target.value })}
          >
            <option value="">All services</option>
            {(services.data ?? []).map((s) => (
              <option key={s} value={s}>
                {s}
              </option>
            ))}
          </select>
        </label>
        <label className="narrow">
          Level
          <select
            className="input"
            name="level"
            value={form.level}
            onChange={(e) => setForm({ ...form, level: e.target.value })}
          >
            <option value="">any</option>
            {LEVELS.map((l) => (
              <option key={l} value={l}>
                {l}+
              </option>
            ))}
          </select>
        </label>
        <label>
          Request ID
          <input
            className="input mono"
            name="request_id"
            placeholder="req_…"
            value={form.request_id}
            onChange={(e) => setForm({ ...form, request_id: e.target.value })}
            spellCheck={false}
          />
        </label>
        <label className="narrow">
          Time
          <select
            className="input"
            name="since"
            value={form.since || '1h'}
            onChange={(e) => setForm({ ...form, since: e.target.value })}
          >
            {SINCES.map((s) => (
              <option key={s} value={s}>
                last {s}
              </option>
            ))}
          </select>
        </label>
        <button type="submit" className="btn">
          Search
        </button>
        <button
          type="button"
          className={`btn ${tail ? 'btn-live' : ''}`}
          onClick={() => apply(undefined, !tail)}
          aria-pressed={tail}
        >
          {tail ? '● Live' : 'Live tail'}
        </button>
      </form>

      {first.state === 'error' && <ErrorMessage error={first.error} what="log lines" />}
      {tailError && <ErrorMessage error={tailError} what="new log lines" />}
      {first.state === 'loading' && lines.length === 0 && <div className="muted pad">Loading…</div>}
      {first.state === 'ok' && lines.length === 0 && (
        <div className="empty card">
          <strong>No log lines match.</strong>
          <div className="muted">
            {tail ? 'Waiting for new lines…' : 'Widen the time range or clear a filter.'}
          </div>
        </div>
      )}
      {lines.length > 0 && (
        <div className="card log-list" data-testid="log-list">
          {lines.map((l) => {
            const k = lineKey(l);
            return <LogLine key={k} line={l} fresh={fresh.has(k)} />;
          })}
          {older && (
            <button type="button" className="btn load-older" onClick={loadOlder}>
              Load older lines
            </button>
          )}
        </div>
      )}
    </div>
  );
}

function LogLine({ line: l, fresh }: { line: DebugLog; fresh: boolean }) {
  const [open, setOpen] = useState(false);
  const extra = Object.keys(l.attributes);
  return (
    <div className={`log-line${fresh ? ' fresh' : ''}${open ? ' open' : ''}`} data-log-line>
      {/* biome-ignore lint/a11y/useSemanticElements: the row holds a link, which a <button> may not */}
      <div
        className="log-line-main"
        role="button"
        tabIndex={0}
        aria-expanded={open}
        onClick={() => setOpen(!open)}
        onKeyDown={(e) => {
          if (e.key === 'Enter' || e.key === ' ') {
            e.preventDefault();
            setOpen(!open);
          }
        }}
      >
        <span className="mono muted log-time">{fmtTime(l.timestamp_us)}</span>
        <span className={`level level-${l.level}`}>{l.level}</span>
        <span className="log-service" style={{ borderColor: serviceColor(l.service) }}>
          {l.service}
        </span>
        {l.event && <span className="log-event">{l.event}</span>}
        <span className="log-message">{l.message}</span>
        {l.request_id && (
          // biome-ignore lint/a11y/noStaticElementInteractions: stops the row toggle only
          <span onClick={(e) => e.stopPropagation()} onKeyDown={() => {}}>
            <Link to={traceHref(l.request_id, l.span_id ?? undefined)} className="mono req-link">
              {l.request_id}
            </Link>
          </span>
        )}
      </div>
      {open && (
        <table className="attrs log-attrs">
          <tbody>
            {l.trace_id && (
              <tr>
                <th>trace_id</th>
                <td className="mono">
                  <Link to={traceHref(l.trace_id, l.span_id ?? undefined)}>{l.trace_id}</Link>
                </td>
              </tr>
            )}
            {l.span_id && (
              <tr>
                <th>span_id</th>
                <td className="mono">{l.span_id}</td>
              </tr>
            )}
            {extra.map((k) => (
              <tr key={k}>
                <th>{k}</th>
                <td>{valueText(l.attributes[k])}</td>
              </tr>
            ))}
            <tr>
              <th>source</th>
              <td>{l.source}</td>
            </tr>
          </tbody>
        </table>
      )}
    </div>
  );
}
