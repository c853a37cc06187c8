import { context, trace } from '@opentelemetry/api';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { LineSink } from '../../../test/line-sink.js';
import { runWithRequestId } from '../../context/index.js';
import { createLogger, type HopscopeLogger, type LogFields, setFlatLines } from '../logger.js';
import { getLogSink, type LogSink, setLogSink } from '../sink.js';
import {
  type CapturedLine,
  encodeFlatRecord,
  type FlatRecord,
  LogsRequestEncoder,
} from './encode.js';

/** What a sink was handed for one log call. */
type Handed = { kind: 'line'; captured: CapturedLine } | { kind: 'flat'; record: FlatRecord };

const hex = (n: number, byte: string) => byte.repeat(n);
const manyFields = Object.fromEntries(Array.from({ length: 130 }, (_, i) => [`f${i}`, i]));

/** Calls whose fields are flat (the logger writes their lines itself), each a different case. */
const calls: [string, (log: HopscopeLogger) => void][] = [
  ['a lone event', (log) => log.info('cache_warmed')],
  ['a lone message', (log) => log.warn('Disk almost full')],
  ['event and message', (log) => log.error('payment_declined', 'Card was declined')],
  ['fields then message', (log) => log.info({ user: 'u1', attempt: 2 }, 'Signed in')],
  [
    'strings pino escapes its own way',
    (log) =>
      log.info('strings', {
        quote: 'say "hi"',
        backslash: 'C:\\temp\\',
        control: 'a\u0001b',
        newline: 'one\ntwo',
        tab: 'a\tb',
        loneSurrogate: 'x\ud800y',
        longLoneSurrogate: `${'z'.repeat(120)}\udc00`,
        long: `"${'q'.repeat(150)}"`,
        unicode: 'é世🚀',
        empty: '',
        'key "quoted"': 'v',
      }),
  ],
  [
    'numbers, booleans, null, undefined',
    (log) =>
      log.debug('numbers', {
        zero: 0,
        minusZero: -0,
        int: 42,
        negative: -7,
        float: 1.5,
        huge: 1e21,
        beyondSafe: 2 ** 53 + 2,
        tiny: 5e-324,
        nan: Number.NaN,
        inf: Number.POSITIVE_INFINITY,
        yes: true,
        no: false,
        nothing: null,
        missing: undefined,
      }),
  ],
  ['integer-like keys', (log) => log.info('keys', { z: 1, '10': 'ten', '2': 'two', a: 'x' })],
  ['more fields than the attribute limit', (log) => log.info('many', manyFields)],
  [
    'the middleware line',
    (log) =>
      log.info('request_completed', {
        method: 'GET',
        path: '/users/42',
        status_code: 200,
        duration_ms: 1.23,
        route: '/users/:id',
      }),
  ],
];

describe('flat log calls: the line and OTLP record the logger builds itself equal pino’s', () => {
  const handed: Handed[] = [];
  const sink: LogSink = {
    emit: () => {
      throw new Error('the line exporter never gets structured records');
    },
    emitLine: (line, timeMs, traceFlags) =>
      handed.push({ kind: 'line', captured: { line, timeMs, traceFlags } }),
    emitFlat: (record) => handed.push({ kind: 'flat', record: { ...record } }),
  };
  const encoder = new LogsRequestEncoder(resourceFromAttributes({ 'service.name': 'flat' }), {
    name: 'hopscope',
    version: '0.1.0',
  });
  let previous: LogSink | undefined;

  beforeAll(() => {
    previous = getLogSink();
    setLogSink(sink);
    // both paths of a call must see the same millisecond
    vi.useFakeTimers({ toFake: ['Date'], now: new Date('2026-11-23T12:34:56.789Z') });
  });
  afterAll(() => {
    vi.useRealTimers();
    setFlatLines(true);
    setLogSink(previous);
  });

  /** Runs `call` through pino's path and the flat path; returns both lines and OTLP bodies. */
  function both(call: (log: HopscopeLogger) => void, fields?: LogFields) {
    const out = new LineSink();
    const log = createLogger({ destination: out, service: 'flat', level: 'debug', fields });
    const bodies: Uint8Array[] = [];
    const kinds: string[] = [];
    for (const flat of [false, true]) {
      setFlatLines(flat);
      handed.length = 0;
      call(log);
      expect(handed).toHaveLength(1);
      const [h] = handed as [Handed];
      kinds.push(h.kind);
      const captured: CapturedLine =
        h.kind === 'line'
          ? h.captured
          : {
              line: encodeFlatRecord(h.record),
              timeMs: h.record.timeMs,
              traceFlags: h.record.traceFlags,
            };
      bodies.push(Uint8Array.from(encoder.encode([captured]).bytes));
    }
    return { lines: out.raw, bodies, kinds };
  }

  const inRequest = (fn: () => void, traceId: string, spanId: string) =>
    runWithRequestId('req_0123456789ab', () =>
      context.with(
        trace.setSpan(context.active(), trace.wrapSpanContext({ traceId, spanId, traceFlags: 1 })),
        fn,
      ),
    );

  for (const [name, call] of calls) {
    it(`${name}: same line, same OTLP bytes, in a request and outside one`, () => {
      let result!: ReturnType<typeof both>;
      inRequest(() => (result = both(call)), hex(16, 'a1'), hex(8, 'b2'));
      expect(result.kinds).toEqual(['line', 'flat']);
      expect(result.lines).toHaveLength(2);
      expect(result.lines[1]).toBe(result.lines[0]);
      expect(result.lines[0]).toContain('"request_id":"req_0123456789ab"');
      expect(Buffer.from(result.bodies[1]!).equals(Buffer.from(result.bodies[0]!))).toBe(true);

      const outside = both(call);
      expect(outside.lines[1]).toBe(outside.lines[0]);
      expect(outside.lines[0]).not.toContain('request_id');
      expect(Buffer.from(outside.bodies[1]!).equals(Buffer.from(outside.bodies[0]!))).toBe(true);
    });
  }

  it('IDs the API accepts but OTLP does not (upper case) stay attributes on both paths', () => {
    let result!: ReturnType<typeof both>;
    inRequest(() => (result = both(calls[8]![1])), hex(16, 'A1'), hex(8, 'B2'));
    expect(result.lines[1]).toBe(result.lines[0]);
    expect(Buffer.from(result.bodies[1]!).equals(Buffer.from(result.bodies[0]!))).toBe(true);
  });

  it('a bound logger’s flat lines equal pino’s; their records still come as lines', () => {
    const result = both(calls[8]![1], { agent: 'planner', retries: 3 });
    expect(result.kinds).toEqual(['line', 'line']);
    expect(result.lines[1]).toBe(result.lines[0]);
    expect(result.lines[0]).toContain('"agent":"planner","retries":3');
    expect(Buffer.from(result.bodies[1]!).equals(Buffer.from(result.bodies[0]!))).toBe(true);
  });

  it('calls with objects, errors or keys the line owns are left to pino', () => {
    const nonFlat: ((log: HopscopeLogger) => void)[] = [
      (log) => log.info('nested', { user: { id: 1 } }),
      (log) => log.info('when', { at: new Date(0) }),
      (log) => log.error(new Error('boom')),
      (log) => log.info('dup', { request_id: 'mine' }),
      (log) => log.info('msg', { message: 'from fields' }),
      (log) => log.info({ event: 'custom_event', user: 'u1' }),
    ];
    for (const call of nonFlat) {
      inRequest(
        () => {
          const result = both(call);
          expect(result.kinds).toEqual(['line', 'line']);
          expect(result.lines[1]).toBe(result.lines[0]);
        },
        hex(16, 'a1'),
        hex(8, 'b2'),
      );
    }
  });

  it('fields named like parts of the line give the same line and bytes on both paths', () => {
    const owned = {
      request_id: 'req_aaaaaaaaaaaa',
      trace_id: hex(16, 'c3'),
      span_id: hex(8, 'd4'),
      level: 'fatal',
      timestamp: '2000-01-01T00:00:00.000Z',
      service: 'impostor',
    };
    const cases: [string, (log: HopscopeLogger) => void, LogFields | undefined][] = [
      ['call fields', (log) => log.info('owned', { user: 'u1', ...owned }), undefined],
      ['bound fields', (log) => log.info('owned', { user: 'u1' }), { ...owned, agent: 'a' }],
      [
        'bound and call fields',
        (log) => log.info('owned', { user: 'u1', request_id: 'req_bbbbbbbbbbbb' }),
        { ...owned },
      ],
    ];
    for (const [name, call, bound] of cases) {
      let result!: ReturnType<typeof both>;
      inRequest(() => (result = both(call, bound)), hex(16, 'a1'), hex(8, 'b2'));
      expect(result.lines[1], name).toBe(result.lines[0]);
      expect(Buffer.from(result.bodies[1]!).equals(Buffer.from(result.bodies[0]!)), name).toBe(
        true,
      );
      const line = JSON.parse(result.lines[0]!) as Record<string, unknown>;
      expect(line, name).toMatchObject({
        level: 'info',
        service: 'flat',
        request_id: 'req_0123456789ab',
        trace_id: hex(16, 'a1'),
        'user.level': 'fatal',
        'user.service': 'impostor',
        'user.trace_id': hex(16, 'c3'),
      });
      expect(line['user.request_id'], name).toBe(
        name === 'bound and call fields' ? 'req_bbbbbbbbbbbb' : 'req_aaaaaaaaaaaa',
      );

      // outside a request the valid IDs name the line, on both paths alike
      const outside = both(call, bound);
      expect(outside.lines[1], name).toBe(outside.lines[0]);
      expect(Buffer.from(outside.bodies[1]!).equals(Buffer.from(outside.bodies[0]!))).toBe(true);
      expect(JSON.parse(outside.lines[0]!), name).toMatchObject({
        request_id: bound?.request_id ?? 'req_aaaaaaaaaaaa',
        trace_id: hex(16, 'c3'),
        span_id: hex(8, 'd4'),
        level: 'info',
        'user.level': 'fatal',
      });
    }
  });

  it('fields whose getter throws never reach the app, on either path', () => {
    const out = new LineSink();
    const log = createLogger({ destination: out, service: 'flat' });
    const hostile = Object.defineProperty({ user: 'u1' }, 'boom', {
      enumerable: true,
      get() {
        throw new Error('getter failed');
      },
    });
    for (const flat of [false, true]) {
      setFlatLines(flat);
      expect(() => log.info('hostile', hostile)).not.toThrow();
    }
    setFlatLines(true);
    log.info('after', { ok: true });
    expect(out.raw.at(-1)).toContain('"event":"after"');
  });

  it('an encoded record keeps its bytes while later records fill and replace the slab', () => {
    const record = (user: string): FlatRecord => ({
      timeMs: Date.now(),
      traceFlags: 1,
      level: 'info',
      message: 'handled',
      event: 'handled',
      requestId: 'req_0123456789ab',
      traceId: hex(16, 'a1'),
      spanId: hex(8, 'b2'),
      fields: { user },
    });
    const first = encodeFlatRecord(record('first'));
    const copy = Uint8Array.from(first);
    // ~100 KB of records: more than one slab, one of them larger than a slab's free room
    for (let i = 0; i < 1000; i++) encodeFlatRecord(record(`user ${i}`));
    encodeFlatRecord(record('x'.repeat(70_000)));
    expect(Buffer.from(first).equals(Buffer.from(copy))).toBe(true);
  });
});
