import type { IncomingMessage, ServerResponse } from 'node:http';
import { context } from '@opentelemetry/api';
import { beginNodeRequest } from '../node-exchange.js';
import type { HttpServerOptions, ServerRequest } from '../server-core.js';

export type { HttpServerOptions } from '../server-core.js';

const SCOPE = Symbol.for('hopscope.server_request');

/** The parts of Express's request we read; typed structurally so express stays optional. */
interface ExpressRequest extends IncomingMessage {
  baseUrl?: string;
  route?: { path?: unknown };
  [SCOPE]?: ServerRequest;
}
type Next = (error?: unknown) => void;

/**
 * Express middleware (Express 4 and 5). Mount it first: `app.use(hopscope())`. Gives every
 * request an ID (echoed as `x-request-id`, also on 404s and errors), a server span named by the
 * route template, and the request log lines. Add `app.use(hopscopeErrors())` after your routes so
 * thrown errors are logged as `request_failed` with their message and type.
 */
export function hopscope(
  options: HttpServerOptions = {},
): (req: IncomingMessage, res: ServerResponse, next: Next) => void {
  return (req, res, next) => {
    const scope = beginNodeRequest(req, res, options);
    if (scope === undefined) {
      next();
      return;
    }
    const request = req as ExpressRequest;
    request[SCOPE] = scope;
    // The route is known only once a router matched; read it when the response is done.
    scope.resolveRouteWith(() => routeOf(request));
    context.with(scope.context, next);
  };
}

/**
 * Error-handling middleware: records the error on the request's span and log line, then passes it
 * on unchanged to your handlers (or Express's default 500).
 */
export function hopscopeErrors(): (
  error: unknown,
  req: IncomingMessage,
  res: ServerResponse,
  next: Next,
) => void {
  return (error, req, _res, next) => {
    (req as ExpressRequest)[SCOPE]?.recordError(error);
    next(error);
  };
}

/** The scope of an Express request, for code that needs the span or request ID directly. */
export function getServerRequest(req: IncomingMessage): ServerRequest | undefined {
  return (req as ExpressRequest)[SCOPE];
}

function routeOf(req: ExpressRequest): string | undefined {
  const path = req.route?.path;
  if (path === undefined) return undefined;
  const route = typeof path === 'string' ? path : String(path);
  return `${req.baseUrl ?? ''}${route}` || '/';
}
