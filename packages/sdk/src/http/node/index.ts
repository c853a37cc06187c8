import type { IncomingMessage, ServerResponse } from 'node:http';
import { context } from '@opentelemetry/api';
import { beginNodeRequest } from '../node-exchange.js';
import type { HttpServerOptions, ServerRequest } from '../server-core.js';

export type { HttpServerOptions } from '../server-core.js';

export interface NodeHandlerOptions extends HttpServerOptions {
  /** The route template of a request (node:http has no router); names the span. */
  route?: (req: IncomingMessage) => string | undefined;
}

type Handler<Req extends IncomingMessage, Res extends ServerResponse> = (
  req: Req,
  res: Res,
) => unknown;

/**
 * Wraps a node:http request handler: request ID (taken from `x-request-id` or an alias, else
 * generated), continued W3C trace, a server span, `x-request-id` on every response, and the
 * `request_received` / `request_completed` / `request_failed` log lines.
 *
 * A handler that throws or rejects gets a 500 JSON answer carrying the request ID (if it has not
 * answered yet) instead of crashing the process; the error is logged and recorded on the span.
 */
export function withHopscope<
  Req extends IncomingMessage = IncomingMessage,
  Res extends ServerResponse = ServerResponse,
>(handler: Handler<Req, Res>, options: NodeHandlerOptions = {}): (req: Req, res: Res) => void {
  if (typeof handler !== 'function') {
    throw new TypeError('hopscope/http: withHopscope(handler) needs a request handler function');
  }
  return (req, res) => {
    const scope = beginNodeRequest(req, res, options);
    if (scope === undefined) {
      handler(req, res);
      return;
    }
    if (options.route !== undefined) {
      try {
        scope.setRoute(options.route(req));
      } catch {
        // a faulty route function only costs the span its name
      }
    }
    context.with(scope.context, () => {
      try {
        const result = handler(req, res);
        if (isThenable(result)) result.then(undefined, (error) => fail(scope, res, error));
      } catch (error) {
        fail(scope, res, error);
      }
    });
  };
}

function isThenable(v: unknown): v is PromiseLike<unknown> {
  return typeof (v as PromiseLike<unknown> | undefined)?.then === 'function';
}

function fail(scope: ServerRequest, res: ServerResponse, error: unknown): void {
  scope.recordError(error);
  if (!res.headersSent) {
    res.statusCode = 500;
    res.setHeader('content-type', 'application/json');
    res.end(JSON.stringify({ error: 'internal_error', request_id: scope.requestId }));
  } else if (!res.writableEnded) {
    // half-sent: cut the connection so the client sees a failure, not a short success
    res.destroy();
  } else {
    scope.end(res.statusCode);
  }
}

export { beginNodeRequest, infoFromIncoming } from '../node-exchange.js';
export {
  ATTR_REQUEST_ID,
  ATTR_REQUEST_ID_REJECTED,
  ServerRequest,
  type ServerRequestInfo,
  startServerRequest,
} from '../server-core.js';
