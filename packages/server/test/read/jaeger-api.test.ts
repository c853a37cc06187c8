import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { JaegerSpan, JaegerTrace } from '../../src/api/types.js';
import { BASE_NS, type Fixture, openFixture, REQ_A, S, T1, T2, T3 } from './fixtures.js';
import { serveApi, type TestApi } from './http.js';

let fx: Fixture;
let api: TestApi;

beforeAll(async () => {
  fx = await openFixture();
  api = await serveApi({ reader: fx.store.reader });
});
afterAll(async () => {
  await api?.close();
  await fx?.close();
});

const baseUs = Number(BASE_NS / 1000n);
const tag = (s: JaegerSpan, key: string) => s.tags.find((t) => t.key === key);

describe('Jaeger /api/traces/:traceId', () => {
  let trace: JaegerTrace;
  beforeAll(async () => {
    const res = await api.get(`/api/traces/${T1}`);
    expect(res.status).toBe(200);
    expect(Object.keys(res.body).sort()).toEqual(['data', 'errors', 'limit', 'offset', 'total']);
    // Jaeger sets total only for lists of names.
    expect(res.body).toMatchObject({ total: 0, limit: 0, offset: 0, errors: null });
    trace = res.body.data[0];
  });

  it('has the Trace and Span fields and nothing else', () => {
    expect(Object.keys(trace).sort()).toEqual(['processes', 'spans', 'traceID', 'warnings']);
    expect(trace.traceID).toBe(T1);
    expect(trace.warnings).toBeNull();
    for (const s of trace.spans) {
      expect(Object.keys(s).sort()).toEqual(
        [
          'duration',
          'flags',
          'logs',
          'operationName',
          'processID',
          'references',
          'spanID',
          'startTime',
          'tags',
          'traceID',
          'warnings',
        ].sort(),
      );
    }
    // 3 OTLP spans plus the python-worker span derived from its log lines.
    expect(trace.spans.map((s) => s.spanID).sort()).toEqual(
      [S.gateway, S.agent, S.agentClient, S.worker].sort(),
    );
  });

  it('maps the root span: µs times, typed tags, scope, status, kind', () => {
    const root = trace.spans.find((s) => s.spanID === S.gateway)!;
    expect(root).toMatchObject({
      traceID: T1,
      operationName: 'POST /chat',
      references: [],
      startTime: baseUs,
      duration: 400_000,
      logs: [],
      warnings: null,
      flags: 1,
    });
    expect(tag(root, 'http.status_code')).toEqual({
      key: 'http.status_code',
      type: 'int64',
      value: 200,
    });
    expect(tag(root, 'http.method')).toEqual({ key: 'http.method', type: 'string', value: 'POST' });
    expect(tag(root, 'span.kind')).toEqual({ key: 'span.kind', type: 'string', value: 'server' });
    expect(tag(root, 'otel.status_code')).toEqual({
      key: 'otel.status_code',
      type: 'string',
      value: 'OK',
    });
    expect(tag(root, 'otel.scope.name')).toEqual({
      key: 'otel.scope.name',
      type: 'string',
      value: '@opentelemetry/instrumentation-http',
    });
    expect(tag(root, 'otel.scope.version')?.value).toBe('0.1.0');
    expect(tag(root, 'error')).toBeUndefined();
    expect(trace.processes[root.processID]).toEqual({
      serviceName: 'gateway',
      tags: [{ key: 'deployment.environment', type: 'string', value: 'test' }],
    });
  });

  it('maps a child: CHILD_OF reference, float tag, events as logs, one process per service', () => {
    const agent = trace.spans.find((s) => s.spanID === S.agent)!;
    expect(agent.references).toEqual([{ refType: 'CHILD_OF', traceID: T1, spanID: S.gateway }]);
    expect(tag(agent, 'decision.confidence')).toEqual({
      key: 'decision.confidence',
      type: 'float64',
      value: 0.82,
    });
    expect(tag(agent, 'otel.status_code')).toBeUndefined();
    expect(agent.logs).toEqual([
      {
        timestamp: baseUs + 60_000,
        fields: [
          { key: 'event', type: 'string', value: 'decision' },
          { key: 'decision.type', type: 'string', value: 'route' },
          { key: 'ok', type: 'bool', value: true },
        ],
      },
    ]);
    const client = trace.spans.find((s) => s.spanID === S.agentClient)!;
    expect(client.processID).toBe(agent.processID);
    expect(tag(client, 'span.kind')?.value).toBe('client');
    expect(tag(client, 'w3c.tracestate')?.value).toBe('vendor=abc');
    expect(Object.keys(trace.processes)).toHaveLength(3);
    const worker = trace.spans.find((s) => s.spanID === S.worker)!;
    expect(worker.references).toEqual([{ refType: 'CHILD_OF', traceID: T1, spanID: S.agent }]);
    expect(tag(worker, 'hopscope.derived_from_logs')).toEqual({
      key: 'hopscope.derived_from_logs',
      type: 'bool',
      value: true,
    });
    expect(trace.processes[worker.processID].serviceName).toBe('python-worker');
  });

  it('maps an error span: error=true, status, description, exception log, link as FOLLOWS_FROM', async () => {
    const res = await api.get(`/api/traces/${T2}`);
    const s: JaegerSpan = res.body.data[0].spans[0];
    expect(tag(s, 'error')).toEqual({ key: 'error', type: 'bool', value: true });
    expect(tag(s, 'otel.status_code')).toEqual({
      key: 'otel.status_code',
      type: 'string',
      value: 'ERROR',
    });
    expect(tag(s, 'otel.status_description')).toEqual({
      key: 'otel.status_description',
      type: 'string',
      value: 'exec timed out',
    });
    expect(tag(s, 'tags')).toEqual({ key: 'tags', type: 'string', value: '["a","b"]' });
    expect(s.references).toEqual([{ refType: 'FOLLOWS_FROM', traceID: T1, spanID: S.agentClient }]);
    expect(s.logs[0].fields[0]).toEqual({ key: 'event', type: 'string', value: 'exception' });
    expect(s.logs[0].fields).toContainEqual({
      key: 'exception.type',
      type: 'string',
      value: 'TimeoutError',
    });
  });

  it('answers 404 and 400 in the Jaeger envelope', async () => {
    const missing = await api.get('/api/traces/ffffffffffffffffffffffffffffffff');
    expect(missing.status).toBe(404);
    expect(missing.body).toEqual({
      data: null,
      total: 0,
      limit: 0,
      offset: 0,
      errors: [{ code: 404, msg: 'trace not found' }],
    });
    const bad = await api.get('/api/traces/not-a-trace');
    expect(bad.status).toBe(400);
    expect(bad.body.errors[0].code).toBe(400);
    expect(bad.body.errors[0].msg).toContain('traceId: expected a trace ID of 32 hex digits');
  });
});

describe('Jaeger search and lists', () => {
  const ids = (body: { data: JaegerTrace[] }) => body.data.map((t) => t.traceID);

  it('lists services and operations', async () => {
    const services = await api.get('/api/services');
    expect(services.body).toEqual({
      data: ['agent', 'gateway', 'sandbox', 'stats-svc'],
      total: 4,
      limit: 0,
      offset: 0,
      errors: null,
    });
    const ops = await api.get('/api/services/agent/operations');
    expect(ops.body.data).toEqual(['POST /exec', 'list_models', 'run_agent']);
    const byKind = await api.get('/api/operations?service=agent&spanKind=client');
    expect(byKind.body.data).toEqual([{ name: 'POST /exec', spanKind: 'client' }]);
    const all = await api.get('/api/operations?service=gateway');
    expect(all.body.data).toEqual([
      { name: 'GET /models', spanKind: 'server' },
      { name: 'POST /chat', spanKind: 'server' },
    ]);
    const badKind = await api.get('/api/operations?spanKind=server2');
    expect(badKind.status).toBe(400);
    expect(badKind.body.errors[0].msg).toContain('spanKind: expected one of');
  });

  it('searches by service, operation, duration and time, newest first', async () => {
    expect(ids((await api.get('/api/traces?service=gateway')).body)).toEqual([T3, T1]);
    expect(ids((await api.get('/api/traces?service=gateway&operation=POST%20/chat')).body)).toEqual(
      [T1],
    );
    expect(ids((await api.get('/api/traces?service=gateway&minDuration=100ms')).body)).toEqual([
      T1,
    ]);
    expect(ids((await api.get('/api/traces?service=gateway&maxDuration=0.05s')).body)).toEqual([
      T3,
    ]);
    const endUs = baseUs + 500_000;
    expect(
      ids((await api.get(`/api/traces?service=gateway&end=${endUs}&lookback=1h`)).body),
    ).toEqual([T1]);
    expect(ids((await api.get('/api/traces?service=gateway&lookback=1m')).body)).toEqual([]);
    // What the Jaeger UI sends for a custom range: explicit start/end, lookback=custom.
    const startUs = baseUs - 1_000_000;
    const custom = `/api/traces?service=gateway&start=${startUs}&end=${endUs}&lookback=custom&minDuration=&limit=20`;
    expect(ids((await api.get(custom)).body)).toEqual([T1]);
    const limited = await api.get('/api/traces?limit=3');
    expect(limited.body.data).toHaveLength(3);
  });

  it('searches across all services by tags: attributes, resource, error', async () => {
    const json = encodeURIComponent('{"http.status_code":"500"}');
    expect(ids((await api.get(`/api/traces?tags=${json}`)).body).sort()).toEqual([T1, T2].sort());
    const both = encodeURIComponent('{"http.status_code":"500","error":"true"}');
    expect(ids((await api.get(`/api/traces?tags=${both}`)).body)).toEqual([T2]);
    expect(
      ids(
        (await api.get(`/api/traces?tags=${encodeURIComponent(`request.id=${REQ_A}`)}`)).body,
      ).sort(),
    ).toEqual([T1, T2].sort());
    expect(
      ids((await api.get('/api/traces?service=gateway&tag=deployment.environment:test')).body),
    ).toEqual([T3, T1]);
    expect(ids((await api.get('/api/traces?tag=deployment.environment:prod')).body)).toEqual([]);
    // Quotes and non-ASCII survive the JSON-text prefilter.
    const uni = encodeURIComponent(JSON.stringify({ 'user.name': 'Zoë "Z" 👋' }));
    expect(ids((await api.get(`/api/traces?tags=${uni}`)).body)).toEqual([T1]);
    // errors=true: traces holding an error span anywhere.
    const errs = ids((await api.get('/api/traces?service=agent&errors=true')).body);
    expect(errs).toEqual([]);
    const errsAll = ids((await api.get('/api/traces?errors=true&limit=1000')).body);
    expect(errsAll).toContain(T2);
    expect(errsAll).not.toContain(T1);
    expect(errsAll).toHaveLength(11);
  });

  it('fetches given traces by traceID, naming the missing ones', async () => {
    const missing = 'ffffffffffffffffffffffffffffffff';
    const res = await api.get(`/api/traces?traceID=${T2}&traceID=${missing}`);
    expect(ids(res.body)).toEqual([T2]);
    expect(res.body.errors).toEqual([{ code: 404, msg: 'trace not found', traceID: missing }]);
    const bad = await api.get('/api/traces?traceID=zz');
    expect(bad.status).toBe(400);
    expect(bad.body.errors[0].msg).toContain('traceID: expected a trace ID');
  });

  it('answers 400 for bad search parameters', async () => {
    const cases: Array<[string, string]> = [
      ['minDuration=5', 'minDuration: expected a duration'],
      ['maxDuration=fast', 'maxDuration: expected a duration'],
      ['start=yesterday', 'start: expected epoch microseconds'],
      ['limit=-1', 'limit: expected an integer from 1 to 1500'],
      ['tags=%7Bbroken', 'tags: expected a JSON object'],
      ['tags=novalue', 'tags: expected k=v pairs'],
      ['minDuration=2s&maxDuration=1s', 'minDuration: expected at most maxDuration'],
      ['lookback=forever', 'lookback: expected a duration'],
    ];
    for (const [query, msg] of cases) {
      const res = await api.get(`/api/traces?${query}`);
      expect(res.status, query).toBe(400);
      expect(res.body.data, query).toBeNull();
      expect(res.body.errors[0].msg, query).toContain(msg);
    }
  });

  it('builds service dependencies with call and error counts', async () => {
    const res = await api.get('/api/dependencies');
    expect(res.body).toEqual({
      data: [{ parent: 'gateway', child: 'agent', callCount: 2, errorCount: 0 }],
      total: 0,
      limit: 0,
      offset: 0,
      errors: null,
    });
    const endTs = Number(BASE_NS / 1_000_000n) + 500;
    const early = await api.get(`/api/dependencies?endTs=${endTs}&lookback=3600000`);
    expect(early.body.data).toEqual([
      { parent: 'gateway', child: 'agent', callCount: 1, errorCount: 0 },
    ]);
    const other = await api.get('/api/dependencies?service=sandbox');
    expect(other.body.data).toEqual([]);
    const bad = await api.get('/api/dependencies?endTs=tomorrow');
    expect(bad.status).toBe(400);
    expect(bad.body.errors[0].msg).toContain('endTs: expected epoch milliseconds');
  });
});
