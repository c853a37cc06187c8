/**
 * The debug trace's spans and log lines as columns (`?format=columns`): what a 50,000-span
 * request view needs, without a per-span object, ISO timestamp or repeated resource to build,
 * serialise and parse.
 */
import type {
  DebugLogColumns,
  DebugSpanAi,
  DebugSpanColumns,
  DebugSpanEvent,
  DebugSpanLink,
  DictColumn,
  JsonAttributes,
  LogLevelName,
} from '../api/types.js';
import type { LogRecord, SpanRecord } from '../store/records.js';
import { debugSpanAi } from './ai.js';
import { jsonAttributes, KIND_NAMES, nsToIso, nsToMs, nsToUs, statusName } from './format.js';
import { isDerived } from './log-spans.js';

/** Builds a dictionary column; `keyOf` names equal values (objects compare by their JSON). */
class Dict<T> {
  readonly column: DictColumn<T> = { values: [], index: [] };
  private readonly positions = new Map<unknown, number>();
  private lastKey: unknown = Symbol('none');
  private lastAt = -1;

  constructor(private readonly keyOf: (v: T) => unknown = (v) => v) {}

  /** A row with no value: index -1. */
  skip(): void {
    this.column.index.push(-1);
  }

  push(v: T): void {
    const key = this.keyOf(v);
    // Neighbouring spans mostly share trace, service, kind, status and scope: skip the lookup.
    if (key !== this.lastKey) {
      let at = this.positions.get(key);
      if (at === undefined) {
        at = this.column.values.length;
        this.column.values.push(v);
        this.positions.set(key, at);
      }
      this.lastKey = key;
      this.lastAt = at;
    }
    this.column.index.push(this.lastAt);
  }
}

/**
 * Resources are a handful per request but a fresh object per span: compare each with the last
 * distinct one seen for its first value (service.name, usually) before paying for its JSON.
 */
class ResourceKeys {
  private readonly seen = new Map<unknown, Array<{ resource: JsonAttributes; key: string }>>();

  keyOf = (r: JsonAttributes): string => {
    let first: unknown;
    for (const k in r) {
      first = r[k];
      break;
    }
    const bucket = this.seen.get(first);
    if (bucket) for (const c of bucket) if (shallowEqual(c.resource, r)) return c.key;
    const key = JSON.stringify(r);
    if (bucket) bucket.push({ resource: r, key });
    else this.seen.set(first, [{ resource: r, key }]);
    return key;
  };
}

function shallowEqual(a: JsonAttributes, b: JsonAttributes): boolean {
  let n = 0;
  for (const k in a) {
    const x = a[k];
    const y = b[k];
    if (x !== y && (typeof x !== 'object' || JSON.stringify(x) !== JSON.stringify(y))) return false;
    n++;
  }
  for (const _ in b) n--;
  return n === 0;
}

/** null and '' kept apart: \u0001 stands for null. */
const byScope = (v: { name: string | null; version: string | null }) =>
  `${v.name ?? '\u0001'}\u0000${v.version ?? '\u0001'}`;

export function debugEvents(s: SpanRecord): DebugSpanEvent[] {
  return s.events.map((e) => ({
    timestamp: nsToIso(e.timeNs),
    timestamp_us: nsToUs(e.timeNs),
    name: e.name,
    attributes: jsonAttributes(e.attributes),
  }));
}

export function debugLinks(s: SpanRecord): DebugSpanLink[] {
  return s.links.map((l) => ({
    trace_id: l.traceId,
    span_id: l.spanId,
    attributes: jsonAttributes(l.attributes),
  }));
}

export function spanColumns(
  spans: SpanRecord[],
  depthOf: Int32Array,
  startUs: number,
  leftOut: (s: SpanRecord) => boolean = () => false,
): DebugSpanColumns {
  const traceId = new Dict<string>();
  const name = new Dict<string>();
  const kind = new Dict<DebugSpanColumns['kind']['values'][number]>();
  const service = new Dict<string>();
  const status = new Dict<DebugSpanColumns['status']['values'][number]>();
  const requestId = new Dict<string | null>();
  const resource = new Dict<JsonAttributes>(new ResourceKeys().keyOf);
  const scope = new Dict<{ name: string | null; version: string | null }>(byScope);
  const spanId: string[] = [];
  const parentSpanId: Array<string | null> = [];
  const startOffsetUs: number[] = [];
  const durationMs: number[] = [];
  const statusMessage: Array<string | null> = [];
  const attributes: Array<JsonAttributes | null> = [];
  const depth: number[] = [];
  const derived: number[] = [];
  const events: Record<string, DebugSpanEvent[]> = {};
  const links: Record<string, DebugSpanLink[]> = {};
  const ai: Record<string, DebugSpanAi> = {};

  for (let i = 0; i < spans.length; i++) {
    const s = spans[i];
    traceId.push(s.traceId);
    spanId.push(s.spanId);
    parentSpanId.push(s.parentSpanId ?? null);
    name.push(s.name);
    kind.push(KIND_NAMES[s.kind] ?? 'unspecified');
    service.push(s.service);
    startOffsetUs.push(nsToUs(s.startNs) - startUs);
    durationMs.push(nsToMs(s.durationNs));
    status.push(statusName(s.statusCode));
    statusMessage.push(s.statusMessage ?? null);
    requestId.push(s.requestId ?? null);
    if (leftOut(s)) {
      attributes.push(null);
      resource.skip();
    } else {
      attributes.push(jsonAttributes(s.attributes));
      resource.push(jsonAttributes(s.resource));
    }
    scope.push({ name: s.scopeName ?? null, version: s.scopeVersion ?? null });
    depth.push(depthOf[i]);
    if (isDerived(s)) derived.push(i);
    if (s.events.length > 0) events[i] = debugEvents(s);
    if (s.links.length > 0) links[i] = debugLinks(s);
    const spanAi = debugSpanAi(s);
    if (spanAi) ai[i] = spanAi;
  }
  return {
    count: spans.length,
    trace_id: traceId.column,
    span_id: spanId,
    parent_span_id: parentSpanId,
    name: name.column,
    kind: kind.column,
    service: service.column,
    start_offset_us: startOffsetUs,
    duration_ms: durationMs,
    status: status.column,
    status_message: statusMessage,
    request_id: requestId.column,
    attributes,
    resource: resource.column,
    scope: scope.column,
    depth,
    derived_from_logs: derived,
    events,
    links,
    ai,
  };
}

export function logColumns(logs: LogRecord[], startUs: number): DebugLogColumns {
  const level = new Dict<LogLevelName>();
  const service = new Dict<string>();
  const event = new Dict<string | null>();
  const requestId = new Dict<string | null>();
  const traceId = new Dict<string | null>();
  const resource = new Dict<JsonAttributes>(new ResourceKeys().keyOf);
  const source = new Dict<'otlp' | 'ndjson'>();
  const offsetUs: number[] = [];
  const message: string[] = [];
  const spanId: Array<string | null> = [];
  const attributes: JsonAttributes[] = [];
  for (const l of logs) {
    offsetUs.push(nsToUs(l.timestampNs) - startUs);
    level.push(l.level as LogLevelName);
    service.push(l.service);
    event.push(l.event ?? null);
    message.push(l.body);
    requestId.push(l.requestId ?? null);
    traceId.push(l.traceId ?? null);
    spanId.push(l.spanId ?? null);
    attributes.push(jsonAttributes(l.attributes));
    resource.push(jsonAttributes(l.resource));
    source.push(l.source);
  }
  return {
    count: logs.length,
    offset_us: offsetUs,
    level: level.column,
    service: service.column,
    event: event.column,
    message,
    request_id: requestId.column,
    trace_id: traceId.column,
    span_id: spanId,
    attributes,
    resource: resource.column,
    source: source.column,
  };
}
