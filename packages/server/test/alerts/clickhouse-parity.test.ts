/**
 * Alerts on both stores. The alert reads answer identically: the parity data set
 * (test/store-parity) written to a real DuckDB file and to ClickHouse (chdb behind its HTTP
 * bridge), then every AlertsReader question asked of both. And a server on the ClickHouse store
 * fires a rule on real traffic from the official OTLP exporter.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SpanKind, SpanStatusCode } from '@opentelemetry/api';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BasicTracerProvider, BatchSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AlertsResponse } from '../../src/api/types.js';
import { startServer } from '../../src/server.js';
import type { AlertScope, AlertsReader } from '../../src/store/alerts-reader.js';
import { ClickHouseStore } from '../../src/store/clickhouse/store.js';
import { DuckDbStore } from '../../src/store/duckdb/store.js';
import { type ChdbHttp, startChdbHttp } from '../store-parity/chdb-http.js';
import { NOW_NS, parityData } from '../store-parity/data.js';

const HOUR_NS = 3_600_000_000_000n;
let dir: string;
let bridge: ChdbHttp;
let duck: DuckDbStore;
let ch: ClickHouseStore;
let d: AlertsReader;
let c: AlertsReader;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'hopscope-alert-parity-'));
  bridge = await startChdbHttp(join(dir, 'chdb'));
  duck = new DuckDbStore({ dataDir: join(dir, 'duck') });
  ch = new ClickHouseStore({ url: bridge.url, database: 'hopscope', flushMs: 5 });
  await Promise.all([duck.open(), ch.open()]);
  for (const batch of parityData().batches) {
    await duck.write(batch);
    await ch.write(batch);
  }
  c = ch.reader as unknown as AlertsReader;
  d = duck.reader as unknown as AlertsReader;
}, 120_000);

afterAll(async () => {
  await Promise.all([duck?.close(), ch?.close()]);
  await bridge?.close();
  rmSync(dir, { recursive: true, force: true });
});

const scopes: Array<[string, Omit<AlertScope, 'startNs' | 'endNs'>]> = [
  ['all services', { where: [] }],
  ['a service', { service: 'ui-gateway', where: [] }],
  ['an operation', { service: 'agent-runtime', operation: 'llm.call', where: [] }],
  [
    'a number attribute',
    { service: 'sandbox', operation: 'exec', where: [{ key: 'http.status_code', value: '500' }] },
  ],
  ['a resource attribute', { where: [{ key: 'deployment.environment', value: 'prod' }] }],
  ['the AI model', { operation: 'llm.call', where: [{ key: 'model', value: 'gpt-4o' }] }],
  ['nothing', { service: 'no-such-service', where: [] }],
];

describe('alert reads: DuckDB and ClickHouse agree', () => {
  for (const [what, scope] of scopes) {
    for (const hours of [1n, 6n, 72n]) {
      it(`${what}, last ${hours}h`, async () => {
        const s: AlertScope = { ...scope, startNs: NOW_NS - hours * HOUR_NS, endNs: NOW_NS };
        const [a, b] = await Promise.all([d.alertWindowStats(s), c.alertWindowStats(s)]);
        expect(b).toEqual(a);
        if (what !== 'nothing' && hours === 72n) expect(a.count).toBeGreaterThan(0);
        const ex = { ...s, errorsOnly: true, limit: 5 };
        expect(await c.alertExamples(ex)).toEqual(await d.alertExamples(ex));
        if (a.p95Ms !== null) {
          const slow = { ...s, minDurationNs: BigInt(Math.floor(a.p95Ms * 1e6)), limit: 5 };
          expect(await c.alertExamples(slow)).toEqual(await d.alertExamples(slow));
        }
      });
    }
  }

  it('last seen, for spans, log-only services and unknown ones', async () => {
    for (const service of ['ui-gateway', 'sandbox', 'no-such-service']) {
      for (const since of [NOW_NS - HOUR_NS, NOW_NS - 72n * HOUR_NS]) {
        expect(await c.lastSeenNs(service, since)).toEqual(await d.lastSeenNs(service, since));
      }
    }
    expect(await d.lastSeenNs('ui-gateway', NOW_NS - 72n * HOUR_NS)).not.toBeNull();
  });
});

describe('alerts on a server with the ClickHouse store', () => {
  it('fire on real traffic, naming the failed requests', async () => {
    const url = new URL(bridge.url);
    const server = await startServer({
      port: 0,
      grpcPort: false,
      storeUrl: `clickhouse://${url.host}/alerts_e2e`,
      alerts: {
        evaluation_interval: '100ms',
        rules: [{ name: 'ch-errors', kind: 'error_rate', service: 'ch-alerts', threshold: 0.3 }],
      },
    });
    try {
      const provider = new BasicTracerProvider({
        resource: resourceFromAttributes({ 'service.name': 'ch-alerts' }),
        spanProcessors: [
          new BatchSpanProcessor(new OTLPTraceExporter({ url: `${server.url}/v1/traces` }), {
            scheduledDelayMillis: 60_000,
          }),
        ],
      });
      const failed: string[] = [];
      const tracer = provider.getTracer('ch');
      for (let i = 0; i < 4; i++) {
        const id = `req_ch${String(i).padStart(10, '0')}`;
        const span = tracer.startSpan('GET /x', {
          kind: SpanKind.SERVER,
          attributes: { 'request.id': id },
        });
        if (i < 2) {
          failed.push(id);
          span.setStatus({ code: SpanStatusCode.ERROR });
        }
        span.end();
      }
      await provider.shutdown();
      let state: AlertsResponse['states'][number] | undefined;
      for (let i = 0; i < 200 && state?.state !== 'firing'; i++) {
        await new Promise((r) => setTimeout(r, 50));
        const a = (await (await fetch(`${server.url}/api/alerts`)).json()) as AlertsResponse;
        state = a.states[0];
      }
      expect(state?.state).toBe('firing');
      expect(state?.value).toBe(0.5);
      expect(state?.examples.map((e) => e.request_id).sort()).toEqual(failed);
    } finally {
      await server.close();
    }
  });
});
