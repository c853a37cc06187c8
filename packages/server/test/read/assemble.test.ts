import { describe, expect, it } from 'vitest';
import { assembleDebugTrace } from '../../src/query/debug-trace.js';
import type { LogRecord, SpanRecord } from '../../src/store/records.js';

const T = 'f'.repeat(32);
const id = (i: number) => (i + 1).toString(16).padStart(16, '0');
const span = (i: number, parent?: number): SpanRecord => ({
  traceId: T,
  spanId: id(i),
  parentSpanId: parent === undefined ? undefined : id(parent),
  name: `step ${i}`,
  kind: 1,
  service: 'agent',
  startNs: 1_700_000_000_000_000_000n + BigInt(i) * 1000n,
  durationNs: 1000n,
  statusCode: 0,
  attributes: {},
  resource: {},
  events: [],
  links: [],
});

describe('assembleDebugTrace', () => {
  it('handles a chain of 50,000 nested spans (a long agent loop) without overflowing the stack', () => {
    const spans = Array.from({ length: 50_000 }, (_, i) => span(i, i === 0 ? undefined : i - 1));
    const r = assembleDebugTrace({ kind: 'trace_id', traceId: T }, T, spans, []);
    expect(r.spans[0].depth).toBe(0);
    expect(r.spans[49_999].depth).toBe(49_999);
    expect(r.hops[12_345].depth).toBe(12_345);
  });

  it('treats a parent cycle and a missing parent as roots', () => {
    const a = span(0, 1);
    const b = span(1, 0);
    const orphan = span(2, 99);
    const child = span(3, 2);
    const r = assembleDebugTrace({ kind: 'trace_id', traceId: T }, T, [a, b, orphan, child], []);
    const depth = Object.fromEntries(r.spans.map((s) => [s.span_id, s.depth]));
    expect(depth[id(2)]).toBe(0);
    expect(depth[id(3)]).toBe(1);
    expect([depth[id(0)], depth[id(1)]].sort()).toEqual([0, 1]);
  });

  it('gives the same summary and services order whether or not hops are built', () => {
    const at = (i: number, service: string, parent?: number): SpanRecord => ({
      ...span(i, parent),
      service,
    });
    // `tools` and `llm` start at the same microsecond: spans before logs, then shallower first.
    const spans = [
      at(0, 'gateway'),
      at(1, 'tools', 0),
      { ...at(2, 'llm', 1), startNs: at(1, 'x').startNs },
    ];
    const log: LogRecord = {
      timestampNs: spans[0].startNs,
      severityNumber: 9,
      level: 'info',
      service: 'billing',
      body: 'charged',
      attributes: {},
      resource: {},
      source: 'otlp',
    };
    const full = assembleDebugTrace({ kind: 'trace_id', traceId: T }, T, spans, [log]);
    const lean = assembleDebugTrace({ kind: 'trace_id', traceId: T }, T, spans, [log], {
      include: ['spans', 'logs'],
    });
    const firstSeen: string[] = [];
    for (const h of full.hops) if (!firstSeen.includes(h.service)) firstSeen.push(h.service);
    expect(full.services).toEqual(firstSeen);
    expect(full.services).toEqual(['gateway', 'billing', 'tools', 'llm']);
    expect(lean.hops).toEqual([]);
    expect(lean.included).toEqual(['spans', 'logs']);
    const { hops: _h, included: _i, ...fullRest } = full;
    const { hops: _h2, included: _i2, ...leanRest } = lean;
    expect(leanRest).toEqual(fullRest);
  });
});
