import type { DebugSpan, DebugTraceResponse } from '@hopscope/server';
import { clip, clipAttributes, dense, ms } from './compact.js';
import { criticalPath } from './critical-path.js';

/**
 * What the request tools answer, shaped from one GET /api/debug/trace response: small by
 * default, with a note and the next call when there is more.
 */
function plural(n: number, noun: string): string {
  return n === 1 ? `1 ${noun}` : `${n} ${noun}s`;
}

function status(data: DebugTraceResponse): 'error' | 'ok' {
  return data.error_count > 0 || data.first_error !== null ? 'error' : 'ok';
}

function offsetMs(data: DebugTraceResponse, us: number): number | null {
  return data.start_us === null ? null : ms((us - data.start_us) / 1000);
}

/** How often the request entered a service: root spans and spans whose parent is elsewhere. */
function serviceHops(spans: DebugSpan[]): number {
  const byId = new Map(spans.map((s) => [`${s.trace_id}/${s.span_id}`, s]));
  let hops = 0;
  for (const span of spans) {
    const parent = span.parent_span_id
      ? byId.get(`${span.trace_id}/${span.parent_span_id}`)
      : undefined;
    if (!parent || parent.service !== span.service) hops++;
  }
  return hops;
}

export function summarise(data: DebugTraceResponse): Record<string, unknown> {
  const perService = new Map<string, { spans: number; errors: number }>();
  for (const span of data.spans) {
    const entry = perService.get(span.service) ?? { spans: 0, errors: 0 };
    entry.spans++;
    if (span.status === 'error') entry.errors++;
    perService.set(span.service, entry);
  }
  const err = data.first_error;
  const target = data.request_id ?? data.query.input;
  const next: string[] = [];
  if (data.span_count > 0) {
    next.push(`get_trace_summary {"id":"${target}"} lists the ${plural(data.span_count, 'span')}`);
  }
  if (data.log_count > 0) {
    next.push(
      `get_logs {"request_id":"${target}"} reads the ${plural(data.log_count, 'log line')}`,
    );
  }
  if (err?.span_id) {
    next.unshift(`get_span {"id":"${target}","span_id":"${err.span_id}"} shows the failing span`);
  }
  if (data.span_count > 1)
    next.push(`get_critical_path {"id":"${target}"} shows where the time went`);
  const ai = data.ai;
  return dense({
    request_id: data.request_id,
    other_request_ids: data.request_ids.filter((r) => r !== data.request_id).slice(0, 10),
    status: status(data),
    start: data.start,
    duration_ms: ms(data.total_duration_ms),
    services: data.services.map((service) => {
      const counts = perService.get(service);
      return counts?.errors ? { service, ...counts } : { service, spans: counts?.spans ?? 0 };
    }),
    service_path: data.services.join(' → '),
    hop_count: serviceHops(data.spans),
    span_count: data.span_count,
    log_count: data.log_count,
    error_count: data.error_count,
    first_error: err
      ? dense({
          service: err.service,
          event: err.event,
          message: clip(err.message, 500),
          error_type: err.error_type,
          at_ms: offsetMs(data, err.timestamp_us),
          span_id: err.span_id,
          trace_id: err.trace_id,
          type: err.type,
        })
      : null,
    trace_ids: data.trace_ids.slice(0, 10),
    ai: ai
      ? dense({
          llm_calls: ai.calls,
          errors: ai.errors || null,
          input_tokens: ai.input_tokens,
          output_tokens: ai.output_tokens,
          cost_usd: ai.cost_usd,
          unpriced_calls: ai.unpriced_calls || null,
          models: ai.models.slice(0, 5).map((m) => m.model ?? 'unknown'),
          decisions: ai.decisions.length || null,
        })
      : null,
    next,
  });
}

export interface HopsArgs {
  id: string;
  service?: string;
  errors_only: boolean;
  max_depth?: number;
  limit: number;
  offset: number;
}

export function hops(data: DebugTraceResponse, args: HopsArgs): Record<string, unknown> {
  const matching = data.spans.filter(
    (s) =>
      (!args.service || s.service === args.service) &&
      (!args.errors_only || s.status === 'error') &&
      (args.max_depth === undefined || s.depth <= args.max_depth),
  );
  const page = matching.slice(args.offset, args.offset + args.limit);
  const manyTraces = data.trace_ids.length > 1;
  const end = args.offset + page.length;
  const more = matching.length > end;
  const filtered = matching.length !== data.spans.length;
  return dense({
    note: more
      ? `Spans ${args.offset + 1}–${end} of ${matching.length}${filtered ? ' matching' : ''}. ` +
        `Pass offset ${end} for the next page, or narrow with service, errors_only or max_depth.`
      : null,
    request_id: data.request_id,
    status: status(data),
    duration_ms: ms(data.total_duration_ms),
    span_count: data.span_count,
    matching: filtered ? matching.length : null,
    next_offset: more ? end : null,
    // What the other pages hold, so the agent can pick a filter instead of paging blindly.
    not_shown_by_service:
      more || args.offset > 0 ? countByService(matching, args.offset, end) : null,
    spans: page.map((s) =>
      dense({
        span_id: s.span_id,
        parent_span_id: s.parent_span_id,
        trace_id: manyTraces ? s.trace_id : null,
        depth: s.depth,
        service: s.service,
        name: clip(s.name, 120),
        kind: s.kind === 'unspecified' ? null : s.kind,
        at_ms: offsetMs(data, s.start_us),
        duration_ms: ms(s.duration_ms),
        status: s.status,
        error: s.status === 'error' ? clip(s.status_message ?? 'error', 200) : null,
        from_logs: s.derived_from_logs || null,
        llm: s.ai?.model
          ? `${s.ai.model}${s.ai.output_tokens !== null ? ` ${s.ai.input_tokens ?? '?'}→${s.ai.output_tokens} tokens` : ''}`
          : null,
      }),
    ),
  });
}

function countByService(spans: DebugSpan[], from: number, to: number): Record<string, number> {
  const counts: Record<string, number> = {};
  spans.forEach((s, i) => {
    if (i < from || i >= to) counts[s.service] = (counts[s.service] ?? 0) + 1;
  });
  return counts;
}

/** How much of one span to show; TIGHT when a span with big events or many logs would not fit. */
interface DetailCaps {
  logs: number;
  children: number;
  attributes: number;
  valueChars: number;
  events: number;
  eventChars: number;
}
export const DETAIL: DetailCaps = {
  logs: 20,
  children: 15,
  attributes: 60,
  valueChars: 400,
  events: 20,
  eventChars: 1500,
};
export const TIGHT: DetailCaps = {
  logs: 5,
  children: 5,
  attributes: 30,
  valueChars: 150,
  events: 5,
  eventChars: 400,
};

export function spanDetails(
  data: DebugTraceResponse,
  span: DebugSpan,
  caps: DetailCaps,
): Record<string, unknown> {
  const parent = span.parent_span_id
    ? data.spans.find((s) => s.trace_id === span.trace_id && s.span_id === span.parent_span_id)
    : undefined;
  const children = data.spans.filter(
    (s) => s.trace_id === span.trace_id && s.parent_span_id === span.span_id,
  );
  const logs = data.logs.filter((l) => l.span_id === span.span_id);
  const target = data.request_id ?? data.query.input;
  return dense({
    note:
      logs.length > caps.logs || children.length > caps.children || span.events.length > caps.events
        ? `Showing ${Math.min(logs.length, caps.logs)} of ${logs.length} log lines, ` +
          `${Math.min(span.events.length, caps.events)} of ${span.events.length} events and ` +
          `${Math.min(children.length, caps.children)} of ${children.length} children; ` +
          `get_logs {"request_id":"${target}"} and get_trace_summary page through all.`
        : null,
    span_id: span.span_id,
    trace_id: span.trace_id,
    request_id: span.request_id,
    service: span.service,
    name: span.name,
    kind: span.kind,
    start: span.start,
    at_ms: offsetMs(data, span.start_us),
    duration_ms: ms(span.duration_ms),
    status: span.status,
    status_message: span.status_message ? clip(span.status_message, 1000) : null,
    from_logs: span.derived_from_logs || null,
    parent: parent
      ? { span_id: parent.span_id, service: parent.service, name: parent.name }
      : span.parent_span_id
        ? { span_id: span.parent_span_id, note: 'not received' }
        : null,
    attributes: clipAttributes(span.attributes, caps.attributes, caps.valueChars),
    resource: clipAttributes(span.resource, 20, 200),
    scope: span.scope.name
      ? `${span.scope.name}${span.scope.version ? `@${span.scope.version}` : ''}`
      : null,
    ai: span.ai ? dense({ ...span.ai }) : null,
    events: span.events.slice(0, caps.events).map((e) =>
      dense({
        name: e.name,
        at_ms: offsetMs(data, e.timestamp_us),
        attributes: clipAttributes(e.attributes, 20, caps.eventChars),
      }),
    ),
    links: span.links.slice(0, 10).map((l) => ({ trace_id: l.trace_id, span_id: l.span_id })),
    children: children.slice(0, caps.children).map((c) =>
      dense({
        span_id: c.span_id,
        service: c.service,
        name: clip(c.name, 120),
        duration_ms: ms(c.duration_ms),
        status: c.status,
      }),
    ),
    child_count: children.length,
    logs: logs.slice(0, caps.logs).map((l) =>
      dense({
        at_ms: offsetMs(data, l.timestamp_us),
        level: l.level,
        event: l.event,
        message: clip(l.message, 300),
        error: typeof l.attributes.error === 'string' ? clip(l.attributes.error, 300) : null,
      }),
    ),
    log_count: logs.length,
  });
}

export function pathAnswer(data: DebugTraceResponse, limit: number): Record<string, unknown> {
  if (data.start_us === null || data.end_us === null || data.spans.length === 0) {
    return {
      note: 'This request has log lines but no spans, so there is no path to compute; use get_logs.',
      request_id: data.request_id,
    };
  }
  const segments = criticalPath(data.spans, data.start_us, data.end_us);
  const total = (data.end_us - data.start_us) / 1000;
  const byService = new Map<string, number>();
  for (const seg of segments) {
    const name = seg.span?.service ?? '(no span)';
    byService.set(name, (byService.get(name) ?? 0) + (seg.endUs - seg.startUs) / 1000);
  }
  const pct = (value: number) => (total > 0 ? Math.round((value / total) * 1000) / 10 : 0);
  const shown = segments.slice(0, limit);
  return dense({
    note:
      segments.length > limit
        ? `First ${limit} of ${segments.length} path segments; by_service totals cover all. Raise limit for more.`
        : null,
    request_id: data.request_id,
    duration_ms: ms(total),
    by_service: [...byService]
      .sort((a, b) => b[1] - a[1])
      .map(([service, time]) => ({ service, ms: ms(time), percent: pct(time) })),
    path: shown.map((seg) => {
      const time = (seg.endUs - seg.startUs) / 1000;
      return dense({
        at_ms: offsetMs(data, seg.startUs),
        ms: ms(time),
        percent: pct(time),
        service: seg.span?.service ?? null,
        name: seg.span ? clip(seg.span.name, 120) : 'gap: no span covers this time',
        span_id: seg.span?.span_id ?? null,
        status: seg.span?.status === 'error' ? 'error' : null,
      });
    }),
  });
}
