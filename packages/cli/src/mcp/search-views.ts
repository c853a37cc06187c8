import type { DebugLog, JaegerKeyValue, JaegerTrace } from '@hopscope/server';
import { clip, clipAttributes, dense, ms } from './compact.js';

/** A log line without what the agent already knows (the request ID it asked for). */
export function logRow(l: DebugLog, oneRequest: boolean): Record<string, unknown> {
  const { error, error_type, status_code, duration_ms, ...rest } = l.attributes;
  return dense({
    timestamp: l.timestamp,
    level: l.level,
    service: l.service,
    event: l.event,
    message: clip(l.message, 300),
    error: typeof error === 'string' ? clip(error, 300) : (error ?? null),
    error_type: error_type ?? null,
    status_code: status_code ?? null,
    duration_ms: duration_ms ?? null,
    request_id: oneRequest ? null : l.request_id,
    span_id: l.span_id,
    fields: clipAttributes(rest, 12, 200),
  });
}

function tag(tags: JaegerKeyValue[], key: string): JaegerKeyValue['value'] | undefined {
  return tags.find((t) => t.key === key)?.value;
}

/** One line of a Jaeger trace: enough to pick it, never its spans. */
export function traceLine(trace: JaegerTrace): Record<string, unknown> {
  const spans = trace.spans;
  const ids = new Set(spans.map((s) => s.spanID));
  const roots = spans.filter(
    (s) => !s.references.some((r) => r.refType === 'CHILD_OF' && ids.has(r.spanID)),
  );
  const root = roots.sort((a, b) => a.startTime - b.startTime)[0] ?? spans[0];
  const start = Math.min(...spans.map((s) => s.startTime));
  const end = Math.max(...spans.map((s) => s.startTime + s.duration));
  const service = (s: (typeof spans)[number]) =>
    trace.processes[s.processID]?.serviceName ?? 'unknown';
  const errors = spans.filter((s) => tag(s.tags, 'error') === true);
  // The error that happened first (ended first) is usually the cause; its callers fail after it.
  const firstError = errors.sort(
    (a, b) => a.startTime + a.duration - (b.startTime + b.duration),
  )[0];
  const requestId = spans.map((s) => tag(s.tags, 'request.id')).find((v) => typeof v === 'string');
  return dense({
    request_id: requestId ?? null,
    trace_id: trace.traceID,
    root: root ? `${service(root)}: ${clip(root.operationName, 120)}` : null,
    start: Number.isFinite(start) ? new Date(start / 1000).toISOString() : null,
    duration_ms: Number.isFinite(end - start) ? ms((end - start) / 1000) : null,
    spans: spans.length,
    services: [...new Set(spans.map(service))].slice(0, 12),
    errors: errors.length || null,
    first_error: firstError
      ? `${service(firstError)}: ${clip(String(tag(firstError.tags, 'otel.status_description') ?? firstError.operationName), 200)}`
      : null,
  });
}
