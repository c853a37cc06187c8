import type { Attributes, LogRecord, SpanAiColumns, SpanRecord } from '../records.js';

/**
 * Rows as delimited text for DuckDB's read_csv: the insert then runs in DuckDB's own threads,
 * off the JavaScript thread, instead of ~18 synchronous Appender calls per row (bench/server.mjs
 * measures both). Delimiter \x1f, quote and escape \x02: JSON text never contains raw control
 * characters (JSON.stringify escapes them) and IDs are hex, so only free text is checked; the
 * rare value with a control character is quoted. An unquoted empty field is NULL, a quoted one
 * (\x02\x02) is the empty string.
 */
export const DELIM = '\x1f';
export const QUOTE = '\x02';
const CONTROL = /[\x00-\x1f]/;
const NEWLINE = /[\r\n]/;

export interface CsvText {
  text: string;
  rows: number;
  /** A quoted value holds a line break: DuckDB must read this file serially. */
  quotedNewline: boolean;
}

class Builder {
  parts: string[] = [];
  quotedNewline = false;

  /** Free text; `required` keeps '' as the empty string rather than NULL. */
  text(s: string | undefined, required: boolean): string {
    if (s === undefined || s === '') return required ? QUOTE + QUOTE : '';
    if (!CONTROL.test(s)) return s;
    if (NEWLINE.test(s)) this.quotedNewline = true;
    return QUOTE + s.replaceAll('\u0000', '\uFFFD').replaceAll(QUOTE, QUOTE + QUOTE) + QUOTE;
  }
}

function isEmpty(o: object): boolean {
  for (const _ in o) return false;
  return true;
}

function json(o: Attributes): string {
  return isEmpty(o) ? '' : JSON.stringify(o);
}

/** Spans of one resource share its attributes object: serialise it once per commit. */
class ResourceCache {
  private seen = new WeakMap<object, string>();
  get(resource: Attributes): string {
    let text = this.seen.get(resource);
    if (text === undefined) {
      text = json(resource);
      this.seen.set(resource, text);
    }
    return text;
  }
}

/** The `ai_*` columns of schema v2, in table order (set by src/pipeline/ai). */
const AI_CSV_COLUMNS =
  "'ai_kind':'VARCHAR','ai_provider':'VARCHAR','ai_model':'VARCHAR','ai_operation':'VARCHAR'," +
  "'ai_input_tokens':'BIGINT','ai_output_tokens':'BIGINT','ai_cache_read_tokens':'BIGINT'," +
  "'ai_cache_creation_tokens':'BIGINT','ai_reasoning_tokens':'BIGINT','ai_cost_usd':'DOUBLE'," +
  "'ai_cost_source':'VARCHAR','ai_ttft_ms':'DOUBLE','ai_session_id':'VARCHAR','ai_user_id':'VARCHAR'";

function num(n: number | null | undefined, integer: boolean): string {
  if (n === undefined || n === null || !Number.isFinite(n)) return '';
  return String(integer ? Math.round(n) : n);
}

/** The `ai_*` fields of a span row (all empty, i.e. NULL, for spans without AI fields). */
function aiFields(b: Builder, ai: SpanAiColumns | undefined): string {
  if (ai === undefined) return DELIM.repeat(13);
  const D = DELIM;
  return (
    b.text(ai.kind, false) +
    D +
    b.text(ai.provider, false) +
    D +
    b.text(ai.model, false) +
    D +
    b.text(ai.operation, false) +
    D +
    num(ai.input, true) +
    D +
    num(ai.output, true) +
    D +
    num(ai.cacheRead, true) +
    D +
    num(ai.cacheCreation, true) +
    D +
    num(ai.reasoning, true) +
    D +
    num(ai.costUsd, false) +
    D +
    b.text(ai.costSource, false) +
    D +
    num(ai.ttftMs, false) +
    D +
    b.text(ai.sessionId, false) +
    D +
    b.text(ai.userId, false)
  );
}

export const SPAN_CSV_COLUMNS =
  "{'trace_id':'VARCHAR','span_id':'VARCHAR','parent_span_id':'VARCHAR','trace_state':'VARCHAR'," +
  "'name':'VARCHAR','kind':'UTINYINT','service':'VARCHAR','start_ns':'BIGINT','duration_ns':'BIGINT'," +
  "'status_code':'UTINYINT','status_message':'VARCHAR','request_id':'VARCHAR','attributes':'VARCHAR'," +
  "'resource':'VARCHAR','scope_name':'VARCHAR','scope_version':'VARCHAR','events':'VARCHAR','links':'VARCHAR'," +
  AI_CSV_COLUMNS +
  '}';

export function spansCsv(batches: readonly { spans: readonly SpanRecord[] }[]): CsvText {
  const b = new Builder();
  const resources = new ResourceCache();
  const D = DELIM;
  let rows = 0;
  for (const batch of batches) {
    for (const s of batch.spans) {
      rows++;
      b.parts.push(
        s.traceId +
          D +
          s.spanId +
          D +
          (s.parentSpanId ?? '') +
          D +
          b.text(s.traceState, false) +
          D +
          b.text(s.name, true) +
          D +
          s.kind +
          D +
          b.text(s.service, true) +
          D +
          s.startNs +
          D +
          s.durationNs +
          D +
          s.statusCode +
          D +
          b.text(s.statusMessage, false) +
          D +
          b.text(s.requestId, false) +
          D +
          json(s.attributes) +
          D +
          resources.get(s.resource) +
          D +
          b.text(s.scopeName, false) +
          D +
          b.text(s.scopeVersion, false) +
          D +
          (s.events.length === 0
            ? ''
            : JSON.stringify(
                s.events.map((e) => ({
                  time_ns: e.timeNs.toString(),
                  name: e.name,
                  attributes: e.attributes,
                })),
              )) +
          D +
          (s.links.length === 0
            ? ''
            : JSON.stringify(
                s.links.map((l) => ({
                  trace_id: l.traceId,
                  span_id: l.spanId,
                  trace_state: l.traceState,
                  attributes: l.attributes,
                })),
              )) +
          D +
          aiFields(b, s.ai),
      );
    }
  }
  b.parts.push('');
  return { text: b.parts.join('\n'), rows, quotedNewline: b.quotedNewline };
}

export const LOG_CSV_COLUMNS =
  "{'timestamp_ns':'BIGINT','observed_ns':'BIGINT','severity_number':'UTINYINT','level':'VARCHAR'," +
  "'service':'VARCHAR','event':'VARCHAR','body':'VARCHAR','trace_id':'VARCHAR','span_id':'VARCHAR'," +
  "'request_id':'VARCHAR','attributes':'VARCHAR','resource':'VARCHAR','source':'VARCHAR'}";

export function logsCsv(batches: readonly { logs: readonly LogRecord[] }[]): CsvText {
  const b = new Builder();
  const resources = new ResourceCache();
  const D = DELIM;
  let rows = 0;
  for (const batch of batches) {
    for (const l of batch.logs) {
      rows++;
      b.parts.push(
        l.timestampNs +
          D +
          (l.observedNs ?? '') +
          D +
          l.severityNumber +
          D +
          l.level +
          D +
          b.text(l.service, true) +
          D +
          b.text(l.event, false) +
          D +
          b.text(l.body, true) +
          D +
          (l.traceId ?? '') +
          D +
          (l.spanId ?? '') +
          D +
          b.text(l.requestId, false) +
          D +
          json(l.attributes) +
          D +
          resources.get(l.resource) +
          D +
          l.source,
      );
    }
  }
  b.parts.push('');
  return { text: b.parts.join('\n'), rows, quotedNewline: b.quotedNewline };
}
