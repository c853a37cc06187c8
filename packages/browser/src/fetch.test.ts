import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { withHopscope } from 'hopscope/http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTracedFetch, type TracedRequest } from './fetch.js';
import { generateRequestId, isValidRequestId, newTraceparent, traceIdOf } from './ids.js';

describe('ids', () => {
  it('makes Hopscope-shaped request IDs and W3C trace parents', () => {
    const ids = new Set(Array.from({ length: 1000 }, generateRequestId));
    expect(ids.size).toBe(1000);
    for (const id of ids) expect(id).toMatch(/^req_[0-9a-f]{12}$/);
    const tp = newTraceparent();
    expect(tp).toMatch(/^00-[0-9a-f]{32}-[0-9a-f]{16}-03$/);
    expect(traceIdOf(tp)).toBe(tp.slice(3, 35));
    expect(traceIdOf('00-bad')).toBeUndefined();
    expect(isValidRequestId('a b')).toBe(false);
  });
});

describe('createTracedFetch against an SDK-instrumented server', () => {
  let server: Server;
  let base: string;
  const seen: IncomingHttpHeaders[] = [];
  beforeAll(async () => {
    server = createServer(
      withHopscope(
        (req, res) => {
          seen.push(req.headers);
          res.setHeader('access-control-allow-origin', '*');
          res.end('ok');
        },
        { logRequests: false },
      ),
    );
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => server.close());

  it('sends a fresh ID and traceparent, and reads the echoed ID back', async () => {
    const reports: TracedRequest[] = [];
    const f = createTracedFetch({
      propagateTo: [base],
      service: 'web-ui',
      onRequest: (r) => reports.push(r),
    });
    const res = await f(`${base}/api/x?secret=1`, { method: 'post', body: 'x' });
    const h = seen.at(-1)!;
    expect(h['x-request-id']).toMatch(/^req_[0-9a-f]{12}$/);
    expect(traceIdOf(h.traceparent as string)).toBe(res.hopscope.traceId);
    expect(h['x-upstream-service']).toBe('web-ui');
    expect(h['x-services-encountered']).toBeUndefined();
    expect(res.hopscope).toMatchObject({
      requestId: h['x-request-id'],
      method: 'POST',
      status: 200,
      url: `${base}/api/x`,
    });
    expect(reports).toEqual([res.hopscope]);
  });

  it("keeps the caller's valid ID and trace, replaces an invalid one", async () => {
    const f = createTracedFetch({ propagateTo: [base] });
    const tp = newTraceparent();
    const kept = await f(base, { headers: { 'x-request-id': 'ui-1234', traceparent: tp } });
    expect(kept.hopscope.requestId).toBe('ui-1234');
    expect(seen.at(-1)?.traceparent).toBe(tp);
    const replaced = await f(base, { headers: { 'x-request-id': 'bad id <script>' } });
    expect(replaced.hopscope.requestId).toMatch(/^req_/);
  });

  it('takes the ID the server answered with when it differs', async () => {
    const other = createServer((_req, res) => {
      res.setHeader('x-request-id', 'req_000000server');
      res.end();
    });
    await new Promise<void>((r) => other.listen(0, '127.0.0.1', r));
    const url = `http://127.0.0.1:${(other.address() as AddressInfo).port}/`;
    const res = await createTracedFetch({ propagateTo: () => true })(url);
    expect(res.hopscope.requestId).toBe('req_000000server');
    expect(res.hopscope.sentRequestId).not.toBe('req_000000server');
    other.close();
  });

  it('adds nothing to cross-origin calls unless told to (CORS), and reports failures', async () => {
    const res = await createTracedFetch()(base);
    expect(seen.at(-1)?.['x-request-id']).toBeUndefined();
    expect((res as { hopscope?: unknown }).hopscope).toBeUndefined();
    const reports: TracedRequest[] = [];
    const f = createTracedFetch({
      propagateTo: [/^http:\/\/127\.0\.0\.1:1\//],
      onRequest: (r) => reports.push(r),
    });
    await expect(f('http://127.0.0.1:1/')).rejects.toThrow();
    expect(reports[0].error).toBeDefined();
    expect(reports[0].status).toBeUndefined();
  });
});
