/**
 * Tail sampling end to end: a real server (DuckDB in a temp dir, port 0, a short decision
 * window) receives 1,000 traces of known properties from the official OTLP/protobuf exporter,
 * and the query API must hold exactly the traces the policies keep, with their log lines.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  ROOT_CONTEXT,
  type Span,
  SpanKind,
  SpanStatusCode,
  TraceFlags,
  trace,
} from '@opentelemetry/api';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BasicTracerProvider, BatchSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type {
  DebugLogsResponse,
  HealthResponse,
  JaegerTracesResponse,
} from '../../src/api/types.js';
import type { SamplingConfigInput } from '../../src/pipeline/sampling/index.js';
import { type ServerHandle, startServer } from '../../src/server.js';

const TRACES = 1000;
const KINDS = ['error', 'slow', 'vip', 'model', 'slow_select', 'other_op'] as const;
type Kind = (typeof KINDS)[number] | 'rest';

const CONFIG: SamplingConfigInput = {
  decision_wait: '1s',
  policies: [
    { type: 'errors', name: 'errors' },
    {
      type: 'latency',
      name: 'slow-select',
      service: 'e2e-db',
      operation: 'SELECT',
      threshold: '500ms',
    },
    { type: 'latency', name: 'slow-trace', threshold: '1s' },
    { type: 'attribute', name: 'vip', key: 'user.id', value: 'vip-7' },
    { type: 'attribute', name: 'llm', key: 'gen_ai.request.model' },
    { type: 'probabilistic', name: 'ten-percent', percent: 10 },
  ],
};

/** The OpenTelemetry consistent-probability rule, written out independently of the server. */
const keptAtTenPercent = (traceId: string) =>
  BigInt(`0x${traceId.slice(-14)}`) >= (2n ** 56n * 9n) / 10n;

function provider(service: string, url: string) {
  return new BasicTracerProvider({
    resource: resourceFromAttributes({ 'service.name': service }),
    spanProcessors: [
      // Nothing leaves before forceFlush, so the test controls which service's spans come first.
      new BatchSpanProcessor(new OTLPTraceExporter({ url: `${url}/v1/traces` }), {
        maxQueueSize: 10_000,
        maxExportBatchSize: 2_000,
        scheduledDelayMillis: 600_000,
      }),
    ],
  });
}

async function getJson<T>(url: string): Promise<T> {
  const res = await fetch(url);
  if (!res.ok && res.status !== 503) throw new Error(`${url}: ${res.status} ${await res.text()}`);
  return (await res.json()) as T;
}

async function until<T>(what: string, probe: () => Promise<T | undefined>): Promise<T> {
  for (let i = 0; i < 600; i++) {
    const v = await probe();
    if (v !== undefined) return v;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`gave up waiting for ${what}`);
}

/** Every decided trace counted and written: the buffer is empty and nothing is in flight. */
function settled(url: string, traces: number) {
  return until('sampling decisions', async () => {
    const h = await getJson<HealthResponse>(`${url}/api/health`);
    const s = h.sampling;
    if (!s) throw new Error('health has no sampling section');
    const done = s.traces.kept + s.traces.dropped === traces;
    return done && s.buffered_traces === 0 && s.pending_writes === 0 ? h : undefined;
  });
}

async function storedTraces(url: string): Promise<Map<string, number>> {
  const q = new URLSearchParams({ service: 'e2e-api', lookback: '2h', limit: '1500' });
  const body = await getJson<JaegerTracesResponse>(`${url}/api/traces?${q}`);
  return new Map((body.data ?? []).map((t) => [t.traceID, t.spans.length]));
}

describe('tail sampling through a real server', () => {
  let dir: string;
  let server: ServerHandle;
  const kindOf = new Map<string, Kind>();
  const expected = new Set<string>();

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'hopscope-sampling-'));
    server = await startServer({ port: 0, grpcPort: false, dataDir: dir, sampling: CONFIG });
    const api = provider('e2e-api', server.url);
    const db = provider('e2e-db', server.url);
    const apiTracer = api.getTracer('e2e');
    const dbTracer = db.getTracer('e2e');
    const t0 = Date.now() - 60_000;

    for (let i = 0; i < TRACES; i++) {
      const kind: Kind = i % 10 < KINDS.length ? KINDS[i % 10]! : 'rest';
      const start = t0 + i;
      // Slow traces are slow in every span and marked traces are marked on every span, so the
      // decision does not depend on which of a trace's spans reach the collector first.
      const long = kind === 'slow' ? 1500 : 20;
      const attrs: Record<string, string> = {};
      if (kind === 'vip') attrs['user.id'] = 'vip-7';
      else attrs['user.id'] = `user-${i}`;
      if (kind === 'model') attrs['gen_ai.request.model'] = 'gpt-4o-mini';
      const root = apiTracer.startSpan('POST /chat', {
        kind: SpanKind.SERVER,
        startTime: start,
        attributes: attrs,
      });
      const ctx = trace.setSpan(ROOT_CONTEXT, root);
      const childName = kind === 'slow_select' ? 'SELECT' : 'INSERT';
      // The per-operation policy: SELECT ≥ 500 ms keeps; INSERT 700 ms does not (other op), and
      // the trace stays under the 1 s trace threshold.
      const childMs = kind === 'slow_select' ? 600 : kind === 'other_op' ? 700 : long - 5;
      const child = dbTracer.startSpan(
        childName,
        { kind: SpanKind.CLIENT, startTime: start + 1, attributes: attrs },
        ctx,
      );
      if (kind === 'error') {
        for (const s of [child, root] as Span[]) s.setStatus({ code: SpanStatusCode.ERROR });
      }
      child.end(start + 1 + childMs);
      root.end(start + Math.max(long, childMs + 2));
      const traceId = root.spanContext().traceId;
      kindOf.set(traceId, kind);
      if (kind !== 'rest' && kind !== 'other_op') expected.add(traceId);
      else if (keptAtTenPercent(traceId)) expected.add(traceId);
    }
    // The db spans carry the per-operation property: all are acknowledged before any root is
    // sent, so a root arriving after its trace was decided still follows the decision.
    await db.forceFlush();
    await api.forceFlush();
    await Promise.all([db.shutdown(), api.shutdown()]);
  }, 120_000);

  afterAll(async () => {
    await server?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('stores exactly the traces the policies keep, each complete', async () => {
    const health = await settled(server.url, TRACES);
    const stored = await storedTraces(server.url);
    const missing = [...expected].filter((id) => !stored.has(id)).map((id) => kindOf.get(id));
    const extra = [...stored.keys()].filter((id) => !expected.has(id)).map((id) => kindOf.get(id));
    expect({ missing, extra }).toEqual({ missing: [], extra: [] });
    expect(stored.size).toBe(expected.size);
    for (const [id, spans] of stored) expect({ id, spans }).toEqual({ id, spans: 2 });

    const s = health.sampling!;
    expect(s.traces).toEqual({ kept: expected.size, dropped: TRACES - expected.size });
    expect(s.spans).toEqual({ kept: 2 * expected.size, dropped: 2 * (TRACES - expected.size) });
    const count = (k: Kind) => [...kindOf.values()].filter((v) => v === k).length;
    const byPolicy = Object.fromEntries(s.policies.map((p) => [p.name, p.kept]));
    expect(byPolicy).toEqual({
      errors: count('error'),
      'slow-select': count('slow_select'),
      'slow-trace': count('slow'),
      vip: count('vip'),
      llm: count('model'),
      'ten-percent': expected.size - 500,
    });
    const metrics = await (await fetch(`${server.url}/metrics`)).text();
    expect(metrics).toContain(
      `hopscope_sampling_policy_traces_total{policy="errors",type="errors",result="kept"} ${count('error')}`,
    );
    expect(metrics).toContain(`hopscope_sampling_traces_total{decision="kept"} ${expected.size}`);
    expect(metrics).toContain(
      `hopscope_sampling_traces_total{decision="dropped"} ${TRACES - expected.size}`,
    );
  });

  it('late spans follow their trace; log lines follow it unless warn or above', async () => {
    const ids = [...kindOf.keys()];
    const keptId = ids.find((id) => expected.has(id))!;
    const droppedId = ids.find((id) => !expected.has(id))!;

    // Late spans: children of each trace's root, sent after both were decided.
    const late = provider('e2e-api', server.url);
    const tracer = late.getTracer('late');
    for (const traceId of [keptId, droppedId]) {
      const parent = trace.setSpanContext(ROOT_CONTEXT, {
        traceId,
        spanId: '00000000000000aa',
        traceFlags: TraceFlags.SAMPLED,
      });
      // An error on the dropped trace's late span must not bring it back.
      const span = tracer.startSpan('late', {}, parent);
      span.setStatus({ code: SpanStatusCode.ERROR });
      span.end();
    }
    await late.forceFlush();
    await late.shutdown();

    // Log lines for a kept and a dropped trace (info and warn each), and one with no trace.
    const lines = [keptId, droppedId].flatMap((traceId) =>
      ['info', 'warn'].map((level) =>
        JSON.stringify({
          level,
          message: `${level} ${traceId}`,
          trace_id: traceId,
          service: 'e2e-logs',
        }),
      ),
    );
    lines.push(JSON.stringify({ level: 'info', message: 'no trace', service: 'e2e-logs' }));
    const res = await fetch(`${server.url}/api/ingest/logs`, {
      method: 'POST',
      body: lines.join('\n'),
    });
    expect(res.status).toBe(200);

    const stored = await until('late span of the kept trace', async () => {
      const t = await storedTraces(server.url);
      return t.get(keptId) === 3 ? t : undefined;
    });
    expect(stored.has(droppedId)).toBe(false);
    const logs = await getJson<DebugLogsResponse>(
      `${server.url}/api/debug/logs?service=e2e-logs&since=1h&limit=100`,
    );
    expect(logs.logs.map((l) => l.message).sort()).toEqual(
      [`info ${keptId}`, `warn ${keptId}`, `warn ${droppedId}`, 'no trace'].sort(),
    );
    const h = await getJson<HealthResponse>(`${server.url}/api/health`);
    // One span and one info line each; warn lines and the line without a trace pass.
    expect(h.sampling!.late).toEqual({ kept: 2, dropped: 2 });
    expect(h.sampling!.logs).toMatchObject({ kept: 1, dropped: 1, passed: 3 });
  });
});

describe('shutdown decides and writes every pending trace', () => {
  it('holds traces for a long window, then close() flushes them to the store', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'hopscope-sampling-close-'));
    try {
      const server = await startServer({
        port: 0,
        grpcPort: false,
        dataDir: dir,
        sampling: {
          decision_wait: '10m',
          policies: [{ type: 'errors' }, { type: 'probabilistic', percent: 0 }],
        },
      });
      const p = provider('e2e-api', server.url);
      const tracer = p.getTracer('close');
      const ids: { id: string; error: boolean }[] = [];
      for (let i = 0; i < 20; i++) {
        const s = tracer.startSpan('job');
        if (i % 4 === 0) s.setStatus({ code: SpanStatusCode.ERROR });
        s.end();
        ids.push({ id: s.spanContext().traceId, error: i % 4 === 0 });
      }
      await p.forceFlush();
      await p.shutdown();
      const before = await getJson<HealthResponse>(`${server.url}/api/health`);
      expect(before.sampling!.buffered_traces).toBe(20);
      expect((await storedTraces(server.url)).size).toBe(0);
      await server.close();

      // Reopened without sampling: the errors were written at shutdown, the rest dropped.
      const again = await startServer({ port: 0, grpcPort: false, dataDir: dir });
      try {
        const stored = await storedTraces(again.url);
        expect([...stored.keys()].sort()).toEqual(
          ids
            .filter((t) => t.error)
            .map((t) => t.id)
            .sort(),
        );
        const health = await getJson<HealthResponse>(`${again.url}/api/health`);
        expect('sampling' in health).toBe(false);
      } finally {
        await again.close();
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 60_000);
});
