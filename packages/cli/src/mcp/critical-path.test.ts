import type { DebugSpan } from '@hopscope/server';
import { describe, expect, it } from 'vitest';
import { criticalPath } from './critical-path.js';

const T0 = 1_700_000_000_000_000;

function span(
  id: string,
  startMs: number,
  endMs: number,
  parent: string | null = null,
  trace = 'a'.repeat(32),
): DebugSpan {
  return {
    trace_id: trace,
    span_id: id,
    parent_span_id: parent,
    name: id,
    kind: 'internal',
    service: `svc-${id}`,
    start: new Date((T0 + startMs * 1000) / 1000).toISOString(),
    start_us: T0 + startMs * 1000,
    duration_ms: endMs - startMs,
    status: 'ok',
    status_message: null,
    request_id: null,
    attributes: {},
    resource: {},
    scope: { name: null, version: null },
    events: [],
    links: [],
    depth: 0,
    derived_from_logs: false,
  };
}

/** `name start–end` per segment, in ms from T0. */
function path(spans: DebugSpan[], startMs: number, endMs: number): string[] {
  return criticalPath(spans, T0 + startMs * 1000, T0 + endMs * 1000).map(
    (s) => `${s.span?.name ?? 'gap'} ${(s.startUs - T0) / 1000}–${(s.endUs - T0) / 1000}`,
  );
}

describe('criticalPath', () => {
  it('follows the child that finished last, then the one before it', () => {
    // b (20–60) finished after a (10–40): the root waited on b. a was still running when b
    // started, so a faster a would change nothing: it is not on the path.
    const spans = [
      span('root', 0, 100),
      span('a', 10, 40, 'root'),
      span('b', 20, 60, 'root'),
      span('c', 65, 90, 'root'),
    ];
    expect(path(spans, 0, 100)).toEqual([
      'root 0–20',
      'b 20–60',
      'root 60–65',
      'c 65–90',
      'root 90–100',
    ]);
  });

  it('takes sequential children one after the other', () => {
    const spans = [span('root', 0, 100), span('a', 0, 30, 'root'), span('b', 30, 100, 'root')];
    expect(path(spans, 0, 100)).toEqual(['a 0–30', 'b 30–100']);
  });

  it('descends into grandchildren', () => {
    const spans = [span('root', 0, 100), span('a', 10, 90, 'root'), span('g', 20, 80, 'a')];
    expect(path(spans, 0, 100)).toEqual([
      'root 0–10',
      'a 10–20',
      'g 20–80',
      'a 80–90',
      'root 90–100',
    ]);
  });

  it('spans several traces of one request and shows time no span covers as a gap', () => {
    const other = 'b'.repeat(32);
    const spans = [span('first', 0, 40), span('second', 60, 100, null, other)];
    expect(path(spans, 0, 100)).toEqual(['first 0–40', 'gap 40–60', 'second 60–100']);
  });

  it('clips a child that clock skew puts outside its parent', () => {
    const spans = [
      span('root', 10, 100),
      span('early', 0, 30, 'root'),
      span('late', 80, 120, 'root'),
    ];
    expect(path(spans, 0, 120)).toEqual([
      'gap 0–10',
      'early 10–30',
      'root 30–80',
      'late 80–100',
      'gap 100–120',
    ]);
  });

  it('survives a chain deeper than the recursion bound', () => {
    const spans = [span('s0', 0, 10_000)];
    for (let i = 1; i < 5000; i++) spans.push(span(`s${i}`, i, 10_000 - i, `s${i - 1}`));
    const segments = criticalPath(spans, T0, T0 + 10_000_000);
    const covered = segments.reduce((sum, s) => sum + (s.endUs - s.startUs), 0);
    expect(covered).toBe(10_000_000);
  });
});
