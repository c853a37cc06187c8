/**
 * Trace-ID affinity end to end: three real collectors on loopback (each its own DuckDB, tail
 * sampling with a short (2 s) decision window, the same peers list). The official OTLP exporters send
 * every trace's spans and log records spread across all three, so no collector sees a whole
 * trace from the client. Each trace must still be decided exactly once, by one collector, with
 * all its spans: the error sits only on the last service's span, so a collector deciding on a
 * fragment would drop the root and keep the rest, or the reverse.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ROOT_CONTEXT, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import { SeverityNumber } from '@opentelemetry/api-logs';
import { OTLPLogExporter } from '@opentelemetry/exporter-logs-otlp-http';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BatchLogRecordProcessor, LoggerProvider } from '@opentelemetry/sdk-logs';
import { BasicTracerProvider, BatchSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DebugLogsResponse, DebugTraceResponse, HealthResponse } from '../../src/api/types.js';
import { type ServerHandle, startServer } from '../../src/server.js';

const TRACES = 60;
const SERVICES = ['peer-gateway', 'peer-agent', 'peer-tool'] as const;

function tracerProvider(service: string, url: string) {
  return new BasicTracerProvider({
    resource: resourceFromAttributes({ 'service.name': service }),
    spanProcessors: [
      new BatchSpanProcessor(new OTLPTraceExporter({ url: `${url}/v1/traces` }), {
        maxQueueSize: 10_000,
        maxExportBatchSize: 2_000,
        scheduledDelayMillis: 600_000,
      }),
    ],
  });
}

function loggerProvider(service: string, url: string) {
  return new LoggerProvider({
    resource: resourceFromAttributes({ 'service.name': service }),
    processors: [
      new BatchLogRecordProcessor({
        exporter: new OTLPLogExporter({ url: `${url}/v1/logs` }),
        maxQueueSize: 10_000,
        maxExportBatchSize: 2_000,
        scheduledDelayMillis: 600_000,
      }),
    ],
  });
}

async function health(url: string): Promise<HealthResponse> {
  const res = await fetch(`${url}/api/health`);
  return (await res.json()) as HealthResponse;
}

async function until<T>(what: string, probe: () => Promise<T | undefined>): Promise<T> {
  for (let i = 0; i < 600; i++) {
    const v = await probe();
    if (v !== undefined) return v;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`gave up waiting for ${what}`);
}

describe('three collectors with trace-ID affinity', () => {
  const dirs: string[] = [];
  const servers: ServerHandle[] = [];
  const isError = new Map<string, boolean>();
  const traceIds: string[] = [];

  beforeAll(async () => {
    for (let i = 0; i < 3; i++) {
      const dir = mkdtempSync(join(tmpdir(), `hopscope-peers-${i}-`));
      dirs.push(dir);
      servers.push(
        await startServer({
          port: 0,
          grpcPort: false,
          dataDir: dir,
          sampling: { decision_wait: '2s', policies: [{ type: 'errors', name: 'errors' }] },
          // Ports are only known once listening; the membership is set just below.
          peers: [],
        }),
      );
    }
    const urls = servers.map((s) => s.url);
    for (const s of servers) s.peers!.setPeers(urls, s.url);

    // Service k sends to collector k: every trace has one span on each collector.
    const tracers = SERVICES.map((svc, k) => tracerProvider(svc, servers[k]!.url));
    const loggers = SERVICES.map((svc, k) => loggerProvider(svc, servers[k]!.url));
    const t0 = Date.now() - 60_000;
    for (let i = 0; i < TRACES; i++) {
      const start = t0 + i * 10;
      const root = tracers[0]!
        .getTracer('peers')
        .startSpan('POST /chat', { kind: SpanKind.SERVER, startTime: start });
      const agent = tracers[1]!
        .getTracer('peers')
        .startSpan('agent.run', { startTime: start + 1 }, trace.setSpan(ROOT_CONTEXT, root));
      const toolCtx = trace.setSpan(ROOT_CONTEXT, agent);
      const tool = tracers[2]!
        .getTracer('peers')
        .startSpan('tool.call', { startTime: start + 2 }, toolCtx);
      const failed = i % 2 === 0;
      if (failed) tool.setStatus({ code: SpanStatusCode.ERROR, message: 'tool timed out' });
      // The log record goes to a collector other than the tool span's.
      loggers[i % 2]!.getLogger('peers').emit({
        body: `step ${i}`,
        severityNumber: SeverityNumber.INFO,
        context: trace.setSpan(ROOT_CONTEXT, tool),
        timestamp: start + 3,
      });
      tool.end(start + 5);
      agent.end(start + 6);
      root.end(start + 8);
      isError.set(root.spanContext().traceId, failed);
      traceIds.push(root.spanContext().traceId);
    }
    // A log record with no trace stays on the collector that received it.
    loggers[2]!
      .getLogger('peers')
      .emit({ body: 'no trace here', severityNumber: SeverityNumber.WARN });
    await Promise.all([...tracers, ...loggers].map((p) => p.forceFlush()));
    await Promise.all([...tracers, ...loggers].map((p) => p.shutdown()));
  }, 120_000);

  afterAll(async () => {
    await Promise.all(servers.map((s) => s.close()));
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });

  it('decides every trace once and stores it complete on exactly one collector', async () => {
    const healths = await until('every trace decided', async () => {
      const hs = await Promise.all(servers.map((s) => health(s.url)));
      const decided = hs.reduce(
        (n, h) => n + h.sampling!.traces.kept + h.sampling!.traces.dropped,
        0,
      );
      const idle = hs.every(
        (h) => h.sampling!.buffered_traces === 0 && h.sampling!.pending_writes === 0,
      );
      return decided >= TRACES && idle ? hs : undefined;
    });
    const errors = [...isError.values()].filter(Boolean).length;
    const sum = (f: (h: HealthResponse) => number) => healths.reduce((n, h) => n + f(h), 0);
    expect(sum((h) => h.sampling!.traces.kept)).toBe(errors);
    expect(sum((h) => h.sampling!.traces.dropped)).toBe(TRACES - errors);
    expect(sum((h) => h.sampling!.spans.kept)).toBe(3 * errors);
    expect(sum((h) => h.sampling!.spans.dropped)).toBe(3 * (TRACES - errors));
    // Every collector owns some traces and forwarded spans to the others.
    for (const h of healths) {
      expect(h.sampling!.traces.kept + h.sampling!.traces.dropped).toBeGreaterThan(0);
      expect(h.peers!.spans.forwarded).toBeGreaterThan(0);
      expect(h.peers!.spans.failed).toBe(0);
      expect(h.peers!.peers).toEqual([...servers.map((s) => s.url)].sort());
    }
    expect(sum((h) => h.peers!.spans.forwarded)).toBe(sum((h) => h.peers!.spans.received));
    expect(sum((h) => h.peers!.logs.forwarded)).toBe(sum((h) => h.peers!.logs.received));

    const where = async (id: string) => {
      const found: { collector: number; spans: number; logs: number }[] = [];
      for (const [k, s] of servers.entries()) {
        const res = await fetch(`${s.url}/api/debug/trace/${id}`);
        if (res.status === 404) continue;
        const body = (await res.json()) as DebugTraceResponse;
        found.push({ collector: k, spans: body.spans.length, logs: body.logs.length });
      }
      return found;
    };
    const complete = (f: { spans: number; logs: number }[]) =>
      f.length === 1 && f[0]!.spans === 3 && f[0]!.logs === 1;
    for (const id of traceIds) {
      // The kept trace's background write may land a moment after the counters moved.
      let found = await where(id);
      for (let i = 0; i < 30 && isError.get(id) && !complete(found); i++) {
        await new Promise((r) => setTimeout(r, 100));
        found = await where(id);
      }
      if (isError.get(id)) {
        expect({ id, found }).toEqual({
          id,
          found: [{ collector: expect.any(Number), spans: 3, logs: 1 }],
        });
      } else {
        expect({ id, found }).toEqual({ id, found: [] });
      }
    }
  }, 120_000);

  it('keeps a log record without a trace where it arrived, and counts peers in /metrics', async () => {
    const found = await Promise.all(
      servers.map(async (s) => {
        const res = await fetch(`${s.url}/api/debug/logs?q=${encodeURIComponent('no trace here')}`);
        return ((await res.json()) as DebugLogsResponse).count;
      }),
    );
    expect(found).toEqual([0, 0, 1]);
    const metrics = await (await fetch(`${servers[0]!.url}/metrics`)).text();
    const forwarded = (await health(servers[0]!.url)).peers!.spans.forwarded;
    expect(metrics).toContain(
      `hopscope_peer_records_total{signal="spans",result="forwarded"} ${forwarded}`,
    );
  });

  it('closes with no further decisions: nothing was left half-decided', async () => {
    const before = servers.map((s) => s.sampling!.status().traces);
    await Promise.all(servers.map((s) => s.close()));
    expect(servers.map((s) => s.sampling!.status().traces)).toEqual(before);
  });
});
