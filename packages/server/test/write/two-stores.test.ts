import { afterEach, expect, it } from 'vitest';
import { DuckDbStore } from '../../src/store/duckdb/store.js';
import type { SpanRecord } from '../../src/store/records.js';
import { hex, tempDir } from './helpers.js';

// Tests, tools and a peers cluster in one process run several stores side by side; their
// commits stage rows in the same tmpfs folder, so each must keep its rows to itself.
const cleanups: Array<() => void> = [];
afterEach(() => {
  for (const c of cleanups.splice(0)) c();
});

function spansOf(service: string, n: number): SpanRecord[] {
  const traceId = hex(16);
  return Array.from({ length: n }, () => ({
    traceId,
    spanId: hex(8),
    name: 'op',
    kind: 2,
    service,
    startNs: BigInt(Date.now()) * 1_000_000n,
    durationNs: 1_000_000n,
    statusCode: 0,
    attributes: {},
    resource: { 'service.name': service },
    events: [],
    links: [],
  }));
}

it('keeps each store’s rows apart when stores in one process commit at the same time', async () => {
  const stores = ['a', 'b', 'c'].map(() => {
    const { dir, cleanup } = tempDir('hopscope-two-stores-');
    cleanups.push(cleanup);
    return new DuckDbStore({ dataDir: dir });
  });
  for (const s of stores) await s.open();
  try {
    const rounds = 20;
    await Promise.all(
      stores.flatMap((store, i) =>
        Array.from({ length: rounds }, () =>
          store.write({ spans: spansOf(`svc-${i}`, 50), logs: [] }),
        ),
      ),
    );
    for (const [i, store] of stores.entries()) {
      const stats = await store.stats();
      expect(stats.spansTotal).toBe(rounds * 50);
      expect(stats.tracesTotal).toBe(rounds);
      const conn = await store.connect();
      const services = (await conn.runAndReadAll('SELECT DISTINCT service FROM spans')).getRows();
      conn.closeSync();
      expect(services).toEqual([[`svc-${i}`]]);
    }
  } finally {
    for (const s of stores) await s.close();
  }
});
