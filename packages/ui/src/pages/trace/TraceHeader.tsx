import type { AiTraceSummary, DebugTraceResponse } from '../../api/types.js';
import { CopyButton } from '../../components/CopyButton.js';
import { ServiceTag } from '../../components/ServiceTag.js';
import { fmtTokens, fmtUsd } from '../../lib/ai.js';
import { fmtCount, fmtDuration, fmtTime } from '../../lib/format.js';

export function TraceHeader({
  data,
  onFirstError,
}: {
  data: DebugTraceResponse;
  onFirstError: () => void;
}) {
  const status = data.error_count > 0 ? 'error' : 'ok';
  return (
    <section className="trace-header card">
      <div className="trace-title">
        <span className={`status-pill status-${status}`}>
          {status === 'error'
            ? `${data.error_count} error${data.error_count > 1 ? 's' : ''}`
            : 'OK'}
        </span>
        <h1 className="mono" data-testid="request-id">
          {data.request_id ?? data.trace_ids[0] ?? data.query.input}
        </h1>
        <CopyButton text={data.request_id ?? data.query.input} label="Copy ID" />
        {data.request_ids.length > 1 && (
          <span className="muted">also {data.request_ids.slice(1).join(', ')}</span>
        )}
      </div>
      <div className="trace-facts">
        <Fact label="Duration" value={fmtDuration(data.total_duration_ms)} />
        <Fact label="Spans" value={fmtCount(data.span_count)} testId="span-count" />
        <Fact label="Logs" value={fmtCount(data.log_count)} testId="log-count" />
        <Fact label="Started" value={data.start_us ? fmtTime(data.start_us) : '–'} />
        <div className="fact fact-wide">
          <span className="fact-label">
            Trace{data.trace_ids.length > 1 ? `s (${data.trace_ids.length})` : ''}
          </span>
          <span className="mono trace-ids">
            {data.trace_ids.slice(0, 3).map((t) => (
              <span key={t} className="trace-id">
                {t} <CopyButton text={t} />
              </span>
            ))}
            {data.trace_ids.length > 3 && (
              <span className="muted">+{data.trace_ids.length - 3}</span>
            )}
            {data.trace_ids.length === 0 && <span className="muted">none (log lines only)</span>}
          </span>
        </div>
      </div>
      <div className="trace-services">
        {data.services.map((s) => (
          <ServiceTag key={s} service={s} />
        ))}
      </div>
      {data.ai && <AiBar ai={data.ai} />}
      {data.first_error && (
        <button type="button" className="first-error" onClick={onFirstError}>
          <span className="error-mark">!</span>
          <span>
            First error in <strong>{data.first_error.service}</strong>
            {' · '}
            {data.first_error.event}
            {data.first_error.error_type ? ` · ${data.first_error.error_type}` : ''}
          </span>
          <span className="first-error-message">{data.first_error.message}</span>
        </button>
      )}
    </section>
  );
}

function Fact({ label, value, testId }: { label: string; value: string; testId?: string }) {
  return (
    <div className="fact">
      <span className="fact-label">{label}</span>
      <span className="fact-value" data-testid={testId}>
        {value}
      </span>
    </div>
  );
}

/** What the request's model calls did and cost; the cost is a lower bound when calls are unpriced. */
function AiBar({ ai }: { ai: AiTraceSummary }) {
  const models = ai.models.map((m) => m.model ?? m.provider ?? 'unknown model');
  return (
    <div className="ai-bar" data-testid="ai-summary">
      <span>
        <strong data-testid="ai-calls">{ai.calls}</strong> LLM call{ai.calls === 1 ? '' : 's'}
        {ai.errors > 0 ? <span className="warn"> ({ai.errors} failed)</span> : null}
      </span>
      {models.length > 0 && (
        <span data-testid="ai-models">
          <span className="muted">model{models.length === 1 ? '' : 's'} </span>
          {models.join(', ')}
        </span>
      )}
      <span data-testid="ai-tokens">
        <strong>{fmtTokens(ai.input_tokens)}</strong> in ·{' '}
        <strong>{fmtTokens(ai.output_tokens)}</strong> out tokens
        {ai.cache_read_tokens > 0 ? (
          <span className="muted"> ({fmtTokens(ai.cache_read_tokens)} cached)</span>
        ) : null}
      </span>
      <span data-testid="ai-cost">
        <span className="muted">cost </span>
        <strong>
          {ai.unpriced_calls > 0 ? '≥ ' : ''}
          {fmtUsd(ai.cost_usd)}
        </strong>
      </span>
      {ai.unpriced_calls > 0 && (
        <span className="warn" data-testid="ai-unpriced" title="unknown model or no usage reported">
          ⚠ {ai.unpriced_calls} call{ai.unpriced_calls === 1 ? '' : 's'} not priced
        </span>
      )}
      {ai.tools > 0 && (
        <span>
          <strong>{ai.tools}</strong> tool call{ai.tools === 1 ? '' : 's'}
        </span>
      )}
      {ai.agents > 0 && (
        <span>
          <strong>{ai.agents}</strong> agent step{ai.agents === 1 ? '' : 's'}
        </span>
      )}
      {ai.decisions.length > 0 && (
        <span data-testid="ai-decisions">
          <strong>{ai.decisions.length}</strong> decision{ai.decisions.length === 1 ? '' : 's'}
          <span className="muted">
            {' '}
            ({ai.decisions.map((d) => `${d.type}${d.result ? ` → ${d.result}` : ''}`).join('; ')})
          </span>
        </span>
      )}
    </div>
  );
}
