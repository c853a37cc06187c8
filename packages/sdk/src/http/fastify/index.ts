import { context } from '@opentelemetry/api';
import type { FastifyPluginCallback, FastifyRequest } from 'fastify';
import { REQUEST_ID_HEADER } from '../../propagation/propagator.js';
import { beginNodeRequest } from '../node-exchange.js';
import type { HttpServerOptions, ServerRequest } from '../server-core.js';

export type { HttpServerOptions } from '../server-core.js';

const SCOPE = Symbol.for('hopscope.server_request');
type ScopedRequest = FastifyRequest & { [SCOPE]?: ServerRequest };

const plugin: FastifyPluginCallback<HttpServerOptions> = (fastify, options, done) => {
  fastify.addHook('onRequest', (request, reply, next) => {
    const scope = beginNodeRequest(request.raw, reply.raw, options);
    if (scope === undefined) {
      next();
      return;
    }
    (request as ScopedRequest)[SCOPE] = scope;
    reply.header(REQUEST_ID_HEADER, scope.requestId);
    // routeOptions.url is the route template (`/users/:id`); absent for 404s.
    scope.resolveRouteWith(() => request.routeOptions?.url);
    context.with(scope.context, next);
  });
  fastify.addHook('onError', (request, _reply, error, next) => {
    (request as ScopedRequest)[SCOPE]?.recordError(error);
    next();
  });
  done();
};

// What fastify-plugin does: hooks apply to the whole app, not just an encapsulated child.
Object.assign(plugin, {
  [Symbol.for('skip-override')]: true,
  [Symbol.for('fastify.display-name')]: 'hopscope',
});

/**
 * Fastify plugin: `await app.register(hopscope, options)` before your routes. Request ID (echoed
 * as `x-request-id` on every reply, 404s and errors included), continued W3C trace, a server span
 * named by the route template, and the request log lines.
 */
export const hopscope = plugin;

/** The scope of a Fastify request, for code that needs the span or request ID directly. */
export function getServerRequest(request: FastifyRequest): ServerRequest | undefined {
  return (request as ScopedRequest)[SCOPE];
}
