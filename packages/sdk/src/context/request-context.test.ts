import { createContextKey, ROOT_CONTEXT, TraceFlags, trace } from '@opentelemetry/api';
import { describe, expect, it } from 'vitest';
import { getRequestId, setRequestId } from './context.js';
import { RequestContext, requestContext } from './request-context.js';

const remote = trace.wrapSpanContext({
  traceId: '0af7651916cd43dd8448eb211c80319c',
  spanId: 'b7ad6b7169203331',
  traceFlags: TraceFlags.SAMPLED,
  isRemote: true,
});
const server = trace.wrapSpanContext({
  traceId: '0af7651916cd43dd8448eb211c80319c',
  spanId: '00f067aa0ba902b7',
  traceFlags: TraceFlags.SAMPLED,
});
const OTHER = createContextKey('other');

describe('requestContext', () => {
  it('reads like the two setValue calls it replaces, and derives ordinary contexts', () => {
    const parent = trace.setSpan(ROOT_CONTEXT, remote).setValue(OTHER, 'kept');
    const beforeSpan = requestContext(parent, 'req_0123456789ab');
    expect(beforeSpan).toBeInstanceOf(RequestContext);
    // before the server span starts, the parent's (remote) span is the active one
    expect(trace.getSpan(beforeSpan)).toBe(remote);
    expect(getRequestId(beforeSpan)).toBe('req_0123456789ab');

    const ctx = requestContext(parent, 'req_0123456789ab', server);
    const ordinary = trace.setSpan(setRequestId(parent, 'req_0123456789ab'), server);
    for (const key of [OTHER, createContextKey('absent')]) {
      expect(ctx.getValue(key)).toBe(ordinary.getValue(key));
    }
    expect(trace.getSpan(ctx)).toBe(server);
    expect(getRequestId(ctx)).toBe('req_0123456789ab');

    const derived = ctx.setValue(OTHER, 'changed');
    expect(derived.getValue(OTHER)).toBe('changed');
    expect(trace.getSpan(derived)).toBe(server);
    expect(getRequestId(derived)).toBe('req_0123456789ab');
    // contexts are immutable: the request's own context is unchanged
    expect(ctx.getValue(OTHER)).toBe('kept');
    const without = ctx.deleteValue(OTHER);
    expect(without.getValue(OTHER)).toBeUndefined();
    expect(trace.getSpan(without)).toBe(server);
    expect(getRequestId(trace.deleteSpan(ctx))).toBe('req_0123456789ab');
    expect(trace.getSpan(trace.deleteSpan(ctx))).toBeUndefined();
  });

  it('the request ID it carries wins over one the parent already had', () => {
    const parent = setRequestId(ROOT_CONTEXT, 'req_aaaaaaaaaaaa');
    expect(getRequestId(requestContext(parent, 'req_bbbbbbbbbbbb', server))).toBe(
      'req_bbbbbbbbbbbb',
    );
  });
});
