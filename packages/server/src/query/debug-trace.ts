/**
 * GET /api/debug/trace/:id — "what happened to request req_…?": every span and log line of
 * the request across services, stitched by request ID, as ordered hops.
 */
import type {
  DebugLog,
  DebugSpan,
  DebugTraceResponse,
  FirstError,
  Hop,
  LogLevelName,
} from '../api/types.js';
import { keepsDetail, type StoreReader } from '../store/reader.js';
import type { LogRecord, SpanRecord } from '../store/records.js';
import { aiTraceSummary, debugSpanAi } from './ai.js';
import { debugEvents, debugLinks, logColumns, spanColumns } from './debug-columns.js';
import {
  jsonAttributes,
  KIND_NAMES,
  nsToIso,
  nsToMs,
  nsToUs,
  numberField,
  statusName,
  stringField,
} from './format.js';
import type { ParsedId } from './ids.js';
import { isDerived, spansFromLogs } from './log-spans.js';

/** How many request IDs found on a trace widen the lookup. */
const MAX_WIDEN_REQUEST_IDS = 50;

/** The list parts of the response a caller can ask for (`?include=`). */
export type DebugPart = 'hops' | 'spans' | 'logs';
const ALL_PARTS: readonly DebugPart[] = ['hops', 'spans', 'logs'];

/** `objects`: `spans`/`logs` as lists of objects; `columns`: as `span_columns`/`log_columns`. */
export type DebugFormat = 'objects' | 'columns';

export interface DebugTraceOptions {
  include?: readonly DebugPart[];
  format?: DebugFormat;
  /** Spans without attributes, resource, events and links, except error and AI spans. */
  outline?: boolean;
}

/** Fetches and assembles; null when nothing at all matches. */
export async function debugTrace(
  reader: StoreReader,
  id: ParsedId,
  input: string,
  options: DebugTraceOptions = {},
): Promise<DebugTraceResponse | null> {
  let requestIds: string[];
  let traceIds: string[];
  if (id.kind === 'request_id') {
    requestIds = [id.requestId];
    traceIds = [];
  } else {
    traceIds = [id.traceId];
    // Widen to the request: traces of services that did not propagate traceparent, and log
    // lines with no trace, share only the request ID.
    // A batch trace may carry thousands of request IDs; widening is for the common case of one.
    requestIds = (await reader.requestIdsOfTraces(traceIds)).slice(0, MAX_WIDEN_REQUEST_IDS);
    // A 32-hex value may also be a request ID (the x-trace-id alias carries one).
    if (id.kind === 'trace_id') requestIds.push(input.trim());
  }
  const { spans, logs } = await reader.lookup({
    requestIds,
    traceIds,
    outline: options.outline === true,
  });
  if (spans.length === 0 && logs.length === 0) return null;
  return assembleDebugTrace(id, input, spans, logs, options);
}

/** Pure assembly of the response from what the store returned (exported for tests). */
export function assembleDebugTrace(
  id: ParsedId,
  input: string,
  realSpans: SpanRecord[],
  logs: LogRecord[],
  { include = ALL_PARTS, format = 'objects', outline = false }: DebugTraceOptions = {},
): DebugTraceResponse {
  const known = new Set(realSpans.map((s) => s.spanId));
  const derived = spansFromLogs(logs, known);
  const spans = [...realSpans, ...derived].sort(byStart);
  const depth = depths(spans);

  const hops: Hop[] = include.includes('hops') ? buildHops(spans, logs, depth) : [];

  let startNs: bigint | undefined;
  let endNs: bigint | undefined;
  const widen = (s: bigint, e: bigint) => {
    if (startNs === undefined || s < startNs) startNs = s;
    if (endNs === undefined || e > endNs) endNs = e;
  };
  for (const s of spans) widen(s.startNs, s.startNs + s.durationNs);
  for (const l of logs) widen(l.timestampNs, l.timestampNs);
  const startUs = startNs === undefined ? null : nsToUs(startNs);
  for (const h of hops) h.offset_ms = startUs === null ? 0 : (h.timestamp_us - startUs) / 1000;

  // Parts not asked for are never built: at 50k spans each list costs seconds and tens of MB.
  const columns = format === 'columns';
  const wantSpans = include.includes('spans');
  const wantLogs = include.includes('logs');
  // What the store left out of an outline lookup (derived spans are built here, whole).
  const leftOut = (s: SpanRecord) => outline && !keepsDetail(s) && !isDerived(s);
  const debugSpans =
    wantSpans && !columns
      ? spans.map((s, i) => {
          const d = toDebugSpan(s, depth.ofSpan[i]);
          if (leftOut(s)) d.outline = true;
          return d;
        })
      : [];
  const debugLogs = wantLogs && !columns ? logs.map(toDebugLog) : [];
  const columnParts: Pick<DebugTraceResponse, 'span_columns' | 'log_columns'> = {};
  if (columns && wantSpans)
    columnParts.span_columns = spanColumns(spans, depth.ofSpan, startUs ?? 0, leftOut);
  if (columns && wantLogs) columnParts.log_columns = logColumns(logs, startUs ?? 0);

  const services = servicesInHopOrder(spans, logs, depth);

  const requestIdSet = new Set<string>();
  for (const s of spans) if (s.requestId) requestIdSet.add(s.requestId);
  for (const l of logs) if (l.requestId) requestIdSet.add(l.requestId);
  const traceIdSet = new Set<string>();
  for (const s of spans) if (s.traceId) traceIdSet.add(s.traceId);
  for (const l of logs) if (l.traceId) traceIdSet.add(l.traceId);

  const errors = errorsOf(spans, logs);
  return {
    query: { input, kind: id.kind },
    request_id: id.kind === 'request_id' ? id.requestId : ([...requestIdSet][0] ?? null),
    request_ids: [...requestIdSet].sort(),
    trace_ids: [...traceIdSet].sort(),
    services,
    start: startNs === undefined ? null : nsToIso(startNs),
    start_us: startUs,
    end: endNs === undefined ? null : nsToIso(endNs),
    end_us: endNs === undefined ? null : nsToUs(endNs),
    total_duration_ms:
      startNs === undefined || endNs === undefined ? null : nsToMs(endNs - startNs),
    span_count: spans.length,
    log_count: logs.length,
    error_count: errors.length,
    first_error: errors[0] ?? null,
    included: [...include],
    hops,
    spans: debugSpans,
    logs: debugLogs,
    ...columnParts,
    ...aiSummaryOf(realSpans),
  };
}

function buildHops(spans: SpanRecord[], logs: LogRecord[], depth: Depths): Hop[] {
  return [
    ...spans.map((s, i) => spanHop(s, depth.ofSpan[i])),
    ...logs.map((l) => logHop(l, logDepth(l, depth))),
  ].sort(
    (a, b) =>
      a.timestamp_us - b.timestamp_us ||
      typeOrder(a) - typeOrder(b) ||
      a.depth - b.depth ||
      a.service.localeCompare(b.service),
  );
}

function logDepth(l: LogRecord, depth: Depths): number {
  const at = l.spanId ? depth.indexOf.get(l.spanId) : undefined;
  return at === undefined ? 0 : depth.ofSpan[at];
}

/**
 * Services in the order of their first hop (time, spans before logs, shallower first, name),
 * the order `hops` gives, without building the hops when they were not asked for.
 */
function servicesInHopOrder(spans: SpanRecord[], logs: LogRecord[], depth: Depths): string[] {
  // One key per service, compared in place: no per-span allocation at 50k spans.
  const first = new Map<string, HopKey>();
  const see = (service: string, us: number, type: number, depth: number) => {
    const f = first.get(service);
    if (!f) first.set(service, { us, type, depth });
    else if (
      us < f.us ||
      (us === f.us && (type < f.type || (type === f.type && depth < f.depth)))
    ) {
      f.us = us;
      f.type = type;
      f.depth = depth;
    }
  };
  for (let i = 0; i < spans.length; i++) {
    see(spans[i].service, nsToUs(spans[i].startNs), 0, depth.ofSpan[i]);
  }
  for (const l of logs) see(l.service, nsToUs(l.timestampNs), 1, logDepth(l, depth));
  return [...first.entries()]
    .sort(
      ([an, a], [bn, b]) =>
        a.us - b.us || a.type - b.type || a.depth - b.depth || an.localeCompare(bn),
    )
    .map(([name]) => name);
}

interface HopKey {
  us: number;
  type: number;
  depth: number;
}

function aiSummaryOf(spans: SpanRecord[]): { ai?: DebugTraceResponse['ai'] } {
  const ai = aiTraceSummary(spans);
  return ai ? { ai } : {};
}

function byStart(a: SpanRecord, b: SpanRecord): number {
  return a.startNs < b.startNs ? -1 : a.startNs > b.startNs ? 1 : a.spanId.localeCompare(b.spanId);
}

function typeOrder(h: Hop): number {
  return h.type === 'log' ? 1 : 0;
}

/** Depth in the span tree of each span (by position in `spans`) and of each span ID. */
export interface Depths {
  ofSpan: Int32Array;
  /** Span ID → position in `spans` (the last span with that ID), for log lines. */
  indexOf: Map<string, number>;
}

/**
 * Depth of each span in its tree; orphans (parent not present) are roots. Iterative: a chain of
 * tens of thousands of nested spans (a recursive agent loop) must not overflow the stack.
 * Positions in typed arrays rather than maps keyed by span ID: at 50k spans this is one map
 * write and one read per span.
 */
function depths(spans: SpanRecord[]): Depths {
  const n = spans.length;
  const indexOf = new Map<string, number>();
  for (let i = 0; i < n; i++) indexOf.set(spans[i].spanId, i);
  const parent = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const pid = spans[i].parentSpanId;
    const p = pid === undefined ? undefined : indexOf.get(pid);
    parent[i] = p === undefined || p === i ? -1 : p;
  }
  const ofSpan = new Int32Array(n).fill(-1);
  const onPath = new Uint8Array(n);
  const path: number[] = [];
  for (let i = 0; i < n; i++) {
    if (ofSpan[i] >= 0) continue;
    // Spans come sorted by start, so a parent is usually placed already: no walk needed.
    const p = parent[i];
    if (p < 0) {
      ofSpan[i] = 0;
      continue;
    }
    if (ofSpan[p] >= 0) {
      ofSpan[i] = ofSpan[p] + 1;
      continue;
    }
    path.length = 0;
    let cur = i;
    while (cur >= 0 && ofSpan[cur] < 0 && !onPath[cur]) {
      path.push(cur);
      onPath[cur] = 1;
      cur = parent[cur];
    }
    // Stopped at a known depth, at a root, or at a cycle (whose entry counts as a root).
    const base = cur >= 0 && ofSpan[cur] >= 0 ? ofSpan[cur] : -1;
    for (let k = path.length - 1; k >= 0; k--) {
      ofSpan[path[k]] = base + (path.length - k);
      onPath[path[k]] = 0;
    }
  }
  return { ofSpan, indexOf };
}

function spanError(s: SpanRecord): { message: string; type: string | null; atNs: bigint } | null {
  if (s.statusCode !== 2) return null;
  const exception = s.events.find((e) => e.name === 'exception');
  const message =
    s.statusMessage ??
    stringField(exception?.attributes['exception.message']) ??
    stringField(s.attributes.error) ??
    'error';
  const type =
    stringField(exception?.attributes['exception.type']) ??
    stringField(s.attributes.error_type) ??
    null;
  // When it failed, not when it started: a parent that fails because its child failed starts
  // first but ends after the child's error.
  return { message, type, atNs: exception?.timeNs ?? s.startNs + s.durationNs };
}

function logError(l: LogRecord): { message: string; type: string | null } | null {
  if (l.level !== 'error' && l.level !== 'fatal' && l.event !== 'request_failed') return null;
  return {
    message: stringField(l.attributes.error) ?? l.body ?? l.event ?? 'error',
    type: stringField(l.attributes.error_type) ?? null,
  };
}

function errorsOf(spans: SpanRecord[], logs: LogRecord[]): FirstError[] {
  const out: Array<FirstError & { ns: bigint }> = [];
  for (const s of spans) {
    const e = spanError(s);
    if (!e) continue;
    out.push({
      ns: e.atNs,
      timestamp: nsToIso(e.atNs),
      timestamp_us: nsToUs(e.atNs),
      service: s.service,
      event: s.name,
      message: e.message,
      error_type: e.type,
      trace_id: s.traceId || null,
      span_id: s.spanId,
      type: isDerived(s) ? 'log_span' : 'span',
    });
  }
  for (const l of logs) {
    const e = logError(l);
    if (!e) continue;
    out.push({
      ns: l.timestampNs,
      timestamp: nsToIso(l.timestampNs),
      timestamp_us: nsToUs(l.timestampNs),
      service: l.service,
      event: l.event ?? l.body,
      message: e.message,
      error_type: e.type,
      trace_id: l.traceId ?? null,
      span_id: l.spanId ?? null,
      type: 'log',
    });
  }
  out.sort((a, b) => (a.ns < b.ns ? -1 : a.ns > b.ns ? 1 : 0));
  return out.map(({ ns: _ns, ...e }) => e);
}

function withAi(s: SpanRecord): { ai?: DebugSpan['ai'] } {
  const ai = debugSpanAi(s);
  return ai ? { ai } : {};
}

export function toDebugSpan(s: SpanRecord, depth: number): DebugSpan {
  return {
    trace_id: s.traceId,
    span_id: s.spanId,
    parent_span_id: s.parentSpanId ?? null,
    name: s.name,
    kind: KIND_NAMES[s.kind] ?? 'unspecified',
    service: s.service,
    start: nsToIso(s.startNs),
    start_us: nsToUs(s.startNs),
    duration_ms: nsToMs(s.durationNs),
    status: statusName(s.statusCode),
    status_message: s.statusMessage ?? null,
    request_id: s.requestId ?? null,
    attributes: jsonAttributes(s.attributes),
    resource: jsonAttributes(s.resource),
    scope: { name: s.scopeName ?? null, version: s.scopeVersion ?? null },
    events: debugEvents(s),
    links: debugLinks(s),
    depth,
    derived_from_logs: isDerived(s),
    ...withAi(s),
  };
}

export function toDebugLog(l: LogRecord): DebugLog {
  return {
    timestamp: nsToIso(l.timestampNs),
    timestamp_us: nsToUs(l.timestampNs),
    level: l.level as LogLevelName,
    service: l.service,
    event: l.event ?? null,
    message: l.body,
    request_id: l.requestId ?? null,
    trace_id: l.traceId ?? null,
    span_id: l.spanId ?? null,
    attributes: jsonAttributes(l.attributes),
    resource: jsonAttributes(l.resource),
    source: l.source,
  };
}

function spanHop(s: SpanRecord, depth: number): Hop {
  const err = spanError(s);
  return {
    timestamp: nsToIso(s.startNs),
    timestamp_us: nsToUs(s.startNs),
    service: s.service,
    event: s.name,
    type: isDerived(s) ? 'log_span' : 'span',
    duration_ms: nsToMs(s.durationNs),
    status: statusName(s.statusCode),
    error: err?.message ?? null,
    level: null,
    trace_id: s.traceId || null,
    span_id: s.spanId,
    parent_span_id: s.parentSpanId ?? null,
    depth,
    offset_ms: 0,
  };
}

function logHop(l: LogRecord, depth: number): Hop {
  const err = logError(l);
  return {
    timestamp: nsToIso(l.timestampNs),
    timestamp_us: nsToUs(l.timestampNs),
    service: l.service,
    event: l.event ?? l.body,
    type: 'log',
    duration_ms: numberField(l.attributes.duration_ms) ?? null,
    status: err ? 'error' : 'unset',
    error: err?.message ?? null,
    level: l.level as LogLevelName,
    trace_id: l.traceId ?? null,
    span_id: l.spanId ?? null,
    parent_span_id: stringField(l.attributes.parent_span_id) ?? null,
    depth,
    offset_ms: 0,
  };
}
