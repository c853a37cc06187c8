export { type Carrier, carrierGetter, carrierSetter, type HeadersLike } from './carrier.js';
export { activePropagator, extract, inject } from './inject-extract.js';
export { getRequestIdRejection } from './keys.js';
export {
  createPropagator,
  HopscopePropagator,
  type PropagatorOptions,
  REQUEST_ID_HEADER,
  SERVICES_ENCOUNTERED_HEADER,
  TRACEPARENT,
  TRACESTATE,
  UPSTREAM_SERVICE_HEADER,
} from './propagator.js';
export {
  addServiceToTrace,
  type ChildTraceOptions,
  createChildTraceContext,
  isValidServiceName,
} from './services.js';
export { formatTraceparent, type ParsedTraceparent, parseTraceparent } from './traceparent.js';
export { parseTracestate, W3CTraceState } from './tracestate.js';
