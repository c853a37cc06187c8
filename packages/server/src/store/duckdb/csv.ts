import type { Attributes, LogRecord } from '../records.js';

/**
 * Log rows (and new operations) as delimited text for DuckDB's read_csv: the insert then runs in
 * DuckDB's own threads. Spans went this way too until schema v4; they now go as data chunks
 * (span-chunks.ts), which bench/server.mjs measured cheaper. Delimiter \x1f, quote and escape
 * \x02: JSON text never contains raw control characters (JSON.stringify escapes them) and IDs
 * are hex, so only free text is checked; the rare value with a control character is quoted.
 * An unquoted empty field is NULL, a quoted one (\x02\x02) is the empty string.
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

/** Several CsvTexts as one (each non-empty text ends with a newline). */
export function joinCsv(parts: readonly CsvText[]): CsvText {
  if (parts.length === 1) return parts[0]!;
  return {
    text: parts.map((p) => p.text).join(''),
    rows: parts.reduce((n, p) => n + p.rows, 0),
    quotedNewline: parts.some((p) => p.quotedNewline),
  };
}
