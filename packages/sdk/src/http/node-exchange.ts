import type { IncomingMessage, ServerResponse } from 'node:http';
import { context } from '@opentelemetry/api';
import { REQUEST_ID_HEADER } from '../propagation/propagator.js';
import { type HttpServerOptions, ServerRequest, type ServerRequestInfo } from './server-core.js';

export function infoFromIncoming(req: IncomingMessage): ServerRequestInfo {
  const headers = req.headers;
  const encrypted = (req.socket as { encrypted?: boolean } | undefined)?.encrypted === true;
  return {
    method: req.method,
    target: req.url,
    headers,
    lowercaseHeaders: true,
    host: headers.host ?? (headers[':authority'] as string | undefined),
    scheme: encrypted ? 'https' : 'http',
    clientAddress: req.socket?.remoteAddress,
    clientPort: req.socket?.remotePort,
    protocolVersion: req.httpVersion,
    userAgent: headers['user-agent'],
  };
}

/**
 * Starts the shared request lifecycle on a node request/response pair (node:http, Express,
 * Fastify's raw objects, Hono on @hono/node-server): the `x-request-id` response header goes on
 * before the app writes anything, so errors and 404s carry it too, and the span ends when the
 * response is fully sent (streams included) or the connection closes. Returns undefined, leaving
 * the app untouched, if instrumentation itself fails.
 */
export function beginNodeRequest(
  req: IncomingMessage,
  res: ServerResponse,
  options?: HttpServerOptions,
): ServerRequest | undefined {
  let scope: ServerRequest;
  try {
    scope = new ServerRequest(infoFromIncoming(req), options);
  } catch {
    return undefined;
  }
  try {
    if (!res.headersSent) res.setHeader(REQUEST_ID_HEADER, scope.requestId);
    // Body events fire outside the request's async context: every event of the request runs in
    // it, so body parsers (and the handlers they call) see the request ID and span. One wrapper
    // of emit() instead of context.bind(ctx, req), which patches eight methods per request and
    // wraps each listener added later (~4% of a traced request's CPU in a profile). Events
    // nobody listens to (a GET's resume, end and close, mostly) skip entering the context:
    // that was ~6% of the middleware's CPU in the paired bench.
    const emit = req.emit;
    const ctx = scope.context;
    // By arity, not `...args`: a rest array and a spread per event were most of the wrapper's
    // cost; request events carry at most one argument (a chunk, an error).
    req.emit = function (this: IncomingMessage, event: string | symbol, arg?: unknown) {
      // biome-ignore lint/complexity/noArguments: the count only, no rest array per event
      const n = arguments.length;
      if (n > 2) {
        // biome-ignore lint/complexity/noArguments: a rare event with more arguments
        const all = arguments;
        if (this.listenerCount(event) === 0) return Reflect.apply(emit, this, all) as boolean;
        return context.with(ctx, () => Reflect.apply(emit, this, all) as boolean);
      }
      if (this.listenerCount(event) === 0) {
        return n === 1 ? emit.call(this, event) : emit.call(this, event, arg);
      }
      return n === 1
        ? context.with(ctx, emit, this, event)
        : context.with(ctx, emit, this, event, arg);
    } as typeof req.emit;
    // 'close' follows 'finish' for every response (one tick later) and also comes when the
    // connection drops first: one listener covers both, and the span ends once either way
    res.on('close', () => scope.end(res.statusCode, !res.writableFinished));
  } catch {
    // keep whatever part of the instrumentation worked
  }
  return scope;
}
