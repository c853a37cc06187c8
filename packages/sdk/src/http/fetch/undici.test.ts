import { once } from 'node:events';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { SpanKind, SpanStatusCode } from '@opentelemetry/api';
import { Agent, request, fetch as undiciFetch } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runWithRequestId } from '../../context/index.js';
import { createPropagator } from '../../propagation/propagator.js';
import { createCapture } from '../testing.js';
import { hopscopeInterceptor } from './undici.js';

describe('hopscopeInterceptor (undici dispatcher)', () => {
  const cap = createCapture('undici');
  /** Holds the streamed answers open until the test has looked at the span. */
  let release: () => void = () => {};
  const server = createServer((req, res) => {
    if (req.url === '/fail') {
      res.statusCode = 502;
      res.end();
      return;
    }
    // a streamed answer: headers first, the rest of the body when released
    res.writeHead(200, { 'content-type': 'application/json' });
    res.write('{"headers":');
    const end = () => res.end(`${JSON.stringify(req.headers)}}`);
    if (req.url?.startsWith('/held')) release = end;
    else end();
  });
  let base = '';
  const agent = new Agent().compose(
    hopscopeInterceptor({ tracer: cap.tracer, propagator: createPropagator({ service: 'sandy' }) }),
  );
  beforeAll(async () => {
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    server.close();
    await agent.close();
  });

  it('propagates headers on undici.request and ends the span with the body', async () => {
    cap.reset();
    const parent = cap.tracer.startSpan('parent');
    const res = await runWithRequestId('req_undiciint001', () =>
      cap.tracer.startActiveSpan('caller', (span) =>
        request(`${base}/held?token=x`, {
          dispatcher: agent,
          headers: [
            ['X-Request-Id', 'stale'],
            ['accept', 'application/json'],
          ],
        }).finally(() => span.end()),
      ),
    );
    parent.end();
    expect(cap.spans().filter((s) => s.kind === SpanKind.CLIENT)).toHaveLength(0);
    release();
    const { headers } = (await res.body.json()) as { headers: Record<string, string> };
    expect(headers['x-request-id']).toBe('req_undiciint001');
    expect(headers['x-upstream-service']).toBe('sandy');
    expect(headers.accept).toBe('application/json');
    const client = cap.spans().find((s) => s.kind === SpanKind.CLIENT)!;
    expect(headers.traceparent).toContain(client.spanContext().spanId);
    expect(client.attributes).toMatchObject({
      'http.request.method': 'GET',
      'http.response.status_code': 200,
      'url.full': `${base}/held`,
      'request.id': 'req_undiciint001',
    });
    expect(client.parentSpanContext?.spanId).toBe(
      cap
        .spans()
        .find((s) => s.name === 'caller')!
        .spanContext().spanId,
    );
  });

  it('works under undici.fetch with the dispatcher, and marks failures', async () => {
    cap.reset();
    const res = await undiciFetch(`${base}/echo`, {
      dispatcher: agent,
      method: 'POST',
      body: '{}',
    });
    const { headers } = (await res.json()) as { headers: Record<string, string> };
    expect(headers.traceparent).toMatch(/^00-[0-9a-f]{32}-[0-9a-f]{16}-0[0-3]$/);
    expect(cap.spans().find((s) => s.kind === SpanKind.CLIENT)?.name).toBe('POST');

    cap.reset();
    const failed = await request(`${base}/fail`, { dispatcher: agent });
    await failed.body.dump();
    const span = cap.spans().find((s) => s.kind === SpanKind.CLIENT)!;
    expect(span.status.code).toBe(SpanStatusCode.ERROR);
    expect(span.attributes['error.type']).toBe('502');

    cap.reset();
    await expect(request('http://127.0.0.1:1/', { dispatcher: agent })).rejects.toThrow();
    const refused = cap.spans().find((s) => s.kind === SpanKind.CLIENT)!;
    expect(refused.status.code).toBe(SpanStatusCode.ERROR);
  });
});
