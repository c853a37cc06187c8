import { type Context, context, ROOT_CONTEXT } from '@opentelemetry/api';
import {
  acceptRequestId,
  ensureContextManager,
  getServicesEncountered,
  setRequestId,
  setServicesEncountered,
} from '../context/index.js';

/** Service names accepted from headers: short, and safe to print and to put back in a header. */
const SERVICE_NAME = /^[A-Za-z0-9._:/@-]{1,128}$/;
/** Longer chains are cut from the front: the most recent hops matter most when debugging. */
export const MAX_SERVICES_ENCOUNTERED = 64;

export function isValidServiceName(name: unknown): name is string {
  return typeof name === 'string' && SERVICE_NAME.test(name);
}

/** Parses a comma list of service names, dropping entries that are not valid names. */
export function parseServicesEncountered(header: string | readonly string[] | undefined): string[] {
  if (header === undefined) return [];
  const combined = typeof header === 'string' ? header : header.join(',');
  const names: string[] = [];
  for (const raw of combined.split(',')) {
    const name = raw.trim();
    if (isValidServiceName(name)) names.push(name);
  }
  return names.slice(-MAX_SERVICES_ENCOUNTERED);
}

/** `services` with `service` appended, unless it is already the last hop (no self-loops). */
export function appendService(services: readonly string[], service: string | undefined): string[] {
  if (!isValidServiceName(service) || services[services.length - 1] === service) {
    return [...services];
  }
  return [...services, service].slice(-MAX_SERVICES_ENCOUNTERED);
}

/**
 * Seed 002's `add_service_to_trace`: a context whose services-encountered chain ends with
 * `service`. Use it with `context.with(...)`; contexts are immutable.
 */
export function addServiceToTrace(service: string, ctx: Context = context.active()): Context {
  return setServicesEncountered(ctx, appendService(getServicesEncountered(ctx), service));
}

export interface ChildTraceOptions {
  /** The chain the child starts with (seed 002 seeds websocket work with `['websocket-audio']`). */
  services?: readonly string[];
  /** Defaults to a fresh `req_` ID; an invalid one is replaced by a fresh one. */
  requestId?: string;
}

/**
 * Seed 002's `create_child_trace_context`: a context for work that did not arrive through a
 * propagating transport (a WebSocket frame, a timer). It has no parent span, so the next span
 * starts a new trace, and carries its own request ID and service chain.
 */
export function createChildTraceContext(options: ChildTraceOptions = {}): Context {
  ensureContextManager();
  const services = (options.services ?? []).filter(isValidServiceName);
  return setServicesEncountered(
    setRequestId(ROOT_CONTEXT, acceptRequestId(options.requestId).id),
    services.slice(-MAX_SERVICES_ENCOUNTERED),
  );
}

export { getServicesEncountered };
