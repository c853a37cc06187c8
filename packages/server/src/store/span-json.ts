import type { SpanEventRecord, SpanLinkRecord } from './records.js';

/**
 * A span's events and links as both stores keep them: JSON text in the spans table, absent
 * (NULL in DuckDB, '' in ClickHouse) when there are none. The readers parse this shape back.
 */
export function eventsJson(events: readonly SpanEventRecord[]): string | undefined {
  if (events.length === 0) return undefined;
  return JSON.stringify(
    events.map((e) => ({ time_ns: e.timeNs.toString(), name: e.name, attributes: e.attributes })),
  );
}

export function linksJson(links: readonly SpanLinkRecord[]): string | undefined {
  if (links.length === 0) return undefined;
  return JSON.stringify(
    links.map((l) => ({
      trace_id: l.traceId,
      span_id: l.spanId,
      trace_state: l.traceState,
      attributes: l.attributes,
    })),
  );
}
