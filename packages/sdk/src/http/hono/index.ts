import type { IncomingMessage, ServerResponse } from 'node:http';
import { context } from '@opentelemetry/api';
import type { Context as HonoContext, MiddlewareHandler } from 'hono';
import { matchedRoutes } from 'hono/route';
import { REQUEST_ID_HEADER } from '../../propagation/propagator.js';
import { beginNodeRequest } from '../node-exchange.js';
import { type HttpServerOptions, ServerRequest } from '../server-core.js';

export type { HttpServerOptions } from '../server-core.js';

interface NodeBindings {
  incoming?: IncomingMessage;
  outgoing?: ServerResponse;
}

/**
 * Hono middleware: `app.use(hopscope())` first. On @hono/node-server the span ends when the
 * response is fully sent (streams included); on other runtimes when the handler chain returns.
 */
export function hopscope(options: HttpServerOptions = {}): MiddlewareHandler {
  const middleware: MiddlewareHandler = async (c, next) => {
    const env = c.env as NodeBindings | undefined;
    const nodeBacked = env?.incoming !== undefined && typeof env.outgoing?.setHeader === 'function';
    const scope = nodeBacked
      ? beginNodeRequest(env.incoming!, env.outgoing!, options)
      : startFromFetchRequest(c.req.raw, options);
    if (scope === undefined) {
      await next();
      return;
    }
    scope.resolveRouteWith(() => routeOf(c, middleware));
    try {
      await context.with(scope.context, next);
    } catch (error) {
      scope.recordError(error);
      throw error;
    }
    if (c.error !== undefined) scope.recordError(c.error);
    if (!nodeBacked) {
      setResponseHeader(c, scope.requestId);
      scope.end(c.res.status);
    }
  };
  return middleware;
}

function startFromFetchRequest(
  request: Request,
  options: HttpServerOptions,
): ServerRequest | undefined {
  try {
    const url = new URL(request.url);
    return new ServerRequest(
      {
        method: request.method,
        target: url.pathname + url.search,
        headers: request.headers,
        host: url.host,
        scheme: url.protocol === 'https:' ? 'https' : 'http',
        userAgent: request.headers.get('user-agent') ?? undefined,
      },
      options,
    );
  } catch {
    return undefined;
  }
}

function setResponseHeader(c: HonoContext, requestId: string): void {
  try {
    c.res.headers.set(REQUEST_ID_HEADER, requestId);
  } catch {
    // a Response with immutable headers (e.g. straight from fetch): copy it
    c.res = new Response(c.res.body, c.res);
    c.res.headers.set(REQUEST_ID_HEADER, requestId);
  }
}

/** The template of the route that answered; middleware wildcards and 404s have none. */
function routeOf(c: HonoContext, self: MiddlewareHandler): string | undefined {
  const route = matchedRoutes(c)[c.req.routeIndex];
  if (route === undefined || route.handler === self) return undefined;
  if (route.method === 'ALL' && (route.path === '*' || route.path.endsWith('/*'))) return undefined;
  return route.path;
}
