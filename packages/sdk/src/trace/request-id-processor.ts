import { type Context, trace } from '@opentelemetry/api';
import type { ReadableSpan, Span, SpanProcessor } from '@opentelemetry/sdk-trace-base';
import { getRequestId } from '../context/index.js';

export const REQUEST_ID_ATTRIBUTE = 'request.id';

/**
 * Puts the request ID of the context a span starts in on the span as `request.id` — for every
 * span, including those made by third-party instrumentations that know nothing of Hopscope.
 * When the context has no request ID (an instrumentation that starts spans outside the
 * request's context), the parent span's `request.id` is inherited.
 */
export class RequestIdSpanProcessor implements SpanProcessor {
  onStart(span: Span, parentContext: Context): void {
    let id = getRequestId(parentContext);
    if (id === undefined) {
      const parent = trace.getSpan(parentContext) as Partial<ReadableSpan> | undefined;
      const inherited = parent?.attributes?.[REQUEST_ID_ATTRIBUTE];
      if (typeof inherited === 'string') id = inherited;
    }
    // spans that were started with it (the HTTP middleware's) are left as they are
    if (id !== undefined && span.attributes[REQUEST_ID_ATTRIBUTE] !== id) {
      span.setAttribute(REQUEST_ID_ATTRIBUTE, id);
    }
  }

  onEnd(_span: ReadableSpan): void {}

  forceFlush(): Promise<void> {
    return Promise.resolve();
  }

  shutdown(): Promise<void> {
    return Promise.resolve();
  }
}
