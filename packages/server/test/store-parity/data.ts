/**
 * The data both stores load: the read tests' small platform (test/read/fixtures.ts) plus a
 * seeded, generated platform spread over the last three days (so ClickHouse holds several day
 * partitions), with errors, tags of every JSON type, AI columns, events, links, request IDs
 * shared across traces, log lines with equal timestamps and lines with no trace.
 */

import type {
  LogLevel,
  LogRecord,
  SpanKind,
  SpanRecord,
  WriteBatch,
} from '../../src/store/records.js';
import { platformLogs, platformSpans, statsSpans } from '../read/fixtures.js';

const MS = 1_000_000n;
export const NOW_NS = BigInt(Date.now()) * MS;
const HOUR_NS = 3_600_000n * MS;

/** Deterministic pseudo-random numbers (mulberry32), so a failure can be replayed. */
function rng(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const hex = (r: () => number, n: number) =>
  Array.from({ length: n }, () => Math.floor(r() * 16).toString(16)).join('');

const SERVICES = ['ui-gateway', 'agent-runtime', 'sandbox', 'llm-proxy', 'vector-db'];
const OPS: Record<string, Array<[string, SpanKind]>> = {
  'ui-gateway': [
    ['POST /chat', 2],
    ['GET /history', 2],
  ],
  'agent-runtime': [
    ['agent.run', 2],
    ['tool.call', 1],
    ['llm.call', 3],
  ],
  sandbox: [['exec', 5]],
  'llm-proxy': [['chat.completions', 2]],
  'vector-db': [['query', 2]],
};
const LEVELS: Array<[LogLevel, number]> = [
  ['debug', 5],
  ['info', 9],
  ['warn', 13],
  ['error', 17],
  ['fatal', 21],
];

export interface ParityData {
  batches: WriteBatch[];
  traceIds: string[];
  requestIds: string[];
  /** A trace ID only log lines carry (no spans). */
  logOnlyTraceId: string;
}

export function parityData(seed = 42): ParityData {
  const r = rng(seed);
  const batches: WriteBatch[] = [
    { spans: platformSpans(), logs: platformLogs() },
    { spans: statsSpans(), logs: [] },
  ];
  const traceIds: string[] = [];
  const requestIds: string[] = [];
  const logOnlyTraceId = hex(r, 32);
  for (let b = 0; b < 8; b++) {
    const spans: SpanRecord[] = [];
    const logs: LogRecord[] = [];
    for (let t = 0; t < 40; t++) {
      const traceId = hex(r, 32);
      traceIds.push(traceId);
      // Spread over 72 hours, newest batches last (roughly time-ordered arrival).
      const start = NOW_NS - BigInt(Math.floor((72 - b * 9 - r() * 9) * Number(HOUR_NS / MS))) * MS;
      // Every third request spans two traces (a service that did not propagate traceparent).
      const requestId =
        t % 3 === 2 && requestIds.length > 0
          ? requestIds[requestIds.length - 1]
          : `req_${hex(r, 12)}`;
      if (!requestIds.includes(requestId)) requestIds.push(requestId);
      const failed = r() < 0.15;
      const root = hex(r, 16);
      const n = 2 + Math.floor(r() * 5);
      let parent = root;
      for (let i = 0; i < n; i++) {
        const service = i === 0 ? 'ui-gateway' : SERVICES[1 + Math.floor(r() * 4)];
        const [name, kind] = OPS[service][Math.floor(r() * OPS[service].length)];
        const spanId = i === 0 ? root : hex(r, 16);
        const startNs = start + BigInt(i * 3 + Math.floor(r() * 3)) * MS;
        const durationNs = BigInt(Math.floor((1 + r() * 400) * 1000)) * 1000n;
        const error = failed && i === n - 1;
        const span: SpanRecord = {
          traceId,
          spanId,
          parentSpanId: i === 0 ? undefined : parent,
          name,
          kind: i === 0 ? 2 : kind,
          service,
          startNs,
          durationNs,
          statusCode: error ? 2 : r() < 0.5 ? 1 : 0,
          statusMessage: error ? 'boom: sandbox exec failed' : undefined,
          requestId: i < 2 ? requestId : undefined,
          attributes: {
            'http.status_code': error ? 500 : 200,
            'user.id': `u${Math.floor(r() * 5)}`,
            cached: r() < 0.3,
            ratio: Math.round(r() * 100) / 10,
            tags: ['a', 'b'],
            nested: { deep: 'yes' },
          },
          resource: {
            'service.name': service,
            'deployment.environment': b % 2 ? 'prod' : 'staging',
          },
          scopeName: 'hopscope',
          scopeVersion: '0.1.0',
          events: r() < 0.3 ? [{ timeNs: startNs + MS, name: 'retry', attributes: { n: 1 } }] : [],
          links: r() < 0.1 ? [{ traceId: hex(r, 32), spanId: hex(r, 16), attributes: {} }] : [],
        };
        if (name === 'llm.call' || name === 'chat.completions') {
          span.ai = {
            kind: 'llm',
            provider: 'openai',
            model: r() < 0.5 ? 'gpt-4o' : 'gpt-4o-mini',
            input: Math.floor(r() * 1000),
            output: Math.floor(r() * 500),
            costUsd: r() < 0.8 ? Math.round(r() * 1e6) / 1e8 : null,
            costSource: 'table',
          };
          if (r() < 0.5) span.ai.ttftMs = Math.round(r() * 2000) / 10;
          if (t % 4 === 0) span.ai.sessionId = `sess_${b}`;
        }
        spans.push(span);
        if (i % 2 === 0) parent = spanId;
        // Two lines at the same nanosecond: their order must come from insertion order.
        const [level, severityNumber] = error ? LEVELS[3] : LEVELS[Math.floor(r() * 3)];
        for (const suffix of ['started', 'done']) {
          logs.push({
            timestampNs: startNs + durationNs,
            severityNumber,
            level,
            service,
            event: `${name.replace(/[^a-z]/gi, '_').toLowerCase()}_${suffix}`,
            body: `${service} ${name} ${suffix} Ünïcode ✓`,
            traceId,
            spanId,
            requestId: i < 2 ? requestId : undefined,
            attributes: error ? { error: r() < 0.5 ? 'Sandbox Timeout' : { code: 'E42' } } : {},
            resource: { 'service.name': service },
            source: 'otlp',
          });
        }
      }
    }
    // Lines with a request ID and no trace, and lines of a trace that has no spans.
    logs.push({
      timestampNs: NOW_NS - BigInt(b) * HOUR_NS,
      severityNumber: 13,
      level: 'warn',
      service: 'billing',
      event: 'usage_recorded',
      body: 'usage recorded with no trace',
      requestId: requestIds[requestIds.length - 1],
      attributes: {},
      resource: {},
      source: 'ndjson',
    });
    logs.push({
      timestampNs: NOW_NS - BigInt(b + 1) * HOUR_NS,
      severityNumber: 9,
      level: 'info',
      service: 'otlp-logger',
      body: 'a line of a trace with no spans',
      traceId: logOnlyTraceId,
      attributes: {},
      resource: {},
      source: 'otlp',
    });
    batches.push({ spans, logs });
  }
  return { batches, traceIds, requestIds, logOnlyTraceId };
}
