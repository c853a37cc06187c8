import { context, propagation, ROOT_CONTEXT, trace } from '@opentelemetry/api';
import { describe, expect, it } from 'vitest';
import {
  getRequestId,
  getServicesEncountered,
  getUpstreamService,
  setRequestId,
  setServicesEncountered,
} from '../context/index.js';
import { carrierGetter, carrierSetter } from './carrier.js';
import { extract, inject } from './inject-extract.js';
import { getRequestIdRejection } from './keys.js';
import { createPropagator } from './propagator.js';
import { addServiceToTrace, createChildTraceContext } from './services.js';

const TP = '00-12345678901234567890123456789012-1234567890123456-01';
const remote = (ctx = ROOT_CONTEXT) =>
  trace.setSpanContext(ctx, {
    traceId: '12345678901234567890123456789012',
    spanId: 'abcdefabcdefabcd',
    traceFlags: 1,
  });

describe('createPropagator', () => {
  const p = createPropagator({ service: 'gateway' });

  it('injects trace context, request ID and upstream service', () => {
    const out: Record<string, string> = {};
    p.inject(setRequestId(remote(), 'req_0123456789ab'), out, carrierSetter);
    expect(out.traceparent).toMatch(/^00-12345678901234567890123456789012-abcdefabcdefabcd-0[13]$/);
    expect(out['x-request-id']).toBe('req_0123456789ab');
    expect(out['x-upstream-service']).toBe('gateway');
    expect(out['x-services-encountered']).toBeUndefined();
  });

  it("does not announce OpenTelemetry's unknown_service placeholder as upstream", () => {
    const out: Record<string, string> = {};
    createPropagator({ service: 'unknown_service:node' }).inject(remote(), out, carrierSetter);
    expect(out['x-upstream-service']).toBeUndefined();
    expect(out.traceparent).toBeDefined();
  });

  it('takes the request ID from x-request-id, then the aliases in order', () => {
    const id = (h: Record<string, string>) =>
      getRequestId(p.extract(ROOT_CONTEXT, h, carrierGetter));
    expect(id({ 'x-request-id': 'abc', 'x-correlation-id': 'def' })).toBe('abc');
    expect(id({ 'x-correlation-id': 'def', 'x-trace-id': 'ghi' })).toBe('def');
    expect(id({ 'X-Trace-Id': 'ghi' })).toBe('ghi');
    expect(id({})).toBeUndefined();
    const custom = createPropagator({ requestIdAliases: ['x-amzn-trace-id'] });
    expect(
      getRequestId(custom.extract(ROOT_CONTEXT, { 'x-amzn-trace-id': 'a1' }, carrierGetter)),
    ).toBe('a1');
    expect(
      getRequestId(custom.extract(ROOT_CONTEXT, { 'x-trace-id': 'a1' }, carrierGetter)),
    ).toBeUndefined();
  });

  it('replaces hostile request IDs and keeps only the reason', () => {
    for (const [raw, reason] of [
      ['abc\r\nSet-Cookie: x=1', 'invalid_chars'],
      ['\u001b[31mred\u001b[0m', 'invalid_chars'],
      ['a'.repeat(10_240), 'too_long'],
      [['a', 'b'], 'invalid_chars'],
    ] as const) {
      const ctx = p.extract(ROOT_CONTEXT, { 'x-request-id': raw as string }, carrierGetter);
      expect(getRequestId(ctx)).toMatch(/^req_[0-9a-f]{12}$/);
      expect(getRequestIdRejection(ctx)).toBe(reason);
    }
  });

  it('reads and validates x-upstream-service', () => {
    const up = (v: string) =>
      getUpstreamService(p.extract(ROOT_CONTEXT, { 'x-upstream-service': v }, carrierGetter));
    expect(up('gateway')).toBe('gateway');
    expect(up('evil\u001b[2J')).toBeUndefined();
  });

  it('lists services encountered only when opted in, each service appending itself', () => {
    const on = createPropagator({ service: 'ingestion-api', servicesEncountered: true });
    const ctx = on.extract(
      ROOT_CONTEXT,
      { 'x-services-encountered': 'client-app, api-gateway,bad name,' },
      carrierGetter,
    );
    expect(getServicesEncountered(ctx)).toEqual(['client-app', 'api-gateway', 'ingestion-api']);
    const out: Record<string, string> = {};
    on.inject(ctx, out, carrierSetter);
    expect(out['x-services-encountered']).toBe('client-app,api-gateway,ingestion-api');
    const producer = createPropagator({ service: 'kafka-producer', servicesEncountered: true });
    producer.inject(ctx, out, carrierSetter);
    expect(out['x-services-encountered']).toBe(
      'client-app,api-gateway,ingestion-api,kafka-producer',
    );
    expect(p.fields()).not.toContain('x-services-encountered');
    expect(
      getServicesEncountered(
        p.extract(ROOT_CONTEXT, { 'x-services-encountered': 'a' }, carrierGetter),
      ),
    ).toEqual([]);
  });

  it('propagates baggage', () => {
    const ctx = p.extract(ROOT_CONTEXT, { baggage: 'tenant=acme,plan=pro' }, carrierGetter);
    expect(propagation.getBaggage(ctx)?.getEntry('tenant')?.value).toBe('acme');
    const out: Record<string, string> = {};
    p.inject(ctx, out, carrierSetter);
    expect(out.baggage).toContain('tenant=acme');
  });

  it('marks traces born here random (Level 2), and not continued ones without the flag', () => {
    const out: Record<string, string> = {};
    const born = trace.setSpanContext(ROOT_CONTEXT, {
      traceId: 'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa',
      spanId: 'bbbbbbbbbbbbbbbb',
      traceFlags: 1,
    });
    p.inject(born, out, carrierSetter);
    expect(out.traceparent.endsWith('-03')).toBe(true);
    const continued = p.extract(ROOT_CONTEXT, { traceparent: TP }, carrierGetter);
    const child = trace.setSpanContext(continued, {
      ...trace.getSpanContext(continued)!,
      spanId: 'cccccccccccccccc',
      isRemote: false,
    });
    p.inject(child, out, carrierSetter);
    expect(out.traceparent.endsWith('-01')).toBe(true);
  });
});

describe('inject / extract carriers', () => {
  it('work on plain objects, Headers, node header arrays, Maps and Kafka Buffers', () => {
    const ctx = setRequestId(remote(), 'req_aaaaaaaaaaaa');
    const plain = inject({ 'X-Request-Id': 'stale' } as Record<string, string>, ctx);
    expect(plain['x-request-id']).toBe('req_aaaaaaaaaaaa');
    expect(plain['X-Request-Id']).toBeUndefined();

    const headers = inject(new Headers(), ctx);
    expect(headers.get('traceparent')).toContain('12345678901234567890123456789012');

    const kafka: Record<string, Buffer | string> = {};
    inject(kafka, ctx);
    const asBuffers = Object.fromEntries(
      Object.entries(kafka).map(([k, v]) => [k, Buffer.from(String(v))]),
    );
    for (const carrier of [plain, headers, asBuffers, new Map(Object.entries(plain))]) {
      const back = extract(carrier, ROOT_CONTEXT);
      expect(getRequestId(back)).toBe('req_aaaaaaaaaaaa');
      expect(trace.getSpanContext(back)?.traceId).toBe('12345678901234567890123456789012');
    }
    // node's headersDistinct: repeated tracestate fields arrive as an array and are combined
    const nodeHeaders = { traceparent: [TP], tracestate: ['a=1', 'b=2'] };
    const fromNode = extract(nodeHeaders, ROOT_CONTEXT);
    expect(trace.getSpanContext(fromNode)?.traceState?.serialize()).toBe('a=1,b=2');
  });

  it('never throw on broken carriers', () => {
    const hostile = new Proxy(
      {},
      {
        ownKeys() {
          throw new Error('boom');
        },
      },
    );
    expect(() => inject(hostile as Record<string, string>)).not.toThrow();
    expect(extract(hostile as Record<string, string>, ROOT_CONTEXT)).toBe(ROOT_CONTEXT);
  });
});

describe('seed 002 helpers', () => {
  it('addServiceToTrace and createChildTraceContext', () => {
    const ctx = addServiceToTrace('b', setServicesEncountered(ROOT_CONTEXT, ['a']));
    expect(getServicesEncountered(ctx)).toEqual(['a', 'b']);
    expect(getServicesEncountered(addServiceToTrace('b', ctx))).toEqual(['a', 'b']);
    const child = createChildTraceContext({ services: ['websocket-audio'] });
    expect(getServicesEncountered(child)).toEqual(['websocket-audio']);
    expect(getRequestId(child)).toMatch(/^req_/);
    expect(trace.getSpanContext(child)).toBeUndefined();
    expect(getRequestId(createChildTraceContext({ requestId: 'bad id!' }))).toMatch(/^req_/);
    context.with(child, () => expect(getServicesEncountered()).toEqual(['websocket-audio']));
  });
});
