import type { DebugTraceResponse } from '../../api/types.js';
import { CopyButton } from '../../components/CopyButton.js';
import { ServiceTag } from '../../components/ServiceTag.js';
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
