import { execFileSync } from 'node:child_process';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { serve } from '@hono/node-server';
import { context, ROOT_CONTEXT, SpanKind, trace } from '@opentelemetry/api';
import express from 'express';
import { Hono } from 'hono';
import { afterAll, describe, expect, it } from 'vitest';
import {
  getRequestId,
  getServicesEncountered,
  getUpstreamService,
  runWithRequestId,
  setServicesEncountered,
} from '../../src/context/index.js';
import { hopscope as expressHopscope } from '../../src/http/express/index.js';
import { hopscope as honoHopscope } from '../../src/http/hono/index.js';
import { createCapture } from '../../src/http/testing.js';
import {
  agentMessageContext,
  childOf,
  enrichJson,
  enrichJsonHono,
  enrichJsonResponses,
  startRequestTrace,
  traceMetadataFrom,
  withCorrelation,
  withTraceMetadata,
} from '../../src/payload/index.js';
import { createPropagator } from '../../src/propagation/index.js';
import { findBinary } from './brokers.js';

const capture = createCapture('baseline');
const pythonSrc = fileURLToPath(new URL('../../../../python/src', import.meta.url));

function inSpan<T>(fn: () => T, chain: string[] = []): T {
  const span = capture.tracer.startSpan('agent.run', { kind: SpanKind.INTERNAL });
  const ctx = setServicesEncountered(trace.setSpan(ROOT_CONTEXT, span), chain);
  try {
    return context.with(ctx, () => runWithRequestId('req_3f9a0c1d2e4b', fn));
  } finally {
    span.end();
  }
}

describe('withTraceMetadata / traceMetadataFrom', () => {
  it('round-trips request ID, source service, traceparent and chain', () => {
    const { body, traceId } = inSpan(
      () => ({
        body: withTraceMetadata(
          { code: 'print(1)', metadata: { user: 'u1' } },
          { service: 'baseline' },
        ),
        traceId: trace.getActiveSpan()?.spanContext().traceId,
      }),
      ['ui', 'gateway'],
    );
    expect(body.code).toBe('print(1)');
    expect(body.metadata).toMatchObject({
      user: 'u1',
      request_id: 'req_3f9a0c1d2e4b',
      source_service: 'baseline',
      services_encountered: ['ui', 'gateway', 'baseline'],
    });
    expect(body.metadata.traceparent).toMatch(new RegExp(`^00-${traceId}-[0-9a-f]{16}-0[13]$`));

    const got = traceMetadataFrom(JSON.parse(JSON.stringify(body)));
    expect(got.requestId).toBe('req_3f9a0c1d2e4b');
    expect(got.sourceService).toBe('baseline');
    const ctx = got.toContext({ service: 'sandy' });
    expect(getRequestId(ctx)).toBe('req_3f9a0c1d2e4b');
    expect(getUpstreamService(ctx)).toBe('baseline');
    expect(getServicesEncountered(ctx)).toEqual(['ui', 'gateway', 'baseline', 'sandy']);
    expect(trace.getSpanContext(ctx)?.traceId).toBe(traceId);
  });

  it('rejects bad bodies with a precise message and drops hostile fields', () => {
    expect(() => withTraceMetadata([] as unknown as object)).toThrow(
      /plain object body, got array/,
    );
    expect(() => withTraceMetadata({ metadata: 'x' })).toThrow(/metadata must be an object/);
    const got = traceMetadataFrom({
      metadata: {
        request_id: 'x\r\nSet-Cookie: a',
        source_service: '\u001b[2J',
        traceparent: '00-00000000000000000000000000000000-1234567890123456-01',
        services_encountered: ['ok', 5, 'bad name'],
      },
    });
    expect([got.requestId, got.sourceService, got.traceparent]).toEqual([null, null, null]);
    expect(got.servicesEncountered).toEqual(['ok']);
    expect(getRequestId(got.toContext())).toMatch(/^req_[0-9a-f]{12}$/);
    expect(traceMetadataFrom(null).requestId).toBeNull();
  });

  it.skipIf(findBinary('python3') === undefined)(
    'the Python package reads what Node writes, and Node reads what Python writes',
    () => {
      const body = inSpan(() => withTraceMetadata({ task: 1 }, { service: 'node-svc' }));
      const script = `
import json, sys
from hopscope import trace_metadata_from, with_trace_metadata
got = trace_metadata_from(json.loads(sys.argv[1]))
print(json.dumps({"read": [got.request_id, got.source_service, got.traceparent],
                  "written": with_trace_metadata({"x": 1}, service="py-svc")}))`;
      const out = JSON.parse(
        execFileSync('python3', ['-c', script, JSON.stringify(body)], {
          env: { ...process.env, PYTHONPATH: pythonSrc },
          encoding: 'utf8',
        }),
      );
      expect(out.read).toEqual(['req_3f9a0c1d2e4b', 'node-svc', body.metadata.traceparent]);
      const back = traceMetadataFrom(out.written);
      expect(back.sourceService).toBe('py-svc');
      expect(Object.keys(out.written.metadata).sort()).toEqual([
        'request_id',
        'source_service',
        'traceparent',
      ]);
    },
  );
});

describe('agent messages', () => {
  it('withCorrelation, childOf and agentMessageContext keep one correlation ID', () => {
    const original = withCorrelation({ id: 'm1', action: 'task_add' }, 'corr-1234');
    expect(original.correlation_id).toBe('corr-1234');
    expect(() => withCorrelation({}, 'bad id')).toThrow(/1-128 characters/);
    expect(inSpan(() => withCorrelation({ a: 1 })).correlation_id).toBe('req_3f9a0c1d2e4b');

    const child = inSpan(() => childOf(original, { action: 'storage_save' }, { service: 'orch' }));
    expect(child.correlation_id).toBe('corr-1234');
    expect(child.parent_id).toBe('m1');
    expect(child.id).not.toBe('m1');
    expect(child.metadata.request_id).toBe('corr-1234');
    expect(() => childOf(original, { correlation_id: 'x' })).toThrow(/keeps the parent/);

    const ctx = agentMessageContext(child, { service: 'storage-agent' });
    expect(getRequestId(ctx)).toBe('corr-1234');
    expect(trace.getSpanContext(ctx)?.traceId).toMatch(/^[0-9a-f]{32}$/);
    expect(getServicesEncountered(ctx)).toEqual(['orch', 'storage-agent']);
  });

  it('RequestTrace records the agents visited on the span and logs the outcome', () => {
    capture.reset();
    const span = capture.tracer.startSpan('orchestrator.handle');
    const rt = context.with(trace.setSpan(ROOT_CONTEXT, span), () => {
      const t = startRequestTrace('corr-99');
      t.addHop('orchestrator');
      t.addHop('task-agent');
      t.addHop('bad name\n');
      t.complete(true);
      return t;
    });
    span.end();
    expect(rt.path).toEqual(['orchestrator', 'task-agent']);
    expect(rt.status).toBe('success');
    expect(rt.durationMs).toBeGreaterThanOrEqual(0);
    const done = capture.spans().find((s) => s.name === 'orchestrator.handle')!;
    expect(done.attributes['agent.path']).toEqual(['orchestrator', 'task-agent']);
    expect(done.attributes['agent.hop_count']).toBe(2);
    expect(done.events.map((e) => e.attributes?.['agent.name'])).toEqual([
      'orchestrator',
      'task-agent',
    ]);
  });
});

describe('JSON response enrichment on real servers', () => {
  const servers: { close(): unknown }[] = [];
  afterAll(() => {
    for (const s of servers) s.close();
  });
  const propagator = createPropagator({ service: 'ingestion-api', servicesEncountered: true });
  const headers = {
    'x-request-id': 'req_aaaaaaaaaaaa',
    'x-services-encountered': 'client-app,api-gateway',
    traceparent: '00-12345678901234567890123456789012-1234567890123456-01',
  };

  it('express: res.json bodies get trace_id, request_id and services_encountered', async () => {
    const app = express();
    app.use(expressHopscope({ tracer: capture.tracer, logger: capture.logger, propagator }));
    app.use(enrichJsonResponses({ service: 'ingestion-api' }));
    app.post('/gps', (_req, res) => res.status(201).json({ status: 'success', trace_id: 'mine' }));
    app.get('/list', (_req, res) => res.json([1, 2]));
    const server: Server = app.listen(0, '127.0.0.1');
    servers.push(server);
    await new Promise((r) => server.once('listening', r));
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const body = await (await fetch(`${base}/gps`, { method: 'POST', headers })).json();
    expect(body).toEqual({
      status: 'success',
      trace_id: 'mine',
      request_id: 'req_aaaaaaaaaaaa',
      services_encountered: ['client-app', 'api-gateway', 'ingestion-api'],
    });
    expect(await (await fetch(`${base}/list`, { headers })).json()).toEqual([1, 2]);
  });

  it('hono: JSON object responses are rewritten, others pass through', async () => {
    const app = new Hono();
    app.use(honoHopscope({ tracer: capture.tracer, logger: capture.logger, propagator }));
    app.use(enrichJsonHono({ service: 'ingestion-api' }));
    app.get('/ok', (c) => c.json({ status: 'ok' }));
    app.get('/text', (c) => c.text('plain'));
    const server = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' });
    servers.push(server);
    await new Promise((r) => server.once('listening', r));
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const res = await fetch(`${base}/ok`, { headers });
    const body = await res.json();
    expect(body).toEqual({
      status: 'ok',
      trace_id: '12345678901234567890123456789012',
      request_id: 'req_aaaaaaaaaaaa',
      services_encountered: ['client-app', 'api-gateway', 'ingestion-api'],
    });
    expect(res.headers.get('x-request-id')).toBe('req_aaaaaaaaaaaa');
    expect(await (await fetch(`${base}/text`, { headers })).text()).toBe('plain');
  });

  it('enrichJson leaves non-objects alone', () => {
    expect(enrichJson('x')).toBe('x');
    const date = new Date(0);
    expect(enrichJson(date)).toBe(date);
  });
});
