import { type Context, context, propagation, type TextMapPropagator } from '@opentelemetry/api';
import { ensureContextManager } from '../context/index.js';
import { type Carrier, carrierGetter, carrierSetter } from './carrier.js';
import { createPropagator } from './propagator.js';

let fallback: TextMapPropagator | undefined;

/**
 * The global propagator when one is registered (init() registers Hopscope's), else a default
 * Hopscope propagator, so `inject`/`extract` work before `init()` and in libraries.
 */
export function activePropagator(): TextMapPropagator {
  if (propagation.fields().length > 0) return propagation as unknown as TextMapPropagator;
  fallback ??= createPropagator();
  return fallback;
}

/**
 * Writes every propagated header (trace context, baggage, request ID, upstream service…) for
 * `ctx` into `carrier`: a plain object, fetch `Headers`, a `Map`, or Kafka-style headers.
 * Returns the carrier. Never throws.
 */
export function inject<C extends Carrier>(carrier: C, ctx: Context = context.active()): C {
  try {
    activePropagator().inject(ctx, carrier, carrierSetter);
  } catch {
    // Propagation is best effort: a broken carrier must not fail the caller's request.
  }
  return carrier;
}

/**
 * Reads propagated headers from `carrier` into a context derived from `ctx` (default: the active
 * one). Run work in it with `context.with(extract(headers), fn)`. Never throws.
 */
export function extract(carrier: Carrier, ctx: Context = context.active()): Context {
  ensureContextManager();
  try {
    return activePropagator().extract(ctx, carrier, carrierGetter);
  } catch {
    return ctx;
  }
}
