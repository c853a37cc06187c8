import type { InstrumentationScope } from '@opentelemetry/core';
import type { Resource } from '@opentelemetry/resources';
import { type LineLevel, OTLP_SEVERITY } from '../levels.js';
import { ProtoWriter } from './proto-writer.js';

/** A log line as the queue keeps it: the serialised line and what it does not spell out. */
export interface CapturedLine {
  line: string;
  timeMs: number;
  traceFlags: number;
}

/** The logs SDK's default attribute count limit (OTEL_ATTRIBUTE_COUNT_LIMIT): kept the same. */
export const ATTRIBUTE_COUNT_LIMIT = 128;

/** Keys of the line that become parts of the record rather than attributes. */
function isRecordField(key: string): boolean {
  // a switch compares JSON.parse's internalised keys by identity: cheaper than a Set lookup
  switch (key) {
    case 'level':
    case 'timestamp':
    case 'service':
    case 'request_id':
    case 'trace_id':
    case 'span_id':
    case 'event':
    case 'message':
      return true;
    default:
      return false;
  }
}
const TRACE_ID = /^[0-9a-f]{32}$/;
const SPAN_ID = /^[0-9a-f]{16}$/;
const WIRE_VARINT = 0;
const WIRE_FIXED64 = 1;
const WIRE_LEN = 2;
const WIRE_FIXED32 = 5;
const INT64_MIN = -(2 ** 63);
const INT64_MAX = 2 ** 63; // exclusive

/**
 * An OTLP AnyValue's fields for a JSON value, typed as the official serializer types them:
 * strings, booleans, integers as int_value and other numbers as double_value, arrays and
 * objects as array and kvlist values; null is an empty AnyValue.
 */
function anyValue(w: ProtoWriter, value: unknown): void {
  switch (typeof value) {
    case 'string':
      w.tag(1, WIRE_LEN);
      w.string(value);
      return;
    case 'boolean':
      w.tag(2, WIRE_VARINT);
      w.varint(value ? 1 : 0);
      return;
    case 'number':
      if (Number.isInteger(value) && value >= INT64_MIN && value < INT64_MAX) {
        w.tag(3, WIRE_VARINT);
        w.int64(value);
      } else {
        w.tag(4, WIRE_FIXED64);
        w.double(value);
      }
      return;
    case 'object': {
      if (value === null) return;
      if (Array.isArray(value)) {
        w.tag(5, WIRE_LEN);
        const list = w.begin();
        for (const item of value) {
          w.tag(1, WIRE_LEN);
          const at = w.begin();
          anyValue(w, item);
          w.end(at);
        }
        w.end(list);
        return;
      }
      w.tag(6, WIRE_LEN);
      const list = w.begin();
      const map = value as Record<string, unknown>;
      for (const key in map) {
        w.tag(1, WIRE_LEN);
        const at = w.begin();
        keyValue(w, key, map[key]);
        w.end(at);
      }
      w.end(list);
      return;
    }
  }
}

function keyValue(w: ProtoWriter, key: string, value: unknown): void {
  w.tag(1, WIRE_LEN);
  w.string(key);
  w.tag(2, WIRE_LEN);
  const at = w.begin();
  anyValue(w, value);
  w.end(at);
}

/** One `attributes` (field 6) KeyValue of a LogRecord. */
function attribute(w: ProtoWriter, key: string, value: unknown): void {
  w.tag(6, WIRE_LEN);
  const at = w.begin();
  keyValue(w, key, value);
  w.end(at);
}

/**
 * One LogRecord from a captured line: time (the line's), severity number and text from
 * `level`, body from `message`, event name, attributes (`event`, `request.id`, then every other
 * field of the line, typed), trace flags and IDs. The fields and their order are those of the
 * official serializer for the record the logs SDK built from the same call. `false` when the
 * line is not a JSON object (nothing is written then).
 */
function logRecord(w: ProtoWriter, captured: CapturedLine): boolean {
  let parsed: unknown;
  try {
    parsed = JSON.parse(captured.line);
  } catch {
    return false;
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) return false;
  const line = parsed as Record<string, unknown>;
  const { level, event, message, request_id: requestId, trace_id: traceId, span_id: spanId } = line;
  const correlated =
    typeof traceId === 'string' &&
    typeof spanId === 'string' &&
    TRACE_ID.test(traceId) &&
    SPAN_ID.test(spanId);

  w.tag(2, WIRE_LEN); // ScopeLogs.log_records
  const record = w.begin();
  w.tag(1, WIRE_FIXED64);
  w.fixed64Nanos(captured.timeMs);
  const severity = OTLP_SEVERITY[level as LineLevel];
  if (severity !== undefined) {
    w.tag(2, WIRE_VARINT);
    w.varint(severity);
  }
  if (typeof level === 'string' && level !== '') {
    w.tag(3, WIRE_LEN);
    w.string(level);
  }
  if (message !== undefined) {
    w.tag(5, WIRE_LEN);
    const body = w.begin();
    anyValue(w, message);
    w.end(body);
  }

  let count = 0;
  if (typeof event === 'string') {
    attribute(w, 'event', event);
    count++;
  }
  if (typeof requestId === 'string') {
    attribute(w, 'request.id', requestId);
    count++;
  }
  let dropped = 0;
  for (const key in line) {
    if (isRecordField(key)) continue;
    if (count < ATTRIBUTE_COUNT_LIMIT) {
      attribute(w, key, line[key]);
      count++;
    } else dropped++;
  }
  if (!correlated) {
    // IDs a logger bound itself that are not W3C IDs stay visible as attributes
    if (traceId !== undefined) attribute(w, 'trace_id', traceId);
    if (spanId !== undefined) attribute(w, 'span_id', spanId);
  }
  w.tag(7, WIRE_VARINT);
  w.varint(dropped);

  if (correlated) {
    if (captured.traceFlags !== 0) {
      w.tag(8, WIRE_FIXED32);
      w.fixed32(captured.traceFlags);
    }
    w.tag(9, WIRE_LEN);
    w.hexBytes(traceId);
    w.tag(10, WIRE_LEN);
    w.hexBytes(spanId);
  }
  w.tag(11, WIRE_FIXED64);
  w.fixed64Nanos(captured.timeMs);
  if (typeof event === 'string' && event !== '') {
    w.tag(12, WIRE_LEN);
    w.string(event);
  }
  w.end(record);
  return true;
}

/**
 * Encodes ExportLogsServiceRequests of captured lines for one resource and instrumentation
 * scope. The resource and scope are encoded once; each batch costs a JSON.parse per line and
 * the record's bytes.
 */
export class LogsRequestEncoder {
  private readonly resource: Uint8Array;
  private readonly scope: Uint8Array;
  private readonly schemaUrl: string | undefined;
  private lastSize = 16 * 1024;

  constructor(resource: Resource, scope: InstrumentationScope) {
    const w = new ProtoWriter(1024);
    w.tag(1, WIRE_LEN); // ResourceLogs.resource
    const res = w.begin();
    const attributes = resource.attributes;
    for (const key in attributes) {
      const value = attributes[key];
      if (value === undefined) continue;
      w.tag(1, WIRE_LEN); // Resource.attributes
      const at = w.begin();
      keyValue(w, key, value);
      w.end(at);
    }
    w.tag(2, WIRE_VARINT); // Resource.dropped_attributes_count, written even when 0 (as upstream)
    w.varint(0);
    w.end(res);
    this.resource = Uint8Array.from(w.finish());

    const s = new ProtoWriter(256);
    s.tag(1, WIRE_LEN); // ScopeLogs.scope
    const sc = s.begin();
    s.tag(1, WIRE_LEN);
    s.string(scope.name);
    if (scope.version) {
      s.tag(2, WIRE_LEN);
      s.string(scope.version);
    }
    s.end(sc);
    this.scope = Uint8Array.from(s.finish());
    this.schemaUrl = resource.schemaUrl;
  }

  /** The request's bytes and how many lines became records (the others were not JSON objects). */
  encode(lines: readonly CapturedLine[]): { bytes: Uint8Array; records: number } {
    const w = new ProtoWriter(this.lastSize);
    w.tag(1, WIRE_LEN); // ExportLogsServiceRequest.resource_logs
    const resourceLogs = w.begin();
    w.raw(this.resource);
    w.tag(2, WIRE_LEN); // ResourceLogs.scope_logs
    const scopeLogs = w.begin();
    w.raw(this.scope);
    let records = 0;
    for (const captured of lines) if (logRecord(w, captured)) records++;
    w.end(scopeLogs);
    if (this.schemaUrl) {
      w.tag(3, WIRE_LEN);
      w.string(this.schemaUrl);
    }
    w.end(resourceLogs);
    this.lastSize = Math.max(this.lastSize, w.pos + 1024);
    return { bytes: w.finish(), records };
  }
}
