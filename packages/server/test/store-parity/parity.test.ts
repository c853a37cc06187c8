/**
 * One query-API suite over both stores: the same batches are written to a real DuckDB file and
 * to ClickHouse (chdb, the real engine, behind the HTTP bridge in chdb-http.ts, reached by
 * @clickhouse/client), and every StoreReader method must answer identically.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ROOT_CONTEXT, SpanKind, trace } from '@opentelemetry/api';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BasicTracerProvider, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DebugTraceResponse } from '../../src/api/types.js';
import { startServer } from '../../src/server.js';
import { schemaStatements } from '../../src/store/clickhouse/schema.js';
import { ClickHouseStore } from '../../src/store/clickhouse/store.js';
import { parseClickHouseUrl } from '../../src/store/clickhouse/url.js';
import { DuckDbStore } from '../../src/store/duckdb/store.js';
import { createStore } from '../../src/store/open-store.js';
import {
  keepsDetail,
  type LogQuery,
  type StoreReader,
  type TraceQuery,
} from '../../src/store/reader.js';
import { REQ_A, REQ_B, T1, T2, T3 } from '../read/fixtures.js';
import { type ChdbHttp, startChdbHttp } from './chdb-http.js';
import { NOW_NS, type ParityData, parityData } from './data.js';

const HOUR_NS = 3_600_000_000_000n;
const DAY_NS = 24n * HOUR_NS;

let dir: string;
let bridge: ChdbHttp;
let duck: DuckDbStore;
let ch: ClickHouseStore;
let data: ParityData;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'hopscope-parity-'));
  bridge = await startChdbHttp(join(dir, 'chdb'));
  duck = new DuckDbStore({ dataDir: join(dir, 'duck') });
  ch = new ClickHouseStore({ url: bridge.url, database: 'hopscope', flushMs: 5 });
  await Promise.all([duck.open(), ch.open()]);
  data = parityData();
  // One batch at a time, so both stores see the same insertion order (log tie-breaks).
  for (const batch of data.batches) {
    await duck.write(batch);
    await ch.write(batch);
  }
});

afterAll(async () => {
  await ch?.close();
  await duck?.close();
  await bridge?.close();
  rmSync(dir, { recursive: true, force: true });
});

/** Asks both readers the same question; answers must be equal and (a test that can fail) non-trivial. */
async function both<T>(ask: (r: StoreReader) => Promise<T>): Promise<T> {
  const [a, b] = await Promise.all([ask(duck.reader), ask(ch.reader)]);
  expect(b).toEqual(a);
  return a;
}

describe('store parity: DuckDB and ClickHouse answer alike', () => {
  it('lookup by request ID, trace ID, both, unknown, and a trace with only log lines', async () => {
    const a = await both((r) => r.lookup({ requestIds: [REQ_A], traceIds: [] }));
    expect(a.spans.map((s) => s.traceId)).toEqual(expect.arrayContaining([T1, T2]));
    expect(a.logs.some((l) => l.service === 'billing')).toBe(true);
    await both((r) => r.lookup({ requestIds: [REQ_B], traceIds: [T1] }));
    await both((r) => r.lookup({ requestIds: [], traceIds: [T3] }));
    expect((await both((r) => r.lookup({ requestIds: ['req_nope'], traceIds: [] }))).spans).toEqual(
      [],
    );
    const orphan = await both((r) => r.lookup({ requestIds: [], traceIds: [data.logOnlyTraceId] }));
    expect(orphan.logs.length).toBe(8);
    for (const id of data.requestIds.slice(0, 30)) {
      const got = await both((r) => r.lookup({ requestIds: [id], traceIds: [] }));
      expect(got.spans.length).toBeGreaterThan(0);
    }
    // Traces days apart in one lookup (several scan clusters).
    const spread = [data.traceIds[0], data.traceIds[100], data.traceIds[200], data.traceIds[319]];
    const many = await both((r) =>
      r.lookup({ requestIds: data.requestIds.slice(5, 9), traceIds: spread }),
    );
    expect(new Set(many.spans.map((s) => s.traceId)).size).toBeGreaterThan(4);
    // Every trace at once: bind values past 4 KiB travel as a multipart body.
    const all = await both((r) => r.lookup({ requestIds: [], traceIds: data.traceIds }));
    expect(new Set(all.spans.map((s) => s.traceId)).size).toBe(data.traceIds.length);
  });

  it('outline lookups and single spans', async () => {
    const whole = await both((r) => r.lookup({ requestIds: [REQ_A], traceIds: [] }));
    const outline = await both((r) =>
      r.lookup({ requestIds: [REQ_A], traceIds: [], outline: true }),
    );
    expect(outline.spans.map((s) => s.spanId)).toEqual(whole.spans.map((s) => s.spanId));
    expect(outline.logs).toEqual(whole.logs);
    const kept = outline.spans.filter(keepsDetail);
    expect(kept.length).toBeGreaterThan(0);
    expect(kept.length).toBeLessThan(outline.spans.length);
    for (const [i, s] of outline.spans.entries()) {
      if (keepsDetail(s)) expect(s).toEqual(whole.spans[i]);
      else
        expect(s).toEqual({
          ...whole.spans[i],
          attributes: {},
          resource: {},
          events: [],
          links: [],
        });
    }
    const one = whole.spans[1];
    const got = await both((r) =>
      r.lookup({ requestIds: [], traceIds: [one.traceId], spanIds: [one.spanId] }),
    );
    expect(got).toEqual({ spans: [one], logs: [] });
  });

  it('request IDs of traces', async () => {
    expect(await both((r) => r.requestIdsOfTraces([T1, T2]))).toContain(REQ_A);
    await both((r) => r.requestIdsOfTraces(data.traceIds.slice(0, 12)));
    await both((r) => r.requestIdsOfTraces([data.logOnlyTraceId]));
    expect(await both((r) => r.requestIdsOfTraces(['f'.repeat(32)]))).toEqual([]);
  });

  it('log search: filters, levels, text, and every page of a paged walk', async () => {
    const queries: LogQuery[] = [
      { limit: 50 },
      { limit: 1000, sinceNs: NOW_NS - DAY_NS },
      { limit: 20, requestId: REQ_A },
      { limit: 20, requestId: data.requestIds[7] },
      { limit: 20, requestId: 'req_unknown' },
      { limit: 20, traceId: data.traceIds[3] },
      { limit: 100, service: 'sandbox', minLevel: 'warn' },
      { limit: 100, minLevel: 'error' },
      { limit: 100, text: 'ÜNÏCODE' },
      { limit: 100, text: 'timeout' },
      { limit: 100, text: 'e42' },
      {
        limit: 100,
        text: 'tool_call_done',
        sinceNs: NOW_NS - 2n * DAY_NS,
        untilNs: NOW_NS - DAY_NS,
      },
    ];
    // Cursors are opaque and each store's own (DuckDB rowids, ClickHouse row ids): compare the
    // lines and whether there is a next page; the walk below compares where cursors lead.
    const lines = async (r: StoreReader, q: LogQuery) => {
      const page = await r.searchLogs(q);
      return { logs: page.logs, more: page.nextCursor !== null };
    };
    for (const q of queries) await both((r) => lines(r, q));
    // Cursors are each store's own; the pages they lead to must be the same lines.
    const walk = async (r: StoreReader) => {
      const pages = [];
      let cursor: string | undefined;
      do {
        const page = await r.searchLogs({ limit: 97, service: 'agent-runtime', cursor });
        pages.push(page.logs);
        cursor = page.nextCursor ?? undefined;
      } while (cursor);
      return pages;
    };
    const pages = await both(walk);
    expect(pages.length).toBeGreaterThan(2);
  });

  it('trace search: service, operation, tags of each kind, durations, errors, limits', async () => {
    const window = { startNs: NOW_NS - 4n * DAY_NS, endNs: NOW_NS + HOUR_NS };
    const queries: TraceQuery[] = [
      { ...window, tags: [], limit: 20 },
      { ...window, tags: [], limit: 1000 },
      { ...window, service: 'sandbox', tags: [], limit: 50 },
      { ...window, service: 'agent-runtime', operation: 'llm.call', tags: [], limit: 50 },
      { ...window, tags: [{ key: 'http.status_code', value: '500' }], limit: 100 },
      { ...window, tags: [{ key: 'cached', value: 'true' }], limit: 100 },
      { ...window, tags: [{ key: 'user.id', value: 'u3' }], limit: 100 },
      { ...window, tags: [{ key: 'deployment.environment', value: 'prod' }], limit: 100 },
      { ...window, tags: [{ key: 'error', value: 'true' }], limit: 100 },
      { ...window, tags: [{ key: 'span.kind', value: 'consumer' }], limit: 100 },
      { ...window, tags: [{ key: 'request.id', value: REQ_A }], limit: 10 },
      { ...window, minDurationNs: 200_000_000n, maxDurationNs: 300_000_000n, tags: [], limit: 100 },
      { ...window, errorsOnly: true, tags: [], limit: 100 },
      { startNs: NOW_NS - DAY_NS, endNs: NOW_NS, tags: [], limit: 30 },
    ];
    for (const q of queries) {
      const ids = await both((r) => r.searchTraces(q));
      if (!q.tags.some((t) => t.key === 'span.kind')) expect(ids.length).toBeGreaterThan(0);
    }
  });

  it('services, operations and dependencies', async () => {
    expect(await both((r) => r.services())).toContain('sandbox');
    await both((r) => r.operations({}));
    await both((r) => r.operations({ service: 'agent-runtime' }));
    await both((r) => r.operations({ kind: 2 }));
    const edges = await both((r) => r.dependencies(NOW_NS - 4n * DAY_NS, NOW_NS + HOUR_NS));
    expect(edges.length).toBeGreaterThan(3);
    await both((r) => r.dependencies(NOW_NS - DAY_NS, NOW_NS));
  });

  it('alert reads (src/alerts)', async () => {
    const window = { startNs: NOW_NS - 4n * DAY_NS, endNs: NOW_NS + HOUR_NS };
    const stats = await both((r) => r.alertWindowStats!({ ...window, where: [] }));
    expect(stats.count).toBeGreaterThan(0);
    await both((r) =>
      r.alertWindowStats!({
        ...window,
        service: 'agent-runtime',
        operation: 'llm.call',
        where: [],
      }),
    );
    await both((r) =>
      r.alertWindowStats!({ ...window, where: [{ key: 'model', value: 'gpt-4o' }] }),
    );
    await both((r) =>
      r.alertWindowStats!({ ...window, where: [{ key: 'http.status_code', value: '500' }] }),
    );
    await both((r) => r.alertExamples!({ ...window, where: [], errorsOnly: true, limit: 5 }));
    await both((r) =>
      r.alertExamples!({
        ...window,
        service: 'sandbox',
        where: [],
        minDurationNs: 100_000_000n,
        limit: 10,
      }),
    );
    expect(await both((r) => r.lastSeenNs!('billing', NOW_NS - 4n * DAY_NS))).not.toBeNull();
    expect(await both((r) => r.lastSeenNs!('nobody', NOW_NS - DAY_NS))).toBeNull();
  });

  it('AI roll-ups (/api/ai/*)', async () => {
    const window = { startNs: NOW_NS - 4n * DAY_NS, endNs: NOW_NS + HOUR_NS };
    for (const groupBy of [
      'model',
      'provider',
      'service',
      'request',
      'trace',
      'session',
      'user',
      'day',
    ] as const) {
      const usage = await both((r) => r.aiUsage!({ ...window, groupBy, limit: 20 }));
      expect(usage.totals.calls).toBeGreaterThan(0);
    }
    await both((r) =>
      r.aiUsage!({ ...window, service: 'llm-proxy', model: 'gpt-4o', groupBy: 'model', limit: 5 }),
    );
    expect((await both((r) => r.aiModelLatency!(window))).length).toBe(2);
    for (const order of ['slowest', 'costliest', 'recent'] as const) {
      await both((r) => r.aiCalls!({ ...window, order, limit: 25 }));
    }
    for (const by of ['model', 'service'] as const) {
      await both((r) => r.aiSeries!({ ...window, by, stepNs: 6n * HOUR_NS }));
    }
  });

  it('span stats and health counts', async () => {
    const stats = await both((r) =>
      r.spanStats({ startNs: NOW_NS - 4n * DAY_NS, endNs: NOW_NS + HOUR_NS }),
    );
    expect(stats.services.length).toBeGreaterThan(2);
    await both((r) =>
      r.spanStats({ service: 'stats-svc', startNs: NOW_NS - HOUR_NS, endNs: NOW_NS }),
    );
    await both((r) => r.spanStats({ startNs: NOW_NS + DAY_NS, endNs: NOW_NS + 2n * DAY_NS }));
    await both((r) => r.healthCounts(NOW_NS - DAY_NS));
    await both((r) => r.healthCounts(NOW_NS + DAY_NS));
    const [a, b] = await Promise.all([duck.stats(), ch.stats()]);
    expect({ ...b, bytesOnDisk: 0 }).toEqual({ ...a, bytesOnDisk: 0 });
    expect(b.bytesOnDisk).toBeGreaterThan(0);
  });
});

describe('ClickHouse store on the real engine', () => {
  it('lays tables out by day with bloom filters on trace_id and request_id', async () => {
    const q = async (sql: string) =>
      (
        await fetch(`${bridge.url}/?database=hopscope`, { method: 'POST', body: sql }).then((r) =>
          r.text(),
        )
      ).trim();
    const create = await q('SHOW CREATE TABLE spans');
    expect(create).toMatch(/PARTITION BY toDate/);
    expect(create).toMatch(/INDEX trace_id_bloom trace_id TYPE bloom_filter/);
    expect(create).toMatch(/INDEX request_id_bloom request_id TYPE bloom_filter/);
    const days = Number(
      await q(
        "SELECT uniqExact(partition) FROM system.parts WHERE active AND database = 'hopscope' AND table = 'spans'",
      ),
    );
    expect(days).toBeGreaterThanOrEqual(3);
  });

  it('gathers concurrent writes into inserts of at least batchRows rows', async () => {
    // chdb holds one data folder per process: a second database on the same engine.
    const store = new ClickHouseStore({
      url: bridge.url,
      database: 'batching',
      batchRows: 5000,
      flushMs: 60_000,
    });
    const before = bridge.statements.length;
    try {
      await store.open();
      const spans = (n: number, tag: string) =>
        Array.from({ length: n }, (_, i) => ({
          ...data.batches[2].spans[i % data.batches[2].spans.length],
          spanId: `${tag}${i.toString(16).padStart(15, '0')}`,
        }));
      // 4,000 rows wait for more; the next 4,000 pass batchRows and go as one insert of 8,000;
      // the last 4,000 wait for the timer, which close() cuts short.
      const first = store.write({ spans: spans(4000, 'a'), logs: [] });
      const second = store.write({ spans: spans(4000, 'b'), logs: [] });
      await Promise.all([first, second]);
      const third = store.write({ spans: spans(4000, 'c'), logs: [] });
      await store.close();
      await third;
      const inserts = bridge.statements
        .slice(before)
        .filter((s) => s.startsWith('INSERT INTO spans'));
      expect(inserts.map((s) => s.trim().split('\n').length - 1)).toEqual([8000, 4000]);
    } finally {
      await store.close();
    }
  });

  it('retention deletes the same rows as DuckDB', async () => {
    const policy = { maxAgeMs: 36 * 3_600_000 };
    const [a, b] = await Promise.all([duck.enforceRetention(policy), ch.enforceRetention(policy)]);
    expect(a.spansDeleted).toBeGreaterThan(0);
    expect(b).toEqual(a);
    await both((r) => r.healthCounts(NOW_NS - 4n * DAY_NS));
    await both((r) =>
      r.searchTraces({ startNs: NOW_NS - 4n * DAY_NS, endNs: NOW_NS, tags: [], limit: 1000 }),
    );
  });
});

describe('--store clickhouse://… end to end', () => {
  it('serves OTLP from the official exporter through ClickHouse to /api/debug/trace', async () => {
    const port = new URL(bridge.url).port;
    const server = await startServer({
      port: 0,
      grpcPort: false,
      storeUrl: `clickhouse://default@127.0.0.1:${port}/e2e`,
    });
    const provider = new BasicTracerProvider({
      resource: resourceFromAttributes({ 'service.name': 'gateway' }),
      spanProcessors: [
        new SimpleSpanProcessor(new OTLPTraceExporter({ url: `${server.url}/v1/traces` })),
      ],
    });
    try {
      expect(server.store.kind).toBe('clickhouse');
      const t = provider.getTracer('e2e');
      const root = t.startSpan('POST /chat', {
        kind: SpanKind.SERVER,
        attributes: { 'request.id': 'req_e2e0e2e0e2e0' },
      });
      const child = t.startSpan(
        'llm.call',
        { kind: SpanKind.CLIENT },
        trace.setSpan(ROOT_CONTEXT, root),
      );
      child.end();
      root.end();
      await provider.forceFlush();
      const res = await fetch(`${server.url}/api/debug/trace/req_e2e0e2e0e2e0`);
      expect(res.status).toBe(200);
      const body = (await res.json()) as DebugTraceResponse;
      expect(body.spans.map((s) => s.name).sort()).toEqual(['POST /chat', 'llm.call']);
      expect(body.trace_ids).toEqual([root.spanContext().traceId]);
    } finally {
      await provider.shutdown();
      await server.close();
    }
  });

  it('rejects store specs it cannot use, naming the problem', () => {
    expect(() => createStore({ store: 'postgres://x', dataDir: dir })).toThrow(
      /--store: expected duckdb or a clickhouse:\/\/ URL/,
    );
    expect(() => parseClickHouseUrl('clickhouse://h/db?ttl=3')).toThrow(/unknown option "ttl"/);
    expect(() => parseClickHouseUrl('clickhouse://h/db?ttl_days=0')).toThrow(
      /ttl_days must be a whole number/,
    );
    expect(() => parseClickHouseUrl('clickhouse://h/my-db')).toThrow(
      /"my-db" is not a plain identifier/,
    );
    expect(
      parseClickHouseUrl('clickhouse://u:p%40ss@ch.internal/obs?secure=1&cluster=main&ttl_days=14'),
    ).toEqual({
      url: 'https://ch.internal:8443',
      username: 'u',
      password: 'p@ss',
      database: 'obs',
      cluster: 'main',
      ttlDays: 14,
    });
    expect(createStore({ store: 'clickhouse://localhost:8123/x', dataDir: dir }).kind).toBe(
      'clickhouse',
    );
  });

  it('creates TTL tables on the engine, and cluster DDL that ClickHouse parses', async () => {
    const q = async (sql: string) => {
      const res = await fetch(bridge.url, { method: 'POST', body: sql });
      const text = await res.text();
      expect(res.status, text).toBe(200);
      return text;
    };
    await q('CREATE DATABASE IF NOT EXISTS ttl_check');
    for (const ddl of schemaStatements({ database: 'ttl_check', ttlDays: 7 })) await q(ddl);
    expect(await q('SHOW CREATE TABLE ttl_check.spans')).toMatch(
      /TTL toDateTime\(intDiv\(start_ns, 1000000000\), \\?'UTC\\?'\) \+ toIntervalDay\(7\)/,
    );
    // No cluster exists here: the Replicated/Distributed statements are only parsed, not run.
    const cluster = schemaStatements({ database: 'obs', cluster: 'main', ttlDays: 7 });
    expect(cluster.some((s) => s.includes('ReplicatedMergeTree'))).toBe(true);
    expect(cluster.some((s) => s.includes('ENGINE = Distributed(main, obs, spans_local'))).toBe(
      true,
    );
    for (const ddl of cluster) expect(await q(`EXPLAIN AST ${ddl}`)).toMatch(/Create|CreateQuery/);
  });
});

describe('ClickHouse store failures', () => {
  it('open() names a server that does not answer', async () => {
    const closed = await startChdbHttpless();
    const store = new ClickHouseStore({ url: closed, database: 'x' });
    await expect(store.open()).rejects.toThrow(`clickhouse: ${closed} does not answer`);
  });

  it('a rejected insert rejects every write of its group, and the store keeps working', async () => {
    const store = new ClickHouseStore({ url: bridge.url, database: 'failing', flushMs: 5 });
    await store.open();
    try {
      const good = data.batches[2];
      // A start time that is not a number makes ClickHouse refuse the whole insert.
      const bad = { spans: [{ ...good.spans[0], startNs: 'soon' as never }], logs: [] };
      const results = await Promise.allSettled([store.write(bad), store.write(good)]);
      expect(results.map((r) => r.status)).toEqual(['rejected', 'rejected']);
      await store.write(good);
      expect((await store.stats()).spansTotal).toBe(good.spans.length);
    } finally {
      await store.close();
    }
  });
});

/** A loopback URL on which nothing listens (a port just released). */
async function startChdbHttpless(): Promise<string> {
  const { createServer } = await import('node:net');
  const srv = createServer();
  await new Promise<void>((resolve) => srv.listen(0, '127.0.0.1', resolve));
  const { port } = srv.address() as { port: number };
  await new Promise<void>((resolve) => srv.close(() => resolve()));
  return `http://127.0.0.1:${port}`;
}
