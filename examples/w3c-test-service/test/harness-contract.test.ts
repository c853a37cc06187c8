import { once } from 'node:events';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningService, startTestService } from '../src/service.js';

/**
 * Our own harness, written from the contract in the W3C suite's README (no suite code): the
 * service receives POST /test with a JSON array of {url, arguments} and POSTs each `arguments`
 * to its `url` as a new client span of the incoming trace.
 */
describe('w3c-test-service harness contract', () => {
  let service: RunningService;
  let callbacks: Server;
  let base = '';
  const received = new Map<string, { headers: IncomingHttpHeaders; body: unknown }>();

  beforeAll(async () => {
    service = await startTestService();
    callbacks = createServer(async (req, res) => {
      let body = '';
      for await (const chunk of req) body += chunk;
      received.set(req.url ?? '', { headers: req.headers, body: JSON.parse(body) });
      res.end('{}');
    });
    callbacks.listen(0, '127.0.0.1');
    await once(callbacks, 'listening');
    base = `http://127.0.0.1:${(callbacks.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    callbacks.close();
    await service.close();
  });

  const post = (body: unknown, headers: Record<string, string> = {}) =>
    fetch(service.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...headers },
      body: typeof body === 'string' ? body : JSON.stringify(body),
    });

  it('calls each url with its arguments, propagating the trace with a new parent-id each time', async () => {
    received.clear();
    const nested = [{ url: `${base}/cb/inner`, arguments: [] }];
    const res = await post(
      [
        { url: `${base}/cb/1`, arguments: nested },
        { url: `${base}/cb/2`, arguments: [] },
        { url: `${base}/cb/3`, arguments: [] },
      ],
      {
        traceparent: '00-12345678901234567890123456789012-1234567890123456-01',
        tracestate: 'congo=t61rcWkgMzE, rojo=00f067aa0ba902b7',
        'x-request-id': 'harness-req-1',
      },
    );
    expect(res.status).toBe(200);
    expect(res.headers.get('x-request-id')).toBe('harness-req-1');
    expect(received.get('/cb/1')?.body).toEqual(nested);
    expect(received.get('/cb/2')?.body).toEqual([]);
    const parents = new Set<string>();
    for (const n of ['1', '2', '3']) {
      const headers = received.get(`/cb/${n}`)!.headers;
      const [version, traceId, parentId, flags] = String(headers.traceparent).split('-');
      expect(version).toBe('00');
      expect(traceId).toBe('12345678901234567890123456789012');
      expect(parentId).not.toBe('1234567890123456');
      expect(flags).toBe('01');
      parents.add(parentId);
      expect(headers.tracestate).toBe('congo=t61rcWkgMzE,rojo=00f067aa0ba902b7');
      expect(headers['x-request-id']).toBe('harness-req-1');
    }
    expect(parents.size).toBe(3);
  });

  it('starts a new trace when traceparent is missing or invalid, dropping tracestate', async () => {
    received.clear();
    await post([{ url: `${base}/cb/fresh`, arguments: [] }], {
      traceparent: '00-00000000000000000000000000000000-1234567890123456-01',
      tracestate: 'foo=1',
    });
    const headers = received.get('/cb/fresh')!.headers;
    expect(String(headers.traceparent)).toMatch(/^00-[0-9a-f]{32}-[0-9a-f]{16}-0[0-3]$/);
    expect(String(headers.traceparent)).not.toContain('0'.repeat(32));
    expect(headers.tracestate).toBeUndefined();
  });

  it('rejects bad input with a precise 4xx, carrying the request ID', async () => {
    const cases: Array<[unknown, RegExp]> = [
      ['not json', /must be JSON/],
      [{ url: 'x' }, /JSON array/],
      [[{ url: 42, arguments: [] }], /element 0: "url" must be a string/],
      [[{ url: '/relative', arguments: [] }], /not an absolute URL/],
      [[{ url: 'file:///etc/passwd', arguments: [] }], /must be http or https/],
      [[{ url: `${base}/cb/x`, arguments: 'no' }], /"arguments" must be an array/],
    ];
    for (const [body, message] of cases) {
      const res = await post(body);
      expect(res.status).toBe(400);
      expect(res.headers.get('x-request-id')).toMatch(/^req_[0-9a-f]{12}$/);
      expect((await res.json()).error).toMatch(message);
    }
    expect((await fetch(service.url)).status).toBe(405);
    const missing = await fetch(service.url.replace('/test', '/nope'));
    expect(missing.status).toBe(404);
    expect(missing.headers.get('x-request-id')).toMatch(/^req_/);
  });
});
