import { once } from 'node:events';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { type HopscopeHandle, init, logger } from 'hopscope';
import { tracedFetch } from 'hopscope/fetch';
import { withHopscope } from 'hopscope/http';

/** One instruction of the W3C harness: POST `arguments` (as JSON) to `url`. */
export interface HarnessCall {
  url: string;
  arguments: unknown[];
}

const MAX_BODY = 1024 * 1024;

export class BadRequest extends Error {
  override name = 'BadRequest';
}

/** Validates the harness body: a JSON array of `{ url, arguments }` with http(s) URLs. */
export function parseCalls(body: string): HarnessCall[] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    throw new BadRequest('body must be JSON: an array of {"url": string, "arguments": array}');
  }
  if (!Array.isArray(parsed)) {
    throw new BadRequest('body must be a JSON array of {"url": string, "arguments": array}');
  }
  return parsed.map((item, i) => {
    const call = item as Partial<HarnessCall> | null;
    if (call === null || typeof call !== 'object' || typeof call.url !== 'string') {
      throw new BadRequest(`element ${i}: "url" must be a string`);
    }
    let url: URL;
    try {
      url = new URL(call.url);
    } catch {
      throw new BadRequest(`element ${i}: "url" is not an absolute URL`);
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:') {
      throw new BadRequest(`element ${i}: "url" must be http or https, got ${url.protocol}`);
    }
    if (!Array.isArray(call.arguments)) {
      throw new BadRequest(`element ${i}: "arguments" must be an array`);
    }
    return { url: url.href, arguments: call.arguments };
  });
}

async function readBody(req: IncomingMessage): Promise<string> {
  let size = 0;
  const chunks: Buffer[] = [];
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_BODY) throw new BadRequest(`body larger than ${MAX_BODY} bytes`);
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString('utf8');
}

/**
 * The harness contract: `POST /test` with a JSON array; for each element, POST its `arguments`
 * as JSON to its `url`. Each call is a new client span of the request's trace, so every callback
 * carries the propagated `traceparent`/`tracestate` with a fresh parent-id.
 */
export function createTestServer(): Server {
  return createServer(
    withHopscope(async (req, res) => {
      const path = (req.url ?? '/').split('?')[0];
      if (path !== '/test') {
        res.writeHead(404, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ error: `no route ${path}; the harness contract is POST /test` }));
        return;
      }
      if (req.method !== 'POST') {
        res.writeHead(405, { allow: 'POST', 'content-type': 'application/json' });
        res.end(JSON.stringify({ error: 'POST /test only' }));
        return;
      }
      let calls: HarnessCall[];
      try {
        calls = parseCalls(await readBody(req));
      } catch (error) {
        if (!(error instanceof BadRequest)) throw error;
        res.writeHead(400, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ error: error.message }));
        return;
      }
      const results: Array<{ url: string; status?: number; error?: string }> = [];
      for (const call of calls) {
        try {
          const answer = await tracedFetch(call.url, {
            method: 'POST',
            headers: { 'content-type': 'application/json' },
            body: JSON.stringify(call.arguments),
          });
          await answer.arrayBuffer();
          results.push({ url: call.url, status: answer.status });
        } catch (error) {
          logger.warn('harness_call_failed', { url: call.url, error: (error as Error).message });
          results.push({ url: call.url, error: (error as Error).message });
        }
      }
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify(results));
    }),
  );
}

export interface RunningService {
  url: string;
  handle: HopscopeHandle;
  close(): Promise<void>;
}

/**
 * Starts the SDK and the server. Spans and logs are exported only when an OTLP endpoint is given
 * (OTEL_EXPORTER_OTLP_ENDPOINT or HOPSCOPE_ENDPOINT); the harness needs only the headers.
 */
export async function startTestService(port = 0, host = '127.0.0.1'): Promise<RunningService> {
  const exporting =
    process.env.OTEL_EXPORTER_OTLP_ENDPOINT !== undefined ||
    process.env.HOPSCOPE_ENDPOINT !== undefined;
  const handle = init({
    service: process.env.OTEL_SERVICE_NAME ?? 'w3c-test-service',
    exportTraces: exporting,
    exportLogs: exporting,
  });
  const server = createTestServer();
  server.listen(port, host);
  await once(server, 'listening');
  const address = server.address() as AddressInfo;
  return {
    url: `http://${host}:${address.port}/test`,
    handle,
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
      await handle.shutdown();
    },
  };
}
