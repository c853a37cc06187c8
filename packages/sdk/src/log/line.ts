import { context, isSpanContextValid, trace } from '@opentelemetry/api';
import type { LoggerOptions } from 'pino';
import { getRequestId } from '../context/index.js';
import type { Callsite } from './callsite.js';

/**
 * The event name and callsite of the line being written. The logger sets them just before the
 * synchronous pino call and the mixin reads them, so user fields are never copied to add them.
 */
export const handoff: { event: string | undefined; callsite: Callsite | undefined } = {
  event: undefined,
  callsite: undefined,
};

interface Correlation {
  request_id?: string;
  trace_id?: string;
  span_id?: string;
  event?: unknown;
  filename?: string;
  lineno?: number;
  [key: string]: unknown;
}

/** Adds the request and trace correlation of the active context to every line. */
function correlationMixin(mergeObject: object): Correlation {
  const ctx = context.active();
  const out: Correlation = { request_id: getRequestId(ctx) };
  const spanContext = trace.getSpan(ctx)?.spanContext();
  if (spanContext !== undefined && isSpanContextValid(spanContext)) {
    out.trace_id = spanContext.traceId;
    out.span_id = spanContext.spanId;
  }
  out.event = handoff.event ?? (mergeObject as { event?: unknown }).event ?? 'log';
  if (handoff.callsite !== undefined) {
    out.filename = handoff.callsite.filename;
    out.lineno = handoff.callsite.lineno;
  }
  return out;
}

/** Error values under `error` become the log format's `error` / `error_type` (and stack) fields. */
function mergeFields(mergeObject: object, mixinObject: object): object {
  const merged = Object.assign(mixinObject, mergeObject) as Record<string, unknown>;
  // an explicit event argument wins over an `event` field
  if (handoff.event !== undefined) merged.event = handoff.event;
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

/** ISO 8601 with milliseconds and `Z`, as DESIGN.md's log line asks. */
const isoTimestamp = () => `,"timestamp":"${new Date().toISOString()}"`;

/** pino options producing exactly the DESIGN.md log line. */
export function lineOptions(service: string, level: string): LoggerOptions {
  return {
    level,
    base: { service },
    messageKey: 'message',
    errorKey: 'err',
    timestamp: isoTimestamp,
    formatters: { level: (label) => ({ level: label }) },
    mixin: correlationMixin,
    mixinMergeStrategy: mergeFields,
  };
}
