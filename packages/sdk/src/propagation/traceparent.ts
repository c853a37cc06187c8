import { type SpanContext, TraceFlags } from '@opentelemetry/api';
import { trimOws } from './tracestate.js';

/** Trace Context Level 2 "random" flag: the trace-id's right-most 7 bytes are random. */
export const TRACE_FLAG_RANDOM = 0x02;

const VERSION = /^[0-9a-f]{2}$/;
/** W3C trace/span ID shapes (lowercase hex; all-zero IDs have the shape but are invalid). */
export const TRACE_ID = /^[0-9a-f]{32}$/;
export const SPAN_ID = /^[0-9a-f]{16}$/;
const FLAGS = /^[0-9a-f]{2}$/;
const ZERO_TRACE_ID = '0'.repeat(32);
const ZERO_SPAN_ID = '0'.repeat(16);
/** `00-` + 32 + `-` + 16 + `-` + 2: the fixed part every version starts with. */
const V00_LENGTH = 55;

export function isValidTraceId(id: string): boolean {
  return TRACE_ID.test(id) && id !== ZERO_TRACE_ID;
}

export function isValidSpanId(id: string): boolean {
  return SPAN_ID.test(id) && id !== ZERO_SPAN_ID;
}

export interface ParsedTraceparent {
  traceId: string;
  spanId: string;
  /** All eight flag bits as sent (sampled is bit 0, random bit 1). */
  traceFlags: number;
}

/**
 * Parses a `traceparent` field per W3C Trace Context. Several fields (an array, as Node gives for
 * repeated headers) are invalid: the spec cannot tell which one is right. Versions above 00 are
 * parsed by their 00 prefix when what follows is a `-`, as the spec requires for forward
 * compatibility; version ff is always invalid.
 */
export function parseTraceparent(
  header: string | readonly string[] | undefined,
): ParsedTraceparent | undefined {
  if (header === undefined) return undefined;
  let value: string;
  if (typeof header === 'string') value = header;
  else if (header.length === 1) value = header[0];
  else return undefined;
  value = trimOws(value);
  if (value.length < V00_LENGTH) return undefined;

  const version = value.slice(0, 2);
  if (!VERSION.test(version) || version === 'ff') return undefined;
  if (version === '00' && value.length !== V00_LENGTH) return undefined;
  if (value.length > V00_LENGTH && value[V00_LENGTH] !== '-') return undefined;
  if (value[2] !== '-' || value[35] !== '-' || value[52] !== '-') return undefined;

  const traceId = value.slice(3, 35);
  const spanId = value.slice(36, 52);
  const flags = value.slice(53, 55);
  if (!isValidTraceId(traceId) || !isValidSpanId(spanId)) return undefined;
  if (!FLAGS.test(flags)) return undefined;
  return { traceId, spanId, traceFlags: Number.parseInt(flags, 16) };
}

/** Formats a version-00 `traceparent`; `extraFlags` lets the caller add the random bit. */
export function formatTraceparent(spanContext: SpanContext, extraFlags = 0): string {
  const flags = ((spanContext.traceFlags & TraceFlags.SAMPLED) | extraFlags) & 0xff;
  return `00-${spanContext.traceId}-${spanContext.spanId}-${flags.toString(16).padStart(2, '0')}`;
}
