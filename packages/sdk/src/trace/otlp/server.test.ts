import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type ServerHandle, startServer } from '@hopscope/server';
import { SpanStatusCode, trace } from '@opentelemetry/api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { withHopscope } from '../../http/node/index.js';
import { init } from '../../init.js';
import { withSpan } from '../with-span.js';

interface StoredSpan {
  trace_id: string;
  span_id: string;
  parent_span_id: string | null;
  name: string;
  kind: string;
  service: string;
  status: string;
  status_message: string | null;
  request_id: string | null;
  attributes: Record<string, unknown>;
  resource: Record<string, unknown>;
  scope: { name: string | null; version: string | null };
  events: { name: string; attributes?: Record<string, unknown> }[];
}

/**
 * End to end: spans of a request served through the node:http middleware — the server span,
 * a Hopscope span and a span of a tracer that knows nothing of Hopscope — exported by init()'s
 * span processor to a real Hopscope server (DuckDB in a temp dir) and read back by request ID.
 */
describe('spans reach a Hopscope server over OTLP', () => {
  let server: ServerHandle;
  let dataDir: string;

  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'hopscope-sdk-spans-'));
    server = await startServer({ port: 0, grpcPort: false, dataDir });
  });

  afterAll(async () => {
    await server?.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('stores every span with its request ID, parent, status, events and resource', async () => {
    const handle = init({
      service: 'e2e-spans',
      version: '4.2.0',
      environment: 'test',
      endpoint: server.url,
      exportLogs: false,
      exportDelayMs: 20,
    });
    const app = createServer(
      withHopscope(
        async (_req, res) => {
          await withSpan('plan', { 'plan.steps': 3, 'plan.tags': ['a', 'b'] }, async (span) => {
            span.addEvent('step_done', { step: 1 });
            const foreign = trace.getTracer('third-party', '9.9.9').startSpan('SELECT users');
            foreign.setStatus({ code: SpanStatusCode.ERROR, message: 'timeout' });
            foreign.end();
          });
          res.end('ok');
        },
        { logRequests: false },
      ),
    );
    await new Promise<void>((r) => app.listen(0, '127.0.0.1', r));
    const requestId = `req_${Date.now().toString(16).slice(-12).padStart(12, '0')}`;
    try {
      const res = await fetch(`http://127.0.0.1:${(app.address() as AddressInfo).port}/plans`, {
        headers: { 'x-request-id': requestId },
      });
      expect(res.status).toBe(200);
      await res.text();
    } finally {
      app.close();
    }
    await handle.shutdown();

    const spans = await poll(server.url, requestId, 3);
    const byName = new Map(spans.map((s) => [s.name, s]));
    const root = byName.get('GET');
    const plan = byName.get('plan');
    const foreign = byName.get('SELECT users');
    expect(root?.kind).toBe('server');
    expect(root?.parent_span_id).toBeNull();
    expect(root?.attributes).toMatchObject({
      'http.request.method': 'GET',
      'url.path': '/plans',
      'http.response.status_code': 200,
    });
    expect(plan?.parent_span_id).toBe(root?.span_id);
    expect(plan?.attributes).toMatchObject({ 'plan.steps': 3, 'plan.tags': ['a', 'b'] });
    expect(plan?.events.map((e) => e.name)).toEqual(['step_done']);
    expect(foreign?.parent_span_id).toBe(plan?.span_id);
    expect(foreign?.status).toBe('error');
    expect(foreign?.status_message).toBe('timeout');
    expect(foreign?.scope).toEqual({ name: 'third-party', version: '9.9.9' });
    for (const span of [root, plan, foreign]) {
      expect(span?.request_id).toBe(requestId);
      expect(span?.trace_id).toBe(root?.trace_id);
      expect(span?.service).toBe('e2e-spans');
      expect(span?.resource['service.version']).toBe('4.2.0');
    }
  });
});

/** The request's spans once `count` of them are stored (ingest commits asynchronously). */
async function poll(url: string, requestId: string, count: number): Promise<StoredSpan[]> {
  for (let attempt = 0; ; attempt++) {
    const res = await fetch(`${url}/api/debug/trace/${requestId}?include=spans`);
    if (res.status === 200) {
      const body = (await res.json()) as { spans: StoredSpan[] };
      if (body.spans.length >= count || attempt === 100) return body.spans;
    } else if (attempt === 100) {
      throw new Error(`GET /api/debug/trace/${requestId}: ${res.status}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
}
