import { SpanKind } from '@opentelemetry/api';
import { Hono } from 'hono';
import { describe, expect, it } from 'vitest';
import { getRequestId } from '../../context/index.js';
import { createCapture } from '../testing.js';
import { hopscope } from './index.js';

/**
 * Hono outside @hono/node-server (Bun, Deno, workers): no node request/response underneath, so
 * the middleware reads the fetch Request, sets the header on the Response and ends the span when
 * the handler chain returns. `app.request` drives the app through that same fetch path.
 */
describe('hono middleware on a fetch runtime', () => {
  const cap = createCapture('hono-fetch');
  const app = new Hono();
  app.use(hopscope({ logger: cap.logger, tracer: cap.tracer }));
  app.get('/items/:id', (c) => c.json({ requestId: getRequestId() }));
  app.get('/raw', () => new Response('raw', { headers: { 'x-kind': 'raw' } }));
  app.get('/boom', () => {
    throw new SyntaxError('bad');
  });

  it('answers with the request ID, names the span by route, logs completion', async () => {
    cap.reset();
    const res = await app.request('http://svc.local/items/7', {
      headers: {
        'x-request-id': 'hono-fetch-1',
        traceparent: '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01',
      },
    });
    expect(res.headers.get('x-request-id')).toBe('hono-fetch-1');
    expect(await res.json()).toEqual({ requestId: 'hono-fetch-1' });
    const [span] = cap.spans().filter((s) => s.kind === SpanKind.SERVER);
    expect(span.name).toBe('GET /items/:id');
    expect(span.spanContext().traceId).toBe('4bf92f3577b34da6a3ce929d0e0e4736');
    expect(span.attributes['server.address']).toBe('svc.local');
    expect(cap.lines.find((l) => l.event === 'request_completed')).toMatchObject({
      request_id: 'hono-fetch-1',
      status_code: 200,
    });
  });

  it('sets the header on raw Responses, 404s and errors', async () => {
    cap.reset();
    const raw = await app.request('/raw');
    expect(raw.headers.get('x-kind')).toBe('raw');
    expect(raw.headers.get('x-request-id')).toMatch(/^req_/);
    const missing = await app.request('/missing');
    expect(missing.status).toBe(404);
    expect(missing.headers.get('x-request-id')).toMatch(/^req_/);
    const boom = await app.request('/boom', { headers: { 'x-request-id': 'hono-boom' } });
    expect(boom.status).toBe(500);
    expect(boom.headers.get('x-request-id')).toBe('hono-boom');
    expect(cap.lines.find((l) => l.event === 'request_failed')).toMatchObject({
      request_id: 'hono-boom',
      error: 'bad',
      error_type: 'SyntaxError',
    });
  });
});
