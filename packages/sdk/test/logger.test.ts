import { context, trace } from '@opentelemetry/api';
import { BasicTracerProvider } from '@opentelemetry/sdk-trace-base';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createLogger, ensureContextManager, runWithRequestId } from '../src/index.js';
import { leanTracer } from '../src/trace/lean-span.js';
import { LineSink } from './line-sink.js';

const ISO_MS_Z = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;

describe('logger line format', () => {
  const provider = new BasicTracerProvider();
  beforeAll(() => {
    ensureContextManager();
    trace.setGlobalTracerProvider(provider);
  });
  afterAll(() => trace.disable());

  it('leaves out the IDs of a span whose generator made invalid ones, lean span or not', () => {
    const zeros = new BasicTracerProvider({
      idGenerator: { generateTraceId: () => '0'.repeat(32), generateSpanId: () => 'x'.repeat(16) },
    });
    const lean = leanTracer(zeros.getTracer('t'));
    if (lean === undefined) throw new Error('leanTracer refused a plain SDK tracer');
    const sink = new LineSink();
    const log = createLogger({ service: 'gateway', destination: sink });
    for (const span of [zeros.getTracer('t').startSpan('op'), lean.startSpan('op')]) {
      context.with(trace.setSpan(context.active(), span), () => log.info('in_span'));
    }
    for (const line of sink.lines) {
      expect(line.trace_id).toBeUndefined();
      expect(line.span_id).toBeUndefined();
    }
    expect(sink.lines).toHaveLength(2);
  });

  it('writes every DESIGN.md field from the active request and span', () => {
    const sink = new LineSink();
    const log = createLogger({ service: 'gateway', destination: sink, level: 'debug' });
    const span = provider.getTracer('t').startSpan('op');
    runWithRequestId('req_0123456789ab', () =>
      context.with(trace.setSpan(context.active(), span), () =>
        log.info('request_completed', {
          duration_ms: 3.25,
          method: 'POST',
          path: '/v1/chat',
          status_code: 200,
        }),
      ),
    );
    const [line] = sink.lines;
    expect(Object.keys(line).sort()).toEqual(
      [
        'timestamp',
        'level',
        'service',
        'request_id',
        'trace_id',
        'span_id',
        'event',
        'message',
        'duration_ms',
        'method',
        'path',
        'status_code',
      ].sort(),
    );
    expect(line.timestamp).toMatch(ISO_MS_Z);
    expect(Math.abs(Date.parse(line.timestamp as string) - Date.now())).toBeLessThan(60_000);
    expect(line.level).toBe('info');
    expect(line.service).toBe('gateway');
    expect(line.request_id).toBe('req_0123456789ab');
    expect(line.trace_id).toBe(span.spanContext().traceId);
    expect(line.trace_id).toMatch(/^[0-9a-f]{32}$/);
    expect(line.span_id).toBe(span.spanContext().spanId);
    expect(line.span_id).toMatch(/^[0-9a-f]{16}$/);
    expect(line.event).toBe('request_completed');
    expect(line.message).toBe('request_completed');
    expect(line.duration_ms).toBe(3.25);
    expect(line.status_code).toBe(200);
    // one JSON object per line, no duplicate keys
    expect(sink.raw[0].match(/"message":/g)).toHaveLength(1);
  });

  it('never writes a key twice when fields repeat the context, and escapes odd request IDs', () => {
    const sink = new LineSink();
    const log = createLogger({ service: 'svc', destination: sink });
    const span = provider.getTracer('t').startSpan('op');
    runWithRequestId('req_111111111111', () =>
      context.with(trace.setSpan(context.active(), span), () => {
        log.info('seed_style', { request_id: 'req_111111111111', event: 'other', span_id: 'x' });
        log.pino.info({ raw: true }, 'through raw pino');
      }),
    );
    runWithRequestId('odd"id\n', () => log.info('odd_id'));
    for (const raw of sink.raw) {
      for (const key of ['request_id', 'trace_id', 'span_id', 'event', 'message']) {
        expect(raw.split(`"${key}":`).length - 1, `${key} in ${raw}`).toBeLessThanOrEqual(1);
      }
    }
    const [seed, viaPino, odd] = sink.lines;
    expect(seed).toMatchObject({
      event: 'seed_style',
      request_id: 'req_111111111111',
      span_id: span.spanContext().spanId,
    });
    expect(viaPino).toMatchObject({
      event: 'log',
      raw: true,
      message: 'through raw pino',
      request_id: 'req_111111111111',
      trace_id: span.spanContext().traceId,
    });
    expect(odd.request_id).toBe('odd"id\n');
    expect(odd).not.toHaveProperty('trace_id');
  });

  it('keeps the request’s IDs over bound ones in a request; a bound request_id names lines outside one', () => {
    const sink = new LineSink();
    const log = createLogger({ service: 's', destination: sink });
    const bound = log.bind({ request_id: 'req_222222222222', task: 't1' });
    const span = provider.getTracer('t').startSpan('op');
    runWithRequestId('req_333333333333', () =>
      context.with(trace.setSpan(context.active(), span), () => {
        bound.info('bound_in_request');
        bound.bind({ step: 1 }).info('nested_bound', { request_id: 'req_444444444444' });
        log.info('unbound_in_request');
      }),
    );
    bound.info('bound_outside');
    bound.bind({ request_id: 'job_7' }).info('rebound_outside', { request_id: 'req_555555555555' });
    for (const raw of sink.raw) {
      expect(raw.split('"request_id":').length - 1, raw).toBe(1);
      expect(raw.split('"user.request_id":').length - 1, raw).toBeLessThanOrEqual(1);
      expect(raw.split('"trace_id":').length - 1, raw).toBeLessThanOrEqual(1);
    }
    expect(sink.find('bound_in_request')).toMatchObject({
      request_id: 'req_333333333333',
      'user.request_id': 'req_222222222222',
      trace_id: span.spanContext().traceId,
      task: 't1',
    });
    // the call's value is the more specific of the two user values
    expect(sink.find('nested_bound')).toMatchObject({
      request_id: 'req_333333333333',
      'user.request_id': 'req_444444444444',
      step: 1,
    });
    expect(sink.find('unbound_in_request')).not.toHaveProperty('user.request_id');
    expect(sink.find('bound_outside').request_id).toBe('req_222222222222');
    expect(sink.find('bound_outside')).not.toHaveProperty('user.request_id');
    // outside a request: the innermost bind names the line, the call's value is kept beside it
    expect(sink.find('rebound_outside')).toMatchObject({
      request_id: 'job_7',
      'user.request_id': 'req_555555555555',
    });
    expect(() => log.bind({ event: 'x' })).toThrow(/cannot bind "event"/);
  });

  it('writes level words for every level and omits IDs outside a request', () => {
    const sink = new LineSink();
    const log = createLogger({ service: 's', destination: sink, level: 'debug' });
    log.debug('a_event');
    log.info('b_event');
    log.warn('c_event');
    log.error('d_event');
    log.fatal('e_event');
    expect(sink.lines.map((l) => l.level)).toEqual(['debug', 'info', 'warn', 'error', 'fatal']);
    for (const line of sink.lines) {
      expect(line.request_id).toBeUndefined();
      expect(line.trace_id).toBeUndefined();
      expect(line).not.toHaveProperty('pid');
      expect(line).not.toHaveProperty('hostname');
      expect(line).not.toHaveProperty('msg');
      expect(line).not.toHaveProperty('time');
    }
  });

  it('accepts the event+fields, pino (obj, msg), error and lone-message call shapes', () => {
    const sink = new LineSink();
    const log = createLogger({ service: 's', destination: sink });
    log.info('user_created', { user_id: 7, message: 'A user was created' });
    log.info({ event: 'cache_miss', key: 'k' }, 'Cache miss for k');
    log.info({ key: 'k2' }, 'no event given');
    log.info('Server listening on port 3000');
    log.info('plain_event');
    log.info('evt_with_msg', 'Human text');
    const boom = new TypeError('bad input');
    log.error('parse_failed', { error: boom });
    log.error(new RangeError('out of range'));
    const [a, b, c, d, e, f, g, h] = sink.lines;
    expect(a).toMatchObject({ event: 'user_created', message: 'A user was created', user_id: 7 });
    expect(b).toMatchObject({ event: 'cache_miss', message: 'Cache miss for k', key: 'k' });
    expect(c).toMatchObject({ event: 'log', message: 'no event given', key: 'k2' });
    expect(d).toMatchObject({ event: 'log', message: 'Server listening on port 3000' });
    expect(e).toMatchObject({ event: 'plain_event', message: 'plain_event' });
    expect(f).toMatchObject({ event: 'evt_with_msg', message: 'Human text' });
    expect(g).toMatchObject({ event: 'parse_failed', error: 'bad input', error_type: 'TypeError' });
    expect(g.error_stack).toContain('bad input');
    expect(h).toMatchObject({ event: 'error', message: 'out of range', error_type: 'RangeError' });
    for (const raw of sink.raw) expect(raw.match(/"message":/g)).toHaveLength(1);
  });

  it('binds fields on child loggers without touching the parent', () => {
    const sink = new LineSink();
    const log = createLogger({ service: 'agents', destination: sink });
    const planner = log.bind({ agent: 'planner' });
    const step = planner.bind({ step: 2 });
    planner.info('plan_made');
    step.info('step_done', { ok: true });
    log.info('root_line');
    expect(sink.find('plan_made')).toMatchObject({ agent: 'planner', service: 'agents' });
    expect(sink.find('step_done')).toMatchObject({ agent: 'planner', step: 2, ok: true });
    expect(sink.find('root_line')).not.toHaveProperty('agent');
    expect(() => log.bind(null as never)).toThrow(/bind\(\) takes an object/);
  });

  it('filters by level, from options and at runtime', () => {
    const sink = new LineSink();
    const log = createLogger({ service: 's', destination: sink, level: 'warn' });
    const child = log.bind({ c: 1 });
    log.info('dropped_info');
    child.warn('kept_warn');
    expect(sink.lines.map((l) => l.event)).toEqual(['kept_warn']);
    log.level = 'debug';
    child.debug('now_debug');
    expect(sink.lines.map((l) => l.event)).toEqual(['kept_warn', 'now_debug']);
    expect(log.isLevelEnabled('debug')).toBe(true);
    expect(() => {
      log.level = 'verbose' as never;
    }).toThrow(/log level must be one of/);
    expect(() => createLogger({ level: 'loud' as never })).toThrow(/level must be one of/);
  });

  it('adds filename and lineno of the caller only when asked', () => {
    const sink = new LineSink();
    createLogger({ service: 's', destination: sink, callsite: true }).info('with_callsite');
    createLogger({ service: 's', destination: sink }).info('without_callsite');
    const withIt = sink.find('with_callsite');
    expect(withIt.filename).toMatch(/logger\.test\.ts$/);
    expect(withIt.lineno).toBeTypeOf('number');
    expect(withIt.lineno).toBeGreaterThan(100);
    expect(sink.find('without_callsite')).not.toHaveProperty('filename');
  });

  it('never throws into the caller: broken destination, circular fields, throwing toJSON', () => {
    const broken = createLogger({
      service: 's',
      destination: {
        write() {
          throw new Error('disk full');
        },
      },
    });
    expect(() => broken.info('lost_line')).not.toThrow();
    const sink = new LineSink();
    const log = createLogger({ service: 's', destination: sink });
    const circular: Record<string, unknown> = { name: 'loop' };
    circular.self = circular;
    const hostile = {
      toJSON() {
        throw new Error('no');
      },
    };
    expect(() => log.info('circular_fields', { circular })).not.toThrow();
    expect(() => log.info('hostile_fields', { hostile })).not.toThrow();
    expect(sink.find('circular_fields').circular).toMatchObject({ name: 'loop' });
  });

  it('stamps each line with its own millisecond, across seconds and years', () => {
    const sink = new LineSink();
    const log = createLogger({ service: 's', destination: sink });
    const times = [
      Date.UTC(2026, 10, 23, 20, 59, 59, 998),
      Date.UTC(2026, 10, 23, 20, 59, 59, 999),
      Date.UTC(2026, 10, 23, 21, 0, 0, 0),
      Date.UTC(2026, 10, 23, 21, 0, 0, 7),
      Date.UTC(2026, 10, 23, 21, 0, 0, 7),
      Date.UTC(2026, 10, 23, 21, 0, 0, 42),
      Date.UTC(2026, 10, 23, 21, 0, 0, 41), // the clock stepped back
      Date.UTC(2026, 10, 23, 20, 0, 0, 41),
      Date.UTC(10_000, 0, 1, 0, 0, 0, 5), // a six-digit year
      Date.UTC(10_000, 0, 1, 0, 0, 0, 6),
    ];
    const now = vi.spyOn(Date, 'now');
    try {
      for (const t of times) {
        now.mockReturnValue(t);
        log.info('tick');
      }
    } finally {
      now.mockRestore();
    }
    expect(sink.lines.map((l) => l.timestamp)).toEqual(times.map((t) => new Date(t).toISOString()));
  });

  it('gives interleaved requests each their own IDs on every line', () => {
    const sink = new LineSink();
    const log = createLogger({ service: 's', destination: sink });
    const tracer = provider.getTracer('t');
    const requests = ['req_00000000000a', 'req_00000000000b', 'req_00000000000c'].map((id) => {
      const span = tracer.startSpan(id);
      return { id, span, ctx: trace.setSpan(context.active(), span) };
    });
    const inEach = (fn: (r: (typeof requests)[number]) => void) => {
      for (const r of requests) runWithRequestId(r.id, () => context.with(r.ctx, () => fn(r)));
    };
    // each line in its own request's context, alternating between requests
    const contexts = requests.map((r) =>
      runWithRequestId(r.id, () => trace.setSpan(context.active(), r.span)),
    );
    for (let round = 0; round < 3; round++) {
      for (const [i, ctx] of contexts.entries()) {
        context.with(ctx, () => log.info('step', { i, round }));
      }
    }
    inEach(() => log.info('nested'));
    for (const line of sink.lines) {
      const r = requests[line.i === undefined ? -1 : (line.i as number)];
      if (r === undefined) continue;
      expect(line.request_id).toBe(r.id);
      expect(line.span_id).toBe(r.span.spanContext().spanId);
      expect(line.trace_id).toBe(r.span.spanContext().traceId);
    }
    expect(sink.lines.filter((l) => l.event === 'step')).toHaveLength(9);
    const nested = sink.lines.filter((l) => l.event === 'nested');
    expect(nested.map((l) => l.span_id)).toEqual(requests.map((r) => r.span.spanContext().spanId));
  });

  it('renders pretty lines when asked, without JSON', () => {
    const sink = new LineSink();
    createLogger({ service: 'pretty-svc', destination: sink, pretty: true }).info('shown_event', {
      n: 1,
    });
    const text = sink.raw.join('\n');
    expect(text).toContain('shown_event');
    expect(text).toContain('INFO');
    expect(() => JSON.parse(sink.raw[0])).toThrow();
  });
});
