import {
  type Context,
  INVALID_TRACEID,
  isSpanContextValid,
  TraceFlags,
  trace,
} from '@opentelemetry/api';
import type { LoggerProvider, Logger as OtelLogger } from '@opentelemetry/api-logs';
import { getRequestId } from '../context/index.js';
import { countDropped, getProcessedCount } from '../trace/drops.js';
import { type IdentityState, isLineOwnedKey, LINE_OWNED_KEYS, userKeyFor } from './identity.js';
import { OTLP_SEVERITY } from './levels.js';
import type { LogSink, SinkRecord } from './sink.js';

/** OTLP attribute values are primitives, arrays and maps; turn the rest into what a reader wants. */
function attributeValue(value: unknown): unknown {
  if (value instanceof Error) return value.message;
  if (value instanceof Date) return value.toISOString();
  if (typeof value === 'bigint') return value.toString();
  return value;
}

function copyFields(
  into: Record<string, unknown>,
  fields: Readonly<Record<string, unknown>>,
  state: IdentityState,
) {
  for (const key in fields) {
    const value = fields[key];
    if (value === undefined || typeof value === 'function') continue;
    into[isLineOwnedKey(key) ? userKeyFor(key, value, state) : key] = attributeValue(value);
    if (value instanceof Error && fields.error_type === undefined && key === 'error') {
      into.error_type = value.name;
    }
  }
}

/** Bound fields named like a part of the line, merged over the chain (innermost wins). */
function boundLineFields(bindings: readonly Readonly<Record<string, unknown>>[]) {
  let out: Record<string, unknown> | undefined;
  for (const bound of bindings) {
    for (const key of LINE_OWNED_KEYS) {
      if (bound[key] === undefined) continue;
      out ??= {};
      out[key] = bound[key];
    }
  }
  return out;
}

function withoutLineKeys(fields: Readonly<Record<string, unknown>>) {
  if (!LINE_OWNED_KEYS.some((key) => key in fields)) return fields;
  const out = { ...fields };
  for (const key of LINE_OWNED_KEYS) delete out[key];
  return out;
}

/**
 * Identity fields that named the line (outside a request) become the record's: `request.id`,
 * and trace and span IDs when both are there, as the line export reads them from the line.
 */
function namedBy(ctx: Context, attributes: Record<string, unknown>): Context {
  const requestId = attributes.request_id;
  if (requestId !== undefined) {
    delete attributes.request_id;
    attributes['request.id'] = requestId;
  }
  const { trace_id: traceId, span_id: spanId } = attributes;
  if (typeof traceId !== 'string' || typeof spanId !== 'string') return ctx;
  delete attributes.trace_id;
  delete attributes.span_id;
  return trace.setSpanContext(ctx, { traceId, spanId, traceFlags: TraceFlags.NONE });
}

/**
 * Sends each log line to the collector as an OTLP log record, through the OpenTelemetry logs
 * SDK (batched, bounded queue, never blocking the caller). Fields are copied into attributes
 * here because the batch keeps the record after the caller may have mutated its object.
 * `init()` installs the cheaper line export (otlp/) instead; this sink stays for setups built on
 * a LoggerProvider of their own, and as the reference the line export is tested and benchmarked
 * against.
 */
export function createOtlpLogSink(
  provider: LoggerProvider,
  version: string,
  maxPending = Number.POSITIVE_INFINITY,
): LogSink {
  const otel: OtelLogger = provider.getLogger('hopscope', version);
  const processedAtStart = getProcessedCount('logs');
  let emitted = 0;
  return {
    emit(record: SinkRecord) {
      // Records not yet finished by the batch processor (queued or in flight). Past the bound the
      // processor would drop the record anyway: drop it here, before paying to build it.
      if (emitted - (getProcessedCount('logs') - processedAtStart) >= maxPending) {
        countDropped('logs');
        return;
      }
      emitted++;
      const attributes: Record<string, unknown> = { event: record.event };
      let ctx = record.context;
      const requestId = getRequestId(ctx);
      if (requestId !== undefined) attributes['request.id'] = requestId;
      const spanContext = trace.getSpanContext(ctx);
      const inSpan =
        spanContext !== undefined &&
        spanContext.traceId !== INVALID_TRACEID &&
        isSpanContextValid(spanContext);
      // the same rule the line follows (identity.ts): bound identity first (innermost bind
      // wins), then the call's; colliding fields kept as `user.<key>`
      const state: IdentityState = {
        inRequest: requestId !== undefined,
        inSpan,
        requestId: requestId !== undefined,
        traceId: inSpan,
        spanId: inSpan,
      };
      const boundLine = boundLineFields(record.bindings);
      if (boundLine !== undefined) copyFields(attributes, boundLine, state);
      for (const bound of record.bindings) copyFields(attributes, withoutLineKeys(bound), state);
      if (record.fields !== undefined) copyFields(attributes, record.fields, state);
      delete attributes.message;
      ctx = namedBy(ctx, attributes);
      otel.emit({
        severityNumber: OTLP_SEVERITY[record.level],
        severityText: record.level,
        body: record.message,
        eventName: record.event,
        attributes: attributes as Record<string, never>,
        context: ctx,
      });
    },
  };
}
