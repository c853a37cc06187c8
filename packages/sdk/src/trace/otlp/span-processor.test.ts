import { resourceFromAttributes } from '@opentelemetry/resources';
import {
  AlwaysOffSampler,
  BasicTracerProvider,
  ParentBasedSampler,
} from '@opentelemetry/sdk-trace-base';
import { afterEach, describe, expect, it } from 'vitest';
import { OtlpReceiver } from '../../../test/otlp-receiver.js';
import { getDroppedCounts, getExportedCounts } from '../drops.js';
import { OtlpSpanProcessor, type SpanExportOptions } from './span-processor.js';

const receivers: OtlpReceiver[] = [];
afterEach(async () => {
  await Promise.all(receivers.splice(0).map((r) => r.stop()));
});

async function setup(options: Partial<SpanExportOptions> = {}, sampler = undefined as never) {
  const receiver = new OtlpReceiver();
  receivers.push(receiver);
  const url = await receiver.start();
  const processor = new OtlpSpanProcessor({
    url: `${url}/v1/traces`,
    compression: 'gzip',
    timeoutMs: 2_000,
    exportDelayMs: 20,
    maxQueueSize: 100,
    maxExportBatchSize: 10,
    ...options,
  });
  const provider = new BasicTracerProvider({
    resource: resourceFromAttributes({ 'service.name': 'processor-test' }),
    spanProcessors: [processor],
    ...(sampler ? { sampler } : {}),
  });
  return { receiver, processor, tracer: provider.getTracer('test') };
}

describe('OtlpSpanProcessor', () => {
  it('exports every sampled span in batches of at most maxExportBatchSize', async () => {
    const { receiver, processor, tracer } = await setup();
    const before = getExportedCounts().spans;
    for (let i = 0; i < 25; i++) tracer.startSpan(`span ${i}`).end();
    // nothing is sent inside span.end(): the first batch leaves on a later turn
    expect(receiver.requests).toHaveLength(0);
    await processor.forceFlush();
    expect(receiver.spans().map((s) => s.name)).toEqual(
      Array.from({ length: 25 }, (_, i) => `span ${i}`),
    );
    expect(receiver.requests.length).toBe(3);
    expect(receiver.requests[0]?.headers['content-encoding']).toBe('gzip');
    expect(getExportedCounts().spans - before).toBe(25);
    await processor.shutdown();
  });

  it('sends after exportDelayMs without a flush', async () => {
    const { receiver, processor, tracer } = await setup({ exportDelayMs: 30 });
    tracer.startSpan('alone').end();
    for (let i = 0; i < 100 && receiver.requests.length === 0; i++) {
      await new Promise((r) => setTimeout(r, 10));
    }
    expect(receiver.spans().map((s) => s.name)).toEqual(['alone']);
    await processor.shutdown();
  });

  it('sends spans whose delay passed while a batch was in flight, without a flush', async () => {
    const { receiver, processor, tracer } = await setup({ exportDelayMs: 20 });
    receiver.delayMs = 150; // a slow collector: the first batch is still in flight...
    tracer.startSpan('first').end();
    await new Promise((r) => setTimeout(r, 40));
    tracer.startSpan('second').end(); // ...when this one's delay runs out
    for (let i = 0; i < 100 && receiver.spans().length < 2; i++) {
      await new Promise((r) => setTimeout(r, 20));
    }
    expect(receiver.spans().map((s) => s.name)).toEqual(['first', 'second']);
    await processor.shutdown();
  });

  it('skips unsampled spans', async () => {
    const sampler = new ParentBasedSampler({ root: new AlwaysOffSampler() });
    const { receiver, processor, tracer } = await setup({}, sampler as never);
    tracer.startSpan('not sampled').end();
    await processor.forceFlush();
    expect(receiver.requests).toHaveLength(0);
    await processor.shutdown();
  });

  it('drops and counts spans past a full queue and batches the collector refused', async () => {
    const { receiver, processor, tracer } = await setup({
      maxQueueSize: 10,
      maxExportBatchSize: 5,
    });
    const before = getDroppedCounts().spans;
    for (let i = 0; i < 25; i++) tracer.startSpan(`span ${i}`).end();
    expect(getDroppedCounts().spans - before).toBe(15);
    await processor.forceFlush();
    expect(receiver.spans()).toHaveLength(10);

    await receiver.stop(); // collector gone: the next batch fails, and is counted
    const beforeDown = getDroppedCounts().spans;
    for (let i = 0; i < 3; i++) tracer.startSpan(`lost ${i}`).end();
    await processor.forceFlush();
    expect(getDroppedCounts().spans - beforeDown).toBe(3);

    await processor.shutdown();
    tracer.startSpan('after shutdown').end();
    expect(getDroppedCounts().spans - beforeDown).toBe(4);
  });
});
