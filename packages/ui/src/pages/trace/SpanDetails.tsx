import type { DebugLog, JsonAttributes } from '../../api/types.js';
import { CopyButton } from '../../components/CopyButton.js';
import { ServiceTag } from '../../components/ServiceTag.js';
import { type DecisionSummary, decisionSummary, fmtUsd, llmSummary } from '../../lib/ai.js';
import { fmtDuration, fmtTime, valueText } from '../../lib/format.js';
import { Link, traceHref } from '../../lib/router.js';
import type { SpanNode, TraceModel } from './model.js';
import { useSpanDetail } from './useSpanDetail.js';

/** Everything about one span. Every value is rendered as text: span data is never markup. */
export function SpanDetails({
  node,
  model,
  logs,
  onClose,
  onSelect,
}: {
  node: SpanNode;
  model: TraceModel;
  logs: DebugLog[];
  onClose: () => void;
  onSelect: (n: SpanNode) => void;
}) {
  const detail = useSpanDetail(node.span);
  const s = detail.span;
  const exceptions = s.events.filter((e) => e.name === 'exception');
  const others = s.events.filter((e) => e.name !== 'exception');
  return (
    <aside className="details" aria-label="Span details">
      <div className="details-head">
        <div className="details-title">
          <ServiceTag service={s.service} />
          <h3 title={s.name}>{s.name}</h3>
        </div>
        <button type="button" className="btn btn-small" onClick={onClose} title="Close (Esc)">
          ✕
        </button>
      </div>
      <div className="details-body">
        <dl className="facts">
          <dt>Duration</dt>
          <dd>{fmtDuration(s.duration_ms)}</dd>
          <dt>Starts at</dt>
          <dd>
            +{fmtDuration((node.startUs - model.startUs) / 1000)}{' '}
            <span className="muted">({fmtTime(node.startUs)})</span>
          </dd>
          <dt>Kind</dt>
          <dd>
            {s.kind}
            {s.derived_from_logs && <span className="kind kind-logs">from logs</span>}
          </dd>
          <dt>Status</dt>
          <dd className={s.status === 'error' ? 'text-error' : ''}>
            {s.status}
            {s.status_message ? `: ${s.status_message}` : ''}
          </dd>
          {node.critical && (
            <>
              <dt>Critical path</dt>
              <dd>yes</dd>
            </>
          )}
          <dt>Span ID</dt>
          <dd className="mono">
            {s.span_id} <CopyButton text={s.span_id} />
          </dd>
          <dt>Trace ID</dt>
          <dd className="mono">
            {s.trace_id} <CopyButton text={s.trace_id} />
          </dd>
          {s.parent_span_id && (
            <>
              <dt>Parent</dt>
              <dd className="mono">
                {node.parent ? (
                  <button
                    type="button"
                    className="linklike"
                    onClick={() => onSelect(node.parent as SpanNode)}
                  >
                    {node.parent.span.name}
                  </button>
                ) : (
                  <span title="parent not in this trace">{s.parent_span_id} (not received)</span>
                )}
              </dd>
            </>
          )}
          {s.scope.name && (
            <>
              <dt>Scope</dt>
              <dd>
                {s.scope.name}
                {s.scope.version ? ` ${s.scope.version}` : ''}
              </dd>
            </>
          )}
        </dl>

        {exceptions.map((e) => (
          <section key={`${e.timestamp_us}-ex`} className="exception">
            <h4>
              Exception{' '}
              <span className="mono">{valueText(e.attributes['exception.type'] ?? '')}</span>
            </h4>
            <div className="exception-message">
              {valueText(e.attributes['exception.message'] ?? '')}
            </div>
            {e.attributes['exception.stacktrace'] !== undefined && (
              <pre className="stack">{valueText(e.attributes['exception.stacktrace'])}</pre>
            )}
          </section>
        ))}

        <AiFacts span={s} />
        {detail.state === 'loading' && (
          <div className="muted" aria-busy="true" data-testid="details-loading">
            Loading attributes…
          </div>
        )}
        {detail.state === 'error' && (
          <div className="text-error">
            Could not load this span's attributes: {detail.error.message}
          </div>
        )}
        <Attrs title="Attributes" attrs={s.attributes} />
        <Attrs title="Resource" attrs={s.resource} />

        {others.length > 0 && (
          <section>
            <h4>Events ({others.length})</h4>
            <ul className="events">
              {others.map((e, i) => (
                // biome-ignore lint/suspicious/noArrayIndexKey: events have no identity
                <li key={i}>
                  <span className="muted mono">
                    +{fmtDuration((e.timestamp_us - model.startUs) / 1000)}
                  </span>{' '}
                  <strong>{e.name}</strong>
                  {Object.keys(e.attributes).length > 0 && <AttrTable attrs={e.attributes} />}
                </li>
              ))}
            </ul>
          </section>
        )}

        {s.links.length > 0 && (
          <section>
            <h4>Links ({s.links.length})</h4>
            <ul className="links">
              {s.links.map((l) => {
                const inHere = model.byKey.get(`${l.trace_id}:${l.span_id}`);
                return (
                  <li key={`${l.trace_id}:${l.span_id}`} className="mono">
                    {inHere ? (
                      <button type="button" className="linklike" onClick={() => onSelect(inHere)}>
                        {inHere.span.name}
                      </button>
                    ) : (
                      <Link to={traceHref(l.trace_id, l.span_id)}>
                        {l.trace_id.slice(0, 16)}… / {l.span_id}
                      </Link>
                    )}
                    {Object.keys(l.attributes).length > 0 && <AttrTable attrs={l.attributes} />}
                  </li>
                );
              })}
            </ul>
          </section>
        )}

        <section>
          <h4>Logs of this span ({logs.length})</h4>
          {logs.length === 0 ? (
            <div className="muted">No log lines carry this span ID.</div>
          ) : (
            <ul className="span-logs">
              {logs.slice(0, 200).map((l, i) => (
                // biome-ignore lint/suspicious/noArrayIndexKey: log lines have no identity
                <li key={i}>
                  <span className={`level level-${l.level}`}>{l.level}</span>{' '}
                  <span className="muted mono">
                    +{fmtDuration((l.timestamp_us - model.startUs) / 1000)}
                  </span>{' '}
                  {l.event && <strong>{l.event} </strong>}
                  <span>{l.message}</span>
                </li>
              ))}
            </ul>
          )}
        </section>
      </div>
    </aside>
  );
}

function AiFacts({ span }: { span: SpanNode['span'] }) {
  const llm = llmSummary(span);
  const d = decisionSummary(span.attributes);
  if (!llm && !d) return null;
  return (
    <>
      {llm && (
        <section className="ai-facts" data-testid="llm-card">
          <h4>LLM call</h4>
          <dl className="facts">
            <dt>Model</dt>
            <dd>
              {llm.model ?? '–'}
              {llm.provider ? <span className="muted"> ({llm.provider})</span> : null}
            </dd>
            {llm.operation && (
              <>
                <dt>Operation</dt>
                <dd>{llm.operation}</dd>
              </>
            )}
            <dt>Tokens</dt>
            <dd>
              {llm.inputTokens ?? '?'} in · {llm.outputTokens ?? '?'} out
            </dd>
            <dt>Cost</dt>
            <dd>
              {llm.cost !== null
                ? fmtUsd(llm.cost)
                : llm.costSource
                  ? `not priced (${llm.costSource.replace('_', ' ')})`
                  : '–'}
            </dd>
            {span.ai?.ttft_ms != null && (
              <>
                <dt>First token</dt>
                <dd>{fmtDuration(span.ai.ttft_ms)}</dd>
              </>
            )}
          </dl>
        </section>
      )}
      {d && <DecisionCard d={d} />}
    </>
  );
}

/** Seed 001: why the agent took that path, as a card rather than raw attributes. */
function DecisionCard({ d }: { d: DecisionSummary }) {
  return (
    <section className="decision-card" data-testid="decision-card">
      <h4>
        Decision <span className="decision-type">{d.type}</span>
      </h4>
      <div className="decision-result">
        <span className="muted">chose</span> <strong>{d.result ?? '–'}</strong>
        {d.confidence !== null && (
          <span className="confidence" title="confidence">
            <span className="confidence-bar">
              <span style={{ width: `${Math.max(0, Math.min(1, d.confidence)) * 100}%` }} />
            </span>
            {d.confidence <= 1 ? `${Math.round(d.confidence * 100)}%` : d.confidence}
          </span>
        )}
      </div>
      {d.factors !== null && d.factors !== undefined && (
        <div className="decision-part">
          <span className="fact-label">Factors</span>
          <Structured value={d.factors} />
        </div>
      )}
      {d.alternatives !== null && d.alternatives !== undefined && (
        <div className="decision-part">
          <span className="fact-label">Alternatives</span>
          <Structured value={d.alternatives} />
        </div>
      )}
    </section>
  );
}

/** Lists and flat objects as lists; anything deeper as JSON text. */
function Structured({ value }: { value: unknown }) {
  if (Array.isArray(value)) {
    return (
      <ul className="decision-list">
        {value.map((v, i) => (
          // biome-ignore lint/suspicious/noArrayIndexKey: a fixed list rendered once
          <li key={i}>{valueText(v)}</li>
        ))}
      </ul>
    );
  }
  if (value && typeof value === 'object') {
    return (
      <ul className="decision-list">
        {Object.entries(value).map(([k, v]) => (
          <li key={k}>
            <span className="mono">{k}</span>: {valueText(v)}
          </li>
        ))}
      </ul>
    );
  }
  return <div className="decision-list">{valueText(value)}</div>;
}

function Attrs({ title, attrs }: { title: string; attrs: JsonAttributes }) {
  const n = Object.keys(attrs).length;
  if (n === 0) return null;
  return (
    <section>
      <h4>
        {title} ({n})
      </h4>
      <AttrTable attrs={attrs} />
    </section>
  );
}

function AttrTable({ attrs }: { attrs: JsonAttributes }) {
  const keys = Object.keys(attrs).sort();
  return (
    <table className="attrs">
      <tbody>
        {keys.map((k) => (
          <tr key={k}>
            <th>{k}</th>
            <td>{valueText(attrs[k])}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
