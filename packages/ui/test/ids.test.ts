import { describe, expect, it } from 'vitest';
import { classifyId } from '../src/lib/ids.js';

describe('what the search box was given', () => {
  const trace = '4bf92f3577b34da6a3ce929d0e0e4736';
  it('tells request IDs, trace IDs and traceparents apart', () => {
    expect(classifyId('req_3f9a0c1d2e4b')).toEqual({ id: 'req_3f9a0c1d2e4b', kind: 'request_id' });
    expect(classifyId(trace.toUpperCase())).toEqual({ id: trace, kind: 'trace_id' });
    expect(classifyId(`00-${trace}-00f067aa0ba902b7-01`)).toEqual({
      id: `00-${trace}-00f067aa0ba902b7-01`,
      kind: 'traceparent',
    });
  });

  it('accepts what people paste along with the ID: header names, quotes, spaces', () => {
    expect(classifyId(`  traceparent: 00-${trace}-00f067aa0ba902b7-01 `)?.kind).toBe('traceparent');
    expect(classifyId('x-request-id: req_abc')).toEqual({ id: 'req_abc', kind: 'request_id' });
    expect(classifyId('"req_abc",')).toEqual({ id: 'req_abc', kind: 'request_id' });
    expect(classifyId('request_id=req_abc')).toEqual({ id: 'req_abc', kind: 'request_id' });
  });

  it('refuses what the API would refuse', () => {
    expect(classifyId('')).toBeNull();
    expect(classifyId('not an id!')).toBeNull();
    expect(classifyId('a'.repeat(129))).toBeNull();
    expect(classifyId('req/../x')).toBeNull();
  });
});
