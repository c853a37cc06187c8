import type {
  Attributes,
  LogLevel,
  LogRecord,
  SpanEventRecord,
  SpanKind,
  SpanLinkRecord,
  SpanRecord,
  StatusCode,
} from '../../store/records.js';
import type { Sanitizer } from '../sanitize.js';
import {
  anyValue,
  array,
  attributes,
  enumValue,
  fail,
  id,
  nanos,
  object,
  string,
  type Wire,
} from './values.js';

/** What one export request turned into: the records to store and what was refused. */
export interface Converted<T> {
  records: T[];
  rejected: number;
  /** The first reason a record was refused, for partial_success.error_message. */
  firstError?: string;
}

const SPAN_KINDS = [
  'SPAN_KIND_UNSPECIFIED',
  'SPAN_KIND_INTERNAL',
  'SPAN_KIND_SERVER',
  'SPAN_KIND_CLIENT',
  'SPAN_KIND_PRODUCER',
  'SPAN_KIND_CONSUMER',
] as const;
const STATUS_CODES = ['STATUS_CODE_UNSET', 'STATUS_CODE_OK', 'STATUS_CODE_ERROR'] as const;
const SEVERITY_NAMES = [
  'SEVERITY_NUMBER_UNSPECIFIED',
  ...['TRACE', 'DEBUG', 'INFO', 'WARN', 'ERROR', 'FATAL'].flatMap((n) => [
    `SEVERITY_NUMBER_${n}`,
    `SEVERITY_NUMBER_${n}2`,
    `SEVERITY_NUMBER_${n}3`,
    `SEVERITY_NUMBER_${n}4`,
  ]),
];

/** What a request ID may look like (to be promoted to its own column). */
export const REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;
/** Attribute keys a request ID is promoted from, in order of preference. */
export const REQUEST_ID_KEYS = ['request.id', 'http.request.header.x-request-id', 'request_id'];

export function requestIdOf(attrs: Attributes): string | undefined {
  for (const key of REQUEST_ID_KEYS) {
    let v = attrs[key];
    // Semantic conventions record header values as string arrays.
    if (Array.isArray(v)) v = v[0];
    if (typeof v === 'string' && REQUEST_ID.test(v)) return v;
  }
  return undefined;
}

function resourceOf(
  rs: Record<string, unknown>,
  path: string,
  wire: Wire,
  s: Sanitizer,
): { resource: Attributes; service: string } {
  const res = object(rs.resource, `${path}.resource`);
  const resource = res ? attributes(res.attributes, `${path}.resource.attributes`, wire, 0, s) : {};
  const name = resource['service.name'];
  return {
    resource,
    service: typeof name === 'string' && name !== '' ? name : 'unknown_service',
  };
}

function scopeOf(
  ss: Record<string, unknown>,
  path: string,
): { scopeName?: string; scopeVersion?: string } {
  const scope = object(ss.scope, `${path}.scope`);
  if (!scope) return {};
  const name = string(scope.name, `${path}.scope.name`);
  const version = string(scope.version, `${path}.scope.version`);
  return { scopeName: name || undefined, scopeVersion: version || undefined };
}

/** ExportTraceServiceRequest (JSON object or protobufjs message) → SpanRecords. */
export function convertTraces(req: unknown, wire: Wire, s: Sanitizer): Converted<SpanRecord> {
  const root = object(req, 'request') ?? {};
  const out: Converted<SpanRecord> = { records: [], rejected: 0 };
  const resourceSpans = array(root.resourceSpans, 'resourceSpans');
  for (let r = 0; r < resourceSpans.length; r++) {
    const rpath = `resourceSpans[${r}]`;
    const rs = object(resourceSpans[r], rpath);
    if (!rs) continue;
    const { resource, service } = resourceOf(rs, rpath, wire, s);
    const scopeSpans = array(rs.scopeSpans, `${rpath}.scopeSpans`);
    for (let c = 0; c < scopeSpans.length; c++) {
      const cpath = `${rpath}.scopeSpans[${c}]`;
      const ss = object(scopeSpans[c], cpath);
      if (!ss) continue;
      const scope = scopeOf(ss, cpath);
      const spans = array(ss.spans, `${cpath}.spans`);
      for (let i = 0; i < spans.length; i++) {
        const path = `${cpath}.spans[${i}]`;
        const span = object(spans[i], path);
        if (!span) continue;
        const traceId = id(span.traceId, 16, wire);
        const spanId = id(span.spanId, 8, wire);
        const parent = id(span.parentSpanId, 8, wire);
        const idError =
          (traceId.error && `${path}.traceId: ${traceId.error}`) ||
          (!traceId.hex && `${path}.traceId: required`) ||
          (spanId.error && `${path}.spanId: ${spanId.error}`) ||
          (!spanId.hex && `${path}.spanId: required`) ||
          (parent.error && `${path}.parentSpanId: ${parent.error}`);
        if (idError) {
          out.rejected++;
          out.firstError ??= idError;
          continue;
        }
        out.records.push(
          convertSpan(span, path, wire, s, {
            traceId: traceId.hex!,
            spanId: spanId.hex!,
            parentSpanId: parent.hex || undefined,
            service,
            resource,
            ...scope,
          }),
        );
      }
    }
  }
  return out;
}

function convertSpan(
  span: Record<string, unknown>,
  path: string,
  wire: Wire,
  s: Sanitizer,
  base: Pick<
    SpanRecord,
    'traceId' | 'spanId' | 'parentSpanId' | 'service' | 'resource' | 'scopeName' | 'scopeVersion'
  >,
): SpanRecord {
  const startNs = nanos(span.startTimeUnixNano, `${path}.startTimeUnixNano`);
  const endNs = nanos(span.endTimeUnixNano, `${path}.endTimeUnixNano`);
  const attrs = attributes(span.attributes, `${path}.attributes`, wire, 0, s);
  const status = object(span.status, `${path}.status`);
  const statusMessage = status ? string(status.message, `${path}.status.message`) : '';
  const traceState = string(span.traceState, `${path}.traceState`);
  return {
    ...base,
    traceState: traceState || undefined,
    name: s.text(string(span.name, `${path}.name`)),
    kind: enumValue(span.kind, SPAN_KINDS, `${path}.kind`, 5) as SpanKind,
    startNs,
    // A sender with a skewed clock can end before it starts; keep the span, clamp the duration.
    durationNs: endNs > startNs ? endNs - startNs : 0n,
    statusCode: (status
      ? enumValue(status.code, STATUS_CODES, `${path}.status.code`, 2)
      : 0) as StatusCode,
    statusMessage: statusMessage ? s.text(statusMessage) : undefined,
    requestId: requestIdOf(attrs),
    attributes: attrs,
    events: events(span.events, `${path}.events`, wire, s),
    links: links(span.links, `${path}.links`, wire, s),
  };
}

function events(v: unknown, path: string, wire: Wire, s: Sanitizer): SpanEventRecord[] {
  const list = array(v, path);
  if (list.length === 0) return [];
  const n = Math.min(list.length, s.limits.maxEvents);
  if (list.length > n) s.counts.truncatedEvents += list.length - n;
  const out: SpanEventRecord[] = [];
  for (let i = 0; i < n; i++) {
    const e = object(list[i], `${path}[${i}]`);
    if (!e) continue;
    out.push({
      timeNs: nanos(e.timeUnixNano, `${path}[${i}].timeUnixNano`),
      name: s.text(string(e.name, `${path}[${i}].name`)),
      attributes: attributes(e.attributes, `${path}[${i}].attributes`, wire, 0, s),
    });
  }
  return out;
}

function links(v: unknown, path: string, wire: Wire, s: Sanitizer): SpanLinkRecord[] {
  const list = array(v, path);
  if (list.length === 0) return [];
  const n = Math.min(list.length, s.limits.maxLinks);
  if (list.length > n) s.counts.truncatedLinks += list.length - n;
  const out: SpanLinkRecord[] = [];
  for (let i = 0; i < n; i++) {
    const l = object(list[i], `${path}[${i}]`);
    if (!l) continue;
    const traceId = id(l.traceId, 16, wire);
    const spanId = id(l.spanId, 8, wire);
    if (traceId.error || spanId.error || !traceId.hex || !spanId.hex) {
      fail(`${path}[${i}]`, `invalid link ids (${traceId.error ?? spanId.error ?? 'missing'})`);
    }
    const traceState = string(l.traceState, `${path}[${i}].traceState`);
    out.push({
      traceId: traceId.hex,
      spanId: spanId.hex,
      traceState: traceState || undefined,
      attributes: attributes(l.attributes, `${path}[${i}].attributes`, wire, 0, s),
    });
  }
  return out;
}

/** SeverityNumber ranges of the OTel logs data model → Hopscope levels. */
export function levelOfSeverity(n: number): LogLevel | undefined {
  if (n >= 21) return 'fatal';
  if (n >= 17) return 'error';
  if (n >= 13) return 'warn';
  if (n >= 9) return 'info';
  if (n >= 1) return 'debug';
  return undefined;
}

/** `WARN`, `error`, `Information`… → level and SeverityNumber. */
export function severityOfText(text: string): [LogLevel, number] | undefined {
  return text ? LEVEL_TEXT[text.toLowerCase()] : undefined;
}

const LEVEL_TEXT: Record<string, [LogLevel, number]> = {
  trace: ['debug', 1],
  debug: ['debug', 5],
  info: ['info', 9],
  information: ['info', 9],
  notice: ['info', 10],
  warn: ['warn', 13],
  warning: ['warn', 13],
  error: ['error', 17],
  err: ['error', 17],
  critical: ['fatal', 21],
  fatal: ['fatal', 21],
  panic: ['fatal', 21],
};

/** ExportLogsServiceRequest (JSON object or protobufjs message) → LogRecords. */
export function convertLogs(req: unknown, wire: Wire, s: Sanitizer): Converted<LogRecord> {
  const root = object(req, 'request') ?? {};
  const out: Converted<LogRecord> = { records: [], rejected: 0 };
  const resourceLogs = array(root.resourceLogs, 'resourceLogs');
  const now = BigInt(Date.now()) * 1_000_000n;
  for (let r = 0; r < resourceLogs.length; r++) {
    const rpath = `resourceLogs[${r}]`;
    const rl = object(resourceLogs[r], rpath);
    if (!rl) continue;
    const { resource, service } = resourceOf(rl, rpath, wire, s);
    const scopeLogs = array(rl.scopeLogs, `${rpath}.scopeLogs`);
    for (let c = 0; c < scopeLogs.length; c++) {
      const cpath = `${rpath}.scopeLogs[${c}]`;
      const sl = object(scopeLogs[c], cpath);
      if (!sl) continue;
      const records = array(sl.logRecords, `${cpath}.logRecords`);
      for (let i = 0; i < records.length; i++) {
        const path = `${cpath}.logRecords[${i}]`;
        const rec = object(records[i], path);
        if (!rec) continue;
        const traceId = id(rec.traceId, 16, wire);
        const spanId = id(rec.spanId, 8, wire);
        const idError =
          (traceId.error && `${path}.traceId: ${traceId.error}`) ||
          (spanId.error && `${path}.spanId: ${spanId.error}`);
        if (idError) {
          out.rejected++;
          out.firstError ??= idError;
          continue;
        }
        const attrs = attributes(rec.attributes, `${path}.attributes`, wire, 0, s);
        const time = nanos(rec.timeUnixNano, `${path}.timeUnixNano`);
        const observed = nanos(rec.observedTimeUnixNano, `${path}.observedTimeUnixNano`);
        const severity = enumValue(
          rec.severityNumber,
          SEVERITY_NAMES,
          `${path}.severityNumber`,
          24,
        );
        const severityText = string(rec.severityText, `${path}.severityText`);
        const fromText = severityOfText(severityText);
        const body = anyValue(rec.body, `${path}.body`, wire, 0, s);
        const eventName = string(rec.eventName, `${path}.eventName`);
        const eventAttr = attrs['event.name'] ?? attrs.event;
        out.records.push({
          timestampNs: time || observed || now,
          observedNs: observed || undefined,
          severityNumber: severity || fromText?.[1] || 0,
          level: levelOfSeverity(severity) ?? fromText?.[0] ?? 'info',
          service,
          event: eventName || (typeof eventAttr === 'string' ? eventAttr : undefined),
          body: typeof body === 'string' ? body : body === null ? '' : JSON.stringify(body),
          traceId: traceId.hex || undefined,
          spanId: spanId.hex || undefined,
          requestId: requestIdOf(attrs),
          attributes: attrs,
          resource,
          source: 'otlp',
        });
      }
    }
  }
  return out;
}
