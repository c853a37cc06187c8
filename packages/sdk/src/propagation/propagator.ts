import {
  type Context,
  isSpanContextValid,
  type SpanContext,
  type TextMapGetter,
  type TextMapPropagator,
  type TextMapSetter,
  trace,
} from '@opentelemetry/api';
import { isTracingSuppressed, W3CBaggagePropagator } from '@opentelemetry/core';
import { DEFAULT_REQUEST_ID_ALIASES, getServiceName } from '../config/index.js';
import {
  acceptRequestId,
  getRequestId,
  getServicesEncountered,
  setRequestId,
  setServicesEncountered,
  setUpstreamService,
} from '../context/index.js';
import { REMOTE_RANDOM_TRACE_ID_KEY, REMOTE_TRACE_ID_KEY, setRequestIdRejection } from './keys.js';
import { appendService, isValidServiceName, parseServicesEncountered } from './services.js';
import { formatTraceparent, parseTraceparent, TRACE_FLAG_RANDOM } from './traceparent.js';
import { parseTracestate, trimOws } from './tracestate.js';

export const TRACEPARENT = 'traceparent';
export const TRACESTATE = 'tracestate';
export const REQUEST_ID_HEADER = 'x-request-id';
export const UPSTREAM_SERVICE_HEADER = 'x-upstream-service';
export const SERVICES_ENCOUNTERED_HEADER = 'x-services-encountered';

export interface PropagatorOptions {
  /**
   * This service's name, sent as `x-upstream-service` and appended to `x-services-encountered`.
   * A function is read at each injection (the name may be configured after the propagator is
   * built). Default: the configured service name (`init()`, else OTEL_SERVICE_NAME).
   */
  service?: string | (() => string | undefined);
  /**
   * Other headers an incoming request ID is taken from, in order, when `x-request-id` is absent.
   * Default: `x-correlation-id`, `x-trace-id`.
   */
  requestIdAliases?: readonly string[];
  /** Read, extend and forward `x-services-encountered` (seed 002). Off by default. */
  servicesEncountered?: boolean;
  /** Propagate W3C `baggage`. On by default. */
  baggage?: boolean;
  /**
   * Mark traces started here with the Trace Context Level 2 random flag. True by default: the
   * OpenTelemetry SDK's ID generator draws trace IDs at random. Turn off with a custom, non-random
   * ID generator.
   */
  randomTraceIds?: boolean;
}

/**
 * One propagator for everything Hopscope carries across a hop: W3C `traceparent`/`tracestate`
 * (to the letter of the spec, including the cases the OTel JS propagator gets wrong), W3C
 * `baggage`, the request ID with its aliases (validated, bad ones replaced and the reason kept in
 * the context), `x-upstream-service` and, opt-in, `x-services-encountered`.
 */
export class HopscopePropagator implements TextMapPropagator {
  private readonly serviceName: () => string | undefined;
  private readonly requestIdHeaders: readonly string[];
  private readonly servicesEncountered: boolean;
  private readonly baggage?: W3CBaggagePropagator;
  private readonly randomTraceIds: boolean;

  constructor(options: PropagatorOptions = {}) {
    const service = options.service;
    this.serviceName =
      typeof service === 'function'
        ? service
        : typeof service === 'string'
          ? () => service
          : getServiceName;
    const aliases = (options.requestIdAliases ?? DEFAULT_REQUEST_ID_ALIASES).map((h) =>
      h.toLowerCase(),
    );
    this.requestIdHeaders = [REQUEST_ID_HEADER, ...aliases.filter((h) => h !== REQUEST_ID_HEADER)];
    this.servicesEncountered = options.servicesEncountered === true;
    if (options.baggage !== false) this.baggage = new W3CBaggagePropagator();
    this.randomTraceIds = options.randomTraceIds !== false;
  }

  inject(ctx: Context, carrier: unknown, setter: TextMapSetter): void {
    const spanContext = trace.getSpanContext(ctx);
    if (spanContext && isSpanContextValid(spanContext) && !isTracingSuppressed(ctx)) {
      setter.set(
        carrier,
        TRACEPARENT,
        formatTraceparent(spanContext, this.randomFlag(ctx, spanContext)),
      );
      const state = spanContext.traceState?.serialize();
      if (state) setter.set(carrier, TRACESTATE, state);
    }
    this.baggage?.inject(ctx, carrier, setter);

    const requestId = getRequestId(ctx);
    if (requestId !== undefined) setter.set(carrier, REQUEST_ID_HEADER, requestId);
    const service = safeServiceName(this.serviceName);
    if (service !== undefined) setter.set(carrier, UPSTREAM_SERVICE_HEADER, service);
    if (this.servicesEncountered) {
      const chain = appendService(getServicesEncountered(ctx), service);
      if (chain.length > 0) setter.set(carrier, SERVICES_ENCOUNTERED_HEADER, chain.join(','));
    }
  }

  extract(ctx: Context, carrier: unknown, getter: TextMapGetter): Context {
    let out = ctx;
    const parent = parseTraceparent(getter.get(carrier, TRACEPARENT));
    if (parent !== undefined) {
      // The spec lets tracestate fail on its own without affecting traceparent.
      const state = parseTracestate(getter.get(carrier, TRACESTATE));
      out = trace.setSpanContext(out, {
        traceId: parent.traceId,
        spanId: parent.spanId,
        traceFlags: parent.traceFlags,
        isRemote: true,
        traceState: state !== undefined && state.size > 0 ? state : undefined,
      });
      out = out.setValue(REMOTE_TRACE_ID_KEY, parent.traceId);
      if (parent.traceFlags & TRACE_FLAG_RANDOM) {
        out = out.setValue(REMOTE_RANDOM_TRACE_ID_KEY, parent.traceId);
      }
    }
    if (this.baggage) out = this.baggage.extract(out, carrier, getter);

    for (const header of this.requestIdHeaders) {
      const raw = getter.get(carrier, header);
      if (raw === undefined) continue;
      // Repeated headers are joined, and a joined value is never a valid ID: replaced, not guessed.
      const accepted = acceptRequestId(trimOws(typeof raw === 'string' ? raw : raw.join(',')));
      out = setRequestId(out, accepted.id);
      if (accepted.rejected !== undefined) out = setRequestIdRejection(out, accepted.rejected);
      break;
    }

    const upstream = getter.get(carrier, UPSTREAM_SERVICE_HEADER);
    const upstreamName = typeof upstream === 'string' ? trimOws(upstream) : undefined;
    if (isValidServiceName(upstreamName)) out = setUpstreamService(out, upstreamName);

    if (this.servicesEncountered) {
      const incoming = parseServicesEncountered(getter.get(carrier, SERVICES_ENCOUNTERED_HEADER));
      const chain = appendService(incoming, safeServiceName(this.serviceName));
      if (chain.length > 0) out = setServicesEncountered(out, chain);
    }
    return out;
  }

  fields(): string[] {
    const fields = [TRACEPARENT, TRACESTATE, REQUEST_ID_HEADER, UPSTREAM_SERVICE_HEADER];
    if (this.baggage) fields.push('baggage');
    if (this.servicesEncountered) fields.push(SERVICES_ENCOUNTERED_HEADER);
    return fields;
  }

  /** The random bit to add: kept from a random parent, or set for a trace born here. */
  private randomFlag(ctx: Context, spanContext: SpanContext): number {
    if (spanContext.traceFlags & TRACE_FLAG_RANDOM) return TRACE_FLAG_RANDOM;
    if (ctx.getValue(REMOTE_RANDOM_TRACE_ID_KEY) === spanContext.traceId) return TRACE_FLAG_RANDOM;
    const bornHere =
      !spanContext.isRemote && ctx.getValue(REMOTE_TRACE_ID_KEY) !== spanContext.traceId;
    return this.randomTraceIds && bornHere ? TRACE_FLAG_RANDOM : 0;
  }
}

/** A user-supplied name function must not break propagation, nor put a bad value in a header. */
function safeServiceName(fn: () => string | undefined): string | undefined {
  try {
    const name = fn();
    // OpenTelemetry's placeholder for an unnamed service says nothing to the next hop
    if (!isValidServiceName(name) || name.startsWith('unknown_service')) return undefined;
    return name;
  } catch {
    return undefined;
  }
}

export function createPropagator(options: PropagatorOptions = {}): HopscopePropagator {
  return new HopscopePropagator(options);
}
