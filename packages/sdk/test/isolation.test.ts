import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import {
  createLogger,
  generateRequestId,
  type HopscopeHandle,
  init,
  runWithRequestId,
  timed,
  withSpan,
} from '../src/index.js';
import { LineSink } from './line-sink.js';
import { OtlpReceiver } from './otlp-receiver.js';

const receiver = new OtlpReceiver();
let handle: HopscopeHandle;
const lines = new LineSink();

beforeAll(async () => {
  const endpoint = await receiver.start();
  handle = init({
    service: 'isolation',
    endpoint,
    exportDelayMs: 50,
    maxQueueSize: 20_000,
    logLevel: 'debug',
    logDestination: lines,
  });
});
afterAll(async () => {
  await handle.shutdown();
  await receiver.stop();
});

const pause = () => new Promise((r) => setTimeout(r, Math.random() * 10));

describe('1,000 concurrent requests', () => {
  it('never put one request’s ID on another’s log line, span or exported record', async () => {
    const log = createLogger({ destination: lines, level: 'debug' }).bind({ agent: 'worker' });
    const step = timed('task_step')(async (n: number) => {
      await pause();
      return n;
    });
    const ids = Array.from({ length: 1000 }, generateRequestId);
    await Promise.all(
      ids.map((id, i) =>
        runWithRequestId(id, () =>
          withSpan('task', { 'task.index': i }, async () => {
            await pause();
            log.info('task_began', { i });
            await step(i);
            await withSpan('task_inner', async () => {
              await pause();
              log.info('task_inner_done', { i });
            });
          }),
        ),
      ),
    );
    await handle.forceFlush();

    // stdout lines: every line's request_id is the one its task ran under
    const byEvent = (event: string) => lines.lines.filter((l) => l.event === event);
    for (const event of ['task_began', 'task_inner_done']) {
      const got = byEvent(event);
      expect(got).toHaveLength(1000);
      for (const line of got) expect(line.request_id).toBe(ids[line.i as number]);
    }
    const stepLines = byEvent('task_step_completed');
    expect(stepLines).toHaveLength(1000);
    expect(new Set(stepLines.map((l) => l.request_id)).size).toBe(1000);

    // exported spans: request.id and trace agree with the task index; one trace per request
    await vi.waitFor(() => expect(receiver.spans().length).toBe(3000), { timeout: 20_000 });
    const spans = receiver.spans();
    const traceOf = new Map<string, string>();
    for (const s of spans.filter((x) => x.name === 'task')) {
      expect(s.attributes['request.id']).toBe(ids[s.attributes['task.index'] as number]);
      traceOf.set(s.attributes['request.id'] as string, s.traceId);
    }
    expect(traceOf.size).toBe(1000);
    for (const s of spans)
      expect(traceOf.get(s.attributes['request.id'] as string)).toBe(s.traceId);
    for (const line of lines.lines.filter((l) => l.request_id !== undefined)) {
      expect(line.trace_id).toBe(traceOf.get(line.request_id as string));
    }

    // exported log records: request.id and trace agree too
    await vi.waitFor(() => expect(receiver.logs().length).toBe(4000), {
      timeout: 20_000,
    });
    for (const record of receiver.logs()) {
      const rid = record.attributes['request.id'] as string;
      expect(record.traceId).toBe(traceOf.get(rid));
      if (record.attributes.i !== undefined) {
        expect(rid).toBe(ids[record.attributes.i as number]);
        expect(record.attributes.agent).toBe('worker');
      }
    }
  });
});
