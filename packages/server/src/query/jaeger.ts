/**
 * OTLP records → Jaeger v1 query-service JSON (jaeger/model/json), following the mapping of
 * Jaeger's own OTLP translator: span.kind, otel.status_code, otel.status_description,
 * error=true, otel.scope.name/version, w3c.tracestate; events → logs; links → FOLLOWS_FROM.
 */
import type {
  JaegerEnvelope,
  JaegerKeyValue,
  JaegerProcess,
  JaegerReference,
  JaegerSpan,
  JaegerTrace,
} from '../api/types.js';
import type { Attributes, AttributeValue, SpanRecord } from '../store/records.js';
import { KIND_NAMES, nsToUs } from './format.js';

export function envelope<T>(
  data: T,
  total = Array.isArray(data) ? data.length : 0,
): JaegerEnvelope<T> {
  return { data, total, limit: 0, offset: 0, errors: null };
}

export function jaegerError(code: number, msg: string): JaegerEnvelope<null> {
  return { data: null, total: 0, limit: 0, offset: 0, errors: [{ code, msg }] };
}

/** Jaeger prints a 128-bit ID whose high half is zero as 16 hex digits. */
export function jaegerTraceId(traceId: string): string {
  return traceId.length === 32 && traceId.startsWith('0000000000000000')
    ? traceId.slice(16)
    : traceId;
}

export function keyValue(key: string, value: AttributeValue): JaegerKeyValue {
  if (typeof value === 'boolean') return { key, type: 'bool', value };
  if (typeof value === 'number') {
    return Number.isInteger(value)
      ? { key, type: 'int64', value }
      : { key, type: 'float64', value };
  }
  if (typeof value === 'string') return { key, type: 'string', value };
  // Arrays and maps have no Jaeger type; the translator writes them as JSON text.
  return { key, type: 'string', value: JSON.stringify(value) };
}

function tagsOf(attributes: Attributes, skip?: string): JaegerKeyValue[] {
  const out: JaegerKeyValue[] = [];
  for (const [k, v] of Object.entries(attributes)) {
    if (k === skip || v === null || v === undefined) continue;
    out.push(keyValue(k, v));
  }
  return out;
}

function spanTags(s: SpanRecord): JaegerKeyValue[] {
  const tags = tagsOf(s.attributes);
  if (s.scopeName) tags.push(keyValue('otel.scope.name', s.scopeName));
  if (s.scopeVersion) tags.push(keyValue('otel.scope.version', s.scopeVersion));
  if (s.kind !== 0) tags.push(keyValue('span.kind', KIND_NAMES[s.kind]));
  if (s.statusCode === 1) tags.push(keyValue('otel.status_code', 'OK'));
  if (s.statusCode === 2) {
    tags.push(keyValue('otel.status_code', 'ERROR'));
    tags.push(keyValue('error', true));
  }
  if (s.statusMessage) tags.push(keyValue('otel.status_description', s.statusMessage));
  if (s.traceState) tags.push(keyValue('w3c.tracestate', s.traceState));
  return tags;
}

function references(s: SpanRecord): JaegerReference[] {
  const refs: JaegerReference[] = [];
  if (s.parentSpanId) {
    refs.push({ refType: 'CHILD_OF', traceID: jaegerTraceId(s.traceId), spanID: s.parentSpanId });
  }
  for (const l of s.links) {
    refs.push({ refType: 'FOLLOWS_FROM', traceID: jaegerTraceId(l.traceId), spanID: l.spanId });
  }
  return refs;
}

/** Groups spans by trace ID into Jaeger traces, in the order the IDs are given. */
export function toJaegerTraces(spans: SpanRecord[], order?: string[]): JaegerTrace[] {
  const byTrace = new Map<string, SpanRecord[]>();
  for (const id of order ?? []) byTrace.set(id, []);
  for (const s of spans) {
    if (!s.traceId) continue;
    const list = byTrace.get(s.traceId);
    if (list) list.push(s);
    else if (!order) byTrace.set(s.traceId, [s]);
  }
  return [...byTrace.values()].filter((l) => l.length > 0).map(toJaegerTrace);
}

export function toJaegerTrace(spans: SpanRecord[]): JaegerTrace {
  const processes: Record<string, JaegerProcess> = {};
  const processKeys = new Map<string, string>();
  const out: JaegerSpan[] = [];
  for (const s of spans) {
    const process: JaegerProcess = {
      serviceName: s.service,
      tags: tagsOf(s.resource, 'service.name'),
    };
    const identity = JSON.stringify(process);
    let pid = processKeys.get(identity);
    if (!pid) {
      pid = `p${processKeys.size + 1}`;
      processKeys.set(identity, pid);
      processes[pid] = process;
    }
    out.push({
      traceID: jaegerTraceId(s.traceId),
      spanID: s.spanId,
      operationName: s.name,
      references: references(s),
      startTime: nsToUs(s.startNs),
      duration: nsToUs(s.durationNs),
      tags: spanTags(s),
      logs: s.events.map((e) => ({
        timestamp: nsToUs(e.timeNs),
        fields: [keyValue('event', e.name), ...tagsOf(e.attributes)],
      })),
      processID: pid,
      warnings: null,
      // Sampled: only sampled spans are exported over OTLP.
      flags: 1,
    });
  }
  return {
    traceID: jaegerTraceId(spans[0]?.traceId ?? ''),
    spans: out,
    processes,
    warnings: null,
  };
}
