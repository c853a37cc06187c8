export { getTracer, SDK_VERSION, TRACER_NAME } from './tracer.js';
export { recordError, type SpanFn, withSpan } from './with-span.js';
