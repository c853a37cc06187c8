/**
 * Turns the debug trace's column form (`?format=columns`) back into the span and log objects
 * the views use. The server sends columns because, at 50,000 spans, objects with every key,
 * resource and scope repeated are ~4× the bytes to build, send and parse.
 */
import type {
  DebugLog,
  DebugLogColumns,
  DebugSpan,
  DebugSpanColumns,
  DebugTraceResponse,
  DictColumn,
} from './types.js';

const at = <T>(c: DictColumn<T>, i: number): T => c.values[c.index[i]];

/** Epoch µs → ISO 8601 with milliseconds, as the object form gives. */
const isoOfUs = (us: number) => new Date(Math.floor(us / 1000)).toISOString();

export function spansFromColumns(c: DebugSpanColumns, startUs: number): DebugSpan[] {
  const derived = new Set(c.derived_from_logs);
  const out: DebugSpan[] = new Array(c.count);
  for (let i = 0; i < c.count; i++) {
    const start = startUs + c.start_offset_us[i];
    const span: DebugSpan = {
      trace_id: at(c.trace_id, i),
      span_id: c.span_id[i],
      parent_span_id: c.parent_span_id[i],
      name: at(c.name, i),
      kind: at(c.kind, i),
      service: at(c.service, i),
      start: isoOfUs(start),
      start_us: start,
      duration_ms: c.duration_ms[i],
      status: at(c.status, i),
      status_message: c.status_message[i],
      request_id: at(c.request_id, i),
      attributes: c.attributes[i] ?? {},
      resource: c.resource.index[i] < 0 ? {} : at(c.resource, i),
      scope: at(c.scope, i),
      events: c.events[i] ?? [],
      links: c.links[i] ?? [],
      depth: c.depth[i],
      derived_from_logs: derived.has(i),
    };
    const ai = c.ai[i];
    if (ai) span.ai = ai;
    if (c.attributes[i] === null) span.outline = true;
    out[i] = span;
  }
  return out;
}

export function logsFromColumns(c: DebugLogColumns, startUs: number): DebugLog[] {
  const out: DebugLog[] = new Array(c.count);
  for (let i = 0; i < c.count; i++) {
    const ts = startUs + c.offset_us[i];
    out[i] = {
      timestamp: isoOfUs(ts),
      timestamp_us: ts,
      level: at(c.level, i),
      service: at(c.service, i),
      event: at(c.event, i),
      message: c.message[i],
      request_id: at(c.request_id, i),
      trace_id: at(c.trace_id, i),
      span_id: c.span_id[i],
      attributes: c.attributes[i],
      resource: at(c.resource, i),
      source: at(c.source, i),
    };
  }
  return out;
}

/** A debug trace answer with `spans` and `logs` filled from its columns, when it has them. */
export function withRows(data: DebugTraceResponse): DebugTraceResponse {
  const startUs = data.start_us ?? 0;
  const { span_columns, log_columns, ...rest } = data;
  return {
    ...rest,
    spans: span_columns ? spansFromColumns(span_columns, startUs) : data.spans,
    logs: log_columns ? logsFromColumns(log_columns, startUs) : data.logs,
  };
}

/**
 * Fills spans loaded in outline with what was left out (attributes, resource, events, links),
 * in place: the span objects are the view's cache of the request, shared by its model.
 */
export function fillDetails(outline: DebugSpan, whole: DebugSpan): void {
  outline.attributes = whole.attributes;
  outline.resource = whole.resource;
  outline.events = whole.events;
  outline.links = whole.links;
  delete outline.outline;
}
