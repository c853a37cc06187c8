import { type Attributes, ROOT_CONTEXT, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import { ExportResultCode } from '@opentelemetry/core';
import { OTLPLogExporter } from '@opentelemetry/exporter-logs-otlp-http';
import { OTLPLogExporter as ProtoLogExporter } from '@opentelemetry/exporter-logs-otlp-proto';
import { OTLPTraceExporter as GrpcExporter } from '@opentelemetry/exporter-trace-otlp-grpc';
import { OTLPTraceExporter as HttpJsonExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { OTLPTraceExporter as ProtoExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { resourceFromAttributes } from '@opentelemetry/resources';
import {
  InMemoryLogRecordExporter,
  LoggerProvider,
  type ReadableLogRecord,
  SimpleLogRecordProcessor,
} from '@opentelemetry/sdk-logs';
import type { ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { exportWith, hex, memoryTracer, testServer } from './helpers.js';

type Server = Awaited<ReturnType<typeof testServer>>;

/** Real spans from the official SDK, captured in memory so each exporter sends the same kind. */
function makeSpans(service: string, requestId: string): ReadableSpan[] {
  const { tracer, finished } = memoryTracer({ 'service.name': service }, 'test-scope', '1.2.3');
  const root = tracer.startSpan('GET /checkout', {
    kind: SpanKind.SERVER,
    attributes: {
      'request.id': requestId,
      'http.request.method': 'GET',
      'http.response.status_code': 500,
      'http.request.header.authorization': ['Bearer abc.def.ghi'],
      'gen_ai.usage.input_tokens': 42,
    } as Attributes,
  });
  root.addEvent('cache miss', { key: 'user:1' });
  const child = tracer.startSpan(
    'SELECT users',
    { kind: SpanKind.CLIENT },
    trace.setSpan(ROOT_CONTEXT, root),
  );
  child.setStatus({ code: SpanStatusCode.ERROR, message: 'timeout' });
  child.end();
  root.setStatus({ code: SpanStatusCode.ERROR });
  root.end();
  return finished();
}

describe('official OpenTelemetry exporters against a real server', () => {
  let server: Server;
  beforeAll(async () => {
    server = await testServer();
  });
  afterAll(async () => {
    await server?.stop();
  });

  const cases: [string, () => { export: never; shutdown: () => Promise<void> }][] = [
    ['http/json', () => new HttpJsonExporter({ url: `${server.url}/v1/traces` }) as never],
    ['http/protobuf', () => new ProtoExporter({ url: `${server.url}/v1/traces` }) as never],
    [
      'http/protobuf gzip',
      () =>
        new ProtoExporter({
          url: `${server.url}/v1/traces`,
          compression: 'gzip' as never,
        }) as never,
    ],
    ['grpc', () => new GrpcExporter({ url: `http://127.0.0.1:${server.grpcPort}` }) as never],
    [
      'grpc gzip',
      () =>
        new GrpcExporter({
          url: `http://127.0.0.1:${server.grpcPort}`,
          compression: 'gzip' as never,
        }) as never,
    ],
  ];

  for (const [name, make] of cases) {
    it(`stores spans sent over ${name}`, async () => {
      const requestId = `req_${name.replace(/\W/g, '')}`;
      const spans = makeSpans(`svc-${name.replace(/\W/g, '-')}`, requestId);
      const exporter = make();
      const result = await exportWith(exporter as never, spans);
      await exporter.shutdown();
      expect(result.error).toBeUndefined();
      expect(result.code).toBe(ExportResultCode.SUCCESS);

      const traceId = spans[0]!.spanContext().traceId;
      const found = await server.store.reader.lookup({ traceIds: [traceId], requestIds: [] });
      expect(found.spans).toHaveLength(2);
      const root = found.spans.find((s) => s.name === 'GET /checkout')!;
      const child = found.spans.find((s) => s.name === 'SELECT users')!;
      expect(root.service).toBe(`svc-${name.replace(/\W/g, '-')}`);
      expect(root.kind).toBe(2);
      expect(root.statusCode).toBe(2);
      expect(root.requestId).toBe(requestId);
      expect(root.attributes['http.response.status_code']).toBe(500);
      expect(root.attributes['gen_ai.usage.input_tokens']).toBe(42);
      expect(root.attributes['http.request.header.authorization']).toBe('[REDACTED]');
      expect(root.events[0]?.name).toBe('cache miss');
      expect(root.scopeName).toBe('test-scope');
      expect(child.parentSpanId).toBe(root.spanId);
      expect(child.statusMessage).toBe('timeout');
      expect(child.durationNs).toBeGreaterThanOrEqual(0n);
      expect(root.startNs).toBe(
        BigInt(spans.find((s) => s.name === 'GET /checkout')!.startTime[0]) * 1_000_000_000n +
          BigInt(spans.find((s) => s.name === 'GET /checkout')!.startTime[1]),
      );

      const byRequest = await server.store.reader.lookup({ traceIds: [], requestIds: [requestId] });
      expect(byRequest.spans.map((s) => s.spanId).sort()).toEqual(
        found.spans.map((s) => s.spanId).sort(),
      );
    });
  }

  for (const [logProtocol, makeLogExporter] of [
    ['http/json', (url: string) => new OTLPLogExporter({ url })],
    ['http/protobuf', (url: string) => new ProtoLogExporter({ url })],
  ] as const) {
    it(`stores log records sent by the OTLP log exporter over ${logProtocol}, with trace context and level`, async () => {
      const memory = new InMemoryLogRecordExporter();
      const provider = new LoggerProvider({
        resource: resourceFromAttributes({ 'service.name': 'billing' }),
        processors: [new SimpleLogRecordProcessor({ exporter: memory })],
      });
      const logger = provider.getLogger('billing-logger');
      const traceId = hex(16);
      logger.emit({
        severityNumber: 17,
        severityText: 'ERROR',
        body: 'charge failed',
        attributes: {
          request_id: `req_${logProtocol.replace(/\W/g, '')}`,
          password: 'hunter2',
          'event.name': 'charge_failed',
        },
        context: trace.setSpanContext(ROOT_CONTEXT, {
          traceId,
          spanId: '00f067aa0ba902b7',
          traceFlags: 1,
        }),
      });
      logger.emit({ severityNumber: 9, body: { structured: true, n: 1 } });
      await provider.forceFlush();
      const records: ReadableLogRecord[] = memory.getFinishedLogRecords();
      expect(records).toHaveLength(2);

      const exporter = makeLogExporter(`${server.url}/v1/logs`);
      const result = await exportWith(exporter as never, records);
      await exporter.shutdown();
      expect(result.code).toBe(ExportResultCode.SUCCESS);

      const found = await server.store.reader.lookup({
        traceIds: [],
        requestIds: [`req_${logProtocol.replace(/\W/g, '')}`],
      });
      expect(found.logs).toHaveLength(1);
      const log = found.logs[0]!;
      expect(log.service).toBe('billing');
      expect(log.level).toBe('error');
      expect(log.body).toBe('charge failed');
      expect(log.event).toBe('charge_failed');
      expect(log.traceId).toBe(traceId);
      expect(log.spanId).toBe('00f067aa0ba902b7');
      expect(log.attributes.password).toBe('[REDACTED]');
      expect(log.source).toBe('otlp');

      const metrics = await (await fetch(`${server.url}/metrics`)).text();
      expect(metrics).toMatch(/hopscope_redactions_total \d+/);
      const redactions = Number(/hopscope_redactions_total (\d+)/.exec(metrics)?.[1]);
      expect(redactions).toBeGreaterThanOrEqual(1);
    });
  }
});
