import {
  type Attributes,
  type Context,
  createContextKey,
  ROOT_CONTEXT,
  SamplingDecision,
  type Span,
  SpanKind,
  SpanStatusCode,
  TraceFlags,
  type Tracer,
  trace,
} from '@opentelemetry/api';
import { TraceState } from '@opentelemetry/core';
import { resourceFromAttributes } from '@opentelemetry/resources';
import {
  AlwaysOffSampler,
  BasicTracerProvider,
  type ReadableSpan,
  type Sampler,
  type SpanLimits,
  type SpanProcessor,
} from '@opentelemetry/sdk-trace-base';
import { NodeTracerProvider } from '@opentelemetry/sdk-trace-node';
import { describe, expect, it } from 'vitest';
import { CheckedSpanContext } from './checked-span-context.js';
import { ADOPT_ATTRIBUTES, LeanSpan, leanTracer } from './lean-span.js';
import { TracesRequestEncoder } from './otlp/encode.js';

/** IDs counted up from 1, the same sequence for each provider. */
function countingIds() {
  let n = 0;
  const hex = (width: number) => (++n).toString(16).padStart(width, '0');
  return { generateTraceId: () => hex(32), generateSpanId: () => hex(16) };
}

interface Setup {
  sampler?: Sampler;
  spanLimits?: SpanLimits;
}

/** A real SDK provider with a recording processor, and its tracer's lean stand-in. */
function providerPair(setup: Setup = {}) {
  const make = () => {
    const started: { span: Span; context: Context }[] = [];
    const ended: ReadableSpan[] = [];
    const processor: SpanProcessor = {
      onStart: (span, context) => void started.push({ span, context }),
      onEnd: (span) => void ended.push(span),
      forceFlush: async () => {},
      shutdown: async () => {},
    };
    const provider = new BasicTracerProvider({
      resource: resourceFromAttributes({ 'service.name': 'lean' }),
      idGenerator: countingIds(),
      spanProcessors: [processor],
      ...setup,
    });
    return { tracer: provider.getTracer('hopscope', '0.1.0'), started, ended };
  };
  const sdk = make();
  const lean = make();
  const leanOne = leanTracer(lean.tracer);
  if (leanOne === undefined) throw new Error('leanTracer refused a plain SDK tracer');
  return { sdk, lean: { ...lean, tracer: leanOne } };
}

const parentContext = trace.setSpanContext(ROOT_CONTEXT, {
  traceId: '0af7651916cd43dd8448eb211c80319c',
  spanId: 'b7ad6b7169203331',
  traceFlags: TraceFlags.SAMPLED,
  traceState: new TraceState('vendor=value'),
  isRemote: true,
});

const serverAttributes = (): Attributes => ({
  'http.request.method': 'GET',
  'url.path': '/users/42',
  'url.scheme': 'http',
  'server.address': '127.0.0.1',
  'server.port': 8080,
  'client.port': 51234,
  'request.id': 'req_0123456789ab',
  flag: true,
  nothing: undefined,
});

/** Everything of a finished span a processor or exporter can read. */
function view(span: ReadableSpan) {
  return {
    name: span.name,
    kind: span.kind,
    spanContext: span.spanContext(),
    parentSpanContext: span.parentSpanContext,
    attributes: span.attributes,
    links: span.links,
    events: span.events.map((e) => ({ ...e, time: undefined })),
    status: span.status,
    ended: span.ended,
    resource: span.resource,
    instrumentationScope: span.instrumentationScope,
    droppedAttributesCount: span.droppedAttributesCount,
    droppedEventsCount: span.droppedEventsCount,
    droppedLinksCount: span.droppedLinksCount,
  };
}

/** The middleware's span life: start with attributes, route, status, an error, end. */
const kaboom = new TypeError('kaboom');

function serverSpanLife(tracer: ReturnType<typeof providerPair>['sdk']['tracer'], ctx: Context) {
  const span = tracer.startSpan(
    'GET',
    { kind: SpanKind.SERVER, attributes: serverAttributes(), startTime: [1_699_999_999, 7] },
    ctx,
  );
  span.setAttribute('http.route', '/users/:id');
  span.updateName('GET /users/:id');
  span.setAttribute('http.response.status_code', 500);
  span.recordException(kaboom);
  span.setStatus({ code: SpanStatusCode.ERROR, message: 'kaboom' });
  span.end([1_700_000_000, 5]);
  return span;
}

describe('LeanSpan', () => {
  it('is the span the SDK tracer makes, field for field and byte for byte on export', () => {
    const { sdk, lean } = providerPair();
    const key = createContextKey('marker');
    const ctx = parentContext.setValue(key, 'here');
    serverSpanLife(sdk.tracer, ctx);
    const fromLean = serverSpanLife(lean.tracer, ctx);
    expect(fromLean).toBeInstanceOf(LeanSpan);

    expect(view(lean.ended[0] as ReadableSpan)).toEqual(view(sdk.ended[0] as ReadableSpan));
    // the processors saw the span start in the caller's context
    expect(lean.started[0]?.span).toBe(fromLean);
    expect(lean.started[0]?.context.getValue(key)).toBe('here');
    expect(fromLean.isRecording()).toBe(false);

    // the same times give the same OTLP bytes (the exception's time is the clock's)
    const a = sdk.ended[0] as ReadableSpan;
    const b = lean.ended[0] as ReadableSpan;
    expect(b.startTime).toEqual(a.startTime);
    expect(b.endTime).toEqual(a.endTime);
    (b.events[0] as { time: unknown }).time = a.events[0]?.time;
    const encoder = new TracesRequestEncoder();
    expect(Buffer.from(encoder.encode([b]))).toEqual(Buffer.from(encoder.encode([a])));
  });

  it('times the span as the SDK does: start now in epoch ms, end from the monotonic clock', () => {
    const { lean } = providerPair();
    const before = Date.now();
    const span = lean.tracer.startSpan('t', {}, ROOT_CONTEXT) as unknown as ReadableSpan & Span;
    span.end();
    const startMs = span.startTime[0] * 1e3 + span.startTime[1] / 1e6;
    expect(startMs).toBeGreaterThanOrEqual(before);
    expect(startMs).toBeLessThanOrEqual(Date.now());
    expect(span.duration[0]).toBeGreaterThanOrEqual(0);
    expect(span.endTime).not.toEqual([0, 0]);
  });

  it('applies the provider span limits exactly as the SDK span does', () => {
    const { sdk, lean } = providerPair({
      spanLimits: { attributeCountLimit: 3, attributeValueLengthLimit: 4, eventCountLimit: 1 },
    });
    for (const tracer of [sdk.tracer, lean.tracer]) {
      const span = tracer.startSpan('limited', { attributes: serverAttributes() }, ROOT_CONTEXT);
      span.setAttribute('list', ['abcdef', 'xy']);
      span.setAttribute('url.path', '/replaced');
      span.addEvent('one', { long: 'abcdefgh' });
      span.addEvent('two');
      span.end([1_700_000_000, 0]);
    }
    const [a, b] = [sdk.ended[0] as ReadableSpan, lean.ended[0] as ReadableSpan];
    expect(view(b)).toEqual(view(a));
    expect(b.droppedAttributesCount).toBeGreaterThan(0);
    expect(b.droppedEventsCount).toBe(1);
  });

  it('honours the sampler: dropped spans do not record, record-only ones are not sampled', () => {
    const off = providerPair({ sampler: new AlwaysOffSampler() });
    const dropped = off.lean.tracer.startSpan('x', {}, parentContext);
    expect(dropped.isRecording()).toBe(false);
    expect(dropped).not.toBeInstanceOf(LeanSpan);
    expect(dropped.spanContext().traceId).toBe('0af7651916cd43dd8448eb211c80319c');
    expect(dropped.spanContext().traceFlags).toBe(TraceFlags.NONE);
    expect(off.lean.started).toHaveLength(0);

    const recordOnly: Sampler = {
      shouldSample: () => ({
        decision: SamplingDecision.RECORD,
        attributes: { 'sampler.added': 'yes', bad: {} as unknown as string },
        traceState: new TraceState('s=1'),
      }),
    };
    const pair = providerPair({ sampler: recordOnly });
    for (const tracer of [pair.sdk.tracer, pair.lean.tracer]) {
      tracer.startSpan('r', { attributes: { a: 1 } }, parentContext).end([1_700_000_000, 0]);
    }
    const [a, b] = [pair.sdk.ended[0] as ReadableSpan, pair.lean.ended[0] as ReadableSpan];
    expect(view(b)).toEqual(view(a));
    expect(b.spanContext().traceFlags).toBe(TraceFlags.NONE);
    expect(b.attributes['sampler.added']).toBe('yes');
    expect(b.spanContext().traceState?.serialize()).toBe('s=1');
  });

  it('leaves root spans, links and invalid attributes to the same result as the SDK', () => {
    const { sdk, lean } = providerPair();
    for (const tracer of [sdk.tracer, lean.tracer]) {
      tracer
        .startSpan(
          'odd',
          {
            root: true,
            links: [{ context: parentContext && trace.getSpanContext(parentContext)! }],
            attributes: { '': 'empty key', obj: {} as unknown as string, ok: 'yes' },
          },
          parentContext,
        )
        .end([1_700_000_000, 0]);
      tracer
        .startSpan('invalid attrs', {
          attributes: { '': 'x', obj: {} as unknown as string, ok: 1 },
        })
        .end([1_700_000_000, 0]);
    }
    expect(lean.ended.map(view)).toEqual(sdk.ended.map(view));
    expect(lean.ended[1]?.attributes).toEqual({ ok: 1 });
  });

  it('draws random W3C IDs when the provider uses the SDK random generator', () => {
    const tracer = leanTracer(new BasicTracerProvider().getTracer('hopscope'));
    if (tracer === undefined) throw new Error('leanTracer refused a plain SDK tracer');
    const traceIds = new Set<string>();
    const spanIds = new Set<string>();
    for (let i = 0; i < 2_000; i++) {
      const root = tracer.startSpan('root', {}, ROOT_CONTEXT);
      const child = tracer.startSpan('child', {}, trace.setSpan(ROOT_CONTEXT, root));
      const r = root.spanContext();
      const c = child.spanContext();
      expect(r.traceId).toMatch(/^(?!0{32})[0-9a-f]{32}$/);
      expect(r.spanId).toMatch(/^(?!0{16})[0-9a-f]{16}$/);
      expect(c.spanId).toMatch(/^(?!0{16})[0-9a-f]{16}$/);
      expect(c.traceId).toBe(r.traceId);
      expect((child as unknown as ReadableSpan).parentSpanContext?.spanId).toBe(r.spanId);
      traceIds.add(r.traceId);
      spanIds.add(r.spanId).add(c.spanId);
    }
    expect(traceIds.size).toBe(2_000);
    expect(spanIds.size).toBe(4_000);
  });

  it("draws pooled IDs, not the generator's, for the NodeTracerProvider init() builds", () => {
    // sdk-trace-node may nest its own copy of the SDK, whose RandomIdGenerator class differs
    const provider = new NodeTracerProvider();
    const sdkTracer = provider.getTracer('hopscope') as unknown as {
      _idGenerator: { generateTraceId: () => string; generateSpanId: () => string };
    };
    let calls = 0;
    const generator = sdkTracer._idGenerator;
    const { generateTraceId, generateSpanId } = generator;
    generator.generateTraceId = () => {
      calls++;
      return generateTraceId();
    };
    generator.generateSpanId = () => {
      calls++;
      return generateSpanId();
    };
    const tracer = leanTracer(sdkTracer as unknown as Tracer);
    if (tracer === undefined) throw new Error('leanTracer refused a NodeTracerProvider tracer');
    const root = tracer.startSpan('root', {}, ROOT_CONTEXT);
    tracer.startSpan('child', {}, trace.setSpan(ROOT_CONTEXT, root));
    expect(root.spanContext().traceId).toMatch(/^(?!0{32})[0-9a-f]{32}$/);
    expect(calls).toBe(0);
  });

  it('keeps the attributes object it is given away when the copy would be the same', () => {
    const adopt = (attributes: Attributes) =>
      ({ attributes, [ADOPT_ATTRIBUTES]: true }) as { attributes: Attributes };
    const { sdk, lean } = providerPair();
    const given: Attributes = { ...serverAttributes(), nothing: 'something' };
    for (const tracer of [sdk.tracer, lean.tracer]) {
      const span = tracer.startSpan('GET', adopt({ ...given }), ROOT_CONTEXT);
      span.setAttribute('http.response.status_code', 200);
      span.end([1_700_000_000, 0]);
    }
    expect(view(lean.ended[0] as ReadableSpan)).toEqual(view(sdk.ended[0] as ReadableSpan));
    const own = { ...given };
    const kept = lean.tracer.startSpan('GET', adopt(own), ROOT_CONTEXT) as unknown as LeanSpan;
    expect(kept.attributes).toBe(own);
    // without the key, or with a value to drop, the span copies as the SDK does
    const notGiven = { ...given };
    const copied = lean.tracer.startSpan('GET', { attributes: notGiven }, ROOT_CONTEXT);
    expect((copied as unknown as LeanSpan).attributes).not.toBe(notGiven);
    const withUndefined = serverAttributes();
    const cleaned = lean.tracer.startSpan('GET', adopt(withUndefined), ROOT_CONTEXT);
    expect((cleaned as unknown as LeanSpan).attributes).not.toBe(withUndefined);
    expect(Object.hasOwn((cleaned as unknown as LeanSpan).attributes, 'nothing')).toBe(false);
  });

  it('copies given attributes under span limits exactly as the SDK span does', () => {
    const { sdk, lean } = providerPair({
      spanLimits: { attributeCountLimit: 3, attributeValueLengthLimit: 4 },
    });
    for (const tracer of [sdk.tracer, lean.tracer]) {
      const attributes = { ...serverAttributes(), nothing: 'x' };
      const options = { attributes, [ADOPT_ATTRIBUTES]: true };
      const span = tracer.startSpan('limited', options, ROOT_CONTEXT);
      span.setAttribute('late', 1);
      span.end([1_700_000_000, 0]);
      expect((span as unknown as ReadableSpan).attributes).not.toBe(attributes);
    }
    expect(view(lean.ended[0] as ReadableSpan)).toEqual(view(sdk.ended[0] as ReadableSpan));
    expect(lean.ended[0]?.droppedAttributesCount).toBeGreaterThan(0);
  });

  it('marks span contexts of pooled IDs as checked, never those of a custom generator', () => {
    const pooled = leanTracer(new BasicTracerProvider().getTracer('hopscope'));
    if (pooled === undefined) throw new Error('leanTracer refused a plain SDK tracer');
    const root = pooled.startSpan('root', {}, ROOT_CONTEXT);
    const child = pooled.startSpan('child', {}, parentContext);
    expect(root.spanContext()).toBeInstanceOf(CheckedSpanContext);
    expect(child.spanContext()).toBeInstanceOf(CheckedSpanContext);
    expect(child.spanContext().traceId).toBe('0af7651916cd43dd8448eb211c80319c');
    const { lean } = providerPair();
    expect(lean.tracer.startSpan('c', {}, ROOT_CONTEXT).spanContext()).not.toBeInstanceOf(
      CheckedSpanContext,
    );
  });

  it('stands in only for SDK tracers without span metrics', () => {
    expect(leanTracer(trace.getTracer('noop'))).toBeUndefined();
    const counter = { add() {} };
    const metered = new BasicTracerProvider({
      meterProvider: {
        getMeter: () =>
          ({
            createCounter: () => counter,
            createUpDownCounter: () => counter,
          }) as never,
      },
    });
    expect(leanTracer(metered.getTracer('t'))).toBeUndefined();
  });
});
