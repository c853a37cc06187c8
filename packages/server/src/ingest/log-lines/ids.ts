/** Request IDs as DESIGN.md accepts them in `x-request-id`. */
const REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;
const TRACE_ID = /^[0-9a-f]{32}$/;
const SPAN_ID = /^[0-9a-f]{16}$/;
const TRACEPARENT = /^([0-9a-f]{2})-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})$/;

export function validRequestId(value: unknown): string | undefined {
  return typeof value === 'string' && REQUEST_ID.test(value) ? value : undefined;
}

/** 32 hex, not all zeros; uppercase and Python OTel's `0x` prefix are accepted and normalised. */
export function validTraceId(value: unknown): string | undefined {
  return validHex(value, TRACE_ID);
}

/** 16 hex, not all zeros. */
export function validSpanId(value: unknown): string | undefined {
  return validHex(value, SPAN_ID);
}

function validHex(value: unknown, shape: RegExp): string | undefined {
  if (typeof value !== 'string') return undefined;
  const hex = value.toLowerCase().replace(/^0x/, '');
  return shape.test(hex) && /[1-9a-f]/.test(hex) ? hex : undefined;
}

export interface TraceParent {
  traceId: string;
  spanId: string;
}

/** A W3C `traceparent` value; version ff and all-zero IDs are invalid per the spec. */
export function parseTraceparent(value: unknown): TraceParent | undefined {
  if (typeof value !== 'string') return undefined;
  const match = TRACEPARENT.exec(value.trim().toLowerCase());
  if (!match || match[1] === 'ff') return undefined;
  const traceId = validTraceId(match[2]);
  const spanId = validSpanId(match[3]);
  return traceId && spanId ? { traceId, spanId } : undefined;
}
