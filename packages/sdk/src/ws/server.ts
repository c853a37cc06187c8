import type { IncomingMessage } from 'node:http';
import {
  type Attributes,
  type Context,
  context,
  type Link,
  type Span,
  SpanKind,
  trace,
} from '@opentelemetry/api';
import type WebSocket from 'ws';
import {
  generateRequestId,
  getRequestId,
  getServicesEncountered,
  isValidRequestId,
  setRequestId,
  setServicesEncountered,
} from '../context/index.js';
import { infoFromIncoming } from '../http/node-exchange.js';
import { describeError, type HttpServerOptions, ServerRequest } from '../http/server-core.js';
import { logger as defaultLogger, type HopscopeLogger } from '../log/index.js';
import { ender, runInSpan } from '../messaging/core.js';
import { parseObject } from '../messaging/payload-fields.js';
import { traceMetadataFrom } from '../payload/metadata.js';
import {
  extractHop,
  type HopOptions,
  hopService,
  hopTracer,
  tracksChain,
} from '../propagation/hop.js';
import { appendService } from '../propagation/services.js';
import { encodeTraced } from './encode.js';

export interface WsServerOptions extends HopOptions, Pick<HttpServerOptions, 'propagator'> {
  /** Where the upgrade and per-message log lines go. Default: `logger`. */
  logger?: HopscopeLogger;
  /** Log `websocket_message_completed` / `_failed` per message. Default true. */
  logMessages?: boolean;
  /** Carry the chain from the upgrade's `x-services-encountered`. Default: `init()`'s setting. */
  servicesEncountered?: boolean;
}

/** One incoming message as a handler sees it. */
export interface WsMessage {
  data: WebSocket.RawData;
  isBinary: boolean;
  /** The parsed JSON object when the message is one (its `metadata` included), else undefined. */
  json: Record<string, unknown> | undefined;
}

export type WsMessageHandler = (message: WsMessage, ctx: Context, span: Span) => unknown;

/** A connection whose upgrade request is the parent of everything done on it. */
export interface TracedConnection {
  readonly socket: WebSocket;
  /** The upgrade request's ID (each message gets its own). */
  readonly requestId: string;
  /** The upgrade's context: its span, request ID and chain. */
  readonly context: Context;
  /** Handles each message in a child span with its own request ID (or the message's). */
  onMessage(handler: WsMessageHandler): void;
  /** Sends an object as JSON with trace metadata for the active context; other data as is. */
  send(body: unknown, callback?: (error?: Error) => void): void;
}

/**
 * Instruments a `ws` connection (call it in `wss.on('connection', (ws, req) => …)`): the upgrade
 * request gets a SERVER span and a request ID like any HTTP request (the shared server core),
 * and becomes the connection's parent. Each message gets a SERVER span `WS <path>`: a child of
 * the message's own `metadata.traceparent` when it carries one (linked to the connection), else
 * of the connection; with the message's request ID (`metadata.request_id` or `request_id`) or a
 * fresh one, so one long-lived socket does not fold many requests into one ID.
 */
export function traceConnection(
  socket: WebSocket,
  req: IncomingMessage,
  options: WsServerOptions = {},
): TracedConnection {
  if (typeof (socket as { on?: unknown } | undefined)?.on !== 'function') {
    throw new TypeError('hopscope/ws: traceConnection(ws, req) needs the ws WebSocket');
  }
  if (typeof (req as { headers?: unknown } | undefined)?.headers !== 'object') {
    throw new TypeError(
      "hopscope/ws: traceConnection(ws, req) needs the upgrade request (wss.on('connection', (ws, req) => …))",
    );
  }
  const log = options.logMessages === false ? undefined : (options.logger ?? defaultLogger);
  const service = hopService(options);
  const chainOn = tracksChain(options.servicesEncountered);
  let upgrade: ServerRequest | undefined;
  let connection: Context;
  let path = '/';
  try {
    upgrade = new ServerRequest(infoFromIncoming(req), {
      logger: options.logger,
      tracer: hopTracer(options),
      propagator: options.propagator,
    });
    path = upgrade.path;
    upgrade.span.setAttribute('network.protocol.name', 'websocket');
    connection = upgrade.context;
    if (chainOn) {
      const chain = getServicesEncountered(extractHop(req.headers, service));
      connection = setServicesEncountered(connection, chain);
    }
    upgrade.end(101);
  } catch {
    connection = extractHop(req.headers, service);
  }
  const connectionSpan = trace.getSpanContext(connection);
  const connectionRequestId = getRequestId(connection) ?? generateRequestId();

  const messageContext = (
    json: Record<string, unknown> | undefined,
  ): { parent: Context; links: Link[] } => {
    const meta = traceMetadataFrom(json);
    const topLevel = isValidRequestId(json?.request_id) ? json.request_id : undefined;
    const own = meta.requestId ?? topLevel ?? generateRequestId();
    if (meta.traceparent !== null) {
      const links = connectionSpan === undefined ? [] : [{ context: connectionSpan }];
      return { parent: setRequestId(meta.toContext({ service }), own), links };
    }
    let parent = setRequestId(connection, own);
    if (meta.servicesEncountered.length > 0) {
      parent = setServicesEncountered(parent, appendService(meta.servicesEncountered, service));
    }
    return { parent, links: [] };
  };

  const handle = (handler: WsMessageHandler, data: WebSocket.RawData, isBinary: boolean) => {
    const started = performance.now();
    const json = isBinary ? undefined : parseObject(rawToBytes(data));
    const { parent, links } = messageContext(json);
    const requestId = getRequestId(parent) ?? '';
    const attributes: Attributes = {
      'request.id': requestId,
      'network.protocol.name': 'websocket',
      'url.path': path,
      'websocket.connection.request_id': connectionRequestId,
      'messaging.message.body.size': rawSize(data),
    };
    const chain = getServicesEncountered(parent);
    if (chain.length > 0) attributes['services.encountered'] = [...chain];
    const span = hopTracer(options).startSpan(
      `WS ${path}`,
      { kind: SpanKind.SERVER, attributes, links },
      parent,
    );
    const ctx = trace.setSpan(parent, span);
    const end = ender(span);
    const finish = (error?: unknown) => {
      end(error);
      const fields = { path, duration_ms: Math.round((performance.now() - started) * 100) / 100 };
      context.with(ctx, () => {
        if (error === undefined) log?.info('websocket_message_completed', fields);
        else {
          const { message, type } = describeError(error);
          log?.error('websocket_message_failed', { ...fields, error: message, error_type: type });
        }
      });
    };
    try {
      const result = runInSpan(finish, ctx, () => handler({ data, isBinary, json }, ctx, span));
      if (typeof (result as PromiseLike<unknown> | undefined)?.then === 'function') {
        (result as PromiseLike<unknown>).then(undefined, () => {
          // recorded and logged by finish(); a handler's rejection must not crash the server
        });
      }
    } catch {
      // recorded and logged by finish()
    }
  };

  return {
    socket,
    requestId: connectionRequestId,
    context: connection,
    onMessage(handler) {
      if (typeof handler !== 'function') {
        throw new TypeError('hopscope/ws: onMessage(handler) needs a function');
      }
      socket.on('message', (data, isBinary) => handle(handler, data, isBinary));
    },
    send(body, callback) {
      socket.send(encodeTraced(body, { service, tracer: options.tracer }), callback);
    },
  };
}

function rawToBytes(data: WebSocket.RawData): Uint8Array {
  if (Array.isArray(data)) return Buffer.concat(data);
  if (data instanceof ArrayBuffer) return new Uint8Array(data);
  return data;
}

function rawSize(data: WebSocket.RawData): number {
  if (Array.isArray(data)) return data.reduce((n, b) => n + b.byteLength, 0);
  return data.byteLength;
}
