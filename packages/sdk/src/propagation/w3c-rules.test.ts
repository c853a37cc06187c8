import { ROOT_CONTEXT, trace } from '@opentelemetry/api';
import { describe, expect, it } from 'vitest';
import { carrierGetter, carrierSetter } from './carrier.js';
import { createPropagator } from './propagator.js';
import { parseTracestate } from './tracestate.js';

/**
 * Every rule the official W3C trace-context suite (test/test.py, STRICT_LEVEL=2, SPEC_LEVEL=2)
 * checks, restated from the spec text so CI can run it without the suite. Headers are given as
 * the list of (name, value) fields a request carries; repeated names arrive as arrays, as node
 * delivers them through `headersDistinct`.
 */
const TRACE_ID = '12345678901234567890123456789012';
const PARENT = '1234567890123456';
const propagator = createPropagator({ service: 'w3c-rules' });

function fields(list: Array<[string, string]>): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const [k, v] of list) out[k] = [...(out[k] ?? []), v];
  return out;
}

/** Extracts, then re-injects what a child of the extracted context would send. */
function hop(list: Array<[string, string]>) {
  const ctx = propagator.extract(ROOT_CONTEXT, fields(list), carrierGetter);
  const parent = trace.getSpanContext(ctx);
  const out: Record<string, string> = {};
  if (parent) {
    const child = trace.setSpanContext(ctx, {
      ...parent,
      spanId: 'abcdef0123456789',
      isRemote: false,
    });
    propagator.inject(child, out, carrierSetter);
  }
  return { parent, out, tracestate: parseTracestate(out.tracestate) };
}

const tp = (v: string): Array<[string, string]> => [['traceparent', v]];
const withState = (...states: string[]): Array<[string, string]> => [
  ['traceparent', `00-${TRACE_ID}-${PARENT}-00`],
  ...states.map((s): [string, string] => ['tracestate', s]),
];

describe('traceparent (W3C trace-context, "traceparent Header")', () => {
  it('continues a valid traceparent with a new parent-id', () => {
    const { parent, out } = hop(tp(`00-${TRACE_ID}-${PARENT}-01`));
    expect(parent?.traceId).toBe(TRACE_ID);
    expect(out.traceparent).toMatch(new RegExp(`^00-${TRACE_ID}-abcdef0123456789-0[13]$`));
  });

  it.each([
    [
      'duplicated headers',
      [
        tp(`00-${TRACE_ID.replace(/2$/, '1')}-${PARENT}-01`)[0],
        tp(`00-${TRACE_ID}-${PARENT}-01`)[0],
      ],
    ],
    ['version 00 with trailing dot', tp(`00-${TRACE_ID}-${PARENT}-01.`)],
    [
      'version 00 with trailing data',
      tp(`00-${TRACE_ID}-${PARENT}-01-what-the-future-will-be-like`),
    ],
    [
      'future version, no dash after flags',
      tp(`cc-${TRACE_ID}-${PARENT}-01.what-the-future-will-be-like`),
    ],
    ['version ff', tp(`ff-${TRACE_ID}-${PARENT}-01`)],
    ['version .0', tp(`.0-${TRACE_ID}-${PARENT}-01`)],
    ['version 0.', tp(`0.-${TRACE_ID}-${PARENT}-01`)],
    ['version 000', tp(`000-${TRACE_ID}-${PARENT}-01`)],
    ['version 0000', tp(`0000-${TRACE_ID}-${PARENT}-01`)],
    ['version 0', tp(`0-${TRACE_ID}-${PARENT}-01`)],
    ['uppercase version', tp(`0A-${TRACE_ID}-${PARENT}-01`)],
    ['all-zero trace-id', tp(`00-${'0'.repeat(32)}-${PARENT}-01`)],
    ['trace-id leading dot', tp(`00-.${TRACE_ID.slice(1)}-${PARENT}-01`)],
    ['trace-id trailing dot', tp(`00-${TRACE_ID.slice(0, 31)}.-${PARENT}-01`)],
    ['trace-id too long', tp(`00-${TRACE_ID}3-${PARENT}-01`)],
    ['trace-id too short', tp(`00-${TRACE_ID.slice(0, 31)}-${PARENT}-01`)],
    ['uppercase trace-id', tp(`00-ABCDEF78901234567890123456789012-${PARENT}-01`)],
    ['all-zero parent-id', tp(`00-${TRACE_ID}-${'0'.repeat(16)}-01`)],
    ['parent-id leading dot', tp(`00-${TRACE_ID}-.${PARENT.slice(1)}-01`)],
    ['parent-id trailing dot', tp(`00-${TRACE_ID}-${PARENT.slice(0, 15)}.-01`)],
    ['parent-id too long', tp(`00-${TRACE_ID}-${PARENT}7-01`)],
    ['parent-id too short', tp(`00-${TRACE_ID}-${PARENT.slice(0, 15)}-01`)],
    ['flags .0', tp(`00-${TRACE_ID}-${PARENT}-.0`)],
    ['flags 0.', tp(`00-${TRACE_ID}-${PARENT}-0.`)],
    ['flags too long', tp(`00-${TRACE_ID}-${PARENT}-001`)],
    ['flags too short', tp(`00-${TRACE_ID}-${PARENT}-1`)],
    ['wrong header name trace-parent', [['trace-parent', `00-${TRACE_ID}-${PARENT}-01`]]],
    ['wrong header name trace.parent', [['trace.parent', `00-${TRACE_ID}-${PARENT}-01`]]],
  ] as Array<[string, Array<[string, string]>]>)('restarts the trace on %s', (_name, list) => {
    expect(hop(list).parent).toBeUndefined();
  });

  it.each([
    `cc-${TRACE_ID}-${PARENT}-01`,
    `cc-${TRACE_ID}-${PARENT}-01-what-the-future-will-be-like`,
    ` 00-${TRACE_ID}-${PARENT}-01`,
    `\t00-${TRACE_ID}-${PARENT}-01`,
    `00-${TRACE_ID}-${PARENT}-01 `,
    `00-${TRACE_ID}-${PARENT}-01\t`,
    `\t 00-${TRACE_ID}-${PARENT}-01 \t`,
  ])('continues %j (future versions by their 00 prefix, OWS trimmed)', (value) => {
    const { parent, out } = hop(tp(value));
    expect(parent?.traceId).toBe(TRACE_ID);
    expect(out.traceparent.startsWith(`00-${TRACE_ID}-`)).toBe(true);
  });

  it('reads the header name case-insensitively', () => {
    for (const name of ['TraceParent', 'TrAcEpArEnT', 'TRACEPARENT']) {
      expect(hop([[name, `00-${TRACE_ID}-${PARENT}-01`]]).parent?.traceId).toBe(TRACE_ID);
    }
  });

  it('keeps the sampled and random flags (Level 2) when continuing', () => {
    expect(hop(tp(`00-${TRACE_ID}-${PARENT}-02`)).out.traceparent.endsWith('-02')).toBe(true);
    expect(hop(tp(`00-${TRACE_ID}-${PARENT}-03`)).out.traceparent.endsWith('-03')).toBe(true);
    expect(hop(tp(`00-${TRACE_ID}-${PARENT}-00`)).out.traceparent.endsWith('-00')).toBe(true);
  });
});

describe('tracestate (W3C trace-context, "Tracestate Header")', () => {
  const members = (n: number, from = 1) =>
    Array.from({ length: n }, (_, i) => {
      const k = String(i + from).padStart(2, '0');
      return `bar${k}=${k}`;
    }).join(',');

  it('is discarded without a valid traceparent', () => {
    expect(hop([['tracestate', 'foo=1']]).parent).toBeUndefined();
  });

  it('is inherited with a valid traceparent, under any header casing', () => {
    for (const name of ['tracestate', 'TraceState', 'TrAcEsTaTe', 'TRACESTATE']) {
      const { tracestate } = hop([
        ['traceparent', `00-${TRACE_ID}-${PARENT}-00`],
        [name, 'foo=1,bar=2'],
      ]);
      expect(tracestate?.get('foo')).toBe('1');
      expect(tracestate?.get('bar')).toBe('2');
    }
  });

  it('ignores wrongly named headers', () => {
    for (const name of ['trace-state', 'trace.state']) {
      const { tracestate } = hop([
        ['traceparent', `00-${TRACE_ID}-${PARENT}-00`],
        [name, 'foo=1'],
      ]);
      expect(tracestate?.get('foo')).toBeUndefined();
    }
  });

  it('accepts empty headers and empty list members', () => {
    expect(hop(withState('')).out.tracestate).toBeUndefined();
    expect(hop(withState('foo=1', '')).tracestate?.get('foo')).toBe('1');
    expect(hop(withState('', 'foo=1')).tracestate?.get('foo')).toBe('1');
    expect(hop(withState('foo=1,,  ,\t,bar=2')).out.tracestate).toBe('foo=1,bar=2');
  });

  it('combines several headers in order', () => {
    const { out } = hop(withState('foo=1,bar=2', 'rojo=1,congo=2', 'baz=3'));
    expect(out.tracestate).toBe('foo=1,bar=2,rojo=1,congo=2,baz=3');
  });

  it('keeps one of duplicated keys', () => {
    expect(hop(withState('foo=1,foo=1')).out.tracestate).toBe('foo=1');
    expect(hop(withState('foo=1,foo=2')).out.tracestate).toMatch(/^foo=[12]$/);
    expect(hop(withState('foo=1', 'foo=2')).out.tracestate).toMatch(/^foo=[12]$/);
  });

  it('accepts every allowed key and value character', () => {
    const key = 'abcdefghijklmnopqrstuvwxyz0123456789_-*/';
    const vendorKey = `${key}@a-z0-9_-*/`;
    let value = '';
    for (let c = 0x20; c <= 0x7e; c++)
      if (c !== 0x2c && c !== 0x3d) value += String.fromCharCode(c);
    expect(hop(withState(`${key}=${value}`)).tracestate?.get(key)).toBe(value);
    expect(hop(withState(`${vendorKey}=${value}`)).tracestate?.get(vendorKey)).toBe(value);
  });

  it('ignores optional whitespace around members, keeps leading spaces of values', () => {
    for (const s of ['foo=1 \t , \t bar=2, \t baz=3', 'foo=1\t \t,\t \tbar=2,\t \tbaz=3']) {
      expect(hop(withState(s)).out.tracestate).toBe('foo=1,bar=2,baz=3');
    }
    for (const s of [' foo=1', '\tfoo=1', 'foo=1 ', 'foo=1\t', '\t foo=1 \t']) {
      expect(hop(withState(s)).tracestate?.get('foo')).toBe('1');
    }
    expect(hop(withState('foo= 1')).tracestate?.get('foo')).toBe(' 1');
  });

  it.each([
    ['a space in the key', 'foo =1'],
    ['an uppercase key', 'FOO=1'],
    ['a dot in the key', 'foo.bar=1'],
    ['a key starting with @', '@foo=1,bar=2'],
    ['an = in the value', 'foo=bar=baz'],
    ['an empty value', 'foo=,bar=3'],
    ['a value ending in a space only', 'foo= '],
    ['a control character', 'foo=a\u0001b'],
    ['a missing =', 'foo,bar=2'],
    ['a 257-character key', `foo=1,${'z'.repeat(257)}=1`],
    ['a 257-character value', `foo=${'v'.repeat(257)}`],
  ])('is discarded entirely for %s', (_name, value) => {
    const { parent, out } = hop(withState(value));
    expect(parent?.traceId).toBe(TRACE_ID); // tracestate failures never affect traceparent
    expect(out.tracestate).toBeUndefined();
  });

  it('accepts the vendor format and @ anywhere after the first character', () => {
    for (const [s, k] of [
      ['foo@=1,bar=2', 'foo@'],
      ['foo@@bar=1,bar=2', 'foo@@bar'],
      ['foo@bar@baz=1,bar=2', 'foo@bar@baz'],
      ['tenant@system=1,bar=2', 'tenant@system'],
    ]) {
      const { tracestate } = hop(withState(s));
      expect(tracestate?.get(k)).toBe('1');
      expect(tracestate?.get('bar')).toBe('2');
    }
  });

  it('accepts keys of up to 256 characters, with or without @', () => {
    for (const key of [
      'z'.repeat(256),
      `${'t'.repeat(241)}@${'v'.repeat(14)}`,
      `${'t'.repeat(242)}@v`,
      `t@${'v'.repeat(15)}`,
    ]) {
      const { tracestate } = hop(withState('foo=1', `${key}=1`));
      expect(tracestate?.get('foo')).toBe('1');
      expect(tracestate?.get(key)).toBe('1');
    }
  });

  it('accepts 32 members and discards 33', () => {
    const ok = hop(withState(members(10), members(10, 11), members(10, 21), members(2, 31)));
    expect(ok.tracestate?.size).toBe(32);
    expect(ok.tracestate?.get('bar01')).toBe('01');
    const tooMany = hop(withState(members(10), members(10, 11), members(10, 21), members(3, 31)));
    expect(tooMany.out.tracestate).toBeUndefined();
  });

  it('truncates by whole members past 512 characters, long members first', () => {
    const long = `big=${'x'.repeat(200)}`;
    const small = Array.from({ length: 30 }, (_, i) => `k${i}=${'v'.repeat(12)}`);
    const { out } = hop(withState([long, ...small].join(',')));
    expect(out.tracestate.length).toBeLessThanOrEqual(512);
    expect(out.tracestate.startsWith('k0=')).toBe(true);
    expect(out.tracestate).not.toContain('big=');
  });
});
