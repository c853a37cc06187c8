import { context, SpanKind, trace } from '@opentelemetry/api';
import WebSocket from 'ws';
import { getRequestId } from '../context/index.js';
import { ender } from '../messaging/core.js';
import {
  type HopOptions,
  hopService,
  hopTracer,
  injectHop,
  tracksChain,
} from '../propagation/hop.js';
import { SERVICES_ENCOUNTERED_HEADER } from '../propagation/propagator.js';
import { encodeTraced } from './encode.js';

export interface WsClientOptions extends HopOptions {
  /** Carry `x-services-encountered` on the upgrade. Default: `init()`'s setting. */
  servicesEncountered?: boolean;
  /** Passed to `new WebSocket(url, protocols, options)`; our headers are added to its `headers`. */
  protocols?: string | string[];
  wsOptions?: WebSocket.ClientOptions;
}

/**
 * `new WebSocket(url)` whose upgrade request carries `traceparent`, `x-request-id`,
 * `x-upstream-service` (and opt-in the chain) from a CLIENT span `WS connect <path>` that ends
 * when the socket opens or fails, so the server's connection is a child of the caller's work.
 */
export function connectTraced(url: string | URL, options: WsClientOptions = {}): WebSocket {
  const parent = context.active();
  const target = new URL(String(url));
  const requestId = getRequestId(parent);
  const span = hopTracer(options).startSpan(
    `WS connect ${target.pathname}`,
    {
      kind: SpanKind.CLIENT,
      attributes: {
        'network.protocol.name': 'websocket',
        'url.full': `${target.protocol}//${target.host}${target.pathname}`,
        ...(requestId === undefined ? {} : { 'request.id': requestId }),
      },
    },
    parent,
  );
  const headers: Record<string, string> = {};
  for (const [k, v] of Object.entries(options.wsOptions?.headers ?? {})) headers[k] = String(v);
  const chain = tracksChain(options.servicesEncountered) ? SERVICES_ENCOUNTERED_HEADER : false;
  injectHop(headers, trace.setSpan(parent, span), hopService(options), chain);
  const socket = new WebSocket(target, options.protocols, { ...options.wsOptions, headers });
  const end = ender(span);
  socket.once('open', () => end());
  socket.once('error', (error) => end(error));
  socket.once('unexpected-response', (_req, res) =>
    end(new Error(`WebSocket upgrade answered ${res.statusCode}`)),
  );
  return socket;
}

/**
 * Sends `body` as JSON carrying `metadata.request_id`, `metadata.traceparent` (a PRODUCER span
 * `WS send`), `metadata.source_service` and the chain; the server's `traceConnection` continues
 * them. Non-object data is sent unchanged, without a span.
 */
export function sendTraced(
  socket: WebSocket,
  body: unknown,
  options: HopOptions = {},
  callback?: (error?: Error) => void,
): void {
  if (
    typeof body !== 'object' ||
    body === null ||
    Array.isArray(body) ||
    ArrayBuffer.isView(body)
  ) {
    socket.send(body as string, callback);
    return;
  }
  const parent = context.active();
  const requestId = getRequestId(parent);
  const span = hopTracer(options).startSpan(
    'WS send',
    {
      kind: SpanKind.PRODUCER,
      attributes: {
        'network.protocol.name': 'websocket',
        ...(requestId === undefined ? {} : { 'request.id': requestId }),
      },
    },
    parent,
  );
  const end = ender(span);
  const ctx = trace.setSpan(parent, span);
  let data: ReturnType<typeof encodeTraced>;
  try {
    data = context.with(ctx, () => encodeTraced(body, options));
  } catch (error) {
    end(error);
    throw error;
  }
  socket.send(data, (error) => {
    end(error ?? undefined);
    callback?.(error);
  });
}
