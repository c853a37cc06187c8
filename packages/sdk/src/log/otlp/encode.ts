import type { InstrumentationScope } from '@opentelemetry/core';
import type { Resource } from '@opentelemetry/resources';
import {
  anyValue,
  attribute,
  keyValue,
  WIRE_FIXED32,
  WIRE_FIXED64,
  WIRE_LEN,
  WIRE_VARINT,
} from '../../otlp/any-value.js';
import { isLineKey } from '../identity.js';
import { type LineLevel, OTLP_SEVERITY } from '../levels.js';
import { ProtoWriter } from './proto-writer.js';

/** A log line as the queue keeps it: the serialised line and what it does not spell out. */
export interface CapturedLine {
  /**
   * The line, a flat call's values (encoded with the batch), or a LogRecord already encoded
   * (encodeFlatRecord).
   */
  line: string | Uint8Array | FlatRecord;
  timeMs: number;
  traceFlags: number;
}

/** The logs SDK's default attribute count limit (OTEL_ATTRIBUTE_COUNT_LIMIT): kept the same. */
export const ATTRIBUTE_COUNT_LIMIT = 128;

/** One `attributes` (field 6) KeyValue of a LogRecord. */
function logAttribute(w: ProtoWriter, key: string, value: unknown): void {
  attribute(w, 6, key, value);
}

/** Bytes written by `write`, copied out of a scratch writer (for the caches below). */
function bytesOf(write: (w: ProtoWriter) => void): Uint8Array {
  const w = new ProtoWriter(256);
  write(w);
  return Uint8Array.from(w.finish());
}

// Most lines reuse a few event names: their encoded parts are kept rather than encoded for
// every record.
const EVENT_CACHE_SIZE = 256;
const eventCache = new Map<string, { attribute: Uint8Array; name: Uint8Array }>();

/** The `event` attribute and the event_name field (12; none for an empty name). */
function eventParts(event: string): { attribute: Uint8Array; name: Uint8Array } {
  let parts = eventCache.get(event);
  if (parts === undefined) {
    parts = {
      attribute: bytesOf((w) => logAttribute(w, 'event', event)),
      name: bytesOf((w) => {
        if (event === '') return;
        w.tag(12, WIRE_LEN);
        w.string(event);
      }),
    };
    // event names are the program's, but a program logging computed names must not grow this
    if (eventCache.size >= EVENT_CACHE_SIZE) eventCache.clear();
    eventCache.set(event, parts);
  }
  return parts;
}

// A hex digit's value by char code, -1 for anything but 0-9 and a-f (what TRACE_ID and SPAN_ID
// accept): validating and decoding the IDs is one pass.
const HEX_VALUE = Int8Array.from({ length: 128 }, (_, c) =>
  c >= 48 && c <= 57 ? c - 48 : c >= 97 && c <= 102 ? c - 87 : -1,
);

/** Decodes `hex` into `out` from `at`; false when a character is not lowercase hex. */
function decodeHex(hex: string, out: Uint8Array, at: number): boolean {
  for (let i = 0; i < hex.length; i += 2) {
    const hi = hex.charCodeAt(i);
    const lo = hex.charCodeAt(i + 1);
    const v =
      ((hi < 128 ? (HEX_VALUE[hi] as number) : -1) << 4) |
      (lo < 128 ? (HEX_VALUE[lo] as number) : -1);
    if (v < 0) return false;
    out[at++] = v;
  }
  return true;
}

// The lines of a request carry the same IDs: the last pair's check and bytes are kept.
let lastTraceId: unknown;
let lastSpanId: unknown;
let lastCorrelated = false;
/** Trace ID (16 bytes) then span ID (8) of the last pair, when they are W3C IDs. */
const lastIdBytes = new Uint8Array(24);

/** Whether the record's IDs are W3C IDs (TRACE_ID, SPAN_ID); their bytes are then in lastIdBytes. */
function areW3cIds(traceId: unknown, spanId: unknown): boolean {
  if (traceId !== lastTraceId || spanId !== lastSpanId) {
    lastTraceId = traceId;
    lastSpanId = spanId;
    lastCorrelated =
      typeof traceId === 'string' &&
      typeof spanId === 'string' &&
      traceId.length === 32 &&
      spanId.length === 16 &&
      decodeHex(traceId, lastIdBytes, 0) &&
      decodeHex(spanId, lastIdBytes, 16);
  }
  return lastCorrelated;
}

/** trace_id (field 9) and span_id (10) from lastIdBytes. */
function writeIds(w: ProtoWriter): void {
  w.reserve(28);
  const buf = w.buf;
  let pos = w.pos;
  buf[pos++] = (9 << 3) | WIRE_LEN;
  buf[pos++] = 16;
  for (let i = 0; i < 16; i++) buf[pos++] = lastIdBytes[i] as number;
  buf[pos++] = (10 << 3) | WIRE_LEN;
  buf[pos++] = 8;
  for (let i = 16; i < 24; i++) buf[pos++] = lastIdBytes[i] as number;
  w.pos = pos;
}

// The `request.id` attribute of the last request ID, as written: the lines of a request share it.
let lastRequestId: string | undefined;
const lastRequestIdBytes = new Uint8Array(160);
let lastRequestIdLength = 0;

function writeRequestId(w: ProtoWriter, requestId: string): void {
  if (requestId === lastRequestId) {
    const n = lastRequestIdLength;
    w.reserve(n);
    w.buf.set(lastRequestIdBytes.subarray(0, n), w.pos);
    w.pos += n;
    return;
  }
  const start = w.pos;
  logAttribute(w, 'request.id', requestId);
  const n = w.pos - start;
  if (n <= lastRequestIdBytes.length) {
    lastRequestIdBytes.set(w.buf.subarray(start, w.pos));
    lastRequestId = requestId;
    lastRequestIdLength = n;
  }
}

/** The parts of a record that are not attributes, as the line spells them. */
interface RecordHead {
  timeMs: number;
  traceFlags: number;
  level: unknown;
  message: unknown;
  event: unknown;
  requestId: unknown;
  traceId: unknown;
  spanId: unknown;
}

/**
 * One LogRecord (with its ScopeLogs.log_records tag): time (the line's), severity number and
 * text from `level`, body from `message`, event name, attributes (`event`, `request.id`, then
 * the other fields, typed), trace flags and IDs. The fields and their order are those of the
 * official serializer for the record the logs SDK built from the same call. `fields` is the
 * parsed line (`fromLine`: its record parts are skipped) or a flat record's fields (values
 * turned into what JSON gives back).
 */
function writeRecord(
  w: ProtoWriter,
  head: RecordHead,
  fields: Readonly<Record<string, unknown>>,
  fromLine: boolean,
): void {
  const { level, event, message, requestId, traceId, spanId } = head;
  const correlated = areW3cIds(traceId, spanId);

  w.tag(2, WIRE_LEN); // ScopeLogs.log_records
  const record = w.begin(2); // most records are 128 B to 16 KiB
  w.tag(1, WIRE_FIXED64);
  const timeAt = w.pos;
  w.fixed64Nanos(head.timeMs);
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
  const eventBytes = typeof event === 'string' ? eventParts(event) : undefined;
  if (eventBytes !== undefined) {
    w.raw(eventBytes.attribute);
    count++;
  }
  if (typeof requestId === 'string') {
    writeRequestId(w, requestId);
    count++;
  }
  let dropped = 0;
  for (const key in fields) {
    let value = fields[key];
    if (fromLine) {
      if (isLineKey(key)) continue; // parts of the record, not attributes
    } else {
      if (value === undefined || !Object.hasOwn(fields, key)) continue;
      if (typeof value === 'number' && !Number.isFinite(value)) value = null;
    }
    if (count < ATTRIBUTE_COUNT_LIMIT) {
      logAttribute(w, key, value);
      count++;
    } else dropped++;
  }
  if (!correlated) {
    // IDs a logger bound itself that are not W3C IDs stay visible as attributes
    if (traceId !== undefined) logAttribute(w, 'trace_id', traceId);
    if (spanId !== undefined) logAttribute(w, 'span_id', spanId);
  }
  w.tag(7, WIRE_VARINT);
  w.varint(dropped);

  if (correlated) {
    if (head.traceFlags !== 0) {
      w.tag(8, WIRE_FIXED32);
      w.fixed32(head.traceFlags);
    }
    writeIds(w);
  }
  // observed time: the same nanoseconds, copied
  w.tag(11, WIRE_FIXED64);
  w.reserve(8);
  const buf = w.buf;
  for (let k = 0; k < 8; k++) buf[w.pos + k] = buf[timeAt + k] as number;
  w.pos += 8;
  if (eventBytes !== undefined) w.raw(eventBytes.name);
  w.end(record);
}

/**
 * One LogRecord from a captured line (see writeRecord): every field of the line that is not a
 * record part becomes an attribute. `false` when the line is not a JSON object (nothing is
 * written then).
 */
function logRecord(w: ProtoWriter, captured: CapturedLine): boolean {
  const line = captured.line;
  if (typeof line !== 'string') {
    if (line instanceof Uint8Array)
      w.raw(line); // encoded at the log call (encodeFlatRecord)
    else writeRecord(w, line, line.fields, false);
    return true;
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(line);
  } catch {
    return false;
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) return false;
  const fields = parsed as Record<string, unknown>;
  writeRecord(
    w,
    {
      timeMs: captured.timeMs,
      traceFlags: captured.traceFlags,
      level: fields.level,
      message: fields.message,
      event: fields.event,
      requestId: fields.request_id,
      traceId: fields.trace_id,
      spanId: fields.span_id,
    },
    fields,
    true,
  );
  return true;
}

/** A log call whose line the logger wrote itself (see logger.ts): what the line holds. */
export interface FlatRecord extends RecordHead {
  level: LineLevel;
  message: string;
  event: string;
  requestId: string | undefined;
  traceId: string | undefined;
  spanId: string | undefined;
  /**
   * The call's fields: own enumerable values that are strings, numbers, booleans, null or
   * undefined only, none named like a record part (level, timestamp, service, request_id,
   * trace_id, span_id, event, message), so the line holds exactly these keys after the record
   * parts and JSON gives back the same values (non-finite numbers become null, undefined is
   * left out).
   */
  fields: Readonly<Record<string, unknown>>;
}

const SLAB_SIZE = 64 * 1024;
// Flat records are encoded one after another into a slab and handed out as views of it: one
// allocation per slab, not per record. A full slab is left to the records still viewing it.
const slab = new ProtoWriter(SLAB_SIZE);

/**
 * The LogRecord bytes the captured-line path would produce for the line of `record`, encoded
 * from the call's values at the call: no JSON.parse of the line later. Equal bytes are tested
 * (flat-record.test.ts).
 */
export function encodeFlatRecord(record: FlatRecord): Uint8Array {
  const w = slab;
  if (w.pos > SLAB_SIZE - 4096) {
    w.buf = Buffer.allocUnsafeSlow(SLAB_SIZE);
    w.pos = 0;
  }
  const start = w.pos;
  writeRecord(w, record, record.fields, false);
  // a record larger than what was left grew the slab: a copy, so earlier views stay valid
  return w.buf.subarray(start, w.pos);
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
    const resourceLogs = w.begin(3);
    w.raw(this.resource);
    w.tag(2, WIRE_LEN); // ResourceLogs.scope_logs
    const scopeLogs = w.begin(3);
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
