import type { Context } from '@opentelemetry/api';
import { trace } from '@opentelemetry/api';
import { getRequestId } from '../context/index.js';
import { activeContext, type HopOptions, hopService, outgoingChain } from '../propagation/hop.js';

/** Seed 002's response fields. */
export interface ResponseTraceFields {
  trace_id: string | null;
  request_id: string | null;
  services_encountered: string[];
}

/** `trace_id`, `request_id` and `services_encountered` (ending with this service) for `ctx`. */
export function responseTraceFields(
  ctx: Context = activeContext(),
  options: HopOptions = {},
): ResponseTraceFields {
  const span = trace.getSpanContext(ctx);
  return {
    trace_id: span !== undefined && trace.isSpanContextValid(span) ? span.traceId : null,
    request_id: getRequestId(ctx) ?? null,
    services_encountered: outgoingChain(ctx, hopService(options)),
  };
}

/**
 * `body` with the trace fields added when it is a plain JSON object; fields the app already set
 * win. Arrays, strings and other values are returned unchanged (adding keys would change their
 * shape).
 */
export function enrichJson<T>(body: T, ctx?: Context, options: HopOptions = {}): T {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return body;
  if (Object.getPrototypeOf(body) !== Object.prototype && Object.getPrototypeOf(body) !== null) {
    return body;
  }
  return { ...responseTraceFields(ctx, options), ...body };
}

interface JsonResponse {
  json: (body: unknown) => unknown;
}

/**
 * Express/Connect middleware: `res.json(body)` answers with the trace fields added (optional
 * seed 002 response enrichment). Mount it after `hopscope()` so the request context is active.
 */
export function enrichJsonResponses(options: HopOptions = {}) {
  return (_req: unknown, res: JsonResponse, next: () => void): void => {
    const original = res.json;
    if (typeof original === 'function') {
      res.json = function enriched(this: unknown, body: unknown) {
        let out = body;
        try {
          out = enrichJson(body, undefined, options);
        } catch {
          out = body;
        }
        return original.call(this, out);
      };
    }
    next();
  };
}

/**
 * A fetch `Response` with the trace fields added to its JSON object body (any fetch runtime:
 * Hono, route handlers, workers). Other responses, streams included, come back unchanged.
 */
export async function enrichJsonResponse(
  response: Response,
  ctx?: Context,
  options: HopOptions = {},
): Promise<Response> {
  try {
    const type = response.headers.get('content-type') ?? '';
    if (!/^application\/(?:[\w.+-]+\+)?json\b/i.test(type) || response.body === null) {
      return response;
    }
    const body: unknown = await response.clone().json();
    const enriched = enrichJson(body, ctx, options);
    if (enriched === body) return response;
    const headers = new Headers(response.headers);
    headers.delete('content-length');
    return new Response(JSON.stringify(enriched), {
      status: response.status,
      statusText: response.statusText,
      headers,
    });
  } catch {
    // a body that is not JSON after all is sent as the app wrote it
    return response;
  }
}

interface HonoLikeContext {
  res: Response;
}

/**
 * Hono middleware: JSON object responses get the trace fields. Mount it after `hopscope()`.
 * Streams and non-JSON responses pass through untouched.
 */
export function enrichJsonHono(options: HopOptions = {}) {
  return async (c: HonoLikeContext, next: () => Promise<void>): Promise<void> => {
    await next();
    const enriched = await enrichJsonResponse(c.res, undefined, options);
    if (enriched !== c.res) c.res = enriched;
  };
}
