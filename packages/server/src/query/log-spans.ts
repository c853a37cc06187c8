/**
 * Spans derived from log lines (issue 11): a service that only writes logs still shows up as a
 * hop with timing when its lines carry `span_id` and either a request_received …
 * request_completed / request_failed pair or a `duration_ms`.
 */
import type { LogRecord, SpanRecord } from '../store/records.js';
import { msToNs, numberField, stringField } from './format.js';

/** Attribute set on every derived span, so views can mark it. */
export const DERIVED_ATTRIBUTE = 'hopscope.derived_from_logs';

const START_EVENTS = new Set(['request_received', 'request_started']);
const END_EVENTS = new Set(['request_completed', 'request_failed']);

/**
 * Derives one span per (trace, span_id) group of log lines whose span_id is not a real span.
 * `knownSpanIds` are the span IDs of real spans already present.
 */
export function spansFromLogs(logs: LogRecord[], knownSpanIds: Set<string>): SpanRecord[] {
  const groups = new Map<string, LogRecord[]>();
  for (const log of logs) {
    if (!log.spanId || knownSpanIds.has(log.spanId)) continue;
    const key = `${log.traceId ?? ''}/${log.spanId}/${log.service}`;
    const group = groups.get(key);
    if (group) group.push(log);
    else groups.set(key, [log]);
  }
  const spans: SpanRecord[] = [];
  for (const group of groups.values()) {
    const span = deriveSpan(group);
    if (span) spans.push(span);
  }
  return spans;
}

function deriveSpan(lines: LogRecord[]): SpanRecord | undefined {
  lines.sort((a, b) =>
    a.timestampNs < b.timestampNs ? -1 : a.timestampNs > b.timestampNs ? 1 : 0,
  );
  const first = lines[0];
  const startLine = lines.find((l) => l.event && START_EVENTS.has(l.event));
  const endLine = [...lines].reverse().find((l) => l.event && END_EVENTS.has(l.event));
  // The line whose duration_ms covers the request: the end line's, else the longest one.
  const timed = [endLine, ...lines]
    .filter((l): l is LogRecord => !!l && numberField(l.attributes.duration_ms) !== undefined)
    .sort(
      (a, b) =>
        Number(b === endLine) - Number(a === endLine) ||
        numberField(b.attributes.duration_ms)! - numberField(a.attributes.duration_ms)!,
    )[0];

  let startNs: bigint;
  let endNs: bigint;
  if (startLine && endLine) {
    startNs = startLine.timestampNs;
    endNs = endLine.timestampNs;
    const d = timed === endLine ? numberField(endLine.attributes.duration_ms) : undefined;
    // The service's own measurement is more precise than the gap between two log writes.
    if (d !== undefined) endNs = startNs + msToNs(d);
  } else if (timed) {
    const d = msToNs(numberField(timed.attributes.duration_ms)!);
    if (startLine) {
      startNs = startLine.timestampNs;
      endNs = startNs + d;
    } else {
      endNs = timed.timestampNs;
      startNs = endNs - d;
    }
  } else {
    return undefined;
  }
  if (endNs < startNs) endNs = startNs;

  const attr = (k: string) => {
    for (const l of [startLine, endLine, timed, ...lines]) {
      const v = l ? stringField(l.attributes[k]) : undefined;
      if (v !== undefined) return v;
    }
    return undefined;
  };
  const method = attr('method');
  const path = attr('path');
  const failedLine =
    lines.find((l) => l.event === 'request_failed') ??
    lines.find((l) => l.level === 'error' || l.level === 'fatal');
  const statusCode = numberField(attr('status_code'));
  const failed = !!failedLine || (statusCode !== undefined && statusCode >= 500);
  const name =
    method && path
      ? `${method} ${path}`
      : (timed?.event ?? startLine?.event ?? first.event ?? 'request');

  const attributes: SpanRecord['attributes'] = { [DERIVED_ATTRIBUTE]: true };
  for (const k of ['method', 'path', 'status_code', 'error', 'error_type']) {
    const v = endLine?.attributes[k] ?? startLine?.attributes[k] ?? failedLine?.attributes[k];
    if (v !== undefined) attributes[k] = v;
  }
  const span: SpanRecord = {
    traceId: first.traceId ?? '',
    spanId: first.spanId!,
    name,
    kind: startLine || endLine ? 2 : 1,
    service: first.service,
    startNs,
    durationNs: endNs - startNs,
    statusCode: failed ? 2 : 0,
    attributes,
    resource: { 'service.name': first.service },
    events: [],
    links: [],
  };
  const parent = attr('parent_span_id');
  if (parent) span.parentSpanId = parent;
  const requestId = lines.find((l) => l.requestId)?.requestId;
  if (requestId) span.requestId = requestId;
  if (failed) {
    const message =
      stringField(failedLine?.attributes.error) ?? failedLine?.body ?? `status ${statusCode}`;
    if (message) span.statusMessage = message;
  }
  return span;
}

export function isDerived(span: SpanRecord): boolean {
  return span.attributes[DERIVED_ATTRIBUTE] === true;
}
