import type { HrTime } from '@opentelemetry/api';
import type { InstrumentationScope } from '@opentelemetry/core';
import type { Resource } from '@opentelemetry/resources';
import type { ReadableLogRecord } from '@opentelemetry/sdk-logs';
import { type LineLevel, OTLP_SEVERITY } from '../levels.js';

/** A log line as the queue keeps it: the serialised line and what it does not spell out. */
export interface CapturedLine {
  line: string;
  timeMs: number;
  traceFlags: number;
}

/** Keys of the line that become parts of the record rather than attributes. */
const NOT_ATTRIBUTES = new Set([
  'level',
  'timestamp',
  'service',
  'request_id',
  'trace_id',
  'span_id',
  'event',
  'message',
]);
const TRACE_ID = /^[0-9a-f]{32}$/;
const SPAN_ID = /^[0-9a-f]{16}$/;

/** The logs SDK's default attribute count limit (OTEL_ATTRIBUTE_COUNT_LIMIT): kept the same. */
export const ATTRIBUTE_COUNT_LIMIT = 128;

const hrTime = (ms: number): HrTime => [Math.floor(ms / 1000), (ms % 1000) * 1e6];

/**
 * The OTLP log record of one captured line, in the shape the official OTLP serializer reads
 * (`ReadableLogRecord`): severity from `level`, body from `message`, `eventName` and an `event`
 * attribute from `event`, `request.id` from `request_id`, trace and span IDs on the record, and
 * every other field as a typed attribute — what the logs SDK built from the same call. Lines
 * that are not JSON objects (nothing the logger writes) give `undefined`.
 */
export function toLogRecord(
  captured: CapturedLine,
  resource: Resource,
  scope: InstrumentationScope,
): ReadableLogRecord | undefined {
  let parsed: unknown;
  try {
    parsed = JSON.parse(captured.line);
  } catch {
    return undefined;
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) return undefined;
  const line = parsed as Record<string, unknown>;

  const event = typeof line.event === 'string' ? line.event : undefined;
  const attributes: Record<string, unknown> = {};
  if (event !== undefined) attributes.event = event;
  if (typeof line.request_id === 'string') attributes['request.id'] = line.request_id;
  let count = Object.keys(attributes).length;
  let dropped = 0;
  for (const key in line) {
    if (NOT_ATTRIBUTES.has(key)) continue;
    if (count < ATTRIBUTE_COUNT_LIMIT) {
      attributes[key] = line[key];
      count++;
    } else dropped++;
  }

  const { trace_id: traceId, span_id: spanId } = line;
  const correlated =
    typeof traceId === 'string' &&
    typeof spanId === 'string' &&
    TRACE_ID.test(traceId) &&
    SPAN_ID.test(spanId);
  if (!correlated) {
    // IDs a logger bound itself that are not W3C IDs stay visible as attributes
    if (traceId !== undefined) attributes.trace_id = traceId;
    if (spanId !== undefined) attributes.span_id = spanId;
  }

  const level = line.level as LineLevel;
  const time = hrTime(captured.timeMs);
  return {
    hrTime: time,
    hrTimeObserved: time,
    severityNumber: OTLP_SEVERITY[level],
    severityText: typeof line.level === 'string' ? line.level : undefined,
    body: line.message as string | undefined,
    eventName: event,
    attributes: attributes as ReadableLogRecord['attributes'],
    droppedAttributesCount: dropped,
    spanContext: correlated
      ? { traceId: traceId as string, spanId: spanId as string, traceFlags: captured.traceFlags }
      : undefined,
    resource,
    instrumentationScope: scope,
  };
}
