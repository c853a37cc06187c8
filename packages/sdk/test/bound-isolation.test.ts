import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { withHopscope } from '../src/http/node/index.js';
import {
  createLogger,
  getRequestId,
  type HopscopeHandle,
  type HopscopeLogger,
  init,
} from '../src/index.js';
import { LineSink } from './line-sink.js';
import { OtlpReceiver } from './otlp-receiver.js';

/**
 * A logger bound with `request_id` in one request (the easy mistake: `logger.bind({ request_id:
 * getRequestId() })` kept in a module variable) and then used by many concurrent requests on a
 * real node:http server with the SDK middleware: every line and exported record carries its own
 * request's ID; the stray bound ID appears only as `user.request_id`.
 */
const CONCURRENT = 200;
const receiver = new OtlpReceiver();
const lines = new LineSink();
let handle: HopscopeHandle;
let server: Server;
let url: string;
let shared: HopscopeLogger | undefined;
let firstRequestId: string | undefined;

const pause = () => new Promise((r) => setTimeout(r, Math.random() * 5));

beforeAll(async () => {
  const endpoint = await receiver.start();
  handle = init({
    service: 'bound-isolation',
    endpoint,
    exportDelayMs: 50,
    maxQueueSize: 20_000,
    logDestination: lines,
  });
  const log = createLogger({ destination: lines });
  server = createServer(
    withHopscope(async (req, res) => {
      const n = Number(new URL(req.url ?? '/', 'http://x').searchParams.get('n'));
      if (shared === undefined) {
        // request A: the bound logger is created here and outlives it
        firstRequestId = getRequestId();
        shared = log.bind({ request_id: firstRequestId, component: 'shared' });
      }
      await pause();
      shared.info('shared_used', { n });
      await pause();
      // the call-site variant, on the flat-capable logger
      log.info('call_site_id', { n, request_id: firstRequestId });
      res.end('ok');
    }),
  );
  server.listen({ port: 0, host: '127.0.0.1', backlog: 1024 });
  await once(server, 'listening');
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise<void>((r) => server.close(() => r()));
  await handle.shutdown();
  await receiver.stop();
});

describe('a bound logger reused across concurrent requests', () => {
  it(`puts each of ${CONCURRENT} requests’ own ID on its lines and records`, async () => {
    const first = await fetch(`${url}/?n=-1`, { headers: { 'x-request-id': 'req_a00000000000' } });
    expect(await first.text()).toBe('ok');
    expect(firstRequestId).toBe('req_a00000000000');

    const ids = Array.from(
      { length: CONCURRENT },
      (_, i) => `req_${(0xb00000000000 + i).toString(16)}`,
    );
    const answers = await Promise.all(
      ids.map(async (id, n) => {
        const r = await fetch(`${url}/?n=${n}`, { headers: { 'x-request-id': id } });
        await r.text();
        return r.headers.get('x-request-id');
      }),
    );
    expect(answers).toEqual(ids);

    // stdout: each line's request_id is the one its request was sent with
    for (const event of ['shared_used', 'call_site_id']) {
      const got = lines.lines.filter((l) => l.event === event && (l.n as number) >= 0);
      expect(got, event).toHaveLength(CONCURRENT);
      for (const line of got) {
        expect(line.request_id, `${event} n=${line.n}`).toBe(ids[line.n as number]);
        expect(line['user.request_id']).toBe(firstRequestId);
      }
      if (event === 'shared_used') expect(got.every((l) => l.component === 'shared')).toBe(true);
    }
    // the stray ID names request A's own lines and no other
    expect(
      lines.lines
        .filter((l) => l.request_id === firstRequestId)
        .map((l) => `${l.event} ${l.n}`)
        .sort(),
    ).toEqual(['call_site_id -1', 'request_completed undefined', 'shared_used -1']);
    const known = new Set([...ids, firstRequestId]);
    for (const line of lines.lines) expect(known.has(line.request_id as string)).toBe(true);

    // the exported records agree with the lines
    await handle.forceFlush();
    await vi.waitFor(
      () =>
        expect(
          receiver.logs().filter((r) => (r.attributes.n as number) >= 0 && r.eventName !== 'log'),
        ).toHaveLength(2 * CONCURRENT),
      { timeout: 20_000 },
    );
    const traceOf = new Map(
      lines.lines
        .filter((l) => l.event === 'shared_used')
        .map((l) => [l.request_id as string, l.trace_id as string]),
    );
    for (const record of receiver.logs()) {
      const n = record.attributes.n as number | undefined;
      expect(known.has(record.attributes['request.id'] as string)).toBe(true);
      if (n === undefined || n < 0) continue;
      expect(record.attributes['request.id'], `${record.eventName} n=${n}`).toBe(ids[n]);
      expect(record.attributes['user.request_id']).toBe(firstRequestId);
      expect(record.attributes).not.toHaveProperty(['request_id']);
      expect(record.traceId).toBe(traceOf.get(ids[n] as string));
    }
  });
});
