import type { Attributes, LogRecord } from '../../store/records.js';
import { Fields } from './fields.js';
import { parseTraceparent, validRequestId, validSpanId, validTraceId } from './ids.js';
import { REQUEST_ID_KEYS, SPAN_ID_KEYS, TRACE_ID_KEYS } from './keys.js';
import { DEFAULT_SEVERITY } from './level.js';
import {
  flattenError,
  isPlainObject,
  moveTo,
  nonEmpty,
  takeId,
  takeMessage,
  takeService,
  takeSeverity,
  takeString,
  takeTimestamp,
} from './take.js';
import { parseTimestamp } from './timestamp.js';

export interface ParseLogLineOptions {
  /** Used when the line names no service itself. */
  service?: string;
  /** Epoch nanoseconds used as the observed time, and as the timestamp when the line has none. */
  now?: bigint;
}

/**
 * `json`: a JSON object. `text`: not JSON, kept as a plain message. `malformed_json`: looked
 * like a JSON object but did not parse (a truncated line); also kept as a plain message.
 */
export type LogLineShape = 'json' | 'text' | 'malformed_json';

export interface ParsedLogLine {
  record: LogRecord;
  shape: LogLineShape;
}

const UNKNOWN_SERVICE = 'unknown';

/**
 * One log line of any common shape (DESIGN.md, structlog, pino, Python logging JSON, bunyan,
 * winston, zap/slog, OTel-ish) into a LogRecord. Never throws: what is not JSON is kept as a plain
 * message. Callers skip blank lines themselves.
 */
export function parseLogLine(line: string, opts: ParseLogLineOptions = {}): LogRecord {
  return parseLogLineDetailed(line, opts).record;
}

export function parseLogLineDetailed(line: string, opts: ParseLogLineOptions = {}): ParsedLogLine {
  const now = opts.now ?? BigInt(Date.now()) * 1_000_000n;
  const text = stripLineEnd(line);
  const trimmed = text.trim();
  if (trimmed.charCodeAt(0) === 0x7b /* { */) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(trimmed);
    } catch {
      return { record: plain(text, opts, now), shape: 'malformed_json' };
    }
    if (isPlainObject(parsed)) return { record: fromObject(parsed, opts, now), shape: 'json' };
  }
  return { record: plain(text, opts, now), shape: 'text' };
}

/** Without a leading BOM and the trailing `\n` / `\r\n` (char checks: this runs per line). */
function stripLineEnd(line: string): string {
  const start = line.charCodeAt(0) === 0xfeff ? 1 : 0;
  let end = line.length;
  if (line.charCodeAt(end - 1) === 10) end--;
  if (line.charCodeAt(end - 1) === 13) end--;
  return start === 0 && end === line.length ? line : line.slice(start, end);
}

// `2024-01-15 10:30:00,123 ERROR …`, `[2024-01-15T10:30:00Z] …`: the time most text logs start with.
const LEADING_TIMESTAMP =
  /^\[?(\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}:\d{2}(?:[.,]\d{1,9})?(?:Z|[+-]\d{2}:?\d{2})?)[\]\s]/i;

function plain(text: string, opts: ParseLogLineOptions, now: bigint): LogRecord {
  const leading = LEADING_TIMESTAMP.exec(text);
  const timestampNs = (leading && parseTimestamp(leading[1])) || now;
  return {
    timestampNs,
    observedNs: now,
    severityNumber: DEFAULT_SEVERITY.number,
    level: DEFAULT_SEVERITY.level,
    service: nonEmpty(opts.service) ?? UNKNOWN_SERVICE,
    body: text,
    attributes: {},
    resource: {},
    source: 'ndjson',
  };
}

function fromObject(obj: Record<string, unknown>, opts: ParseLogLineOptions, now: bigint) {
  const fields = new Fields(obj);
  let resource: Record<string, unknown> = {};

  const otelShaped = ['severity_text', 'severityText', 'severity_number', 'severityNumber'].some(
    (k) => fields.has(k),
  );
  if (otelShaped) resource = unwrapOtel(fields);

  const numericLevel = typeof fields.get('level') === 'number';
  const bunyanShaped =
    numericLevel && fields.get('v') === 0 && typeof fields.get('name') === 'string';
  if (numericLevel) {
    // pino and bunyan describe the process in every line; it belongs to the resource.
    moveTo(fields, 'hostname', resource, 'host.name');
    moveTo(fields, 'pid', resource, 'process.pid');
    if (bunyanShaped) fields.delete('v');
  }

  const timestampNs = takeTimestamp(fields) ?? now;
  const severity = takeSeverity(fields);
  const { body, event } = takeMessage(fields, otelShaped);

  const service =
    takeService(fields) ??
    nonEmpty(resource['service.name']) ??
    (bunyanShaped ? takeString(fields, 'name') : undefined) ??
    nonEmpty(opts.service) ??
    UNKNOWN_SERVICE;

  const traceparent = parseTraceparent(fields.get('traceparent'));
  const requestId = takeId(fields, REQUEST_ID_KEYS, validRequestId);
  let traceId = takeId(fields, TRACE_ID_KEYS, validTraceId);
  let spanId = takeId(fields, SPAN_ID_KEYS, validSpanId);
  if (traceparent && (traceId ?? traceparent.traceId) === traceparent.traceId) {
    traceId = traceparent.traceId;
    spanId ??= traceparent.spanId;
    fields.delete('traceparent');
  }

  flattenError(fields);

  const record: LogRecord = {
    timestampNs,
    observedNs: now,
    severityNumber: severity.number,
    level: severity.level,
    service,
    body,
    attributes: fields.rest(),
    resource: resource as Attributes,
    source: 'ndjson',
  };
  if (event !== undefined) record.event = event;
  if (requestId !== undefined) record.requestId = requestId;
  if (traceId !== undefined) record.traceId = traceId;
  if (spanId !== undefined) record.spanId = spanId;
  return record;
}

/**
 * OTel-style lines (the Python SDK's LogRecord.to_json, collector debug output) nest their
 * attributes and resource; lift attributes to the top so IDs and service inside are found.
 */
function unwrapOtel(fields: Fields): Record<string, unknown> {
  const attributes = fields.get('attributes');
  if (isPlainObject(attributes)) {
    fields.delete('attributes');
    for (const [k, v] of Object.entries(attributes)) if (!fields.has(k)) fields.set(k, v);
  } else if (attributes === null) {
    fields.delete('attributes');
  }
  fields.delete('dropped_attributes');
  const resource = fields.get('resource');
  if (!isPlainObject(resource)) return {};
  fields.delete('resource');
  const inner = resource.attributes;
  return isPlainObject(inner) ? { ...inner } : { ...resource };
}
