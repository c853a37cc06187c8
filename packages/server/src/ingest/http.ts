import type { IncomingMessage } from 'node:http';
import type { Context } from 'hono';
import { Hono } from 'hono';
import { bearerMatches } from './auth.js';
import {
  BodyBudget,
  BodyTooLargeError,
  decodeContent,
  readBody,
  readIncoming,
  UnsupportedEncodingError,
} from './body.js';
import { IngestInputError, QueueFullError } from './errors.js';
import { type IngestLogsContext, ingestLogLines } from './ndjson.js';
import { type ExportContext, type ExportResult, exportSignal, type Signal } from './otlp/export.js';
import { ExportLogsServiceResponse, ExportTraceServiceResponse, RpcStatus } from './otlp/proto.js';

export interface IngestHttpOptions {
  maxBodyBytes: number;
  /** Request bytes held in memory across all requests; beyond it, 429. Default 256 MB. */
  maxInflightBodyBytes?: number;
  retryAfterSeconds?: number;
  /** When set, every ingest request needs `Authorization: Bearer <token>`. */
  ingestToken?: string;
}

/** gRPC status codes used in OTLP/HTTP error bodies (google.rpc.Status). */
const GRPC = { INVALID_ARGUMENT: 3, RESOURCE_EXHAUSTED: 8, UNAUTHENTICATED: 16, UNAVAILABLE: 14 };

type Encoding = 'json' | 'proto';

/**
 * The request's body: from Node's own request under @hono/node-server (its `incoming`, while
 * nothing has read the web Request's body), else through the web Request (app.request()).
 */
function requestBody(
  c: Context,
  maxBytes: number,
  budget: BodyBudget,
  held: { bytes: number },
): Promise<Buffer> {
  const incoming = (c.env as { incoming?: IncomingMessage } | undefined)?.incoming;
  if (incoming && !incoming.readableDidRead && !incoming.readableEnded) {
    return readIncoming(incoming, maxBytes, budget, held);
  }
  return readBody(c.req.raw.body, maxBytes, budget, held);
}

function encodingOf(contentType: string | undefined): Encoding | undefined {
  const type = (contentType ?? '').split(';')[0]!.trim().toLowerCase();
  if (type === 'application/json') return 'json';
  if (type === 'application/x-protobuf' || type === 'application/protobuf') return 'proto';
  return undefined;
}

/**
 * OTLP/HTTP (`POST /v1/traces`, `/v1/logs`) and NDJSON log lines (`POST /api/ingest/logs`).
 * Every answer follows the OTLP spec: 200 with partial_success, or a google.rpc.Status body in
 * the request's encoding with 400/401/413/415/429/503.
 */
export function createIngestApp(
  ctx: ExportContext & IngestLogsContext,
  options: IngestHttpOptions,
): Hono {
  const app = new Hono();
  const { metrics } = ctx;
  const budget = new BodyBudget(
    options.maxInflightBodyBytes ?? 256 * 1024 * 1024,
    options.retryAfterSeconds ?? 2,
  );

  const otlp = (signal: Signal) => async (c: Context) => {
    const encoding = encodingOf(c.req.header('content-type'));
    const fail = (status: number, grpcCode: number, message: string, headers = {}) => {
      metrics.requests.inc({ protocol: `http/${encoding ?? 'unknown'}`, code: String(status) });
      return statusResponse(encoding ?? 'json', status, grpcCode, message, headers);
    };
    if (options.ingestToken && !bearerMatches(c.req.header('authorization'), options.ingestToken)) {
      return fail(
        401,
        GRPC.UNAUTHENTICATED,
        'missing or wrong ingest token: send Authorization: Bearer <ingest-token>',
        {
          'WWW-Authenticate': 'Bearer realm="hopscope-ingest"',
        },
      );
    }
    if (!encoding) {
      return fail(
        415,
        GRPC.INVALID_ARGUMENT,
        `Content-Type must be application/x-protobuf or application/json, got "${(c.req.header('content-type') ?? '').slice(0, 60)}"`,
      );
    }
    const held = { bytes: 0 };
    try {
      const raw = await requestBody(c, options.maxBodyBytes, budget, held);
      const body = await decodeContent(raw, c.req.header('content-encoding'), options.maxBodyBytes);
      const protocol = encoding === 'proto' ? 'http/protobuf' : 'http/json';
      const result = await exportSignal(ctx, signal, protocol, body);
      metrics.requests.inc({ protocol, code: '200' });
      return successResponse(signal, encoding, result);
    } catch (err) {
      if (err instanceof IngestInputError) return fail(400, GRPC.INVALID_ARGUMENT, err.message);
      if (err instanceof BodyTooLargeError) return fail(413, GRPC.INVALID_ARGUMENT, err.message);
      if (err instanceof UnsupportedEncodingError) {
        return fail(415, GRPC.INVALID_ARGUMENT, err.message);
      }
      if (err instanceof QueueFullError) {
        metrics.rejected.inc({ signal, reason: 'queue_full' });
        return fail(429, GRPC.RESOURCE_EXHAUSTED, err.message, {
          'Retry-After': String(err.retryAfterSeconds),
        });
      }
      metrics.rejected.inc({ signal, reason: 'store_error' });
      return fail(
        503,
        GRPC.UNAVAILABLE,
        `the store could not commit the data: ${err instanceof Error ? err.message : String(err)}`,
        { 'Retry-After': '5' },
      );
    } finally {
      budget.give(held.bytes);
    }
  };

  app.post('/v1/traces', otlp('traces'));
  app.post('/v1/logs', otlp('logs'));

  app.post('/api/ingest/logs', async (c) => {
    const fail = (status: number, code: string, message: string, headers = {}) => {
      metrics.requests.inc({ protocol: 'http/ndjson', code: String(status) });
      return c.json({ error: { status, code, message } }, status as 400, headers);
    };
    if (options.ingestToken && !bearerMatches(c.req.header('authorization'), options.ingestToken)) {
      return fail(
        401,
        'unauthorized',
        'missing or wrong ingest token: send Authorization: Bearer <ingest-token>',
        {
          'WWW-Authenticate': 'Bearer realm="hopscope-ingest"',
        },
      );
    }
    const service = c.req.query('service');
    if (service !== undefined && !/^[\w.:/@-]{1,128}$/.test(service)) {
      return fail(
        400,
        'bad_request',
        'service: expected 1–128 characters of letters, digits, . _ : / @ -',
      );
    }
    const held = { bytes: 0 };
    try {
      const raw = await requestBody(c, options.maxBodyBytes, budget, held);
      const body = await decodeContent(raw, c.req.header('content-encoding'), options.maxBodyBytes);
      const result = await ingestLogLines(ctx, body.toString('utf8'), service);
      metrics.requests.inc({ protocol: 'http/ndjson', code: '200' });
      return c.json(result);
    } catch (err) {
      if (err instanceof IngestInputError) return fail(400, 'bad_request', err.message);
      if (err instanceof BodyTooLargeError) return fail(413, 'bad_request', err.message);
      if (err instanceof UnsupportedEncodingError) return fail(415, 'bad_request', err.message);
      if (err instanceof QueueFullError) {
        metrics.rejected.inc({ signal: 'logs', reason: 'queue_full' });
        return fail(429, 'too_many_requests', err.message, {
          'Retry-After': String(err.retryAfterSeconds),
        });
      }
      metrics.rejected.inc({ signal: 'logs', reason: 'store_error' });
      return fail(503, 'unavailable', `the store could not commit the data: ${String(err)}`, {
        'Retry-After': '5',
      });
    } finally {
      budget.give(held.bytes);
    }
  });

  return app;
}

function successResponse(signal: Signal, encoding: Encoding, r: ExportResult): Response {
  const partial =
    r.rejected > 0
      ? signal === 'traces'
        ? { rejectedSpans: r.rejected, errorMessage: r.errorMessage }
        : { rejectedLogRecords: r.rejected, errorMessage: r.errorMessage }
      : undefined;
  if (encoding === 'json') {
    const body = partial
      ? {
          partialSuccess: {
            ...partial,
            // OTLP/JSON spells int64 as a decimal string.
            ...(signal === 'traces'
              ? { rejectedSpans: String(r.rejected) }
              : { rejectedLogRecords: String(r.rejected) }),
          },
        }
      : {};
    return new Response(JSON.stringify(body), {
      status: 200,
      headers: { 'Content-Type': 'application/json' },
    });
  }
  const type = signal === 'traces' ? ExportTraceServiceResponse : ExportLogsServiceResponse;
  const bytes = type.encode(type.fromObject(partial ? { partialSuccess: partial } : {})).finish();
  return new Response(bytes, {
    status: 200,
    headers: { 'Content-Type': 'application/x-protobuf' },
  });
}

function statusResponse(
  encoding: Encoding,
  status: number,
  code: number,
  message: string,
  headers: Record<string, string>,
): Response {
  if (encoding === 'json') {
    return new Response(JSON.stringify({ code, message }), {
      status,
      headers: { 'Content-Type': 'application/json', ...headers },
    });
  }
  const bytes = RpcStatus.encode(RpcStatus.fromObject({ code, message })).finish();
  return new Response(bytes, {
    status,
    headers: { 'Content-Type': 'application/x-protobuf', ...headers },
  });
}
