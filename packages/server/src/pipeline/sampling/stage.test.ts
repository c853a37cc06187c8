import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DuckDbStore } from '../../store/duckdb/store.js';
import type { SpanRecord, WriteBatch } from '../../store/records.js';
import type { Store } from '../../store/store.js';
import { parseSamplingConfig } from './config.js';
import { SamplingStage } from './stage.js';

function span(traceId: string, i: number, statusCode: 0 | 2 = 0): SpanRecord {
  return {
    traceId,
    spanId: (i + 1).toString(16).padStart(16, '0'),
    name: 'job',
    kind: 1,
    service: 'stage-test',
    startNs: BigInt(Date.now()) * 1_000_000n,
    durationNs: 1_000_000n,
    statusCode,
    attributes: {},
    resource: { 'service.name': 'stage-test' },
    events: [],
    links: [],
  };
}

const tid = (n: number) => `${n.toString(16).padStart(18, '0')}${'f'.repeat(14)}`;

/** A real DuckDB store whose next `failures` writes fail, as a full disk would. */
function flaky(store: Store, state: { failures: number }): Store {
  return {
    get kind() {
      return store.kind;
    },
    get reader() {
      return store.reader;
    },
    open: () => store.open(),
    write: async (batch: WriteBatch) => {
      if (state.failures > 0) {
        state.failures--;
        throw new Error('disk full');
      }
      return store.write(batch);
    },
    enforceRetention: (p) => store.enforceRetention(p),
    stats: () => store.stats(),
    close: () => store.close(),
  };
}

describe('SamplingStage on a real DuckDB store', () => {
  let dir: string;
  let store: DuckDbStore;
  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'hopscope-stage-'));
    store = new DuckDbStore({ dataDir: dir });
    await store.open();
  });
  afterEach(async () => {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const config = parseSamplingConfig({
    decision_wait: '1h',
    policies: [{ type: 'errors' }, { type: 'probabilistic', percent: 0 }],
  });

  it('holds spans until flush, then writes exactly the kept traces', async () => {
    const stage = new SamplingStage(store, config);
    await stage.write({ spans: [span(tid(1), 0, 2), span(tid(1), 1), span(tid(2), 2)], logs: [] });
    expect((await store.stats()).spansTotal).toBe(0);
    expect(stage.status().buffered_records).toBe(3);
    await stage.flush();
    expect((await store.stats()).spansTotal).toBe(2);
    // After the flush nothing is held: a straggler goes straight to the store.
    await stage.write({ spans: [span(tid(3), 3)], logs: [] });
    expect((await store.stats()).spansTotal).toBe(3);
  });

  it('retries a failing background write of acknowledged spans', async () => {
    const state = { failures: 2 };
    const stage = new SamplingStage(flaky(store, state), config, { retryDelaysMs: [1, 1, 1] });
    await stage.write({ spans: [span(tid(1), 0, 2)], logs: [] });
    await stage.flush();
    expect(state.failures).toBe(0);
    expect((await store.stats()).spansTotal).toBe(1);
    expect(stage.status().write_failures).toBe(0);
  });

  it('counts and reports records it could not write after the retries', async () => {
    const state = { failures: 10 };
    const lost: number[] = [];
    const stage = new SamplingStage(flaky(store, state), config, {
      retryDelaysMs: [1, 1],
      onWriteError: (_err, n) => lost.push(n),
    });
    await stage.write({ spans: [span(tid(1), 0, 2), span(tid(1), 1)], logs: [] });
    await stage.flush();
    expect(state.failures).toBe(7); // three attempts
    expect(lost).toEqual([2]);
    expect(stage.status().write_failures).toBe(2);
  });

  it('a request whose immediate write fails holds nothing, so the client retry is not doubled', async () => {
    const state = { failures: 1 };
    const stage = new SamplingStage(flaky(store, state), config);
    // The warn line must be written now; its write fails, so the span is not held either.
    const batch: WriteBatch = {
      spans: [span(tid(1), 0, 2)],
      logs: [
        {
          timestampNs: BigInt(Date.now()) * 1_000_000n,
          severityNumber: 13,
          level: 'warn',
          service: 'stage-test',
          body: 'slow',
          traceId: tid(1),
          attributes: {},
          resource: {},
          source: 'otlp',
        },
      ],
    };
    await expect(stage.write(batch)).rejects.toThrow('disk full');
    expect(stage.status().buffered_records).toBe(0);
    await stage.write(batch); // the client's retry
    // And a duplicate delivery of the same span while the trace is pending is stored once.
    await stage.write({ spans: [span(tid(1), 0, 2)], logs: [] });
    await stage.flush();
    const stats = await store.stats();
    expect([stats.spansTotal, stats.logsTotal]).toEqual([1, 1]);
  });
});
