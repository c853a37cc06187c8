export { type DroppedCounts, getDroppedCounts, getExportedCounts } from './drops.js';
export { REQUEST_ID_ATTRIBUTE, RequestIdSpanProcessor } from './request-id-processor.js';
export { buildSampler, RateLimitingSampler } from './sampling.js';
export { type TimedOptions, type Timer, timed } from './timed.js';
export { getTracer, SDK_VERSION, TRACER_NAME } from './tracer.js';
export { recordError, type SpanFn, withSpan } from './with-span.js';
