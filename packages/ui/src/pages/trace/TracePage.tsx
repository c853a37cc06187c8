import { useCallback, useEffect, useMemo, useRef, useState } from 'react';
import { getJson } from '../../api/client.js';
import { fillDetails, withRows } from '../../api/columns.js';
import type { DebugLog, DebugTraceResponse } from '../../api/types.js';
import { ErrorMessage } from '../../components/ErrorMessage.js';
import { fmtCount } from '../../lib/format.js';
import { navigate, useLocation } from '../../lib/router.js';
import { useApi } from '../../lib/useApi.js';
import {
  buildModel,
  defaultCollapsed,
  matchSpans,
  type SpanNode,
  spanKey,
  type TraceModel,
  visibleRows,
} from './model.js';
import { SpanDetails } from './SpanDetails.js';
import { TraceHeader } from './TraceHeader.js';
import { TraceLogs } from './TraceLogs.js';
import { Waterfall } from './Waterfall.js';

export function TracePage({ id }: { id: string }) {
  const result = useApi(
    async (s) => {
      const data = withRows(
        await getJson<DebugTraceResponse>(
          // The view draws from spans and logs only: skipping `hops` halves the body at 50k
          // spans, and columns cut the rest to about a quarter. In outline, spans come without
          // attributes, resource, events and links (but for error and AI spans): a span's are
          // fetched when it is opened, all of them when the filter needs them.
          `/api/debug/trace/${encodeURIComponent(id)}?include=spans,logs&format=columns&outline=true`,
          {},
          s,
        ),
      );
      // Marks let `npm run bench -- ui` split the time into fetch+parse, model and render.
      performance.mark('hopscope:trace-json');
      return data;
    },
    [id],
  );
  if (result.state === 'error') {
    return (
      <div className="page">
        <ErrorMessage error={result.error} what={`request ${id}`} />
      </div>
    );
  }
  if (!result.data || result.state === 'loading') return <Loading id={id} />;
  return <TraceView key={id} data={result.data} />;
}

/** Large requests take seconds to fetch: say so, and show that time is passing. */
function Loading({ id }: { id: string }) {
  const [elapsed, setElapsed] = useState(0);
  useEffect(() => {
    const started = Date.now();
    const t = setInterval(() => setElapsed(Date.now() - started), 500);
    return () => clearInterval(t);
  }, []);
  return (
    <div className="page">
      <div className="loading card" aria-busy="true">
        <span className="spinner" />
        <span>
          Loading every span and log line of <span className="mono">{id}</span>…
        </span>
        {elapsed >= 1500 && (
          <span className="muted">
            {(elapsed / 1000).toFixed(0)} s · large requests take a few seconds
          </span>
        )}
      </div>
    </div>
  );
}

function TraceView({ data }: { data: DebugTraceResponse }) {
  const { search, path } = useLocation();
  const model = useMemo(() => {
    const m = buildModel(data.spans);
    performance.mark('hopscope:trace-model');
    return m;
  }, [data]);
  const [collapsed, setCollapsed] = useState(() => defaultCollapsed(model));
  const [filter, setFilter] = useState('');
  const [appliedFilter, setAppliedFilter] = useState('');
  const [showCritical, setShowCritical] = useState(true);
  const [scrollToken, setScrollToken] = useState(0);
  const searchCache = useRef<string[]>([]);
  const tab = search.get('tab') === 'logs' ? 'logs' : 'spans';
  const selectedId = search.get('span');
  const selected = useMemo(() => {
    if (!selectedId) return null;
    return model.byKey.get(selectedId) ?? model.bySpanId.get(selectedId) ?? null;
  }, [model, selectedId]);

  // Filtering 50,000 spans on every keystroke would stutter; wait for a pause in typing.
  useEffect(() => {
    const t = setTimeout(() => setAppliedFilter(filter.trim()), filter ? 120 : 0);
    return () => clearTimeout(t);
  }, [filter]);
  const details = useAllDetails(data.query.input, model, appliedFilter !== '');
  const cacheEpoch = useRef(0);
  const matches = useMemo(() => {
    // Haystacks built before the attributes arrived would miss them.
    if (cacheEpoch.current !== details.epoch) {
      cacheEpoch.current = details.epoch;
      searchCache.current = [];
    }
    return appliedFilter ? matchSpans(model, appliedFilter, searchCache.current) : null;
  }, [model, appliedFilter, details.epoch]);
  const matchCount = useMemo(() => (matches ? matches.reduce((a, b) => a + b, 0) : 0), [matches]);
  const rows = useMemo(() => visibleRows(model, collapsed, matches), [model, collapsed, matches]);

  const logsBySpan = useMemo(() => {
    const m = new Map<string, DebugLog[]>();
    for (const l of data.logs) {
      if (!l.span_id) continue;
      const node = model.byKey.get(spanKey(l.trace_id, l.span_id)) ?? model.bySpanId.get(l.span_id);
      if (!node) continue;
      const list = m.get(node.key);
      if (list) list.push(l);
      else m.set(node.key, [l]);
    }
    return m;
  }, [data, model]);

  const setQuery = useCallback(
    (changes: Record<string, string | null>) => {
      const next = new URLSearchParams(search);
      for (const [k, v] of Object.entries(changes)) {
        if (v === null) next.delete(k);
        else next.set(k, v);
      }
      const qs = next.toString();
      navigate(qs ? `${path}?${qs}` : path, { replace: true });
    },
    [search, path],
  );

  const select = useCallback(
    (n: SpanNode | null, opts: { reveal?: boolean } = {}) => {
      if (n && opts.reveal) {
        // Open every collapsed ancestor so the row exists, then scroll to it.
        setCollapsed((c) => {
          let copy: Uint8Array | null = null;
          for (let p = n.parent; p; p = p.parent) {
            if (c[p.index]) {
              copy ??= c.slice();
              copy[p.index] = 0;
            }
          }
          return copy ?? c;
        });
        setScrollToken((t) => t + 1);
      }
      setQuery({ span: n ? n.span.span_id : null, ...(opts.reveal ? { tab: null } : {}) });
    },
    [setQuery],
  );

  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      if (e.key === 'Escape' && selectedId) select(null);
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, [selectedId, select]);

  // Coming from a link with ?span=…: reveal it once.
  const revealed = useRef(false);
  useEffect(() => {
    if (revealed.current || !selected) return;
    revealed.current = true;
    select(selected, { reveal: true });
  }, [selected, select]);

  const toggle = useCallback((n: SpanNode) => {
    setCollapsed((c) => {
      const copy = c.slice();
      copy[n.index] = c[n.index] ? 0 : 1;
      return copy;
    });
  }, []);
  const expandAll = () => setCollapsed(new Uint8Array(model.nodes.length));
  const collapseAll = () => {
    const c = new Uint8Array(model.nodes.length);
    for (const n of model.nodes) if (n.children.length && n.depth >= 1) c[n.index] = 1;
    setCollapsed(c);
  };
  const hiddenCount = model.nodes.length - rows.length;

  const firstError = () => {
    const fe = data.first_error;
    if (!fe?.span_id) {
      setQuery({ tab: 'logs' });
      return;
    }
    const n = model.byKey.get(spanKey(fe.trace_id, fe.span_id)) ?? model.bySpanId.get(fe.span_id);
    if (n) select(n, { reveal: true });
  };

  return (
    <div className={`page trace-page${selected ? ' with-details' : ''}`}>
      <TraceHeader data={data} onFirstError={firstError} />
      <div className="tabs">
        <button
          type="button"
          className={tab === 'spans' ? 'tab active' : 'tab'}
          onClick={() => setQuery({ tab: null })}
        >
          Waterfall <span className="count">{fmtCount(model.nodes.length)}</span>
        </button>
        <button
          type="button"
          className={tab === 'logs' ? 'tab active' : 'tab'}
          onClick={() => setQuery({ tab: 'logs' })}
        >
          Logs <span className="count">{fmtCount(data.logs.length)}</span>
        </button>
        {tab === 'spans' && (
          <div className="toolbar tab-tools">
            <input
              className="input"
              placeholder="Filter spans by name or attribute"
              value={filter}
              onChange={(e) => setFilter(e.target.value)}
              aria-label="Filter spans"
              data-hotkey="search"
            />
            {matches && (
              <span className="muted" data-testid="match-count">
                {fmtCount(matchCount)} match{matchCount === 1 ? '' : 'es'}
                {details.loading && ' · searching attributes…'}
                {details.error && ` · attributes not searched: ${details.error}`}
              </span>
            )}
            <label className="check">
              <input
                type="checkbox"
                checked={showCritical}
                onChange={(e) => setShowCritical(e.target.checked)}
              />
              Critical path
            </label>
            {!matches && hiddenCount > 0 && (
              <span className="muted">{fmtCount(hiddenCount)} collapsed</span>
            )}
            <button type="button" className="btn btn-small" onClick={expandAll}>
              Expand all
            </button>
            <button type="button" className="btn btn-small" onClick={collapseAll}>
              Collapse
            </button>
          </div>
        )}
      </div>
      <div className="trace-body">
        <div className="trace-main">
          {tab === 'spans' ? (
            model.nodes.length === 0 ? (
              <div className="empty card">
                <strong>No spans for this request.</strong>
                <div className="muted">
                  Only log lines were found; they are under{' '}
                  <button
                    type="button"
                    className="linklike"
                    onClick={() => setQuery({ tab: 'logs' })}
                  >
                    Logs
                  </button>
                  .
                </div>
              </div>
            ) : (
              <Waterfall
                model={model}
                rows={rows}
                collapsed={collapsed}
                matches={matches}
                selected={selected}
                showCritical={showCritical}
                scrollToken={scrollToken}
                logsBySpan={logsBySpan}
                onToggle={toggle}
                onSelect={(n, kb) =>
                  kb ? select(n, { reveal: true }) : select(n === selected ? null : n)
                }
              />
            )
          ) : (
            <TraceLogs logs={data.logs} model={model} onJump={(n) => select(n, { reveal: true })} />
          )}
        </div>
        {selected && (
          <SpanDetails
            node={selected}
            model={model}
            logs={logsBySpan.get(selected.key) ?? []}
            onClose={() => select(null)}
            onSelect={(n) => select(n, { reveal: true })}
          />
        )}
      </div>
    </div>
  );
}

/**
 * Every span's attributes, fetched once when first needed (the filter searches them): the
 * request view loads in outline, so opening a 50,000-span request does not wait for them.
 */
function useAllDetails(
  id: string,
  model: TraceModel,
  needed: boolean,
): { epoch: number; loading: boolean; error: string | null } {
  const [state, setState] = useState({ epoch: 0, loading: false, error: null as string | null });
  const started = useRef(false);
  useEffect(() => {
    if (!needed || started.current) return;
    if (!model.nodes.some((n) => n.span.outline)) return;
    started.current = true;
    setState((s) => ({ ...s, loading: true }));
    getJson<DebugTraceResponse>(
      `/api/debug/trace/${encodeURIComponent(id)}?include=spans&format=columns`,
    ).then(
      (r) => {
        const whole = withRows(r).spans;
        const byKey = new Map(whole.map((s) => [spanKey(s.trace_id, s.span_id), s]));
        for (const n of model.nodes) {
          const w = n.span.outline ? byKey.get(n.key) : undefined;
          if (w) fillDetails(n.span, w);
        }
        setState((s) => ({ epoch: s.epoch + 1, loading: false, error: null }));
      },
      (err: Error) => setState((s) => ({ ...s, loading: false, error: err.message })),
    );
  }, [id, model, needed]);
  return state;
}
