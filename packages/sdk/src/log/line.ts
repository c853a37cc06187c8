import {
  type Context,
  context,
  INVALID_TRACEID,
  isSpanContextValid,
  trace,
} from '@opentelemetry/api';
import type { LoggerOptions } from 'pino';
import { getRequestId } from '../context/index.js';
import { CheckedSpanContext } from '../trace/checked-span-context.js';
import type { Callsite } from './callsite.js';
import { type IdentityState, LINE_OWNED_KEYS, type LineOwnedKey, userKeyFor } from './identity.js';

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

// `,"event":"name"` per event name: lines reuse a few names, each escaped once (one regex test
// and three pieces per line before).
const EVENT_JSON_CACHE_SIZE = 256;
const eventJsons = new Map<string, string>();

function eventJson(event: string): string {
  let json = eventJsons.get(event);
  if (json === undefined) {
    json = `,"event":${jsonString(event)}`;
    // names are the program's, but one logging computed names must not grow this
    if (eventJsons.size >= EVENT_JSON_CACHE_SIZE) eventJsons.clear();
    eventJsons.set(event, json);
  }
  return json;
}

/** `000`…`999`: a timestamp's milliseconds within its second. */
const MILLIS = Array.from({ length: 1000 }, (_, ms) => String(ms).padStart(3, '0'));

let lastMs = -1;
let lastTime = '';
let lastSecond = -1;
/** `,"timestamp":"YYYY-MM-DDTHH:MM:SS.` of the current second: only the milliseconds change. */
let secondPrefix = '';
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
let wroteTraceId = false;
let wroteSpanId = false;
let wroteEvent = false;
/** Bound identity fields the current line keeps as `user.<key>` (the mixin adds them). */
let boundUser: Record<string, unknown> | undefined;

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
    (spanContext instanceof CheckedSpanContext ||
      (spanContext.traceId !== INVALID_TRACEID && isSpanContextValid(spanContext)))
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

/**
 * Fields named like a part of the line that a logger bound itself (`bind({ request_id })`):
 * kept out of pino's bindings, since whether they name the line depends on each line's context.
 */
export type BoundLineFields = Partial<Record<LineOwnedKey, unknown>>;

/** Marks a pino instance whose bindings held such fields (inherited by its children). */
export const BOUND_LINE_FIELDS: unique symbol = Symbol('hopscope.boundLineFields');

/**
 * The correlation fragment of a logger with bound line-owned fields (a rare path, see
 * identity.ts): the context's IDs, then the bound ones that may name the line; the others wait
 * in `boundUser` for the mixin, as `user.<key>`.
 */
function boundCorrelation(bound: BoundLineFields): string {
  let out = correlation();
  const state: IdentityState = {
    inRequest: lastHasRequestId,
    inSpan: lastHasTraceIds,
    requestId: lastHasRequestId,
    traceId: lastHasTraceIds,
    spanId: lastHasTraceIds,
  };
  let user: Record<string, unknown> | undefined;
  for (const key of LINE_OWNED_KEYS) {
    const value = bound[key];
    if (value === undefined) continue;
    const written = userKeyFor(key, value, state);
    // a value that names the line is valid, so plain: no escaping needed
    if (written === key) out += `,"${key}":"${value as string}"`;
    else {
      user ??= {};
      user[written] = value;
    }
  }
  wroteRequestId = state.requestId;
  wroteTraceId = state.traceId;
  wroteSpanId = state.spanId;
  boundUser = user;
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
    const second = Math.floor(now / 1000);
    if (second !== lastSecond || secondPrefix === '') {
      lastSecond = second;
      const iso = new Date(now).toISOString();
      // YYYY-MM-DDTHH:MM:SS.mmmZ; other years (±YYYYYY) are always formatted in full
      secondPrefix = iso.length === 24 ? `,"timestamp":"${iso.slice(0, 20)}` : '';
      lastTime = `,"timestamp":"${iso}"`;
    } else {
      lastTime = `${secondPrefix}${MILLIS[now - second * 1000]}Z"`;
    }
  }
  const bound = (this as { [BOUND_LINE_FIELDS]?: BoundLineFields } | undefined)?.[
    BOUND_LINE_FIELDS
  ];
  let ids: string;
  if (bound === undefined) {
    ids = correlation();
    wroteRequestId = lastHasRequestId;
    wroteTraceId = wroteSpanId = lastHasTraceIds;
    boundUser = undefined;
  } else {
    ids = boundCorrelation(bound);
  }
  handoff.timeMs = now;
  handoff.traceFlags = lastTraceFlags;
  handoff.requestId = lastRequestId;
  handoff.traceId = lastTraceId;
  handoff.spanId = lastSpanId;
  const event = handoff.event;
  wroteEvent = event !== undefined;
  return event === undefined ? lastTime + ids : lastTime + ids + eventJson(event);
}

const NOTHING = Object.freeze({});

/**
 * Only lines written through raw pino (no event given), with callsites or with bound identity
 * fields kept as `user.<key>` need a mixin object.
 */
function mixin(mergeObject: object): object {
  const callsite = handoff.callsite;
  const user = boundUser;
  if (handoff.event !== undefined && callsite === undefined && user === undefined) return NOTHING;
  const out: Record<string, unknown> = user === undefined ? {} : { ...user };
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
 * only to drop an `event` field when the call named the event, to keep fields named like a part
 * of the line under `user.<key>` unless they name the line (identity.ts: a line never has two
 * `request_id`s, and never another request's), and to turn an Error under `error` into the log
 * format's `error` / `error_type` (and `error_stack`, and the cause when there is one).
 */
function mergeFields(mergeObject: object, mixinObject: object): object {
  const fields = mergeObject as Record<string, unknown>;
  const ownedKeys =
    fields.request_id !== undefined ||
    fields.trace_id !== undefined ||
    fields.span_id !== undefined ||
    fields.level !== undefined ||
    fields.timestamp !== undefined ||
    fields.service !== undefined;
  const needsCopy =
    ownedKeys ||
    mixinObject !== NOTHING ||
    fields.error instanceof Error ||
    (wroteEvent && fields.event !== undefined);
  if (!needsCopy) return mergeObject;

  const merged = Object.assign(mixinObject === NOTHING ? {} : mixinObject, mergeObject) as Record<
    string,
    unknown
  >;
  if (wroteEvent) merged.event = undefined;
  if (ownedKeys) {
    const state: IdentityState = {
      inRequest: lastHasRequestId,
      inSpan: lastHasTraceIds,
      requestId: wroteRequestId,
      traceId: wroteTraceId,
      spanId: wroteSpanId,
    };
    for (const key of LINE_OWNED_KEYS) {
      const value = fields[key];
      if (value === undefined) continue;
      const written = userKeyFor(key, value, state);
      if (written === key) continue;
      merged[key] = undefined;
      merged[written] = value;
    }
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
