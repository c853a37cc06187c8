import type { Attributes, AttributeValue, LogRecord, SpanRecord } from '../../store/records.js';

/**
 * SpanRecords / LogRecords back to OTLP/JSON export requests, so a peer ingests forwarded
 * records through its ordinary `/v1/traces` and `/v1/logs` path. JSON rather than protobuf:
 * the records hold typed JS values, and the server already parses OTLP/JSON.
 */

type AnyValue =
  | { stringValue: string }
  | { intValue: string }
  | { doubleValue: number | string }
  | { boolValue: boolean }
  | { arrayValue: { values: AnyValue[] } }
  | { kvlistValue: { values: KeyValue[] } }
  | Record<string, never>;
interface KeyValue {
  key: string;
  value: AnyValue;
}

function anyValue(v: AttributeValue): AnyValue {
  if (v === null) return {};
  if (typeof v === 'string') return { stringValue: v };
  if (typeof v === 'boolean') return { boolValue: v };
  if (typeof v === 'number') {
    return Number.isInteger(v) ? { intValue: String(v) } : { doubleValue: v };
  }
  if (Array.isArray(v)) return { arrayValue: { values: v.map(anyValue) } };
  return { kvlistValue: { values: keyValues(v) } };
}

function keyValues(attrs: Attributes): KeyValue[] {
  return Object.entries(attrs).map(([key, value]) => ({ key, value: anyValue(value) }));
}

/** Groups records by resource and scope, as OTLP nests them. */
function group<T>(
  records: readonly T[],
  resourceOf: (r: T) => Attributes,
  scopeOf: (r: T) => { name?: string; version?: string },
) {
  const resources = new Map<string, { resource: Attributes; scopes: Map<string, T[]> }>();
  for (const r of records) {
    const resource = resourceOf(r);
    const rkey = JSON.stringify(resource);
    let entry = resources.get(rkey);
    if (!entry) {
      entry = { resource, scopes: new Map() };
      resources.set(rkey, entry);
    }
    const scope = scopeOf(r);
    const skey = `${scope.name ?? ''}\u0000${scope.version ?? ''}`;
    let list = entry.scopes.get(skey);
    if (!list) {
      list = [];
      entry.scopes.set(skey, list);
    }
    list.push(r);
  }
  return [...resources.values()].map(({ resource, scopes }) => ({
    resource: { attributes: keyValues(resource) },
    scopes: [...scopes.values()].map((list) => {
      const s = scopeOf(list[0] as T);
      return { scope: { name: s.name ?? '', version: s.version ?? '' }, records: list };
    }),
  }));
}

export function encodeTraces(spans: readonly SpanRecord[]): object {
  return {
    resourceSpans: group(
      spans,
      (s) => s.resource,
      (s) => ({ name: s.scopeName, version: s.scopeVersion }),
    ).map(({ resource, scopes }) => ({
      resource,
      scopeSpans: scopes.map(({ scope, records }) => ({
        scope,
        spans: records.map((s) => ({
          traceId: s.traceId,
          spanId: s.spanId,
          ...(s.parentSpanId && { parentSpanId: s.parentSpanId }),
          ...(s.traceState && { traceState: s.traceState }),
          name: s.name,
          kind: s.kind,
          startTimeUnixNano: String(s.startNs),
          endTimeUnixNano: String(s.startNs + s.durationNs),
          attributes: keyValues(s.attributes),
          events: s.events.map((e) => ({
            timeUnixNano: String(e.timeNs),
            name: e.name,
            attributes: keyValues(e.attributes),
          })),
          links: s.links.map((l) => ({
            traceId: l.traceId,
            spanId: l.spanId,
            ...(l.traceState && { traceState: l.traceState }),
            attributes: keyValues(l.attributes),
          })),
          status: { code: s.statusCode, ...(s.statusMessage && { message: s.statusMessage }) },
        })),
      })),
    })),
  };
}

export function encodeLogs(logs: readonly LogRecord[]): object {
  return {
    resourceLogs: group(
      logs,
      (l) => l.resource,
      () => ({}),
    ).map(({ resource, scopes }) => ({
      resource,
      scopeLogs: scopes.map(({ scope, records }) => ({
        scope,
        logRecords: records.map((l) => ({
          timeUnixNano: String(l.timestampNs),
          ...(l.observedNs !== undefined && { observedTimeUnixNano: String(l.observedNs) }),
          severityNumber: l.severityNumber,
          severityText: l.level.toUpperCase(),
          ...(l.event && { eventName: l.event }),
          body: { stringValue: l.body },
          attributes: keyValues(l.attributes),
          ...(l.traceId && { traceId: l.traceId }),
          ...(l.spanId && { spanId: l.spanId }),
        })),
      })),
    })),
  };
}
