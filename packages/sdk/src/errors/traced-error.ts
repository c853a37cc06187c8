import { context, isSpanContextValid, trace } from '@opentelemetry/api';
import { getRequestId } from '../context/index.js';

export interface TracedErrorJSON {
  error: string;
  error_type: string;
  request_id: string | null;
  trace_id: string | null;
  span_id: string | null;
  timestamp: string;
  cause: string | null;
  cause_type: string | null;
}

function describeCause(cause: unknown): { text: string | null; type: string | null } {
  if (cause === undefined || cause === null) return { text: null, type: null };
  if (cause instanceof Error) return { text: cause.message, type: cause.name || 'Error' };
  return { text: String(cause), type: typeof cause };
}

/**
 * An error that remembers where it happened: the request ID, trace and span active when it was
 * created, the time, and the error it wraps (seed 000 FR-7). `toJSON()` gives the fields an
 * error response or a log line wants.
 *
 *   throw new TracedError('Sandbox execution timed out', { cause: err });
 */
export class TracedError extends Error {
  readonly requestId: string | undefined;
  readonly traceId: string | undefined;
  readonly spanId: string | undefined;
  /** ISO 8601 with milliseconds, UTC. */
  readonly timestamp: string;
  /** The wrapped error's name (or the cause's type when it is not an Error). */
  readonly causeType: string | undefined;

  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    const ctx = context.active();
    this.requestId = getRequestId(ctx);
    const span = trace.getSpan(ctx)?.spanContext();
    const valid = span !== undefined && isSpanContextValid(span);
    this.traceId = valid ? span.traceId : undefined;
    this.spanId = valid ? span.spanId : undefined;
    this.timestamp = new Date().toISOString();
    this.causeType = describeCause(options?.cause).type ?? undefined;
  }

  toJSON(): TracedErrorJSON {
    const cause = describeCause(this.cause);
    return {
      error: this.message,
      error_type: this.name,
      request_id: this.requestId ?? null,
      trace_id: this.traceId ?? null,
      span_id: this.spanId ?? null,
      timestamp: this.timestamp,
      cause: cause.text,
      cause_type: cause.type,
    };
  }
}
