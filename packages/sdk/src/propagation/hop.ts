import { type Context, context, ROOT_CONTEXT, type Tracer } from '@opentelemetry/api';
import { getConfig, getServiceName } from '../config/index.js';
import {
  ensureContextManager,
  generateRequestId,
  getRequestId,
  getServicesEncountered,
  setRequestId,
  setServicesEncountered,
} from '../context/index.js';
import { getTracer } from '../trace/tracer.js';
import { type Carrier, carrierGetter, carrierSetter } from './carrier.js';
import { extract, inject } from './inject-extract.js';
import { SERVICES_ENCOUNTERED_HEADER, UPSTREAM_SERVICE_HEADER } from './propagator.js';
import { appendService, isValidServiceName, parseServicesEncountered } from './services.js';

/**
 * What every non-HTTP hop (queues, gRPC, WebSockets, payloads) shares: the usual headers from
 * `inject`/`extract`, plus the services-encountered chain computed for the *hop's* service name,
 * which may differ from the process's (one process can host a gateway and a worker).
 */
export interface HopOptions {
  /** This service's name in chains and `producer_service`. Default: the configured service. */
  service?: string;
  /** Default: Hopscope's tracer from the global provider (set up by `init()`). */
  tracer?: Tracer;
}

/** Seed 002's message header names (Kafka, NATS, AMQP headers; payload fields). */
export const SERVICES_ENCOUNTERED_FIELD = 'services_encountered';
export const PRODUCER_SERVICE_FIELD = 'producer_service';

export function hopService(options: HopOptions | undefined): string | undefined {
  const name = options?.service ?? safeConfiguredName();
  return isValidServiceName(name) ? name : undefined;
}

function safeConfiguredName(): string | undefined {
  try {
    return getServiceName();
  } catch {
    return undefined;
  }
}

export function hopTracer(options: HopOptions | undefined): Tracer {
  return options?.tracer ?? getTracer();
}

/** The chain to send from `ctx`: what arrived, with this hop's service appended once. */
export function outgoingChain(ctx: Context, service: string | undefined): string[] {
  return appendService(getServicesEncountered(ctx), service);
}

/**
 * Writes everything a hop carries into `carrier`: trace context, baggage, request ID, upstream
 * service (via `inject`) and the services chain under `chainHeader` (`x-services-encountered` for
 * gRPC/WebSockets, `services_encountered` for messages; `false` leaves the chain to the
 * propagator's own opt-in). Never throws.
 */
export function injectHop<C extends Carrier>(
  carrier: C,
  ctx: Context,
  service: string | undefined,
  chainHeader: string | false = SERVICES_ENCOUNTERED_HEADER,
): C {
  inject(carrier, ctx);
  // the hop's own name, which may differ from the process's (one process, several services)
  if (service !== undefined) carrierSetter.set(carrier, UPSTREAM_SERVICE_HEADER, service);
  if (chainHeader === false) return carrier;
  try {
    const chain = outgoingChain(ctx, service);
    if (chain.length > 0) carrierSetter.set(carrier, chainHeader, chain.join(','));
  } catch {
    // a broken carrier only loses the chain
  }
  return carrier;
}

/**
 * Reads a hop's carrier into a fresh context (never the receiver's active one: a consumer's
 * callback may run inside unrelated work): remote parent, baggage, a request ID (taken when valid,
 * else generated), and the chain from `services_encountered` or `x-services-encountered` with this
 * hop's service appended.
 */
export function extractHop(
  carrier: Carrier | undefined,
  service: string | undefined,
  base: Context = ROOT_CONTEXT,
  chain = true,
): Context {
  ensureContextManager();
  let ctx = carrier === undefined ? base : extract(carrier, base);
  if (getRequestId(ctx) === undefined) ctx = setRequestId(ctx, generateRequestId());
  if (!chain) return ctx;
  let incoming: string[] = [];
  if (carrier !== undefined) {
    try {
      incoming = parseServicesEncountered(
        carrierGetter.get(carrier, SERVICES_ENCOUNTERED_FIELD) ??
          carrierGetter.get(carrier, SERVICES_ENCOUNTERED_HEADER),
      );
    } catch {
      incoming = [];
    }
  }
  return setServicesEncountered(ctx, appendService(incoming, service));
}

/**
 * Whether gRPC and WebSocket hops carry `x-services-encountered`: their own option, else
 * `init({ trackServicesEncountered })` (off by default, as for HTTP). Messages always carry it.
 */
export function tracksChain(option: boolean | undefined): boolean {
  if (option !== undefined) return option;
  try {
    return getConfig().trackServicesEncountered;
  } catch {
    return false;
  }
}

/** The active context, for helpers that default to it. */
export function activeContext(): Context {
  ensureContextManager();
  return context.active();
}
