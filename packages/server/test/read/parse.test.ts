import { describe, expect, it } from 'vitest';
import { parseDurationNs, parseTags } from '../../src/api/params.js';
import { parseId } from '../../src/query/ids.js';

describe('parseDurationNs (Jaeger / Go forms)', () => {
  it.each([
    ['1.2s', 1_200_000_000n],
    ['100ms', 100_000_000n],
    ['1h', 3_600_000_000_000n],
    ['1h30m', 5_400_000_000_000n],
    ['250us', 250_000n],
    ['250µs', 250_000n],
    ['7d', 604_800_000_000_000n],
    ['.5s', 500_000_000n],
  ])('%s', (input, ns) => expect(parseDurationNs(input)).toBe(ns));

  it.each(['', '5', 'ms', '1x', '1h 30m', '-1s', '1.2.3s', 'h1'])('rejects %j', (input) =>
    expect(parseDurationNs(input)).toBeNull(),
  );
});

describe('parseId', () => {
  const t = '4bf92f3577b34da6a3ce929d0e0e4736';
  it('tells a request ID, a trace ID and a traceparent apart', () => {
    expect(parseId('req_3f9a0c1d2e4b')).toEqual({
      kind: 'request_id',
      requestId: 'req_3f9a0c1d2e4b',
    });
    expect(parseId(t.toUpperCase())).toEqual({ kind: 'trace_id', traceId: t });
    expect(parseId(`00-${t}-00f067aa0ba902b7-01`)).toEqual({
      kind: 'traceparent',
      traceId: t,
      spanId: '00f067aa0ba902b7',
    });
    // A future version may carry more fields.
    expect(parseId(`01-${t}-00f067aa0ba902b7-01-extra`)?.kind).toBe('traceparent');
  });

  it('rejects what is none of them, and invalid traceparents fall back to request IDs only when valid as such', () => {
    expect(parseId('has space')).toBeNull();
    expect(parseId('x'.repeat(129))).toBeNull();
    expect(parseId('')).toBeNull();
    expect(parseId(`00-${'0'.repeat(32)}-00f067aa0ba902b7-01`)?.kind).toBe('request_id');
    expect(parseId('0'.repeat(32))?.kind).toBe('request_id');
  });
});

describe('parseTags', () => {
  it('reads Jaeger JSON, k=v pairs and repeated tag=k:v', () => {
    expect(parseTags('{"http.status_code":"500","error":true}', [])).toEqual([
      { key: 'http.status_code', value: '500' },
      { key: 'error', value: 'true' },
    ]);
    expect(parseTags('a=1 b=x=y', ['c:d:e'])).toEqual([
      { key: 'a', value: '1' },
      { key: 'b', value: 'x=y' },
      { key: 'c', value: 'd:e' },
    ]);
  });

  it('says what is wrong', () => {
    expect(parseTags('{"a":{"b":1}}', [])).toBe('expected a string value for tag "a"');
    expect(parseTags('[1]', [])).toContain('expected k=v pairs');
    expect(parseTags(undefined, ['nocolon'])).toContain('expected key:value');
  });
});
