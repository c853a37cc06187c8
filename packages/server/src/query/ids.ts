/** What a pasted ID is: a request ID, a trace ID or a W3C traceparent. */

export type ParsedId =
  | { kind: 'request_id'; requestId: string }
  | { kind: 'trace_id'; traceId: string }
  | { kind: 'traceparent'; traceId: string; spanId: string };

const TRACE_ID = /^[0-9a-f]{32}$/;
const TRACEPARENT = /^([0-9a-f]{2})-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})(-.*)?$/;
const REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

export const ID_EXPECTED =
  'a request ID (1-128 of A-Z a-z 0-9 . _ : -), a trace ID (32 hex) or a traceparent (00-<32 hex>-<16 hex>-<2 hex>)';

/** Returns null when the input is none of the three (the caller answers 400). */
export function parseId(raw: string): ParsedId | null {
  const input = raw.trim().replace(/^traceparent\s*[:=]\s*/i, '');
  const lower = input.toLowerCase();
  const tp = TRACEPARENT.exec(lower);
  // Version ff is forbidden by W3C; an all-zero trace or span ID is invalid.
  if (tp && tp[1] !== 'ff' && !/^0+$/.test(tp[2]) && !/^0+$/.test(tp[3])) {
    if (tp[1] !== '00' || tp[5] === undefined) {
      return { kind: 'traceparent', traceId: tp[2], spanId: tp[3] };
    }
  }
  if (TRACE_ID.test(lower) && !/^0+$/.test(lower)) return { kind: 'trace_id', traceId: lower };
  if (REQUEST_ID.test(input)) return { kind: 'request_id', requestId: input };
  return null;
}
