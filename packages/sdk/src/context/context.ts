import { type Context, context, createContextKey } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';

/**
 * The request ID lives in the OpenTelemetry context rather than a separate AsyncLocalStorage,
 * so it flows wherever spans flow (including through third-party instrumentations) and one
 * `context.with` carries both.
 */
export const REQUEST_ID_KEY = createContextKey('hopscope.request_id');
export const SERVICES_ENCOUNTERED_KEY = createContextKey('hopscope.services_encountered');
export const UPSTREAM_SERVICE_KEY = createContextKey('hopscope.upstream_service');

let contextManagerReady = false;

/**
 * Makes sure an async-aware context manager is registered. Without one, `context.with` is a
 * no-op and request IDs would silently vanish; the SDK must work even before `init()` runs.
 */
export function ensureContextManager(): void {
  if (contextManagerReady) return;
  contextManagerReady = true;
  const probeKey = createContextKey('hopscope.probe');
  const works = context.with(context.active().setValue(probeKey, true), () =>
    context.active().getValue(probeKey),
  );
  if (works === true) return;
  const manager = new AsyncLocalStorageContextManager();
  manager.enable();
  context.setGlobalContextManager(manager);
}

export function getRequestId(ctx: Context = context.active()): string | undefined {
  return ctx.getValue(REQUEST_ID_KEY) as string | undefined;
}

export function setRequestId(ctx: Context, requestId: string): Context {
  return ctx.setValue(REQUEST_ID_KEY, requestId);
}

/** Runs `fn` with `requestId` as the current request ID (sync or async). */
export function runWithRequestId<T>(requestId: string, fn: () => T): T {
  ensureContextManager();
  return context.with(setRequestId(context.active(), requestId), fn);
}

export function getServicesEncountered(ctx: Context = context.active()): readonly string[] {
  return (ctx.getValue(SERVICES_ENCOUNTERED_KEY) as string[] | undefined) ?? [];
}

export function setServicesEncountered(ctx: Context, services: readonly string[]): Context {
  return ctx.setValue(SERVICES_ENCOUNTERED_KEY, Object.freeze([...services]));
}

export function getUpstreamService(ctx: Context = context.active()): string | undefined {
  return ctx.getValue(UPSTREAM_SERVICE_KEY) as string | undefined;
}

export function setUpstreamService(ctx: Context, service: string): Context {
  return ctx.setValue(UPSTREAM_SERVICE_KEY, service);
}
