import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import { fetch as undiciFetch } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { getRequestId } from '../../context/index.js';
import { createPropagator } from '../../propagation/propagator.js';
import { withHopscope } from '../node/index.js';
import { createCapture } from '../testing.js';
import { createTracedFetch } from './index.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function listen(server: Server) {
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

/**
 * Seed 000 FR-3 on real servers: a client calls a gateway, the gateway forwards to a backend with
 * tracedFetch and streams the backend's SSE answer back. One trace must span all three hops, the
 * request ID must reach the backend, and the gateway's client span must stay open until the stream
 * has been relayed in full.
 */
describe('tracedFetch through a streaming forwarding proxy', () => {
  const cap = createCapture('fr3');
  const servers: Server[] = [];
  let gatewayUrl = '';
  let backendUrl = '';
  /** Lets the test hold the backend's stream open between events. */
  let release: () => void = () => {};

  beforeAll(async () => {
    const backend = createServer(
      withHopscope(
        async (req, res) => {
          if (req.url?.startsWith('/v1/echo-headers')) {
            res.end(JSON.stringify(req.headers));
            return;
          }
          if (req.url === '/v1/fail') {
            res.statusCode = 503;
            res.end('down');
            return;
          }
          res.writeHead(200, { 'content-type': 'text/event-stream' });
          const span = trace.getActiveSpan()?.spanContext();
          res.write(
            `data: ${JSON.stringify({ n: 0, requestId: getRequestId(), traceId: span?.traceId, upstream: req.headers['x-upstream-service'] })}\n\n`,
          );
          await new Promise<void>((r) => {
            release = r;
          });
          for (let n = 1; n <= 3; n++) {
            await sleep(2);
            res.write(`data: ${JSON.stringify({ n, requestId: getRequestId() })}\n\n`);
          }
          res.end('data: [DONE]\n\n');
        },
        {
          logger: cap.logger,
          tracer: cap.tracer,
          propagator: createPropagator({ service: 'baseline' }),
        },
      ),
    );
    const forward = createTracedFetch({
      tracer: cap.tracer,
      propagator: createPropagator({ service: 'gateway' }),
    });
    const gateway = createServer(
      withHopscope(
        async (_req, res) => {
          cap.logger.info('forwarding_to_baseline', { baseline_url: backendUrl });
          const upstream = await forward(`${backendUrl}/v1/chat/completions`, {
            method: 'POST',
            body: JSON.stringify({ stream: true }),
            headers: { 'content-type': 'application/json' },
          });
          res.writeHead(upstream.status, {
            'content-type': upstream.headers.get('content-type') ?? 'text/plain',
          });
          for await (const chunk of upstream.body!) res.write(chunk);
          res.end();
        },
        {
          logger: cap.logger,
          tracer: cap.tracer,
          propagator: createPropagator({ service: 'gateway' }),
        },
      ),
    );
    servers.push(backend, gateway);
    backendUrl = await listen(backend);
    gatewayUrl = await listen(gateway);
  });
  afterAll(() => {
    for (const s of servers) {
      s.closeAllConnections();
      s.close();
    }
  });

  it('keeps one trace and one request ID end to end, span open until the stream ends', async () => {
    cap.reset();
    const res = await fetch(`${gatewayUrl}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'x-request-id': 'req_fr3000000001' },
    });
    expect(res.headers.get('x-request-id')).toBe('req_fr3000000001');
    const reader = res.body!.pipeThrough(new TextDecoderStream()).getReader();
    let text = '';
    while (!text.includes('\n\n')) text += (await reader.read()).value;
    const first = JSON.parse(text.slice(6, text.indexOf('\n\n')));
    expect(first.requestId).toBe('req_fr3000000001');
    expect(first.upstream).toBe('gateway');
    // mid-stream: the gateway's client span must still be open
    expect(cap.spans().filter((s) => s.kind === SpanKind.CLIENT)).toHaveLength(0);
    release();
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      text += value;
    }
    expect(text).toContain('data: [DONE]');
    expect(text.match(/req_fr3000000001/g)).toHaveLength(4);
    for (let i = 0; i < 100 && cap.spans().length < 3; i++) await sleep(10);

    const spans = cap.spans();
    const gatewayServer = spans.find(
      (s) => s.kind === SpanKind.SERVER && s.attributes['upstream.service'] === undefined,
    )!;
    const client = spans.find((s) => s.kind === SpanKind.CLIENT)!;
    const backendServer = spans.find(
      (s) => s.kind === SpanKind.SERVER && s.attributes['upstream.service'] === 'gateway',
    )!;
    const traceId = gatewayServer.spanContext().traceId;
    expect(first.traceId).toBe(traceId);
    for (const s of [client, backendServer]) expect(s.spanContext().traceId).toBe(traceId);
    expect(client.parentSpanContext?.spanId).toBe(gatewayServer.spanContext().spanId);
    expect(backendServer.parentSpanContext?.spanId).toBe(client.spanContext().spanId);
    expect(client.name).toBe('POST');
    expect(client.attributes).toMatchObject({
      'http.request.method': 'POST',
      'http.response.status_code': 200,
      'url.full': `${backendUrl}/v1/chat/completions`,
      'server.address': '127.0.0.1',
      'request.id': 'req_fr3000000001',
    });
    for (const s of spans) expect(s.attributes['request.id']).toBe('req_fr3000000001');
    const lines = cap.lines.filter((l) => l.request_id === 'req_fr3000000001');
    expect(lines.map((l) => l.event)).toContain('forwarding_to_baseline');
    for (const l of cap.lines) expect(l.trace_id).toBe(traceId);
  });

  it('injects every propagated header, works with undici.fetch, keeps the caller headers', async () => {
    cap.reset();
    const viaUndici = createTracedFetch({
      fetch: undiciFetch as unknown as typeof fetch,
      tracer: cap.tracer,
      propagator: createPropagator({ service: 'agent', servicesEncountered: true }),
    });
    const parent = cap.tracer.startSpan('parent');
    const headers = await cap.tracer.startActiveSpan('work', async (span) => {
      const { runWithRequestId } = await import('../../context/index.js');
      const res = await runWithRequestId('req_undici000001', () =>
        viaUndici(`${backendUrl}/v1/echo-headers?key=secret`, {
          headers: { authorization: 'Bearer t' },
        }),
      );
      span.end();
      return res.json();
    });
    parent.end();
    expect(headers.traceparent).toMatch(/^00-[0-9a-f]{32}-[0-9a-f]{16}-0[13]$/);
    expect(headers['x-request-id']).toBe('req_undici000001');
    expect(headers['x-upstream-service']).toBe('agent');
    expect(headers['x-services-encountered']).toBe('agent');
    expect(headers.authorization).toBe('Bearer t');
    const client = cap.spans().find((s) => s.kind === SpanKind.CLIENT)!;
    expect(client.attributes['url.full']).toBe(`${backendUrl}/v1/echo-headers`);
    expect(headers.traceparent).toContain(client.spanContext().spanId);
  });

  it('ends the span when the caller cancels the stream, and on errors', async () => {
    cap.reset();
    const traced = createTracedFetch({ tracer: cap.tracer });
    const res = await traced(`${backendUrl}/v1/stream`);
    const reader = res.body!.getReader();
    await reader.read();
    expect(cap.spans().filter((s) => s.kind === SpanKind.CLIENT)).toHaveLength(0);
    await reader.cancel();
    const client = cap.spans().find((s) => s.kind === SpanKind.CLIENT)!;
    expect(client.events.map((e) => e.name)).toContain('response_body_cancelled');
    release();

    cap.reset();
    const failed = await traced(`${backendUrl}/v1/fail`);
    expect(await failed.text()).toBe('down');
    const errSpan = cap.spans().find((s) => s.kind === SpanKind.CLIENT)!;
    expect(errSpan.status.code).toBe(SpanStatusCode.ERROR);
    expect(errSpan.attributes['error.type']).toBe('503');

    cap.reset();
    await expect(traced('http://127.0.0.1:1/refused')).rejects.toThrow();
    const refused = cap.spans().find((s) => s.kind === SpanKind.CLIENT)!;
    expect(refused.status.code).toBe(SpanStatusCode.ERROR);
    expect(refused.events.some((e) => e.name === 'exception')).toBe(true);
  });
});
