/**
 * A small platform's worth of real data, written through the real write path into a real DuckDB
 * file: request A crosses gateway → agent (trace T1), a sandbox that did not propagate
 * traceparent (trace T2, shares only the request ID), a log-only python-worker (span_id and
 * request_received/request_completed lines under the agent span) and a billing service that
 * writes lines with no trace at all. Request B is a second, healthy request. stats-svc carries
 * 100 server spans of 1..100 ms, 10 of them errors, for exact percentiles.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DuckDbStore } from '../../src/store/duckdb/store.js';
import type { LogRecord, SpanRecord } from '../../src/store/records.js';

export const REQ_A = 'req_aaaaaaaaaaaa';
export const REQ_B = 'req_bbbbbbbbbbbb';
export const T1 = '4bf92f3577b34da6a3ce929d0e0e4736';
export const T2 = '0af7651916cd43dd8448eb211c80319c';
export const T3 = 'b7ad6b7169203331b7ad6b7169203331';
export const S = {
  gateway: '00f067aa0ba902b7',
  agent: '1111111111111111',
  agentClient: '2222222222222222',
  sandbox: '3333333333333333',
  worker: '4444444444444444',
  gatewayB: '5555555555555555',
  agentB: '6666666666666666',
};

const MS = 1_000_000n;

/** Ten minutes ago, whole second: inside the default 1h windows of the API. */
export const BASE_NS = (BigInt(Date.now()) / 1000n - 600n) * 1000n * MS;
export const at = (ms: number) => BASE_NS + BigInt(Math.round(ms * 1e6));

function span(
  p: Partial<SpanRecord> & Pick<SpanRecord, 'traceId' | 'spanId' | 'name' | 'service'>,
): SpanRecord {
  return {
    kind: 2,
    startNs: BASE_NS,
    durationNs: 0n,
    statusCode: 0,
    attributes: {},
    resource: { 'service.name': p.service, 'deployment.environment': 'test' },
    events: [],
    links: [],
    ...p,
  };
}

function log(
  p: Partial<LogRecord> & Pick<LogRecord, 'timestampNs' | 'service' | 'body'>,
): LogRecord {
  return {
    severityNumber: 9,
    level: 'info',
    attributes: {},
    resource: {},
    source: 'ndjson',
    ...p,
  };
}

export function platformSpans(): SpanRecord[] {
  return [
    span({
      traceId: T1,
      spanId: S.gateway,
      name: 'POST /chat',
      service: 'gateway',
      startNs: at(0),
      durationNs: 400n * MS,
      statusCode: 1,
      requestId: REQ_A,
      attributes: {
        'request.id': REQ_A,
        'http.method': 'POST',
        'http.status_code': 200,
        'user.name': 'Zoë "Z" 👋',
      },
      scopeName: '@opentelemetry/instrumentation-http',
      scopeVersion: '0.1.0',
    }),
    span({
      traceId: T1,
      spanId: S.agent,
      parentSpanId: S.gateway,
      name: 'run_agent',
      service: 'agent',
      startNs: at(50),
      durationNs: 300n * MS,
      requestId: REQ_A,
      attributes: {
        'request.id': REQ_A,
        'gen_ai.request.model': 'gpt-4o',
        'decision.confidence': 0.82,
      },
      events: [
        { timeNs: at(60), name: 'decision', attributes: { 'decision.type': 'route', ok: true } },
      ],
    }),
    span({
      traceId: T1,
      spanId: S.agentClient,
      parentSpanId: S.agent,
      name: 'POST /exec',
      service: 'agent',
      kind: 3,
      startNs: at(100),
      durationNs: 200n * MS,
      requestId: REQ_A,
      traceState: 'vendor=abc',
      attributes: { 'request.id': REQ_A, 'http.status_code': 500 },
    }),
    // The sandbox did not propagate traceparent: its own trace, sharing only request.id.
    span({
      traceId: T2,
      spanId: S.sandbox,
      name: 'POST /exec',
      service: 'sandbox',
      startNs: at(110),
      durationNs: 180n * MS,
      statusCode: 2,
      statusMessage: 'exec timed out',
      requestId: REQ_A,
      attributes: { 'request.id': REQ_A, 'http.status_code': 500, tags: ['a', 'b'] },
      events: [
        {
          timeNs: at(280),
          name: 'exception',
          attributes: { 'exception.type': 'TimeoutError', 'exception.message': 'exec timed out' },
        },
      ],
      links: [{ traceId: T1, spanId: S.agentClient, attributes: {} }],
    }),
    span({
      traceId: T3,
      spanId: S.gatewayB,
      name: 'GET /models',
      service: 'gateway',
      startNs: at(1000),
      durationNs: 20n * MS,
      statusCode: 1,
      requestId: REQ_B,
      attributes: { 'request.id': REQ_B, 'http.method': 'GET', 'http.status_code': 200 },
    }),
    span({
      traceId: T3,
      spanId: S.agentB,
      parentSpanId: S.gatewayB,
      name: 'list_models',
      service: 'agent',
      startNs: at(1005),
      durationNs: 10n * MS,
      requestId: REQ_B,
      attributes: { 'request.id': REQ_B },
    }),
  ];
}

export function platformLogs(): LogRecord[] {
  return [
    log({
      timestampNs: at(1),
      service: 'gateway',
      event: 'request_received',
      body: 'request received',
      traceId: T1,
      spanId: S.gateway,
      requestId: REQ_A,
      attributes: { method: 'POST', path: '/chat' },
    }),
    // python-worker writes only log lines: a derived span under the agent span.
    log({
      timestampNs: at(150),
      service: 'python-worker',
      event: 'request_received',
      body: 'request received',
      traceId: T1,
      spanId: S.worker,
      requestId: REQ_A,
      attributes: { parent_span_id: S.agent, method: 'POST', path: '/embed' },
    }),
    log({
      timestampNs: at(200),
      service: 'python-worker',
      event: 'embedding_done',
      body: 'embedded 3 chunks',
      traceId: T1,
      spanId: S.worker,
      requestId: REQ_A,
      attributes: { parent_span_id: S.agent, chunks: 3 },
    }),
    log({
      timestampNs: at(250),
      service: 'python-worker',
      event: 'request_completed',
      body: 'request completed',
      traceId: T1,
      spanId: S.worker,
      requestId: REQ_A,
      attributes: {
        parent_span_id: S.agent,
        method: 'POST',
        path: '/embed',
        status_code: 200,
        duration_ms: 95.5,
      },
    }),
    // OTLP log of the agent with no request ID: found through its trace.
    log({
      timestampNs: at(70),
      service: 'agent',
      event: 'tool_selected',
      body: 'selected tool code_exec',
      traceId: T1,
      spanId: S.agent,
      source: 'otlp',
      resource: { 'service.name': 'agent' },
    }),
    log({
      timestampNs: at(285),
      service: 'sandbox',
      level: 'error',
      severityNumber: 17,
      event: 'exec_failed',
      body: 'exec timed out after 170ms',
      traceId: T2,
      spanId: S.sandbox,
      requestId: REQ_A,
      attributes: { error: 'exec timed out', error_type: 'TimeoutError' },
    }),
    // billing writes lines with the request ID and no trace at all.
    log({
      timestampNs: at(380),
      service: 'billing',
      event: 'usage_recorded',
      body: 'usage recorded: 1234 tokens',
      requestId: REQ_A,
      attributes: { tokens: 1234 },
    }),
    log({
      timestampNs: at(1001),
      service: 'gateway',
      event: 'request_received',
      body: 'request received',
      traceId: T3,
      spanId: S.gatewayB,
      requestId: REQ_B,
    }),
    log({
      timestampNs: at(1020),
      service: 'gateway',
      level: 'warn',
      severityNumber: 13,
      event: 'slow_upstream',
      body: 'model list took 20ms',
      traceId: T3,
      spanId: S.gatewayB,
      requestId: REQ_B,
    }),
  ];
}

/** stats-svc: 100 root server spans of 1..100 ms, every tenth an error. */
export function statsSpans(): SpanRecord[] {
  return Array.from({ length: 100 }, (_, i) =>
    span({
      traceId: (0xc0ffee00 + i).toString(16).padStart(32, 'a'),
      spanId: (0xbeef00 + i).toString(16).padStart(16, 'b'),
      name: i % 2 === 0 ? 'GET /even' : 'GET /odd',
      service: 'stats-svc',
      startNs: at(2000 + i * 10),
      durationNs: BigInt(i + 1) * MS,
      statusCode: i % 10 === 9 ? 2 : 1,
    }),
  );
}

export interface Fixture {
  store: DuckDbStore;
  dir: string;
  close(): Promise<void>;
}

/** Opens a fresh DuckDB file and writes the fixture through DuckDbStore.write. */
export async function openFixture(): Promise<Fixture> {
  const dir = mkdtempSync(join(tmpdir(), 'hopscope-read-'));
  const store = new DuckDbStore({ dataDir: dir });
  await store.open();
  // Separate writes, as separate ingest requests would arrive.
  await store.write({ spans: platformSpans().slice(0, 3), logs: platformLogs().slice(0, 5) });
  await store.write({ spans: platformSpans().slice(3), logs: platformLogs().slice(5) });
  await store.write({ spans: statsSpans(), logs: [] });
  return {
    store,
    dir,
    async close() {
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
