import type { Attributes, AttributeValue, LogRecord } from '../../store/records.js';
import { Fields } from './fields.js';
import { parseTraceparent, validRequestId, validSpanId, validTraceId } from './ids.js';
import {
  DEFAULT_SEVERITY,
  type Severity,
  severityFromName,
  severityFromOtelNumber,
  severityFromPinoNumber,
  severityFromPythonNumber,
} from './level.js';
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
// Anything earlier is a duration or a counter in a field that happens to be called `time`.
const MIN_PLAUSIBLE_NS = 978_307_200n * 1_000_000_000n; // 2001-01-01

const TIMESTAMP_KEYS = [
  'timestamp',
  '@timestamp',
  'time',
  'ts',
  'time_unix_nano',
  'timeUnixNano',
  'created',
  'asctime',
];
const LEVEL_NAME_KEYS = [
  'level',
  'levelname',
  'severity_text',
  'severityText',
  'severity',
  'log.level',
  'lvl',
  'loglevel',
];
const OTEL_SEVERITY_NUMBER_KEYS = ['severity_number', 'severityNumber'];
const MESSAGE_KEYS = ['message', 'msg', '@message'];
const SERVICE_KEYS = [
  'service',
  'service.name',
  'service_name',
  'serviceName',
  'svc',
  'app',
  'application',
];
const REQUEST_ID_KEYS = [
  'request_id',
  'requestId',
  'request.id',
  'x-request-id',
  'x_request_id',
  'X-Request-ID',
  'correlation_id',
  'correlationId',
  'correlation.id',
  'x-correlation-id',
  'reqId',
];
const TRACE_ID_KEYS = ['trace_id', 'traceId', 'trace.id', 'traceid', 'otelTraceID'];
const SPAN_ID_KEYS = ['span_id', 'spanId', 'span.id', 'spanid', 'otelSpanID'];
const EVENT_NAME = /^[A-Za-z_][\w.:-]{0,127}$/;

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

function takeTimestamp(fields: Fields): bigint | undefined {
  for (const key of TIMESTAMP_KEYS) {
    if (!fields.has(key)) continue;
    const ns = parseTimestamp(fields.get(key));
    if (ns === undefined || ns < MIN_PLAUSIBLE_NS) continue;
    fields.delete(key);
    if (key === 'created') fields.delete('asctime'); // the same instant, less precise
    return ns;
  }
  return undefined;
}

function takeSeverity(fields: Fields): Severity {
  const otelNumberKey = OTEL_SEVERITY_NUMBER_KEYS.find((k) => fields.has(k));
  const otelNumber = otelNumberKey ? severityFromOtelNumber(fields.get(otelNumberKey)) : undefined;
  if (otelNumberKey && otelNumber) fields.delete(otelNumberKey);

  for (const key of LEVEL_NAME_KEYS) {
    const value = fields.get(key);
    const severity =
      key === 'level' && typeof value === 'number'
        ? severityFromPinoNumber(value)
        : severityFromName(value);
    if (!severity) continue;
    fields.delete(key);
    if (key === 'levelname') fields.delete('levelno');
    return otelNumber && otelNumber.level === severity.level ? otelNumber : severity;
  }
  if (otelNumber) return otelNumber;
  const pythonNumber = severityFromPythonNumber(fields.get('levelno'));
  if (pythonNumber) {
    fields.delete('levelno');
    return pythonNumber;
  }
  return DEFAULT_SEVERITY;
}

function takeMessage(fields: Fields, otelShaped: boolean): { body: string; event?: string } {
  const keys = otelShaped ? [...MESSAGE_KEYS, 'body'] : MESSAGE_KEYS;
  let body: string | undefined;
  for (const key of keys) {
    const value = fields.get(key);
    if (value === undefined || value === null) continue;
    body = typeof value === 'string' ? value : JSON.stringify(value);
    fields.delete(key);
    break;
  }

  let event: string | undefined;
  for (const key of ['event', 'event_name', 'event.name']) {
    const value = fields.get(key);
    if (typeof value !== 'string' || value === '') continue;
    if (body === undefined) {
      // structlog: `event` is the message itself; it is also an event name when shaped like one.
      body = value;
      if (EVENT_NAME.test(value)) event = value;
      fields.delete(key);
      break;
    }
    if (EVENT_NAME.test(value)) {
      event = value;
      fields.delete(key);
      break;
    }
  }
  return event === undefined ? { body: body ?? '' } : { body: body ?? '', event };
}

function takeService(fields: Fields): string | undefined {
  for (const key of SERVICE_KEYS) {
    const value = fields.get(key);
    // ECS nests it: {"service": {"name": "checkout"}}.
    const name = isPlainObject(value) ? nonEmpty(value.name) : nonEmpty(value);
    if (name === undefined) continue;
    if (isPlainObject(value)) {
      const { name: _name, ...rest } = value;
      if (Object.keys(rest).length > 0) fields.set(key, rest);
      else fields.delete(key);
    } else {
      fields.delete(key);
    }
    return name;
  }
  return undefined;
}

/** The first valid ID among the aliases; aliases repeating it are dropped, others kept. */
function takeId(
  fields: Fields,
  keys: string[],
  valid: (value: unknown) => string | undefined,
): string | undefined {
  let found: string | undefined;
  for (const key of keys) {
    if (!fields.has(key)) continue;
    const id = valid(fields.get(key));
    if (id === undefined) continue;
    if (found === undefined) found = id;
    if (id === found) fields.delete(key);
  }
  return found;
}

/** pino/bunyan serialise errors as `err: {type|name, message, stack}`; DESIGN.md names them flat. */
function flattenError(fields: Fields): void {
  const err = fields.get('err');
  if (!isPlainObject(err) || typeof err.message !== 'string') return;
  const { message, type, name, stack, ...rest } = err;
  if (!fields.has('error')) fields.set('error', message);
  const errorType = nonEmpty(type) ?? nonEmpty(name);
  if (errorType && !fields.has('error_type')) fields.set('error_type', errorType);
  if (typeof stack === 'string' && !fields.has('error_stack')) fields.set('error_stack', stack);
  if (Object.keys(rest).length > 0) fields.set('err', rest as AttributeValue);
  else fields.delete('err');
}

function moveTo(fields: Fields, from: string, to: Record<string, unknown>, key: string): void {
  const value = fields.get(from);
  if (typeof value !== 'string' && typeof value !== 'number') return;
  to[key] = value;
  fields.delete(from);
}

function takeString(fields: Fields, key: string): string | undefined {
  const value = nonEmpty(fields.get(key));
  if (value !== undefined) fields.delete(key);
  return value;
}

function nonEmpty(value: unknown): string | undefined {
  return typeof value === 'string' && value.trim() !== '' ? value : undefined;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
