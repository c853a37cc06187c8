/**
 * The forwarder against real collectors: what a peer stores is what the client sent, a record
 * a peer forwarded is never forwarded again, and an unreachable owner loses nothing.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer as createHttpServer } from 'node:http';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DebugTraceResponse, HealthResponse } from '../../src/api/types.js';
import { FORWARDED_HEADER, PeerRing } from '../../src/pipeline/peers/index.js';
import { type ServerHandle, startServer } from '../../src/server.js';

const dirs: string[] = [];
async function collector(extra: Parameters<typeof startServer>[0] = {}): Promise<ServerHandle> {
  const dir = mkdtempSync(join(tmpdir(), 'hopscope-fwd-'));
  dirs.push(dir);
  return startServer({
    port: 0,
    grpcPort: false,
    dataDir: dir,
    peers: [],
    ...extra,
  });
}

/** A URL nothing listens on: a port taken from the OS and released. */
async function deadUrl(): Promise<string> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const { port } = s.address() as { port: number };
  await new Promise((r) => s.close(r));
  return `http://127.0.0.1:${port}`;
}

/** A trace ID whose owner on `ring` is `owner`. */
function traceOwnedBy(ring: PeerRing, owner: string): string {
  for (;;) {
    const id = randomBytes(16).toString('hex');
    if (ring.ownerOf(id) === owner) return id;
  }
}

const now = BigInt(Date.now()) * 1_000_000n;

function spanRequest(traceId: string, spanId = randomBytes(8).toString('hex')) {
  return {
    resourceSpans: [
      {
        resource: {
          attributes: [
            { key: 'service.name', value: { stringValue: 'fwd-svc' } },
            { key: 'host.cores', value: { intValue: '8' } },
          ],
        },
        scopeSpans: [
          {
            scope: { name: 'fwd-scope', version: '1.2.3' },
            spans: [
              {
                traceId,
                spanId,
                parentSpanId: 'aaaaaaaaaaaaaaaa',
                traceState: 'vendor=x',
                name: 'llm.call',
                kind: 3,
                startTimeUnixNano: String(now),
                endTimeUnixNano: String(now + 1_500_000n),
                attributes: [
                  { key: 'request.id', value: { stringValue: `req_${traceId.slice(0, 12)}` } },
                  { key: 'n', value: { intValue: '42' } },
                  { key: 'ratio', value: { doubleValue: 0.25 } },
                  { key: 'ok', value: { boolValue: true } },
                  {
                    key: 'list',
                    value: { arrayValue: { values: [{ stringValue: 'a' }, { intValue: '2' }] } },
                  },
                  {
                    key: 'map',
                    value: { kvlistValue: { values: [{ key: 'k', value: { stringValue: 'v' } }] } },
                  },
                ],
                events: [
                  {
                    timeUnixNano: String(now + 1000n),
                    name: 'retry',
                    attributes: [{ key: 'attempt', value: { intValue: '2' } }],
                  },
                ],
                links: [{ traceId: 'b'.repeat(32), spanId: 'c'.repeat(16), attributes: [] }],
                status: { code: 2, message: 'boom' },
              },
            ],
          },
        ],
      },
    ],
  };
}

function logRequest(traceId: string | undefined, body: string) {
  return {
    resourceLogs: [
      {
        resource: { attributes: [{ key: 'service.name', value: { stringValue: 'fwd-svc' } }] },
        scopeLogs: [
          {
            logRecords: [
              {
                timeUnixNano: String(now),
                severityNumber: 17,
                body: { stringValue: body },
                eventName: 'tool_failed',
                ...(traceId && { traceId, spanId: 'dddddddddddddddd' }),
              },
            ],
          },
        ],
      },
    ],
  };
}

async function post(url: string, path: string, body: object, headers = {}) {
  const res = await fetch(`${url}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify(body),
  });
  expect(res.status, await res.text()).toBe(200);
}

async function debug(url: string, id: string): Promise<DebugTraceResponse | undefined> {
  const res = await fetch(`${url}/api/debug/trace/${id}`);
  return res.status === 404 ? undefined : ((await res.json()) as DebugTraceResponse);
}

async function peers(url: string) {
  return ((await (await fetch(`${url}/api/health`)).json()) as HealthResponse).peers!;
}

describe('forwarding between two collectors', () => {
  let a: ServerHandle;
  let b: ServerHandle;
  let ring: PeerRing;

  beforeAll(async () => {
    a = await collector();
    b = await collector();
    for (const s of [a, b]) s.peers!.setPeers([a.url, b.url], s.url);
    ring = new PeerRing([a.url, b.url]);
  });
  afterAll(async () => {
    await Promise.all([a?.close(), b?.close()]);
  });

  it('stores on the owner exactly what the client sent to another collector', async () => {
    const id = traceOwnedBy(ring, b.url);
    await post(a.url, '/v1/traces', spanRequest(id));
    await post(a.url, '/v1/logs', logRequest(id, 'tool failed hard'));
    // The 200 came after the owner acknowledged: no waiting needed.
    expect(await debug(a.url, id)).toBeUndefined();
    const got = (await debug(b.url, id))!;
    const span = got.spans[0]!;
    expect(span).toMatchObject({
      trace_id: id,
      parent_span_id: 'aaaaaaaaaaaaaaaa',
      name: 'llm.call',
      kind: 'client',
      service: 'fwd-svc',
      duration_ms: 1.5,
      status: 'error',
      status_message: 'boom',
      request_id: `req_${id.slice(0, 12)}`,
      scope: { name: 'fwd-scope', version: '1.2.3' },
    });
    expect(span.attributes).toMatchObject({
      n: 42,
      ratio: 0.25,
      ok: true,
      list: ['a', 2],
      map: { k: 'v' },
    });
    expect(span.resource).toMatchObject({ 'service.name': 'fwd-svc', 'host.cores': 8 });
    expect(span.events).toHaveLength(1);
    expect(span.events[0]).toMatchObject({ name: 'retry', attributes: { attempt: 2 } });
    expect(span.links[0]).toMatchObject({ trace_id: 'b'.repeat(32), span_id: 'c'.repeat(16) });
    expect(got.logs).toHaveLength(1);
    expect(got.logs[0]).toMatchObject({ level: 'error', message: 'tool failed hard' });
    expect(await peers(a.url)).toMatchObject({
      spans: { forwarded: 1, failed: 0 },
      logs: { forwarded: 1, failed: 0 },
    });
    expect(await peers(b.url)).toMatchObject({ spans: { received: 1 }, logs: { received: 1 } });
  });

  it('keeps a forwarded record even when it thinks another collector owns it (no loops)', async () => {
    const id = traceOwnedBy(ring, a.url);
    const before = await peers(b.url);
    await post(b.url, '/v1/traces', spanRequest(id), { [FORWARDED_HEADER]: '1' });
    expect(await debug(a.url, id)).toBeUndefined();
    expect((await debug(b.url, id))?.spans).toHaveLength(1);
    const after = await peers(b.url);
    expect(after.spans.forwarded).toBe(before.spans.forwarded);
    expect(after.spans.received).toBe(before.spans.received + 1);
  });

  it('keeps log records without a trace where they arrived', async () => {
    const before = await peers(a.url);
    await post(a.url, '/v1/logs', logRequest(undefined, 'untraced line'));
    const after = await peers(a.url);
    expect(after.logs.forwarded).toBe(before.logs.forwarded);
  });
});

describe('an unreachable owner', () => {
  it('retries, then keeps the records here and counts them as failed', async () => {
    const dead = await deadUrl();
    const a = await collector({ peerForwarding: { attempts: 3, backoffMs: 5 } });
    try {
      a.peers!.setPeers([a.url, dead], a.url);
      const id = traceOwnedBy(new PeerRing([a.url, dead]), dead);
      await post(a.url, '/v1/traces', spanRequest(id));
      expect((await debug(a.url, id))?.spans).toHaveLength(1);
      expect(await peers(a.url)).toMatchObject({
        spans: { forwarded: 0, failed: 1 },
        retries: 2,
        kept_locally_after_failure: 1,
        pending_records: 0,
      });
    } finally {
      await a.close();
    }
  });

  it('answers 429 and stores nothing of a batch when too many records wait on peers', async () => {
    // A real peer that holds every request until released.
    const held: (() => void)[] = [];
    const slow = createHttpServer((req, res) => {
      req.resume();
      held.push(() => res.writeHead(200, { 'content-type': 'application/json' }).end('{}'));
    });
    await new Promise<void>((r) => slow.listen(0, '127.0.0.1', r));
    const slowUrl = `http://127.0.0.1:${(slow.address() as { port: number }).port}`;
    const a = await collector({ peerForwarding: { maxPendingRecords: 1 } });
    try {
      a.peers!.setPeers([a.url, slowUrl], a.url);
      const ring = new PeerRing([a.url, slowUrl]);
      const first = fetch(`${a.url}/v1/traces`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(spanRequest(traceOwnedBy(ring, slowUrl))),
      });
      while (held.length === 0) await new Promise((r) => setTimeout(r, 10));
      const local = traceOwnedBy(ring, a.url);
      const both = spanRequest(traceOwnedBy(ring, slowUrl));
      both.resourceSpans[0]!.scopeSpans[0]!.spans.push(
        spanRequest(local).resourceSpans[0]!.scopeSpans[0]!.spans[0]!,
      );
      const refused = await fetch(`${a.url}/v1/traces`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(both),
      });
      expect(refused.status).toBe(429);
      expect(refused.headers.get('retry-after')).toBe('1');
      expect(await debug(a.url, local)).toBeUndefined();
      for (const release of held.splice(0)) release();
      expect((await first).status).toBe(200);
      expect(await peers(a.url)).toMatchObject({ spans: { forwarded: 1 }, pending_records: 0 });
    } finally {
      for (const release of held.splice(0)) release();
      await a.close();
      await new Promise((r) => slow.close(r));
    }
  });

  it('refuses a self URL missing from the peers list, naming both', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'hopscope-fwd-'));
    dirs.push(dir);
    await expect(
      startServer({
        port: 0,
        grpcPort: false,
        dataDir: dir,
        peers: ['http://10.9.9.9:4318'],
        self: 'http://127.0.0.1:1',
      }),
    ).rejects.toThrow(
      /this collector \(http:\/\/127\.0\.0\.1:1\) is not in the peers list \(http:\/\/10\.9\.9\.9:4318\)/,
    );
  });
});

afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});
