import type {
  Attributes,
  AttributeValue,
  LogRecord,
  SpanEventRecord,
  SpanKind,
  SpanLinkRecord,
  SpanRecord,
  StatusCode,
} from '../../store/records.js';
import { IngestInputError } from '../errors.js';
import type { Sanitizer } from '../sanitize.js';
import { type Converted, levelOfSeverity, requestIdOf, severityOfText } from './convert.js';
import { FIXED64, LEN, VARINT, Wire, WireError } from './wire.js';

/**
 * OTLP protobuf straight from bytes to SpanRecord/LogRecord, without protobufjs's intermediate
 * message objects (bench/server.mjs measures both). Same results and the same rules as
 * convert.ts on the JSON path: invalid IDs reject one record, anything structurally wrong
 * rejects the request with the byte offset. Field paths are only built when there is an error.
 */

const MAX_NANOS = 2n ** 63n - 1n;
const ZERO_TRACE = '0'.repeat(32);
const ZERO_SPAN = '0'.repeat(16);

type IdResult = string | { error: string };

function id(w: Wire, bytes: 8 | 16): IdResult {
  const start = w.len();
  const n = w.lenEnd - start;
  if (n === 0) return '';
  if (n !== bytes) return { error: `expected ${bytes} bytes, got ${n}` };
  const hex = w.buf.toString('hex', start, w.lenEnd);
  if (hex === (bytes === 16 ? ZERO_TRACE : ZERO_SPAN)) return { error: 'all-zero IDs are invalid' };
  return hex;
}

function nanos(w: Wire, what: string): bigint {
  const v = w.fixed64();
  if (v > MAX_NANOS) throw new WireError(`${what} ${v} nanoseconds is after the year 2262`);
  return v;
}

export class Decoder {
  constructor(readonly s: Sanitizer) {}

  anyValue(w: Wire, end: number, depth: number): AttributeValue {
    const s = this.s;
    if (depth > s.limits.maxValueDepth) {
      throw new WireError(`attribute value nested deeper than ${s.limits.maxValueDepth} levels`);
    }
    const saved = w.end;
    w.end = end;
    let value: AttributeValue = null;
    while (w.pos < end) {
      const tag = w.varint();
      const field = tag >>> 3;
      const type = tag & 7;
      switch (field) {
        case 1:
          w.expect(1, type, LEN);
          value = s.text(w.repeatedString());
          break;
        case 2:
          w.expect(2, type, VARINT);
          value = w.varint() !== 0;
          break;
        case 3:
          w.expect(3, type, VARINT);
          value = w.int64();
          break;
        case 4: {
          w.expect(4, type, FIXED64);
          const d = w.double();
          value = Number.isFinite(d) ? d : String(d);
          break;
        }
        case 5: {
          w.expect(5, type, LEN);
          const start = w.len();
          value = this.arrayValue(w, start, w.lenEnd, depth + 1);
          break;
        }
        case 6: {
          w.expect(6, type, LEN);
          const start = w.len();
          value = this.keyValueList(w, start, w.lenEnd, depth + 1);
          break;
        }
        case 7: {
          w.expect(7, type, LEN);
          const start = w.len();
          value = s.text(w.buf.toString('base64', start, w.lenEnd));
          break;
        }
        default:
          w.skip(type);
      }
    }
    w.end = saved;
    return value;
  }

  arrayValue(w: Wire, start: number, end: number, depth: number): AttributeValue[] {
    const out: AttributeValue[] = [];
    const saved = w.end;
    w.pos = start;
    w.end = end;
    while (w.pos < end) {
      const tag = w.varint();
      if (tag >>> 3 === 1) {
        w.expect(1, tag & 7, LEN);
        const vStart = w.len();
        const vEnd = w.lenEnd;
        if (out.length < this.s.limits.maxAttributes) {
          w.pos = vStart;
          out.push(this.anyValue(w, vEnd, depth));
          w.pos = vEnd;
        } else this.s.counts.truncatedValues++;
      } else w.skip(tag & 7);
    }
    w.end = saved;
    w.pos = end;
    return out;
  }

  keyValueList(w: Wire, start: number, end: number, depth: number): Attributes {
    const out: Attributes = {};
    const saved = w.end;
    w.pos = start;
    w.end = end;
    let n = 0;
    while (w.pos < end) {
      const tag = w.varint();
      if (tag >>> 3 === 1) {
        w.expect(1, tag & 7, LEN);
        const kvStart = w.len();
        const kvEnd = w.lenEnd;
        if (n++ < this.s.limits.maxAttributes) {
          this.keyValue(w, kvStart, kvEnd, depth, out);
        } else this.s.counts.truncatedAttributes++;
        w.pos = kvEnd;
      } else w.skip(tag & 7);
    }
    w.end = saved;
    w.pos = end;
    return out;
  }

  /** The last KeyValue readKeyValue read: its key and its value, redacted if need be. */
  key = '';
  value: AttributeValue = null;

  /**
   * One KeyValue message into `key` and `value` (redacted when the key names a credential); the
   * wire's bound is restored after.
   */
  readKeyValue(w: Wire, start: number, end: number, depth: number): void {
    const saved = w.end;
    w.pos = start;
    w.end = end;
    let key = '';
    let value: AttributeValue = null;
    while (w.pos < end) {
      const tag = w.varint();
      const field = tag >>> 3;
      if (field === 1) {
        w.expect(1, tag & 7, LEN);
        key = w.repeatedString();
      } else if (field === 2) {
        w.expect(2, tag & 7, LEN);
        const vStart = w.len();
        const vEnd = w.lenEnd;
        w.pos = vStart;
        value = this.anyValue(w, vEnd, depth);
        w.pos = vEnd;
      } else w.skip(tag & 7);
    }
    w.end = saved;
    this.key = key;
    this.value = this.s.redactKey(key, value);
  }

  /** One KeyValue into `out`, redacted when its key names a credential. */
  keyValue(w: Wire, start: number, end: number, depth: number, out: Attributes): void {
    this.readKeyValue(w, start, end, depth);
    out[this.key] = this.value;
  }

  /** Repeated KeyValue field occurrences are collected by the caller into one object. */
  attribute(w: Wire, out: Attributes, count: { n: number }): void {
    const start = w.len();
    const end = w.lenEnd;
    if (count.n++ < this.s.limits.maxAttributes) this.keyValue(w, start, end, 0, out);
    else this.s.counts.truncatedAttributes++;
    w.pos = end;
  }

  /** Resource: its attributes and service.name. */
  resource(w: Wire, start: number, end: number): { resource: Attributes; service: string } {
    const resource: Attributes = {};
    const count = { n: 0 };
    const saved = w.end;
    w.pos = start;
    w.end = end;
    while (w.pos < end) {
      const tag = w.varint();
      if (tag >>> 3 === 1) {
        w.expect(1, tag & 7, LEN);
        this.attribute(w, resource, count);
      } else w.skip(tag & 7);
    }
    w.end = saved;
    w.pos = end;
    const name = resource['service.name'];
    return {
      resource,
      service: typeof name === 'string' && name !== '' ? name : 'unknown_service',
    };
  }

  scope(w: Wire, start: number, end: number): { scopeName?: string; scopeVersion?: string } {
    let scopeName: string | undefined;
    let scopeVersion: string | undefined;
    const saved = w.end;
    w.pos = start;
    w.end = end;
    while (w.pos < end) {
      const tag = w.varint();
      const field = tag >>> 3;
      if (field === 1) {
        w.expect(1, tag & 7, LEN);
        scopeName = this.s.text(w.string()) || undefined;
      } else if (field === 2) {
        w.expect(2, tag & 7, LEN);
        scopeVersion = this.s.text(w.string()) || undefined;
      } else w.skip(tag & 7);
    }
    w.end = saved;
    w.pos = end;
    return { scopeName, scopeVersion };
  }
}

/**
 * Where the fields of a message with one field-1 message and a repeated field 2 lie
 * (ResourceSpans, ResourceLogs, ScopeSpans), read before any is decoded, so a Resource encoded
 * after its ScopeSpans (legal, if unusual) still applies to them.
 */
export function outer(
  w: Wire,
  start: number,
  end: number,
): { resource?: [number, number]; scopes: [number, number][] } {
  const out: { resource?: [number, number]; scopes: [number, number][] } = { scopes: [] };
  const saved = w.end;
  w.pos = start;
  w.end = end;
  while (w.pos < end) {
    const tag = w.varint();
    const field = tag >>> 3;
    if (field === 1 || field === 2) {
      w.expect(field, tag & 7, LEN);
      const s = w.len();
      if (field === 1) out.resource = [s, w.lenEnd];
      else out.scopes.push([s, w.lenEnd]);
    } else w.skip(tag & 7);
  }
  w.end = saved;
  w.pos = end;
  return out;
}

/** Top-level repeated field 1 of an export request. */
export function topLevel(w: Wire): [number, number][] {
  const out: [number, number][] = [];
  while (w.pos < w.end) {
    const tag = w.varint();
    if (tag >>> 3 === 1) {
      w.expect(1, tag & 7, LEN);
      const s = w.len();
      out.push([s, w.lenEnd]);
    } else w.skip(tag & 7);
  }
  return out;
}

export function wrap<T>(message: string, run: () => T): T {
  try {
    return run();
  } catch (err) {
    if (err instanceof WireError || err instanceof RangeError) {
      throw new IngestInputError(`body is not a valid protobuf ${message}: ${err.message}`);
    }
    throw err;
  }
}

export function decodeTraceRequest(body: Buffer, s: Sanitizer): Converted<SpanRecord> {
  return wrap('ExportTraceServiceRequest', () => {
    const d = new Decoder(s);
    const w = new Wire(body);
    const out: Converted<SpanRecord> = { records: [], rejected: 0 };
    const resources = topLevel(w);
    for (let r = 0; r < resources.length; r++) {
      const rs = outer(w, resources[r]![0], resources[r]![1]);
      const { resource, service } = rs.resource
        ? d.resource(w, rs.resource[0], rs.resource[1])
        : { resource: {}, service: 'unknown_service' };
      for (let c = 0; c < rs.scopes.length; c++) {
        const { scope, spans } = scopeSpans(d, w, rs.scopes[c]!);
        for (let i = 0; i < spans.length; i++) {
          const span = decodeSpan(d, w, spans[i]![0], spans[i]![1], service, resource, scope);
          if (typeof span === 'string') {
            out.rejected++;
            out.firstError ??= `resourceSpans[${r}].scopeSpans[${c}].spans[${i}].${span}`;
          } else out.records.push(span);
        }
      }
    }
    return out;
  });
}

/** A ScopeSpans message (1 scope, 2 spans): its scope's name and version, where its spans lie. */
export function scopeSpans(
  d: Decoder,
  w: Wire,
  [start, end]: [number, number],
): { scope: { scopeName?: string; scopeVersion?: string }; spans: [number, number][] } {
  // Laid out as ResourceSpans is (field 1 one message, field 2 repeated).
  const { resource: scope, scopes: spans } = outer(w, start, end);
  return { scope: scope ? d.scope(w, scope[0], scope[1]) : {}, spans };
}

/** decodeStatus's answer, one object reused: a span's status is read and copied at once. */
const STATUS: { code: number; message: string | undefined } = { code: 0, message: undefined };

/**
 * A Span's Status (2 message, 3 code) at the wire's length-delimited field; `end` is the span's
 * end, where the wire's bound goes back to.
 */
export function decodeStatus(w: Wire, end: number): { code: number; message: string | undefined } {
  const st = w.len();
  const e = w.lenEnd;
  STATUS.code = 0;
  STATUS.message = undefined;
  w.pos = st;
  w.end = e;
  while (w.pos < e) {
    const t = w.varint();
    if (t >>> 3 === 2) {
      w.expect(2, t & 7, LEN);
      STATUS.message = w.string();
    } else if (t >>> 3 === 3) {
      w.expect(3, t & 7, VARINT);
      STATUS.code = w.varint();
      if (STATUS.code > 2) throw new WireError(`status code ${STATUS.code} is not 0–2`);
    } else w.skip(t & 7);
  }
  w.end = end;
  return STATUS;
}

/** One Span, or the reason (`traceId: …`) it is rejected. */
function decodeSpan(
  d: Decoder,
  w: Wire,
  start: number,
  end: number,
  service: string,
  resource: Attributes,
  scope: { scopeName?: string; scopeVersion?: string },
): SpanRecord | string {
  const s = d.s;
  let traceId: IdResult = '';
  let spanId: IdResult = '';
  let parentSpanId: IdResult = '';
  let traceState = '';
  let name = '';
  let kind = 0;
  let startNs = 0n;
  let endNs = 0n;
  const attributes: Attributes = {};
  const count = { n: 0 };
  const events: SpanEventRecord[] = [];
  const links: SpanLinkRecord[] = [];
  let statusCode = 0;
  let statusMessage = '';
  w.pos = start;
  w.end = end;
  while (w.pos < end) {
    const tag = w.varint();
    const field = tag >>> 3;
    const type = tag & 7;
    switch (field) {
      case 1:
        w.expect(1, type, LEN);
        traceId = id(w, 16);
        break;
      case 2:
        w.expect(2, type, LEN);
        spanId = id(w, 8);
        break;
      case 3:
        w.expect(3, type, LEN);
        traceState = w.string();
        break;
      case 4:
        w.expect(4, type, LEN);
        parentSpanId = id(w, 8);
        break;
      case 5:
        w.expect(5, type, LEN);
        name = w.repeatedString();
        break;
      case 6:
        w.expect(6, type, VARINT);
        kind = w.varint();
        if (kind > 5) throw new WireError(`span kind ${kind} is not 0–5`);
        break;
      case 7:
        w.expect(7, type, FIXED64);
        startNs = nanos(w, 'startTimeUnixNano');
        break;
      case 8:
        w.expect(8, type, FIXED64);
        endNs = nanos(w, 'endTimeUnixNano');
        break;
      case 9:
        w.expect(9, type, LEN);
        d.attribute(w, attributes, count);
        w.end = end;
        break;
      case 11: {
        w.expect(11, type, LEN);
        const st = w.len();
        const e = w.lenEnd;
        if (events.length < s.limits.maxEvents) events.push(decodeEvent(d, w, st, e));
        else s.counts.truncatedEvents++;
        w.pos = e;
        w.end = end;
        break;
      }
      case 13: {
        w.expect(13, type, LEN);
        const st = w.len();
        const e = w.lenEnd;
        if (links.length < s.limits.maxLinks) links.push(decodeLink(d, w, st, e));
        else s.counts.truncatedLinks++;
        w.pos = e;
        w.end = end;
        break;
      }
      case 15: {
        w.expect(15, type, LEN);
        const status = decodeStatus(w, end);
        statusCode = status.code;
        statusMessage = status.message ?? '';
        break;
      }
      default:
        w.skip(type);
    }
  }
  if (typeof traceId !== 'string') return `traceId: ${traceId.error}`;
  if (traceId === '') return 'traceId: required';
  if (typeof spanId !== 'string') return `spanId: ${spanId.error}`;
  if (spanId === '') return 'spanId: required';
  if (typeof parentSpanId !== 'string') return `parentSpanId: ${parentSpanId.error}`;
  return {
    traceId,
    spanId,
    parentSpanId: parentSpanId || undefined,
    traceState: traceState || undefined,
    name: s.text(name),
    kind: kind as SpanKind,
    service,
    startNs,
    durationNs: endNs > startNs ? endNs - startNs : 0n,
    statusCode: statusCode as StatusCode,
    statusMessage: statusMessage ? s.text(statusMessage) : undefined,
    requestId: requestIdOf(attributes),
    attributes,
    resource,
    scopeName: scope.scopeName,
    scopeVersion: scope.scopeVersion,
    events,
    links,
  };
}

export function decodeEvent(d: Decoder, w: Wire, start: number, end: number): SpanEventRecord {
  let timeNs = 0n;
  let name = '';
  const attributes: Attributes = {};
  const count = { n: 0 };
  w.pos = start;
  w.end = end;
  while (w.pos < end) {
    const tag = w.varint();
    const field = tag >>> 3;
    if (field === 1) {
      w.expect(1, tag & 7, FIXED64);
      timeNs = nanos(w, 'event timeUnixNano');
    } else if (field === 2) {
      w.expect(2, tag & 7, LEN);
      name = d.s.text(w.repeatedString());
    } else if (field === 3) {
      w.expect(3, tag & 7, LEN);
      d.attribute(w, attributes, count);
      w.end = end;
    } else w.skip(tag & 7);
  }
  return { timeNs, name, attributes };
}

export function decodeLink(d: Decoder, w: Wire, start: number, end: number): SpanLinkRecord {
  let traceId: IdResult = '';
  let spanId: IdResult = '';
  let traceState = '';
  const attributes: Attributes = {};
  const count = { n: 0 };
  w.pos = start;
  w.end = end;
  while (w.pos < end) {
    const tag = w.varint();
    const field = tag >>> 3;
    if (field === 1) {
      w.expect(1, tag & 7, LEN);
      traceId = id(w, 16);
    } else if (field === 2) {
      w.expect(2, tag & 7, LEN);
      spanId = id(w, 8);
    } else if (field === 3) {
      w.expect(3, tag & 7, LEN);
      traceState = w.string();
    } else if (field === 4) {
      w.expect(4, tag & 7, LEN);
      d.attribute(w, attributes, count);
      w.end = end;
    } else w.skip(tag & 7);
  }
  if (typeof traceId !== 'string' || typeof spanId !== 'string' || !traceId || !spanId) {
    const why =
      (typeof traceId !== 'string' && traceId.error) ||
      (typeof spanId !== 'string' && spanId.error) ||
      'missing';
    throw new WireError(`invalid link ids (${why})`);
  }
  return { traceId, spanId, traceState: traceState || undefined, attributes };
}

export function decodeLogsRequest(body: Buffer, s: Sanitizer): Converted<LogRecord> {
  return wrap('ExportLogsServiceRequest', () => {
    const d = new Decoder(s);
    const w = new Wire(body);
    const out: Converted<LogRecord> = { records: [], rejected: 0 };
    const now = BigInt(Date.now()) * 1_000_000n;
    const resources = topLevel(w);
    for (let r = 0; r < resources.length; r++) {
      const rl = outer(w, resources[r]![0], resources[r]![1]);
      const { resource, service } = rl.resource
        ? d.resource(w, rl.resource[0], rl.resource[1])
        : { resource: {}, service: 'unknown_service' };
      for (let c = 0; c < rl.scopes.length; c++) {
        const [scStart, scEnd] = rl.scopes[c]!;
        const records: [number, number][] = [];
        w.pos = scStart;
        w.end = scEnd;
        while (w.pos < scEnd) {
          const tag = w.varint();
          if (tag >>> 3 === 2) {
            w.expect(2, tag & 7, LEN);
            const st = w.len();
            records.push([st, w.lenEnd]);
          } else w.skip(tag & 7);
        }
        w.end = body.length;
        for (let i = 0; i < records.length; i++) {
          const rec = decodeLog(d, w, records[i]![0], records[i]![1], service, resource, now);
          if (typeof rec === 'string') {
            out.rejected++;
            out.firstError ??= `resourceLogs[${r}].scopeLogs[${c}].logRecords[${i}].${rec}`;
          } else out.records.push(rec);
        }
      }
    }
    return out;
  });
}

function decodeLog(
  d: Decoder,
  w: Wire,
  start: number,
  end: number,
  service: string,
  resource: Attributes,
  now: bigint,
): LogRecord | string {
  let time = 0n;
  let observed = 0n;
  let severity = 0;
  let severityText = '';
  let body: AttributeValue = null;
  const attributes: Attributes = {};
  const count = { n: 0 };
  let traceId: IdResult = '';
  let spanId: IdResult = '';
  let eventName = '';
  w.pos = start;
  w.end = end;
  while (w.pos < end) {
    const tag = w.varint();
    const field = tag >>> 3;
    const type = tag & 7;
    switch (field) {
      case 1:
        w.expect(1, type, FIXED64);
        time = nanos(w, 'timeUnixNano');
        break;
      case 11:
        w.expect(11, type, FIXED64);
        observed = nanos(w, 'observedTimeUnixNano');
        break;
      case 2:
        w.expect(2, type, VARINT);
        severity = w.varint();
        if (severity > 24) throw new WireError(`severity number ${severity} is not 0–24`);
        break;
      case 3:
        w.expect(3, type, LEN);
        severityText = w.string();
        break;
      case 5: {
        w.expect(5, type, LEN);
        const st = w.len();
        const e = w.lenEnd;
        w.pos = st;
        body = d.anyValue(w, e, 0);
        w.pos = e;
        w.end = end;
        break;
      }
      case 6:
        w.expect(6, type, LEN);
        d.attribute(w, attributes, count);
        w.end = end;
        break;
      case 9:
        w.expect(9, type, LEN);
        traceId = id(w, 16);
        break;
      case 10:
        w.expect(10, type, LEN);
        spanId = id(w, 8);
        break;
      case 12:
        w.expect(12, type, LEN);
        eventName = w.string();
        break;
      default:
        w.skip(type);
    }
  }
  if (typeof traceId !== 'string') return `traceId: ${traceId.error}`;
  if (typeof spanId !== 'string') return `spanId: ${spanId.error}`;
  const fromText = severityOfText(severityText);
  const eventAttr = attributes['event.name'] ?? attributes.event;
  return {
    timestampNs: time || observed || now,
    observedNs: observed || undefined,
    severityNumber: severity || fromText?.[1] || 0,
    level: levelOfSeverity(severity) ?? fromText?.[0] ?? 'info',
    service,
    event: eventName || (typeof eventAttr === 'string' ? eventAttr : undefined),
    body: typeof body === 'string' ? body : body === null ? '' : JSON.stringify(body),
    traceId: traceId || undefined,
    spanId: spanId || undefined,
    requestId: requestIdOf(attributes),
    attributes,
    resource,
    source: 'otlp',
  };
}
