export {
  createTracedFetch,
  REQUEST_ID_HEADER,
  SERVICES_ENCOUNTERED_HEADER,
  TRACEPARENT_HEADER,
  type TracedFetchOptions,
  type TracedRequest,
  type TracedResponse,
  tracedFetch,
  UPSTREAM_SERVICE_HEADER,
} from './fetch.js';
export {
  generateRequestId,
  generateSpanId,
  generateTraceId,
  isValidRequestId,
  newTraceparent,
  traceIdOf,
} from './ids.js';
