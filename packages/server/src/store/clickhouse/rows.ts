/**
 * Store records → JSONEachRow rows for ClickHouse, with the same JSON text in the attribute,
 * event and link columns as the DuckDB writer (duckdb/span-chunks.ts; events and links from
 * ../span-json.ts), so both readers parse the same thing. Int64 values travel as strings (JSON numbers would lose nanosecond digits).
 */
import type { Attributes, LogRecord, SpanAiColumns, SpanRecord, WriteBatch } from '../records.js';
import { eventsJson, linksJson } from '../span-json.js';

export type Row = Record<string, string | number | null>;

function isEmpty(o: object): boolean {
  for (const _ in o) return false;
  return true;
}

function json(o: Attributes): string {
  return isEmpty(o) ? '' : JSON.stringify(o);
}

/** NUL cannot be stored by the DuckDB writer either: both replace it the same way. */
function text(s: string | undefined): string {
  return s === undefined ? '' : s.replaceAll('\u0000', '\uFFFD');
}

function num(n: number | null | undefined, integer: boolean): string | number | null {
  if (n === undefined || n === null || !Number.isFinite(n)) return null;
  return integer ? String(Math.round(n)) : n;
}

function aiRow(ai: SpanAiColumns | undefined): Row {
  return {
    ai_kind: text(ai?.kind),
    ai_provider: text(ai?.provider),
    ai_model: text(ai?.model),
    ai_operation: text(ai?.operation),
    ai_input_tokens: num(ai?.input, true),
    ai_output_tokens: num(ai?.output, true),
    ai_cache_read_tokens: num(ai?.cacheRead, true),
    ai_cache_creation_tokens: num(ai?.cacheCreation, true),
    ai_reasoning_tokens: num(ai?.reasoning, true),
    ai_cost_usd: num(ai?.costUsd, false),
    ai_cost_source: text(ai?.costSource),
    ai_ttft_ms: num(ai?.ttftMs, false),
    ai_session_id: text(ai?.sessionId),
    ai_user_id: text(ai?.userId),
  };
}

export function spanRow(s: SpanRecord): Row {
  return {
    trace_id: s.traceId,
    span_id: s.spanId,
    parent_span_id: s.parentSpanId ?? '',
    trace_state: text(s.traceState),
    name: text(s.name),
    kind: s.kind,
    service: text(s.service),
    start_ns: s.startNs.toString(),
    duration_ns: s.durationNs.toString(),
    status_code: s.statusCode,
    status_message: text(s.statusMessage),
    request_id: text(s.requestId),
    attributes: json(s.attributes),
    resource: json(s.resource),
    scope_name: text(s.scopeName),
    scope_version: text(s.scopeVersion),
    events: eventsJson(s.events) ?? '',
    links: linksJson(s.links) ?? '',
    ...aiRow(s.ai),
  };
}

export function logRow(l: LogRecord, rowId: bigint): Row {
  return {
    timestamp_ns: l.timestampNs.toString(),
    observed_ns: l.observedNs === undefined ? null : l.observedNs.toString(),
    severity_number: l.severityNumber,
    level: l.level,
    service: text(l.service),
    event: text(l.event),
    body: text(l.body),
    trace_id: l.traceId ?? '',
    span_id: l.spanId ?? '',
    request_id: text(l.requestId),
    attributes: json(l.attributes),
    resource: json(l.resource),
    source: l.source,
    row_id: rowId.toString(),
  };
}

type Window = [bigint, bigint];

export interface IndexRows {
  traces: Row[];
  requests: Row[];
  /** Operations not in `known`; the caller adds them once the insert succeeded. */
  operations: Row[];
  newOperations: string[];
}

/**
 * Index rows of one insert, aggregated here (one row per key) as the DuckDB writer does
 * (duckdb/index-rows.ts), including its rule that a request's window covers its whole traces.
 */
const TRACE_HEX = /^[0-9a-fA-F]{32}$/;

export function indexRows(batches: readonly WriteBatch[], known: ReadonlySet<string>): IndexRows {
  const traces = new Map<string, Window>();
  const requests = new Map<string, Map<string, Window>>();
  const operations: Row[] = [];
  const newOperations: string[] = [];
  const widen = (w: Window, start: bigint, end: bigint) => {
    if (start < w[0]) w[0] = start;
    if (end > w[1]) w[1] = end;
  };
  const request = (requestId: string, traceId: string, start: bigint, end: bigint) => {
    let byTrace = requests.get(requestId);
    if (!byTrace) {
      byTrace = new Map();
      requests.set(requestId, byTrace);
    }
    const w = byTrace.get(traceId);
    if (w) widen(w, start, end);
    else byTrace.set(traceId, [start, end]);
  };
  for (const batch of batches) {
    for (const s of batch.spans) {
      const end = s.startNs + s.durationNs;
      const t = traces.get(s.traceId);
      if (t) widen(t, s.startNs, end);
      else traces.set(s.traceId, [s.startNs, end]);
      if (s.requestId) request(text(s.requestId), s.traceId, s.startNs, end);
      const op = `${s.service}\u0000${s.name}\u0000${s.kind}`;
      if (!known.has(op) && !newOperations.includes(op)) {
        newOperations.push(op);
        operations.push({ service: text(s.service), name: text(s.name), kind: s.kind });
      }
    }
    for (const l of batch.logs) {
      const ts = l.timestampNs;
      // A trace's window covers its log lines too, as in DuckDB's trace_index (index-rows.ts).
      if (l.traceId && TRACE_HEX.test(l.traceId)) {
        const t = traces.get(l.traceId);
        if (t) widen(t, ts, ts);
        else traces.set(l.traceId, [ts, ts]);
      }
      if (l.requestId) request(text(l.requestId), l.traceId ?? '', ts, ts);
    }
  }
  const traceRows: Row[] = [];
  for (const [id, [start, end]] of traces) {
    traceRows.push({ trace_id: id, start_ns: start.toString(), end_ns: end.toString() });
  }
  const requestRows: Row[] = [];
  for (const [requestId, byTrace] of requests) {
    for (const [traceId, w] of byTrace) {
      const t = traceId ? traces.get(traceId) : undefined;
      if (t) widen(w, t[0], t[1]);
      requestRows.push({
        request_id: requestId,
        trace_id: traceId,
        start_ns: w[0].toString(),
        end_ns: w[1].toString(),
      });
    }
  }
  return { traces: traceRows, requests: requestRows, operations, newOperations };
}
