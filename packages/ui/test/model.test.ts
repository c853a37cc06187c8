import { describe, expect, it } from 'vitest';
import type { DebugSpan } from '../src/api/types.js';
import { buildModel, defaultCollapsed, matchSpans, visibleRows } from '../src/pages/trace/model.js';

const T = 'a'.repeat(32);
function span(
  id: string,
  parent: string | null,
  startMs: number,
  durMs: number,
  extra: Partial<DebugSpan> = {},
): DebugSpan {
  return {
    trace_id: T,
    span_id: id,
    parent_span_id: parent,
    name: `op-${id}`,
    kind: 'internal',
    service: 'svc',
    start: new Date(startMs).toISOString(),
    start_us: startMs * 1000,
    duration_ms: durMs,
    status: 'unset',
    status_message: null,
    request_id: null,
    attributes: {},
    resource: {},
    scope: { name: null, version: null },
    events: [],
    links: [],
    depth: 0,
    derived_from_logs: false,
    ...extra,
  };
}

describe('the waterfall model', () => {
  it('nests children under parents in start order and marks the critical path', () => {
    // root 0–100: a 0–30 (with a1 5–25), b 10–60, c 70–95.
    const m = buildModel([
      span('c', 'r', 70, 25),
      span('r', null, 0, 100),
      span('a', 'r', 0, 30),
      span('b', 'r', 10, 50),
      span('a1', 'a', 5, 20),
    ]);
    expect(m.roots.map((n) => n.span.span_id)).toEqual(['r']);
    expect(m.roots[0].children.map((n) => n.span.span_id)).toEqual(['a', 'b', 'c']);
    expect(m.byKey.get(`${T}:a1`)?.depth).toBe(2);
    expect(m.roots[0].descendants).toBe(4);
    const critical = m.nodes
      .filter((n) => n.critical)
      .map((n) => n.span.span_id)
      .sort();
    // c (70–95), then b (10–60, ends before 70), then nothing starts before 10 but a (0–30):
    // a is clamped to end at 10 and is on the path, with a1 (5–25) inside it.
    expect(critical).toEqual(['a', 'a1', 'b', 'c', 'r']);
  });

  it('leaves overlapped-and-finished-earlier work off the critical path', () => {
    const m = buildModel([
      span('r', null, 0, 100),
      span('long', 'r', 0, 90),
      span('short', 'r', 10, 20),
    ]);
    const critical = m.nodes
      .filter((n) => n.critical)
      .map((n) => n.span.span_id)
      .sort();
    expect(critical).toEqual(['long', 'r']);
  });

  it('makes orphans and other traces extra roots, and cuts parent cycles', () => {
    const m = buildModel([
      span('r', null, 0, 10),
      span('orphan', 'missing', 2, 1),
      span('x', 'y', 3, 1),
      span('y', 'x', 4, 1),
      span('o', null, 5, 1, { trace_id: 'b'.repeat(32) }),
    ]);
    expect(m.nodes.every((n) => n.depth >= 0)).toBe(true);
    const rows = visibleRows(m, new Uint8Array(m.nodes.length), null);
    expect(rows).toHaveLength(5); // every span drawn exactly once
    expect(new Set(rows).size).toBe(5);
  });

  it('handles a 50,000-deep chain without overflowing the stack', () => {
    const spans = [span('0', null, 0, 50_000)];
    for (let i = 1; i < 50_000; i++) spans.push(span(String(i), String(i - 1), i, 50_000 - i));
    const m = buildModel(spans);
    expect(m.roots).toHaveLength(1);
    expect(m.byKey.get(`${T}:49999`)?.depth).toBe(49_999);
    expect(m.nodes.every((n) => n.critical)).toBe(true);
  });

  it('collapses large traces to an outline of about the budget, and none of a small one', () => {
    const small = buildModel([span('r', null, 0, 10), span('a', 'r', 1, 1)]);
    expect(defaultCollapsed(small).every((c) => c === 0)).toBe(true);
    const spans = [span('r', null, 0, 1000)];
    for (let i = 0; i < 50; i++) {
      spans.push(span(`p${i}`, 'r', i, 10));
      for (let j = 0; j < 60; j++) spans.push(span(`p${i}c${j}`, `p${i}`, i, 1));
    }
    const m = buildModel(spans); // 3,051 spans
    const rows = visibleRows(m, defaultCollapsed(m, 2000, 400), null);
    // Root and its 50 children, then the first five groups of 60 (a sixth would pass 400).
    expect(rows.length).toBe(51 + 5 * 60);
    expect(visibleRows(m, new Uint8Array(m.nodes.length), null)).toHaveLength(3051);
  });

  it('filters by name or attribute, keeping ancestors for context', () => {
    const m = buildModel([
      span('r', null, 0, 10),
      span('a', 'r', 1, 5),
      span('b', 'a', 2, 1, { attributes: { 'user.id': 'u-42' } }),
      span('c', 'r', 6, 1),
    ]);
    const cache: string[] = [];
    const hits = matchSpans(m, 'U-42', cache);
    expect([...hits]).toEqual(m.nodes.map((n) => (n.span.span_id === 'b' ? 1 : 0)));
    const rows = visibleRows(m, new Uint8Array(m.nodes.length).fill(1), hits);
    expect(rows.map((n) => n.span.span_id)).toEqual(['r', 'a', 'b']);
    expect([...matchSpans(m, 'op-c', cache)].reduce((a, b) => a + b)).toBe(1);
  });
});
