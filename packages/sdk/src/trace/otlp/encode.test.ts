import {
  type Link,
  ROOT_CONTEXT,
  SpanKind,
  SpanStatusCode,
  TraceFlags,
  trace,
} from '@opentelemetry/api';
import { TraceState } from '@opentelemetry/core';
import { ProtobufTraceSerializer } from '@opentelemetry/otlp-transformer';
import { resourceFromAttributes } from '@opentelemetry/resources';
import {
  BasicTracerProvider,
  type ReadableSpan,
  type SpanProcessor,
} from '@opentelemetry/sdk-trace-base';
import { describe, expect, it } from 'vitest';
import { attrs, loadOtlpTypes } from '../../../test/otlp-receiver.js';
import { TracesRequestEncoder } from './encode.js';

const long = 'x'.repeat(300);
const longUnicode = 'é世🚀'.repeat(40); // > 42 UTF-16 units, multi-byte
const attributes = {
  'http.request.method': 'GET',
  small: 7,
  zero: 0,
  negative: -3,
  bigNegative: -(2 ** 40),
  big: 2 ** 60,
  beyondInt64: 2 ** 64,
  ratio: 0.1,
  tiny: -1.5e-300,
  yes: true,
  no: false,
  empty: '',
  long,
  longUnicode,
  'ключ 🔑': 'unicode key',
  strings: ['a', 'b', long],
  numbers: [1, 2.5, -7],
  bools: [true, false],
  holes: ['a', null, undefined, 'b'],
  emptyList: [],
  // around the one-pass paths for short ASCII strings and small integers (otlp/any-value.ts)
  s99: 'a'.repeat(99),
  s100: 'b'.repeat(100),
  asciiThenAccent: `${'c'.repeat(20)}é`,
  [`k${'k'.repeat(60)}`]: 'v'.repeat(60), // a KeyValue of 127 bytes
  [`k${'k'.repeat(61)}`]: 'v'.repeat(60), // 128 bytes: the general path
  i127: 127,
  i128: 128,
  i16383: 16_383,
  i16384: 16_384,
  i2097151: 2_097_151,
  i2097152: 2_097_152,
  i2p28m1: 2 ** 28 - 1,
  i2p28: 2 ** 28,
};

/** Finished spans of real SDK tracers: what a span processor's onEnd receives. */
function finishedSpans(): ReadableSpan[] {
  const ended: ReadableSpan[] = [];
  const collect: SpanProcessor = {
    onStart: () => {},
    onEnd: (span) => ended.push(span),
    forceFlush: async () => {},
    shutdown: async () => {},
  };
  const provider = new BasicTracerProvider({
    resource: resourceFromAttributes({
      'service.name': 'encoder',
      'service.version': '1.0.0',
      'process.pid': 4242,
      'host.name': 'høst-名前',
    }),
    spanLimits: { attributeCountLimit: 40, eventCountLimit: 3, linkCountLimit: 2 },
    spanProcessors: [collect],
  });
  const tracer = provider.getTracer('hopscope', '0.1.0');
  const other = provider.getTracer('third-party-instrumentation'); // no version

  const remoteParent = {
    traceId: '4bf92f3577b34da6a3ce929d0e0e4736',
    spanId: '00f067aa0ba902b7',
    traceFlags: TraceFlags.SAMPLED,
    isRemote: true,
    traceState: new TraceState('vendor=value,other=x'),
  };
  const link: Link = {
    context: { ...remoteParent, spanId: 'a3ce929d0e0e4736', isRemote: false },
    attributes: { 'link.kind': 'caused_by', n: 2 },
  };
  const server = tracer.startSpan(
    'GET /users/:id',
    { kind: SpanKind.SERVER, attributes, links: [link] },
    trace.setSpanContext(ROOT_CONTEXT, remoteParent),
  );
  server.addEvent('exception', { 'exception.message': 'boom', 'exception.type': 'Error' });
  server.addEvent('plain');
  for (let i = 0; i < 5; i++) server.addEvent(`extra ${i}`); // past the limit: dropped events
  server.addLink({ context: { ...remoteParent, spanId: 'b3ce929d0e0e4736' } });
  server.addLink({ context: { ...remoteParent, spanId: 'c3ce929d0e0e4736' } }); // dropped
  for (let i = 0; i < 30; i++) server.setAttribute(`extra.${i}`, i); // past the limit: dropped
  server.setStatus({ code: SpanStatusCode.ERROR, message: 'failed — badly' });
  server.end();

  const child = tracer.startSpan('child', { kind: SpanKind.INTERNAL });
  child.setStatus({ code: SpanStatusCode.OK });
  child.end([1_769_342_400, 123_456_789]);
  const client = other.startSpan('POST', {
    kind: SpanKind.CLIENT,
    attributes: { 'url.full': 'http://x/y' },
  });
  client.end();
  const producer = tracer.startSpan('send', { kind: SpanKind.PRODUCER, startTime: 0 });
  producer.end(4_294_967_296_123); // a far-future end: high word of the nanoseconds in use
  const consumer = other.startSpan('', { kind: SpanKind.CONSUMER });
  consumer.end();
  return ended;
}

describe('TracesRequestEncoder', () => {
  it('writes the bytes of the official ProtobufTraceSerializer', () => {
    const spans = finishedSpans();
    const encoder = new TracesRequestEncoder();
    const official = Buffer.from(ProtobufTraceSerializer.serializeRequest(spans) as Uint8Array);
    expect(Buffer.from(encoder.encode(spans)).equals(official)).toBe(true);
    // reused resource and scope bytes, and a single span
    expect(Buffer.from(encoder.encode(spans)).equals(official)).toBe(true);
    const one = [spans[1] as ReadableSpan];
    expect(
      Buffer.from(encoder.encode(one)).equals(
        Buffer.from(ProtobufTraceSerializer.serializeRequest(one) as Uint8Array),
      ),
    ).toBe(true);
  });

  it('matches the official bytes for several resources, scopes and large batches', () => {
    const spans = finishedSpans();
    // spans the SDK cannot make: a second resource, a bytes attribute, nested values
    const foreign: ReadableSpan = {
      ...(spans[2] as ReadableSpan),
      spanContext: (spans[2] as ReadableSpan).spanContext,
      resource: resourceFromAttributes({ 'service.name': 'other' }),
      attributes: {
        bytes: new Uint8Array([0, 1, 255]) as never,
        nested: { a: [1, { b: 'c' }] } as never,
      },
    };
    const many = Array.from({ length: 600 }, (_, i) => spans[i % spans.length] as ReadableSpan);
    const batch = [...many.slice(0, 300), foreign, ...many.slice(300)];
    const official = Buffer.from(ProtobufTraceSerializer.serializeRequest(batch) as Uint8Array);
    expect(official.length).toBeGreaterThan(2 ** 14); // 3-byte lengths in use
    expect(Buffer.from(new TracesRequestEncoder().encode(batch)).equals(official)).toBe(true);
  });

  it('decodes with the OTLP .proto files into the spans it was given', async () => {
    const spans = finishedSpans();
    const { traces } = await loadOtlpTypes();
    const decoded = traces.toObject(traces.decode(new TracesRequestEncoder().encode(spans)), {
      longs: String,
      bytes: Buffer,
    }) as {
      resource_spans: {
        resource: { attributes: Parameters<typeof attrs>[0] };
        scope_spans: {
          scope: { name: string; version?: string };
          spans: {
            name: string;
            attributes: Parameters<typeof attrs>[0];
            parent_span_id?: Buffer;
          }[];
        }[];
      }[];
    };
    const [rs] = decoded.resource_spans;
    expect(attrs(rs?.resource.attributes)['host.name']).toBe('høst-名前');
    expect(rs?.scope_spans.map((s) => s.scope.name)).toEqual([
      'hopscope',
      'third-party-instrumentation',
    ]);
    const server = rs?.scope_spans[0]?.spans[0];
    expect(server?.name).toBe('GET /users/:id');
    expect(server?.parent_span_id?.toString('hex')).toBe('00f067aa0ba902b7');
    expect(attrs(server?.attributes)).toMatchObject({
      longUnicode,
      negative: -3,
      strings: ['a', 'b', long],
    });
  });
});
