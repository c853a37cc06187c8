/**
 * DuckDB rows → store records. JSON columns come back as text; the writer's key spelling for
 * nested records (events, links) is read leniently (camelCase or snake_case, ns as string or
 * number) so the reader survives small changes on the write side.
 */
import type {
  Attributes,
  AttributeValue,
  LogLevel,
  LogRecord,
  LogSource,
  SpanAiColumns,
  SpanEventRecord,
  SpanKind,
  SpanLinkRecord,
  SpanRecord,
  StatusCode,
} from '../records.js';
import { restoreAiAttributes } from './ai-attrs.js';
import { spanHexSql, traceHexSql } from './ids.js';

/** Schema v2's AI columns (src/pipeline/ai fills them at ingest). */
const AI_COLUMNS =
  'ai_kind, ai_provider, ai_model, ai_operation, ai_input_tokens, ai_output_tokens, ' +
  'ai_cache_read_tokens, ai_cache_creation_tokens, ai_reasoning_tokens, ai_cost_usd, ' +
  'ai_cost_source, ai_ttft_ms, ai_session_id, ai_user_id';

function optNum(v: unknown): number | undefined {
  if (v === null || v === undefined) return undefined;
  const n = Number(v);
  return Number.isFinite(n) ? n : undefined;
}

/**
 * Sets only the defined values: `delete` on a fresh object (or a loop over Object.entries per
 * row) turns 50k-row reads into dictionary-mode objects that are slow to build and serialise.
 */
function assignDefined<T extends object>(target: T, values: Partial<T>): boolean {
  let any = false;
  for (const k in values) {
    const v = values[k];
    if (v !== undefined) {
      target[k] = v as T[typeof k];
      any = true;
    }
  }
  return any;
}

/** The span's AI columns, or undefined when it has none. */
function toAi(r: Row): SpanAiColumns | undefined {
  // Most spans are not AI calls: skip building anything when every AI column is empty.
  if (
    r.ai_kind == null &&
    r.ai_provider == null &&
    r.ai_model == null &&
    r.ai_operation == null &&
    r.ai_input_tokens == null &&
    r.ai_output_tokens == null &&
    r.ai_cache_read_tokens == null &&
    r.ai_cache_creation_tokens == null &&
    r.ai_reasoning_tokens == null &&
    r.ai_cost_usd == null &&
    r.ai_cost_source == null &&
    r.ai_ttft_ms == null &&
    r.ai_session_id == null &&
    r.ai_user_id == null
  ) {
    return undefined;
  }
  const ai: SpanAiColumns = {};
  const any = assignDefined(ai, {
    kind: str(r.ai_kind),
    provider: str(r.ai_provider),
    model: str(r.ai_model),
    operation: str(r.ai_operation),
    input: optNum(r.ai_input_tokens),
    output: optNum(r.ai_output_tokens),
    cacheRead: optNum(r.ai_cache_read_tokens),
    cacheCreation: optNum(r.ai_cache_creation_tokens),
    reasoning: optNum(r.ai_reasoning_tokens),
    costUsd:
      r.ai_kind === 'llm' || r.ai_cost_usd != null ? (optNum(r.ai_cost_usd) ?? null) : undefined,
    costSource: str(r.ai_cost_source),
    ttftMs: optNum(r.ai_ttft_ms),
    sessionId: str(r.ai_session_id),
    userId: str(r.ai_user_id),
  });
  return any ? ai : undefined;
}

/** Span column names, as both stores name them (the ClickHouse reader selects these). */
export const SPAN_COLUMNS =
  'trace_id, span_id, parent_span_id, trace_state, name, kind, service, start_ns, duration_ns, ' +
  'status_code, status_message, request_id, attributes, resource, scope_name, scope_version, events, links, ' +
  AI_COLUMNS;

/**
 * DuckDB's span columns: attributes as two JSON arrays (schema v7), plus `request_id_at` for
 * toSpan to put `request.id` back into them.
 */
const DUCKDB_SPAN_COLUMNS = `${SPAN_COLUMNS.replace('attributes', 'attr_keys, attr_values')}, request_id_at, attr_ai, write_batch, parent_ref`;

/** DuckDB's span select list: IDs as lowercase hex (schema v4 stores them as integers). */
export const SPAN_SELECT = DUCKDB_SPAN_COLUMNS.split(', ')
  .map((name) =>
    name === 'trace_id'
      ? `${traceHexSql(name)} AS ${name}`
      : name === 'span_id' || name === 'parent_span_id'
        ? `${spanHexSql(name)} AS ${name}`
        : name,
  )
  .join(', ');

export const LOG_COLUMNS =
  'timestamp_ns, observed_ns, severity_number, level, service, event, body, trace_id, span_id, ' +
  'request_id, attributes, resource, source';

const BIGINT_COLUMNS = new Set([
  'write_batch',
  'start_ns',
  'duration_ns',
  'timestamp_ns',
  'observed_ns',
  'row_id',
]);

/** A selected column: BIGINT ones travel as text through JSON to keep all digits. */
export interface JsonField {
  name: string;
  big: boolean;
  /** Sent only on rows where this SQL condition holds, else null. */
  onlyIf?: string;
}

function fields(columns: string): JsonField[] {
  return columns.split(', ').map((name) => ({ name, big: BIGINT_COLUMNS.has(name) }));
}

/** The fields of SPAN_SELECT. */
export const SPAN_FIELDS = fields(DUCKDB_SPAN_COLUMNS);

/** The columns an outline lookup leaves empty, and the rows that keep them (`keepsDetail`). */
// request_id_at goes with attributes: toSpan puts request.id back into them from it.
export const DETAIL_COLUMNS = new Set([
  'attributes',
  'attr_keys',
  'attr_values',
  'resource',
  'events',
  'links',
  'request_id_at',
  'attr_ai',
]);
export const SPAN_OUTLINE_FIELDS = SPAN_FIELDS.map((f) =>
  DETAIL_COLUMNS.has(f.name) ? { ...f, onlyIf: 'status_code = 2 OR ai_kind IS NOT NULL' } : f,
);
/** Log columns plus `row_id`, which lookups select to keep equal lines in a stable order. */
export const LOG_FIELDS = fields(`${LOG_COLUMNS}, row_id`);

type Row = Record<string, unknown>;

function str(v: unknown): string | undefined {
  return typeof v === 'string' && v !== '' ? v : undefined;
}

function big(v: unknown): bigint {
  if (typeof v === 'bigint') return v;
  if (typeof v === 'number' && Number.isFinite(v)) return BigInt(Math.trunc(v));
  if (typeof v === 'string' && /^-?\d+$/.test(v)) return BigInt(v);
  return 0n;
}

function parseJson(v: unknown): unknown {
  if (typeof v !== 'string' || v === '') return v ?? null;
  try {
    return JSON.parse(v);
  } catch {
    return null;
  }
}

/**
 * A span's attributes: DuckDB's key and value arrays (schema v7) or ClickHouse's JSON object,
 * with `request.id` back at the key position it had when the writer took it out (the
 * request_id column holds it).
 */
function spanAttributes(r: Row): Attributes {
  const stored = 'attr_keys' in r ? zipAttributes(r.attr_keys, r.attr_values) : attrs(r.attributes);
  if (typeof r.attr_ai === 'number') restoreAiAttributes(stored, r.attr_ai, (name) => r[name]);
  const requestId = r.request_id;
  const at = r.request_id_at;
  if (typeof requestId !== 'string' || at === null || at === undefined) return stored;
  const pos = Number(at);
  const out: Attributes = {};
  let i = 0;
  for (const k in stored) {
    if (i === pos) out['request.id'] = requestId;
    out[k] = stored[k]!;
    i++;
  }
  if (pos >= i) out['request.id'] = requestId;
  return out;
}

function zipAttributes(keys: unknown, values: unknown): Attributes {
  const k = parseJson(keys);
  const v = parseJson(values);
  const out: Attributes = {};
  if (!Array.isArray(k) || !Array.isArray(v)) return out;
  for (let i = 0; i < k.length; i++) out[String(k[i])] = (v[i] ?? null) as AttributeValue;
  return out;
}

function attrs(v: unknown): Attributes {
  const parsed = parseJson(v);
  return parsed && typeof parsed === 'object' && !Array.isArray(parsed)
    ? (parsed as Attributes)
    : {};
}

function pick(o: Record<string, unknown>, ...keys: string[]): unknown {
  for (const k of keys) if (o[k] !== undefined) return o[k];
  return undefined;
}

function events(v: unknown): SpanEventRecord[] {
  const parsed = parseJson(v);
  if (!Array.isArray(parsed)) return [];
  return parsed
    .filter((e): e is Record<string, unknown> => !!e && typeof e === 'object')
    .map((e) => ({
      timeNs: big(pick(e, 'timeNs', 'time_ns', 'timeUnixNano', 'time_unix_nano')),
      name: String(e.name ?? ''),
      attributes: attrs(JSON.stringify(e.attributes ?? {})),
    }));
}

function links(v: unknown): SpanLinkRecord[] {
  const parsed = parseJson(v);
  if (!Array.isArray(parsed)) return [];
  return parsed
    .filter((l): l is Record<string, unknown> => !!l && typeof l === 'object')
    .map((l) => {
      const link: SpanLinkRecord = {
        traceId: String(pick(l, 'traceId', 'trace_id') ?? ''),
        spanId: String(pick(l, 'spanId', 'span_id') ?? ''),
        attributes: attrs(JSON.stringify(l.attributes ?? {})),
      };
      const state = str(pick(l, 'traceState', 'trace_state'));
      if (state) link.traceState = state;
      return link;
    });
}

export function toSpan(r: Row): SpanRecord {
  const span: SpanRecord = {
    traceId: String(r.trace_id),
    spanId: String(r.span_id),
    name: String(r.name),
    kind: Number(r.kind) as SpanKind,
    service: String(r.service),
    startNs: big(r.start_ns),
    durationNs: big(r.duration_ns),
    statusCode: Number(r.status_code) as StatusCode,
    attributes: spanAttributes(r),
    resource: attrs(r.resource),
    events: events(r.events),
    links: links(r.links),
  };
  assignDefined<SpanRecord>(span, {
    parentSpanId: str(r.parent_span_id),
    traceState: str(r.trace_state),
    statusMessage: str(r.status_message),
    requestId: str(r.request_id),
    scopeName: str(r.scope_name),
    scopeVersion: str(r.scope_version),
    ai: toAi(r),
  });
  return span;
}

export function toLog(r: Row): LogRecord {
  const log: LogRecord = {
    timestampNs: big(r.timestamp_ns),
    severityNumber: Number(r.severity_number),
    level: String(r.level) as LogLevel,
    service: String(r.service),
    body: String(r.body ?? ''),
    attributes: attrs(r.attributes),
    resource: attrs(r.resource),
    source: String(r.source) as LogSource,
  };
  if (r.observed_ns !== null && r.observed_ns !== undefined) log.observedNs = big(r.observed_ns);
  assignDefined<LogRecord>(log, {
    event: str(r.event),
    traceId: str(r.trace_id),
    spanId: str(r.span_id),
    requestId: str(r.request_id),
  });
  return log;
}

/** Nanoseconds (bigint or number from an aggregate) → float milliseconds, null stays null. */
export function nsToMs(v: unknown): number | null {
  if (v === null || v === undefined) return null;
  const n = Number(v);
  return Number.isFinite(n) ? n / 1e6 : null;
}
