import { isValidRequestId } from '../context/request-id.js';
import { isValidSpanId, isValidTraceId } from '../propagation/traceparent.js';

/**
 * Who names a log line. The line's own `timestamp`, `level` and `service`, and — inside a
 * request — the context's `request_id`, `trace_id` and `span_id`, always win over user fields of
 * those names (bound with `bind()` or passed to the call): a logger bound in one request and
 * reused in another must never put the first request's ID on the second's lines. A colliding
 * user field is not dropped: it is kept as `user.<key>`, on the line and in the OTLP record.
 * Outside a request a valid user `request_id` (and a valid `trace_id`/`span_id` when no span is
 * active) names the line: that is how a background job labels its work. Precedence for the
 * identity: the context, then bound fields (innermost bind wins), then the call's fields.
 */

/** Prefix of a user field kept beside the line's own field of the same name. */
export const USER_PREFIX = 'user.';

/** The identity keys a user field may supply outside a request. */
export type IdentityKey = 'request_id' | 'trace_id' | 'span_id';

/** Names of the line's own parts that a user field may collide with (event/message are the user's). */
export type LineOwnedKey = IdentityKey | 'level' | 'timestamp' | 'service';

export const LINE_OWNED_KEYS: readonly LineOwnedKey[] = [
  'request_id',
  'trace_id',
  'span_id',
  'level',
  'timestamp',
  'service',
];

/** Keys every line writes itself: the line-owned ones, `event` and `message`. */
export function isLineKey(key: string): boolean {
  return key === 'event' || key === 'message' || isLineOwnedKey(key);
}

/** Keys the line owns; user fields so named go through `userKeyFor`. */
export function isLineOwnedKey(key: string): key is LineOwnedKey {
  switch (key) {
    case 'level':
    case 'timestamp':
    case 'service':
    case 'request_id':
    case 'trace_id':
    case 'span_id':
      return true;
    default:
      return false;
  }
}

/** Whether `value` may name a line as `key` (the shapes the Python package also accepts). */
export function isValidIdentity(key: IdentityKey, value: unknown): value is string {
  if (key === 'request_id') return isValidRequestId(value);
  if (typeof value !== 'string') return false;
  return key === 'trace_id' ? isValidTraceId(value) : isValidSpanId(value);
}

/** What a line already says about its identity, updated as user fields claim parts of it. */
export interface IdentityState {
  /** The active context has a request ID: the request owns all three identity keys. */
  inRequest: boolean;
  /** The active context has a valid span: its trace_id/span_id are on the line. */
  inSpan: boolean;
  requestId: boolean;
  traceId: boolean;
  spanId: boolean;
}

/**
 * The key a user field named like a part of the line is written under: `key` itself when the
 * field names the line (an identity key outside a request, valid and not yet on the line; the
 * state then records it), otherwise `user.<key>`.
 */
export function userKeyFor(key: string, value: unknown, state: IdentityState): string {
  switch (key) {
    case 'request_id':
      if (!state.inRequest && !state.requestId && isValidIdentity(key, value)) {
        state.requestId = true;
        return key;
      }
      break;
    case 'trace_id':
      if (!state.inRequest && !state.inSpan && !state.traceId && isValidIdentity(key, value)) {
        state.traceId = true;
        return key;
      }
      break;
    case 'span_id':
      if (!state.inRequest && !state.inSpan && !state.spanId && isValidIdentity(key, value)) {
        state.spanId = true;
        return key;
      }
      break;
  }
  return USER_PREFIX + key;
}
