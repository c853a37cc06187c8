import { type Context, createContextKey } from '@opentelemetry/api';
import type { RequestIdRejection } from '../context/request-id.js';

/** Why the caller's request ID was replaced (never the raw value: it may be hostile). */
const REQUEST_ID_REJECTED_KEY = createContextKey('hopscope.request_id_rejected');
/** The trace ID received from a remote parent, to tell continued traces from ones born here. */
export const REMOTE_TRACE_ID_KEY = createContextKey('hopscope.remote_trace_id');
/** Set to the remote trace ID when the caller flagged it random (Trace Context Level 2). */
export const REMOTE_RANDOM_TRACE_ID_KEY = createContextKey('hopscope.remote_random_trace_id');

export function getRequestIdRejection(ctx: Context): RequestIdRejection | undefined {
  return ctx.getValue(REQUEST_ID_REJECTED_KEY) as RequestIdRejection | undefined;
}

export function setRequestIdRejection(ctx: Context, reason: RequestIdRejection): Context {
  return ctx.setValue(REQUEST_ID_REJECTED_KEY, reason);
}
