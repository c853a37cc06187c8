import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { HealthResponse, StatsResponse } from '../../src/api/types.js';
import { BASE_NS, type Fixture, openFixture } from './fixtures.js';
import { serveApi, type TestApi } from './http.js';

let fx: Fixture;
let api: TestApi;
let secured: TestApi;

beforeAll(async () => {
  fx = await openFixture();
  const stats = await fx.store.stats();
  api = await serveApi({
    reader: fx.store.reader,
    version: '9.9.9',
    metricsText: () =>
      '# TYPE hopscope_ingest_spans_total counter\nhopscope_ingest_spans_total 106',
    ingestStatus: () => ({
      queueDepth: 3,
      queueCapacity: 100,
      droppedSpans: 5,
      droppedLogs: 1,
      storeBytes: stats.bytesOnDisk,
    }),
  });
  secured = await serveApi({ reader: fx.store.reader, queryToken: 's3cret-token' });
});
afterAll(async () => {
  await api?.close();
  await secured?.close();
  await fx?.close();
});

describe('GET /api/stats', () => {
  it('computes rate, error rate and percentiles per service and operation', async () => {
    const res = await api.get('/api/stats?service=stats-svc&since=1h');
    expect(res.status).toBe(200);
    const r: StatsResponse = res.body;
    expect(r.window_seconds).toBe(3600);
    expect(r.service).toBe('stats-svc');
    expect(r.services).toHaveLength(1);
    const s = r.services[0];
    // Durations 1..100 ms; quantile_cont interpolates linearly.
    expect(s).toMatchObject({
      service: 'stats-svc',
      count: 100,
      errors: 10,
      error_rate: 0.1,
      max_ms: 100,
    });
    expect(s.rate_per_s).toBeCloseTo(100 / 3600, 10);
    expect(s.avg_ms).toBeCloseTo(50.5, 9);
    expect(s.p50_ms).toBeCloseTo(50.5, 9);
    expect(s.p95_ms).toBeCloseTo(95.05, 9);
    expect(s.p99_ms).toBeCloseTo(99.01, 9);
    const even = s.operations.find((o) => o.operation === 'GET /even')!;
    // 1, 3, …, 99 ms; errors are at i = 9, 19, … (odd operations).
    expect(even).toMatchObject({ span_kind: 'server', count: 50, errors: 0, max_ms: 99 });
    expect(even.p50_ms).toBeCloseTo(50, 9);
    const odd = s.operations.find((o) => o.operation === 'GET /odd')!;
    expect(odd).toMatchObject({ count: 50, errors: 10, error_rate: 0.2 });
  });

  it('counts only entry spans at the service level, all spans per operation', async () => {
    const r: StatsResponse = (await api.get('/api/stats')).body;
    const agent = r.services.find((s) => s.service === 'agent')!;
    // run_agent and list_models are server spans; the client span is not an entry.
    expect(agent.count).toBe(2);
    expect(agent.operations.map((o) => [o.operation, o.span_kind, o.count])).toEqual([
      ['POST /exec', 'client', 1],
      ['list_models', 'server', 1],
      ['run_agent', 'server', 1],
    ]);
    const sandbox = r.services.find((s) => s.service === 'sandbox')!;
    expect(sandbox).toMatchObject({ count: 1, errors: 1, error_rate: 1 });
  });

  it('answers 400 for a bad since', async () => {
    const res = await api.get('/api/stats?since=10');
    expect(res.status).toBe(400);
    expect(res.body.error).toMatchObject({ param: 'since', code: 'bad_request' });
  });
});

describe('GET /api/health and /metrics', () => {
  it('reports totals, recent numbers and the write side', async () => {
    const res = await api.get('/api/health');
    expect(res.status).toBe(200);
    const h: HealthResponse = res.body;
    expect(h).toMatchObject({
      healthy: true,
      problems: [],
      version: '9.9.9',
      spans_total: 106,
      logs_total: 9,
      traces_total: 103,
      recent_traces: 103,
      window_seconds: 3600,
      store_kind: 'duckdb',
      ingest_queue_depth: 3,
      dropped: { spans: 5, logs: 1 },
    });
    expect(h.store_bytes).toBeGreaterThan(0);
    // 11 error spans of 106.
    expect(h.error_rate).toBeCloseTo(11 / 106, 9);
    // Roots: gateway 400 and 20, sandbox 180, stats-svc 1..100 (sum 5050).
    expect(h.avg_latency_ms).toBeCloseTo((400 + 20 + 180 + 5050) / 103, 6);
  });

  it('is unhealthy (503) when the ingest queue is full', async () => {
    const full = await serveApi({
      reader: fx.store.reader,
      ingestStatus: () => ({
        queueDepth: 10,
        queueCapacity: 10,
        droppedSpans: 0,
        droppedLogs: 0,
        storeBytes: 1,
      }),
    });
    try {
      const res = await full.get('/api/health');
      expect(res.status).toBe(503);
      expect(res.body.healthy).toBe(false);
      expect(res.body.problems).toEqual(['ingest queue is full (10/10)']);
    } finally {
      await full.close();
    }
  });

  it('serves Prometheus text: self-metrics then RED per service', async () => {
    const res = await fetch(`${api.url}/metrics`);
    expect(res.headers.get('content-type')).toContain('text/plain; version=0.0.4');
    const text = await res.text();
    expect(
      text.startsWith(
        '# TYPE hopscope_ingest_spans_total counter\nhopscope_ingest_spans_total 106\n',
      ),
    ).toBe(true);
    expect(text).toContain('# TYPE hopscope_service_requests_per_second gauge');
    // The fixture is 10 minutes old: outside the 5 minute window, so no RED samples.
    expect(text).not.toContain('service="gateway"');
    for (const line of text.trim().split('\n')) {
      expect(line).toMatch(/^(# (HELP|TYPE) \w+ .+|\w+(\{[^}]*\})? -?[\d.e+-]+)$/);
    }
  });
});

describe('RED in /metrics', () => {
  it('gives rate, error ratio and latency quantiles per service over the last 5 minutes', async () => {
    const pinned = await serveApi({
      reader: fx.store.reader,
      now: () => Number(BASE_NS / 1_000_000n) + 120_000,
    });
    try {
      const text = (await pinned.get('/metrics')).text;
      const sample = (name: string, labels: string) => {
        const line = text.split('\n').find((l) => l.startsWith(`${name}{${labels}}`));
        return line === undefined ? undefined : Number(line.split(' ').pop());
      };
      const svc = 'service="stats-svc",window="300s"';
      expect(sample('hopscope_service_requests_per_second', svc)).toBeCloseTo(100 / 300, 9);
      expect(sample('hopscope_service_error_ratio', svc)).toBeCloseTo(0.1, 9);
      expect(sample('hopscope_service_latency_ms', `${svc},quantile="0.5"`)).toBeCloseTo(50.5, 9);
      expect(sample('hopscope_service_latency_ms', `${svc},quantile="0.99"`)).toBeCloseTo(99.01, 9);
      expect(sample('hopscope_service_error_ratio', 'service="sandbox",window="300s"')).toBe(1);
    } finally {
      await pinned.close();
    }
  });
});

describe('query token', () => {
  it('answers 401 with a clear body without or with a wrong token', async () => {
    const none = await secured.get('/api/services');
    expect(none.status).toBe(401);
    expect(none.body).toEqual({
      error: {
        status: 401,
        code: 'unauthorized',
        message: 'this server needs a query token: send Authorization: Bearer <query-token>',
      },
    });
    const wrong = await secured.get('/api/debug/logs', { authorization: 'Bearer nope' });
    expect(wrong.status).toBe(401);
    expect(wrong.body.error.message).toContain('wrong');
    const metrics = await secured.get('/metrics');
    expect(metrics.status).toBe(401);
  });

  it('lets the right token through', async () => {
    const ok = await secured.get('/api/services', { authorization: 'Bearer s3cret-token' });
    expect(ok.status).toBe(200);
    expect(ok.body.data).toContain('gateway');
  });
});
