import { describe, expect, it } from 'vitest';
// The server's pure assembly step (no store): the same function answers the API.
import { assembleDebugTrace } from '../../server/src/query/debug-trace.js';
import type { LogRecord, SpanRecord } from '../../server/src/store/records.js';
import { fillDetails, withRows } from '../src/api/columns.js';

const T1 = '1'.repeat(32);
const T2 = '2'.repeat(32);
const BASE = 1_795_425_376_120_944_123n;
const id = (i: number) => (i + 1).toString(16).padStart(16, '0');

function span(i: number, extra: Partial<SpanRecord> = {}): SpanRecord {
  return {
    traceId: T1,
    spanId: id(i),
    parentSpanId: i === 0 ? undefined : id(Math.floor((i - 1) / 3)),
    name: `step ${i % 4}`,
    kind: ((i % 5) + 1) as SpanRecord['kind'],
    service: ['gateway', 'agent', 'tools'][i % 3],
    startNs: BASE + BigInt(i) * 1_234_567n,
    durationNs: 987_654n + BigInt(i),
    statusCode: 0,
    attributes: { 'op.index': i, tags: ['a', 'b'], nested: { ok: true } },
    resource: { 'service.name': ['gateway', 'agent', 'tools'][i % 3], 'host.name': 'h1' },
    scopeName: 'bench',
    events: [],
    links: [],
    requestId: 'req_abcdefabcdef',
    ...extra,
  };
}

/** A request with what the column form must carry through: every field a span or line can set. */
function request(): { spans: SpanRecord[]; logs: LogRecord[] } {
  const spans = Array.from({ length: 40 }, (_, i) => span(i));
  spans[5] = span(5, {
    statusCode: 2,
    statusMessage: 'boom',
    events: [{ timeNs: BASE + 7_000n, name: 'exception', attributes: { 'exception.type': 'E' } }],
    links: [{ traceId: T2, spanId: id(99), attributes: { why: 'retry' } }],
  });
  spans[6] = span(6, {
    statusCode: 1,
    scopeVersion: '1.2.3',
    resource: { 'service.name': 'tools', 'host.name': 'h2' },
    ai: { kind: 'llm', provider: 'openai', model: 'gpt-4o', input: 10, output: 5, costUsd: 0.01 },
  });
  // A trace that shares only the request ID, and a span with no request ID.
  spans[7] = span(7, { traceId: T2, parentSpanId: undefined });
  spans[8] = span(8, { requestId: undefined, scopeName: undefined });
  const log = (n: number, extra: Partial<LogRecord>): LogRecord => ({
    timestampNs: BASE + BigInt(n) * 500_000n,
    severityNumber: 9,
    level: 'info',
    service: 'python-worker',
    body: `line ${n}`,
    attributes: { n },
    resource: { 'service.name': 'python-worker' },
    source: 'ndjson',
    requestId: 'req_abcdefabcdef',
    ...extra,
  });
  const logs = [
    // A log-only service's request lines: the server derives a span from them.
    log(1, { event: 'request_received', traceId: T1, spanId: 'f'.repeat(16) }),
    log(2, { event: 'request_completed', traceId: T1, spanId: 'f'.repeat(16), level: 'warn' }),
    log(3, { event: undefined, requestId: undefined, traceId: T1, source: 'otlp' }),
    log(4, { level: 'error', attributes: { error: 'no such file' } }),
  ];
  return { spans, logs };
}

describe('the column form of the debug trace', () => {
  it('decodes to exactly the object form', () => {
    const { spans, logs } = request();
    const q = { kind: 'request_id', requestId: 'req_abcdefabcdef' } as const;
    const objects = assembleDebugTrace(q, 'req_abcdefabcdef', spans, logs, {
      include: ['spans', 'logs'],
    });
    const columns = assembleDebugTrace(q, 'req_abcdefabcdef', spans, logs, {
      include: ['spans', 'logs'],
      format: 'columns',
    });
    expect(columns.spans).toEqual([]);
    expect(columns.logs).toEqual([]);
    expect(columns.span_columns?.count).toBe(41); // 40 spans and one derived from the lines
    expect(objects.spans.some((s) => s.derived_from_logs)).toBe(true);
    expect(objects.spans.some((s) => s.ai)).toBe(true);
    // Survives the wire: what the browser parses is JSON, not the server's objects.
    const decoded = withRows(JSON.parse(JSON.stringify(columns)));
    expect(decoded).toEqual(JSON.parse(JSON.stringify(objects)));
  });

  it('sends each repeated value once', () => {
    const { spans, logs } = request();
    const q = { kind: 'request_id', requestId: 'req_abcdefabcdef' } as const;
    const r = assembleDebugTrace(q, 'req_abcdefabcdef', spans, logs, { format: 'columns' });
    const c = r.span_columns;
    expect(c?.trace_id.values.sort()).toEqual([T1, T2]);
    // gateway, agent, tools on h1, tools on h2, and the span derived from python-worker's lines.
    expect(c?.resource.values).toHaveLength(5);
    expect(c?.service.index).toHaveLength(c?.count ?? -1);
    expect(r.log_columns?.service.values).toEqual(['python-worker']);
  });

  it('marks the spans an outline answer left out, which fillDetails completes', () => {
    const { spans, logs } = request();
    const q = { kind: 'request_id', requestId: 'req_abcdefabcdef' } as const;
    const whole = assembleDebugTrace(q, 'req_abcdefabcdef', spans, logs, { include: ['spans'] });
    // What an outline lookup returns: details only on error and AI spans.
    const stripped = spans.map((s) =>
      s.statusCode === 2 || s.ai?.kind
        ? s
        : { ...s, attributes: {}, resource: {}, events: [], links: [] },
    );
    const outline = withRows(
      JSON.parse(
        JSON.stringify(
          assembleDebugTrace(q, 'req_abcdefabcdef', stripped, logs, {
            include: ['spans'],
            format: 'columns',
            outline: true,
          }),
        ),
      ),
    );
    const left = outline.spans.filter((s) => s.outline);
    expect(left).toHaveLength(38); // 41 less the error span, the AI span and the derived one
    for (const s of left) expect(s.attributes).toEqual({});
    const wholeSpans = JSON.parse(JSON.stringify(whole.spans));
    for (const [i, s] of outline.spans.entries()) if (s.outline) fillDetails(s, wholeSpans[i]);
    expect(outline.spans).toEqual(wholeSpans);
  });

  it('leaves an object-form answer as it is', () => {
    const { spans, logs } = request();
    const q = { kind: 'request_id', requestId: 'req_abcdefabcdef' } as const;
    const objects = assembleDebugTrace(q, 'req_abcdefabcdef', spans, logs);
    expect(withRows(objects)).toEqual(objects);
  });
});
