/**
 * End to end through a real server: the official OTLP/HTTP exporters send spans of two services
 * that share only the request ID (the second did not propagate traceparent) and OTLP logs; a
 * log-only service posts NDJSON lines. The query API must give back every hop.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ROOT_CONTEXT, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import { OTLPLogExporter } from '@opentelemetry/exporter-logs-otlp-http';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { LoggerProvider, SimpleLogRecordProcessor } from '@opentelemetry/sdk-logs';
import { BasicTracerProvider, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DebugTraceResponse, JaegerTracesResponse } from '../../src/api/types.js';
import { type ServerHandle, startServer } from '../../src/server.js';

const REQ = 'req_e2e0e2e0e2e0';
let dir: string;
let server: ServerHandle;
let gatewayTrace: string;
let gatewayClientSpan: string;
let gatewayRootSpan: string;

function tracerProvider(service: string) {
  return new BasicTracerProvider({
    resource: resourceFromAttributes({ 'service.name': service, 'service.version': '1.0.0' }),
    spanProcessors: [
      new SimpleSpanProcessor(new OTLPTraceExporter({ url: `${server.url}/v1/traces` })),
    ],
  });
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'hopscope-e2e-read-'));
  server = await startServer({ port: 0, grpcPort: false, dataDir: dir });

  const gateway = tracerProvider('gateway');
  const gt = gateway.getTracer('gateway-http', '2.0.0');
  const root = gt.startSpan('POST /chat', {
    kind: SpanKind.SERVER,
    attributes: { 'request.id': REQ },
  });
  const rootCtx = trace.setSpan(ROOT_CONTEXT, root);
  const client = gt.startSpan(
    'POST /exec',
    { kind: SpanKind.CLIENT, attributes: { 'request.id': REQ } },
    rootCtx,
  );
  gatewayTrace = root.spanContext().traceId;
  gatewayRootSpan = root.spanContext().spanId;
  gatewayClientSpan = client.spanContext().spanId;

  // The sandbox got only x-request-id: a new trace.
  const sandbox = tracerProvider('sandbox');
  const st = sandbox.getTracer('sandbox-http');
  const sb = st.startSpan('POST /exec', {
    kind: SpanKind.SERVER,
    attributes: { 'request.id': REQ },
  });
  sb.recordException(Object.assign(new Error('container exited 137'), { name: 'SandboxError' }));
  sb.setStatus({ code: SpanStatusCode.ERROR, message: 'container exited 137' });
  await new Promise((r) => setTimeout(r, 15));
  sb.end();
  client.end();

  // OTLP logs of the gateway inside its root span: correlated by trace, no request ID field.
  const logs = new LoggerProvider({
    resource: resourceFromAttributes({ 'service.name': 'gateway' }),
    processors: [
      new SimpleLogRecordProcessor({
        exporter: new OTLPLogExporter({ url: `${server.url}/v1/logs` }),
      }),
    ],
  });
  logs.getLogger('gateway').emit({
    severityNumber: 9,
    severityText: 'INFO',
    body: 'routing to sandbox',
    context: rootCtx,
  });

  // python-worker writes only DESIGN.md log lines, under the gateway's client span.
  const t0 = Date.now();
  const iso = (ms: number) => new Date(ms).toISOString();
  const common = {
    service: 'python-worker',
    request_id: REQ,
    trace_id: gatewayTrace,
    span_id: 'a1b2c3d4e5f60718',
    parent_span_id: gatewayClientSpan,
  };
  const lines = [
    {
      ...common,
      timestamp: iso(t0),
      level: 'info',
      event: 'request_received',
      message: 'in',
      method: 'POST',
      path: '/embed',
    },
    {
      ...common,
      timestamp: iso(t0 + 7),
      level: 'info',
      event: 'request_completed',
      message: 'out',
      method: 'POST',
      path: '/embed',
      status_code: 200,
      duration_ms: 6.25,
    },
  ];
  const res = await fetch(`${server.url}/api/ingest/logs`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-ndjson' },
    body: lines.map((l) => JSON.stringify(l)).join('\n'),
  });
  expect(res.status).toBeLessThan(300);

  root.end();
  await Promise.all([gateway.forceFlush(), sandbox.forceFlush(), logs.forceFlush()]);
  await Promise.all([gateway.shutdown(), sandbox.shutdown(), logs.shutdown()]);
});

afterAll(async () => {
  await server?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('query API over data sent by the official exporters', () => {
  it('stitches both traces, the OTLP log and the log-only service by request ID', async () => {
    const res = await fetch(`${server.url}/api/debug/trace/${REQ}`);
    expect(res.status).toBe(200);
    const r = (await res.json()) as DebugTraceResponse;
    expect(r.trace_ids).toHaveLength(2);
    expect(r.trace_ids).toContain(gatewayTrace);
    expect(new Set(r.services)).toEqual(new Set(['gateway', 'sandbox', 'python-worker']));
    expect(r.logs.map((l) => l.message)).toContain('routing to sandbox');
    const worker = r.spans.find((s) => s.service === 'python-worker')!;
    expect(worker).toMatchObject({
      derived_from_logs: true,
      parent_span_id: gatewayClientSpan,
      depth: 2,
      duration_ms: 6.25,
      name: 'POST /embed',
    });
    expect(r.first_error).toMatchObject({
      service: 'sandbox',
      message: 'container exited 137',
      error_type: 'SandboxError',
      type: 'span',
    });
    expect(r.hops.filter((h) => h.type === 'span')).toHaveLength(3);
  });

  it('answers a pasted traceparent of the gateway with the whole request', async () => {
    const tp = `00-${gatewayTrace}-${gatewayRootSpan}-01`;
    const r = (await (
      await fetch(`${server.url}/api/debug/trace/${tp}`)
    ).json()) as DebugTraceResponse;
    expect(r.query.kind).toBe('traceparent');
    expect(r.request_id).toBe(REQ);
    expect(r.services).toContain('sandbox');
  });

  it('serves the gateway trace in Jaeger shape, with the derived span', async () => {
    const r = (await (
      await fetch(`${server.url}/api/traces/${gatewayTrace}`)
    ).json()) as JaegerTracesResponse;
    const t = r.data![0];
    expect(t.spans).toHaveLength(3);
    const root = t.spans.find((s) => s.spanID === gatewayRootSpan)!;
    expect(root.tags).toContainEqual({
      key: 'otel.scope.name',
      type: 'string',
      value: 'gateway-http',
    });
    expect(root.tags).toContainEqual({ key: 'span.kind', type: 'string', value: 'server' });
    expect(t.processes[root.processID].serviceName).toBe('gateway');
    expect(t.processes[root.processID].tags).toContainEqual({
      key: 'service.version',
      type: 'string',
      value: '1.0.0',
    });
    const services = (await (await fetch(`${server.url}/api/services`)).json()) as {
      data: string[];
    };
    expect(services.data).toEqual(['gateway', 'sandbox']);
  });
});
