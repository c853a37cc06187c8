/**
 * Every rule kind evaluated against a real store: spans of known timing and status sent with the
 * official OTLP/protobuf exporter (back-dated start times), then each rule read at "now".
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ROOT_CONTEXT, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BasicTracerProvider, BatchSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { evaluateRule } from '../../src/alerts/evaluate.js';
import { type AlertRule, parseAlertRules } from '../../src/alerts/index.js';
import { type ServerHandle, startServer } from '../../src/server.js';
import type { AlertsReader } from '../../src/store/alerts-reader.js';

const MIN = 60_000;
const dir = mkdtempSync(join(tmpdir(), 'hopscope-alert-kinds-'));
let server: ServerHandle;
let reader: AlertsReader;
const NOW = Date.now();
const providers = new Map<string, BasicTracerProvider>();
const slowIds: string[] = [];

function tracer(service: string) {
  let p = providers.get(service);
  if (!p) {
    p = new BasicTracerProvider({
      resource: resourceFromAttributes({ 'service.name': service }),
      spanProcessors: [
        new BatchSpanProcessor(new OTLPTraceExporter({ url: `${server.url}/v1/traces` }), {
          maxQueueSize: 10_000,
          scheduledDelayMillis: 20,
        }),
      ],
    });
    providers.set(service, p);
  }
  return p.getTracer('kinds');
}

/** `n` entry spans of `service` starting `agoMs` before NOW, the first `errors` of them failed. */
function spans(
  service: string,
  agoMs: number,
  n: number,
  errors = 0,
  opts: {
    durationMs?: number;
    attrs?: Record<string, string>;
    child?: string;
    ids?: string[];
  } = {},
) {
  const t = tracer(service);
  for (let i = 0; i < n; i++) {
    const start = NOW - agoMs + i;
    const id = `req_${randomBytes(6).toString('hex')}`;
    opts.ids?.push(id);
    const root = t.startSpan('POST /run', {
      kind: SpanKind.SERVER,
      startTime: start,
      attributes: { 'request.id': id, ...opts.attrs },
    });
    if (opts.child) {
      // The entry span succeeds; its client call fails.
      const c = t.startSpan(
        opts.child,
        { kind: SpanKind.CLIENT, startTime: start },
        trace.setSpan(ROOT_CONTEXT, root),
      );
      if (i < errors) c.setStatus({ code: SpanStatusCode.ERROR });
      c.end(start + 1);
    } else if (i < errors) {
      root.setStatus({ code: SpanStatusCode.ERROR });
    }
    root.end(start + (opts.durationMs ?? 10));
  }
}

const rule = (r: Record<string, unknown>): AlertRule =>
  parseAlertRules({ rules: [{ name: 'r', ...r }] }).rules[0];
const evalAt = (r: Record<string, unknown>) => evaluateRule(rule(r), reader, NOW);

beforeAll(async () => {
  server = await startServer({ port: 0, grpcPort: false, dataDir: join(dir, 'data') });
  const r = server.store.reader;
  if (!r.alertWindowStats || !r.alertExamples || !r.lastSeenNs) throw new Error('no alert reads');
  reader = r as AlertsReader;
  // burn: budget 1% (SLO 99%). Fires on 6h/30m at 6× though not on 1h/5m at 14.4×.
  spans('k-burn', 40 * MIN, 100);
  spans('k-burn', 2 * MIN, 20, 10);
  // burn that already stopped: the long windows burn, the short ones do not.
  spans('k-burn-old', 40 * MIN, 20, 10);
  spans('k-burn-old', 2 * MIN, 20);
  // spike: 2% in the previous 10 minutes, 10% now.
  spans('k-spike', 15 * MIN, 100, 2);
  spans('k-spike', 5 * MIN, 50, 5);
  spans('k-steady', 15 * MIN, 50, 5);
  spans('k-steady', 5 * MIN, 50, 5);
  // latency: 20 fast calls on one model, 2 slow ones on another.
  spans('k-lat', 3 * MIN, 20, 0, { durationMs: 100, attrs: { 'llm.model': 'small' } });
  spans('k-lat', 2 * MIN, 2, 0, {
    durationMs: 3000,
    attrs: { 'llm.model': 'large' },
    ids: slowIds,
  });
  // no data
  spans('k-silent', 20 * MIN, 5);
  spans('k-live', 1 * MIN, 5);
  // an operation failing under healthy entry spans
  spans('k-op', 2 * MIN, 10, 4, { child: 'db.query' });
  await Promise.all([...providers.values()].map((p) => p.forceFlush()));
});

afterAll(async () => {
  await Promise.all([...providers.values()].map((p) => p.shutdown()));
  await server?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('rule kinds on a real store', () => {
  it('burn_rate: needs both windows of a pair', async () => {
    const o = await evalAt({ kind: 'burn_rate', service: 'k-burn', objective: 0.99 });
    expect(o.breaching).toBe(true);
    expect(o.window).toBe('6h & 30m');
    expect(o.value).toBeCloseTo(10 / 120 / 0.01, 6); // long-window burn 8.3×
    expect(o.threshold).toBe(6);
    const old = await evalAt({ kind: 'burn_rate', service: 'k-burn-old', objective: 0.99 });
    expect(old.breaching).toBe(false);
    expect(old.clear).toBe(true);
  });

  it('error_spike: against the previous window, above the floor', async () => {
    const o = await evalAt({ kind: 'error_spike', service: 'k-spike', factor: 3, window: '10m' });
    expect(o).toMatchObject({ breaching: true, value: 0.1 });
    expect(o.threshold).toBeCloseTo(0.06, 9);
    const steady = await evalAt({
      kind: 'error_spike',
      service: 'k-steady',
      factor: 3,
      window: '10m',
    });
    expect(steady.breaching).toBe(false);
  });

  it('latency: p95 over the window, with attribute filters and slow examples', async () => {
    const o = await evalAt({
      kind: 'latency',
      service: 'k-lat',
      threshold_ms: 1000,
      window: '10m',
    });
    expect(o.breaching).toBe(true);
    expect(o.value).toBeGreaterThan(1000);
    const ids = await reader.alertExamples({
      ...o.examples!.scope,
      minDurationNs: o.examples!.minDurationNs,
      limit: 5,
    });
    expect(ids.sort()).toEqual([...slowIds].sort());
    const small = await evalAt({
      kind: 'latency',
      service: 'k-lat',
      threshold_ms: 1000,
      window: '10m',
      where: { 'llm.model': 'small' },
    });
    expect(small).toMatchObject({ breaching: false, value: 100 });
  });

  it('no_data: a service that used to send and stopped', async () => {
    const silent = await evalAt({ kind: 'no_data', service: 'k-silent', window: '10m' });
    expect(silent.breaching).toBe(true);
    expect(silent.value).toBeGreaterThanOrEqual(20 * 60 - 1);
    const live = await evalAt({ kind: 'no_data', service: 'k-live', window: '10m' });
    expect(live.breaching).toBe(false);
    const never = await evalAt({ kind: 'no_data', service: 'k-never', window: '10m' });
    expect(never).toMatchObject({ breaching: false, value: null });
  });

  it('error_rate: entry spans by default, one operation when named', async () => {
    const entry = await evalAt({ kind: 'error_rate', service: 'k-op', threshold: 0.1 });
    expect(entry).toMatchObject({ breaching: false, value: 0 });
    const op = await evalAt({
      kind: 'error_rate',
      service: 'k-op',
      operation: 'db.query',
      threshold: 0.1,
    });
    expect(op).toMatchObject({ breaching: true, value: 0.4 });
    const few = await evalAt({
      kind: 'error_rate',
      service: 'k-op',
      threshold: 0.1,
      min_requests: 11,
    });
    expect(few.value).toBeNull();
  });
});
