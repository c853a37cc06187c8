import { type Context, ROOT_CONTEXT } from '@opentelemetry/api';
import { getRequestId, isValidRequestId } from '../context/index.js';
import {
  activeContext,
  extractHop,
  type HopOptions,
  hopService,
  outgoingChain,
} from '../propagation/hop.js';
import { inject } from '../propagation/inject-extract.js';
import { isValidServiceName, parseServicesEncountered } from '../propagation/services.js';
import { formatTraceparent, parseTraceparent } from '../propagation/traceparent.js';

/**
 * Trace metadata inside JSON bodies (seed 000 FR-4), for hops that carry no headers: sandboxes,
 * agents, job records, WebSocket frames. Field names match the Python package
 * (`hopscope.with_trace_metadata`): `metadata.request_id`, `metadata.source_service`,
 * `metadata.traceparent`; Hopscope adds `metadata.services_encountered` (Python ignores it).
 */
export interface TraceMetadata {
  request_id: string | null;
  source_service: string | null;
  traceparent: string | null;
  services_encountered?: string[];
}

export interface TraceMetadataOptions extends HopOptions {
  /** Default: the active context. */
  context?: Context;
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/**
 * A copy of `body` whose `metadata` carries the current request ID, this service's name, the
 * active span as `traceparent` and the services chain. Existing metadata keys are kept; `body`
 * is not modified. Throws a TypeError for a non-object body or non-object `metadata`.
 */
export function withTraceMetadata<B extends object>(
  body: B,
  options: TraceMetadataOptions = {},
): B & { metadata: TraceMetadata & Record<string, unknown> } {
  if (!isPlainObject(body)) {
    throw new TypeError(
      `hopscope: withTraceMetadata(body) expects a plain object body, got ${Array.isArray(body) ? 'array' : typeof body}`,
    );
  }
  const existing = (body as Record<string, unknown>).metadata;
  if (existing !== undefined && existing !== null && !isPlainObject(existing)) {
    throw new TypeError(
      `hopscope: body.metadata must be an object to carry trace metadata, got ${Array.isArray(existing) ? 'array' : typeof existing}`,
    );
  }
  return { ...body, metadata: { ...existing, ...traceMetadata(options) } };
}

/** The metadata fields alone, for bodies built elsewhere. */
export function traceMetadata(options: TraceMetadataOptions = {}): TraceMetadata {
  const ctx = options.context ?? activeContext();
  const service = hopService(options);
  // the propagator writes traceparent exactly as it would for a header (random flag included)
  const headers = inject({} as Record<string, string>, ctx);
  const chain = outgoingChain(ctx, service);
  return {
    request_id: getRequestId(ctx) ?? null,
    source_service: service ?? null,
    traceparent: headers.traceparent ?? null,
    ...(chain.length > 0 ? { services_encountered: chain } : {}),
  };
}

/** What `traceMetadataFrom` found: every field validated, invalid or missing ones null. */
export interface ReceivedTraceMetadata {
  requestId: string | null;
  sourceService: string | null;
  traceparent: string | null;
  servicesEncountered: string[];
  /**
   * A context continuing the sender's trace (as remote parent), request ID (or a fresh one) and
   * chain with `service` appended; run the receiving work in it with `context.with`.
   */
  toContext(options?: HopOptions & { base?: Context }): Context;
}

/** Reads and validates `body.metadata` (hostile values are dropped, never echoed). */
export function traceMetadataFrom(body: unknown): ReceivedTraceMetadata {
  const metadata = isPlainObject(body) && isPlainObject(body.metadata) ? body.metadata : {};
  const requestId = isValidRequestId(metadata.request_id) ? metadata.request_id : null;
  const source = isValidServiceName(metadata.source_service) ? metadata.source_service : null;
  const parsed =
    typeof metadata.traceparent === 'string' ? parseTraceparent(metadata.traceparent) : undefined;
  const traceparent =
    parsed === undefined
      ? null
      : formatTraceparent({ ...parsed, isRemote: true }, parsed.traceFlags & 0x02);
  const chain = Array.isArray(metadata.services_encountered)
    ? parseServicesEncountered(
        metadata.services_encountered.filter((s): s is string => typeof s === 'string'),
      )
    : [];
  return {
    requestId,
    sourceService: source,
    traceparent,
    servicesEncountered: chain,
    toContext(options = {}) {
      const carrier: Record<string, string> = {};
      if (traceparent !== null) carrier.traceparent = traceparent;
      if (requestId !== null) carrier['x-request-id'] = requestId;
      if (source !== null) carrier['x-upstream-service'] = source;
      if (chain.length > 0) carrier['x-services-encountered'] = chain.join(',');
      return extractHop(carrier, hopService(options), options.base ?? ROOT_CONTEXT);
    },
  };
}
