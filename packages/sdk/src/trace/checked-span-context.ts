import type { SpanContext, TraceState } from '@opentelemetry/api';

/**
 * A span context whose trace and span IDs are valid W3C IDs by construction: span IDs drawn from
 * the crypto pool (never all zeros) and a trace ID that is either drawn too or the parent's,
 * already checked by isSpanContextValid. Readers on the hot path (the logger's correlation of
 * every line with its span) test `instanceof` instead of running the two ID regexes again.
 * Otherwise an ordinary span context: the same own fields as the object literal it replaces.
 */
export class CheckedSpanContext implements SpanContext {
  constructor(
    public traceId: string,
    public spanId: string,
    public traceFlags: number,
    public traceState: TraceState | undefined,
  ) {}
}
