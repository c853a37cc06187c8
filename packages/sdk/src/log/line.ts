import {
  type Context,
  context,
  INVALID_TRACEID,
  isSpanContextValid,
  trace,
} from '@opentelemetry/api';
import type { LoggerOptions } from 'pino';
import { getRequestId } from '../context/index.js';
import type { Callsite } from './callsite.js';

/**
 * The event name and callsite of the line being written. The logger sets them just before the
 * synchronous pino call and the line's hooks read them, so user fields are never copied to add
 * them.
 */
export const handoff: {
  event: string | undefined;
  callsite: Callsite | undefined;
  /** Set by the logger when the line is wanted for OTLP export; the hooks then fill the rest. */
  capture: boolean;
  /** The serialised line, as pino hands it to the stream (captured only when `capture`). */
  line: string | undefined;
  /** `Date.now()` of the line's timestamp. */
  timeMs: number;
  /** W3C trace flags of the span the line's trace_id/span_id come from (0 when none). */
  traceFlags: number;
  /** The active context's request_id, trace_id and span_id (undefined when it has none). */
  requestId: string | undefined;
  traceId: string | undefined;
  spanId: string | undefined;
} = {
  event: undefined,
  callsite: undefined,
  capture: false,
  line: undefined,
  timeMs: 0,
  traceFlags: 0,
  requestId: undefined,
  traceId: undefined,
  spanId: undefined,
};

// Values that need no JSON escaping: the fast path for event names and request IDs.
const PLAIN = /^[A-Za-z0-9._:\-/ ]*$/;
const jsonString = (value: string) => (PLAIN.test(value) ? `"${value}"` : JSON.stringify(value));

let lastMs = -1;
let lastTime = '';
let lastContext: Context | undefined;
let lastCorrelation = '';
let lastHasRequestId = false;
let lastHasTraceIds = false;
let lastTraceFlags = 0;
let lastRequestId: string | undefined;
let lastTraceId: string | undefined;
let lastSpanId: string | undefined;
/** Which correlation keys the current line already carries (so fields cannot duplicate them). */
let wroteRequestId = false;
let wroteTraceIds = false;
let wroteEvent = false;

/**
 * A string as JSON exactly as pino writes it (its `asString` before Node 25, which differs from
 * JSON.stringify for lone surrogates in strings up to 100 characters), so lines the logger
 * writes itself (logger.ts) are byte-identical to pino's.
 */
export const pinoString =
  Number(process.versions.node.split('.')[0]) >= 25
    ? (str: string): string => JSON.stringify(str)
    : (str: string): string => {
        const l = str.length;
        if (l > 100) return JSON.stringify(str);
        let result = '';
        let last = 0;
        let found = false;
        let point = 255;
        for (let i = 0; i < l && point >= 32; i++) {
          point = str.charCodeAt(i);
          if (point === 34 || point === 92) {
            result += `${str.slice(last, i)}\\`;
            last = i;
            found = true;
          }
        }
        if (!found) result = str;
        else result += str.slice(last);
        return point < 32 ? JSON.stringify(str) : `"${result}"`;
      };

/**
 * `request_id`, `trace_id` and `span_id` of the active context as a JSON fragment. The fragment
 * is built once per context object (contexts are immutable) and reused by every line logged in
 * it: serialising these three IDs on every line would cost about a quarter of pino's throughput.
 */
function correlation(): string {
  const ctx = context.active();
  if (ctx === lastContext) return lastCorrelation;
  let out = '';
  const requestId = getRequestId(ctx);
  lastHasRequestId = typeof requestId === 'string';
  lastRequestId = lastHasRequestId ? (requestId as string) : undefined;
  if (lastHasRequestId) out += `,"request_id":${jsonString(requestId as string)}`;
  const spanContext = trace.getSpan(ctx)?.spanContext();
  if (
    spanContext !== undefined &&
    spanContext.traceId !== INVALID_TRACEID &&
    isSpanContextValid(spanContext)
  ) {
    out += `,"trace_id":"${spanContext.traceId}","span_id":"${spanContext.spanId}"`;
    lastHasTraceIds = true;
    lastTraceFlags = spanContext.traceFlags;
    lastTraceId = spanContext.traceId;
    lastSpanId = spanContext.spanId;
  } else {
    lastHasTraceIds = false;
    lastTraceFlags = 0;
    lastTraceId = undefined;
    lastSpanId = undefined;
  }
  lastContext = ctx;
  lastCorrelation = out;
  return out;
}

/** Correlation keys a logger has bound itself (`bind({ request_id })`): they win over the context's. */
export interface BoundCorrelation {
  requestId: boolean;
  traceIds: boolean;
}

/** Marks a pino instance whose bindings hold correlation keys (inherited by its children). */
export const BOUND_CORRELATION: unique symbol = Symbol('hopscope.boundCorrelation');

/** The uncached fragment for a logger with bound correlation keys (a rare path). */
function correlationWithout(bound: BoundCorrelation): string {
  const full = correlation();
  let out = '';
  if (!bound.requestId && lastHasRequestId) {
    out += full.slice(0, lastHasTraceIds ? full.indexOf(',"trace_id"') : full.length);
  }
  if (!bound.traceIds && lastHasTraceIds) out += full.slice(full.indexOf(',"trace_id"'));
  return out;
}

/**
 * pino's timestamp hook (called on the logger instance) returns raw JSON placed right after
 * `level`: the ISO timestamp (one formatted string per millisecond), then the correlation
 * fragment and the event name.
 */
function timestampAndCorrelation(this: unknown): string {
  const now = Date.now();
  if (now !== lastMs) {
    lastMs = now;
    lastTime = `,"timestamp":"${new Date(now).toISOString()}"`;
  }
  const bound = (this as { [BOUND_CORRELATION]?: BoundCorrelation } | undefined)?.[
    BOUND_CORRELATION
  ];
  let ids: string;
  if (bound === undefined) {
    ids = correlation();
    wroteRequestId = lastHasRequestId;
    wroteTraceIds = lastHasTraceIds;
  } else {
    ids = correlationWithout(bound);
    wroteRequestId = lastHasRequestId || bound.requestId;
    wroteTraceIds = lastHasTraceIds || bound.traceIds;
  }
  handoff.timeMs = now;
  handoff.traceFlags = lastTraceFlags;
  handoff.requestId = lastRequestId;
  handoff.traceId = lastTraceId;
  handoff.spanId = lastSpanId;
  const event = handoff.event;
  wroteEvent = event !== undefined;
  return event === undefined ? lastTime + ids : `${lastTime}${ids},"event":${jsonString(event)}`;
}

const NOTHING = Object.freeze({});

/** Only lines written through raw pino (no event given) or with callsites need a mixin object. */
function mixin(mergeObject: object): object {
  const callsite = handoff.callsite;
  if (handoff.event !== undefined && callsite === undefined) return NOTHING;
  const out: Record<string, unknown> = {};
  if (handoff.event === undefined) {
    out.event = (mergeObject as { event?: unknown }).event ?? 'log';
  }
  if (callsite !== undefined) {
    out.filename = callsite.filename;
    out.lineno = callsite.lineno;
  }
  return out;
}

/**
 * Merges the caller's fields with the mixin's without copying them in the common case. Copies
 * only to drop keys the line already has (request_id, trace_id, span_id, event: the context's
 * values win, so a line never has two) and to turn an Error under `error` into the log format's
 * `error` / `error_type` (and `error_stack`, and the cause when there is one).
 */
function mergeFields(mergeObject: object, mixinObject: object): object {
  const fields = mergeObject as Record<string, unknown>;
  const needsCopy =
    mixinObject !== NOTHING ||
    fields.error instanceof Error ||
    (wroteEvent && fields.event !== undefined) ||
    (wroteRequestId && fields.request_id !== undefined) ||
    (wroteTraceIds && (fields.trace_id !== undefined || fields.span_id !== undefined));
  if (!needsCopy) return mergeObject;

  const merged = Object.assign(mixinObject === NOTHING ? {} : mixinObject, mergeObject) as Record<
    string,
    unknown
  >;
  if (wroteEvent) merged.event = undefined;
  if (wroteRequestId) merged.request_id = undefined;
  if (wroteTraceIds) {
    merged.trace_id = undefined;
    merged.span_id = undefined;
  }
  const error = merged.error;
  if (error instanceof Error) {
    merged.error = error.message;
    if (merged.error_type === undefined) merged.error_type = error.name;
    if (merged.error_stack === undefined && error.stack !== undefined) {
      merged.error_stack = error.stack;
    }
    // TracedError (and any error with a cause) keeps its cause on the line
    const cause = (error as { cause?: unknown }).cause;
    if (cause !== undefined && merged.cause === undefined) {
      merged.cause = cause instanceof Error ? cause.message : String(cause);
      merged.cause_type = cause instanceof Error ? cause.name : typeof cause;
    }
  }
  return merged;
}

/**
 * pino's last hook before the stream: keeps the finished line for OTLP export. The line is an
 * immutable snapshot of everything the record needs, already paid for, so export costs the hot
 * path one string reference (see otlp/).
 */
function streamWrite(line: string): string {
  if (handoff.capture) handoff.line = line;
  return line;
}

/** pino options producing exactly the DESIGN.md log line. */
export function lineOptions(service: string, level: string): LoggerOptions {
  return {
    level,
    base: { service },
    messageKey: 'message',
    errorKey: 'err',
    timestamp: timestampAndCorrelation,
    formatters: { level: (label) => ({ level: label }) },
    mixin,
    mixinMergeStrategy: mergeFields,
    hooks: { streamWrite },
  };
}
