import { context, ROOT_CONTEXT, SpanKind, TraceFlags, trace } from '@opentelemetry/api';
import {
  InMemorySpanExporter,
  SamplingDecision,
  SimpleSpanProcessor,
} from '@opentelemetry/sdk-trace-base';
import { afterEach, describe, expect, it } from 'vitest';
import {
  type HopscopeHandle,
  type HopscopeOptions,
  init,
  logger,
  RateLimitingSampler,
  runWithRequestId,
  withSpan,
} from '../src/index.js';
import { LineSink } from './line-sink.js';

let handle: HopscopeHandle | undefined;
afterEach(async () => {
  await handle?.shutdown();
  handle = undefined;
});

function start(sampler: HopscopeOptions['sampler']) {
  const exporter = new InMemorySpanExporter();
  const lines = new LineSink();
  handle = init({
    service: 'sampling-test',
    sampler,
    exportTraces: false,
    exportLogs: false,
    logDestination: lines,
    spanProcessors: [new SimpleSpanProcessor(exporter)],
  });
  return { exporter, lines };
}

function rootSpans(n: number) {
  for (let i = 0; i < n; i++) {
    runWithRequestId(`req_${String(i).padStart(12, '0')}`, () =>
      withSpan('root', () => {
        withSpan('child', () => {});
        logger.info('in_request', { i });
      }),
    );
  }
}

describe('samplers', () => {
  it('always_on keeps every span', () => {
    const { exporter } = start('always_on');
    rootSpans(50);
    expect(exporter.getFinishedSpans()).toHaveLength(100);
  });

  it('always_off keeps none, yet log lines still carry request_id, trace_id and span_id', () => {
    const { exporter, lines } = start('always_off');
    rootSpans(20);
    expect(exporter.getFinishedSpans()).toHaveLength(0);
    expect(lines.lines).toHaveLength(20);
    const traceIds = new Set<unknown>();
    lines.lines.forEach((line, i) => {
      expect(line.request_id).toBe(`req_${String(i).padStart(12, '0')}`);
      expect(line.trace_id).toMatch(/^[0-9a-f]{32}$/);
      expect(line.span_id).toMatch(/^[0-9a-f]{16}$/);
      traceIds.add(line.trace_id);
    });
    expect(traceIds.size).toBe(20);
  });

  it('ratio samples whole traces by trace ID, near the ratio', () => {
    const { exporter } = start({ type: 'ratio', ratio: 0.25 });
    rootSpans(800);
    const roots = exporter.getFinishedSpans().filter((s) => s.name === 'root');
    // binomial(800, 0.25): mean 200, sd ~12; these bounds are > 6 sd away
    expect(roots.length).toBeGreaterThan(120);
    expect(roots.length).toBeLessThan(280);
    for (const r of roots) {
      expect(
        exporter
          .getFinishedSpans()
          .some((s) => s.name === 'child' && s.spanContext().traceId === r.spanContext().traceId),
      ).toBe(true);
    }
  });

  it('parent_based follows a remote parent decision, and uses the ratio at the root', () => {
    const { exporter } = start({ type: 'parent_based', ratio: 0 });
    const remote = (flags: TraceFlags) =>
      trace.setSpanContext(ROOT_CONTEXT, {
        traceId: flags === TraceFlags.SAMPLED ? 'a'.repeat(32) : 'b'.repeat(32),
        spanId: 'c'.repeat(16),
        traceFlags: flags,
        isRemote: true,
      });
    context.with(remote(TraceFlags.SAMPLED), () => withSpan('sampled_parent', () => {}));
    context.with(remote(TraceFlags.NONE), () => withSpan('unsampled_parent', () => {}));
    rootSpans(30);
    expect(exporter.getFinishedSpans().map((s) => s.name)).toEqual(['sampled_parent']);
  });

  it('rate_limited admits at most N new traces per second (token bucket)', () => {
    let now = 0;
    const sampler = new RateLimitingSampler(5, () => now);
    const decide = () =>
      sampler.shouldSample(ROOT_CONTEXT, 'a'.repeat(32), 'op', SpanKind.SERVER, {}, []).decision;
    const burst = Array.from({ length: 8 }, decide);
    expect(burst.filter((d) => d === SamplingDecision.RECORD_AND_SAMPLED)).toHaveLength(5);
    now += 200; // one token refilled
    expect(decide()).toBe(SamplingDecision.RECORD_AND_SAMPLED);
    expect(decide()).toBe(SamplingDecision.NOT_RECORD);
    now += 10_000; // refills cap at one second's worth
    expect(Array.from({ length: 10 }, decide).filter((d) => d === 1 || d === 2)).toHaveLength(5);
    expect(() => new RateLimitingSampler(-1)).toThrow(/at least 0 traces per second/);
  });

  it('rate_limited through init() keeps children with their sampled roots', () => {
    const { exporter } = start({ type: 'rate_limited', perSecond: 3 });
    rootSpans(40);
    const roots = exporter.getFinishedSpans().filter((s) => s.name === 'root');
    // a burst of 40 within (far) less than the time to refill more than a few tokens
    expect(roots.length).toBeGreaterThanOrEqual(3);
    expect(roots.length).toBeLessThan(40);
    const children = exporter.getFinishedSpans().filter((s) => s.name === 'child');
    expect(children).toHaveLength(roots.length);
  });
});
