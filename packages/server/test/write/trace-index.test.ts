import { afterEach, describe, expect, it } from 'vitest';
import { DuckDbStore } from '../../src/store/duckdb/store.js';
import { compactionDue } from '../../src/store/duckdb/trace-index.js';
import { hex, spanRecord, tempDir } from './helpers.js';

describe('trace index compaction', () => {
  const cleanups: (() => Promise<void> | void)[] = [];
  afterEach(async () => {
    for (const c of cleanups.splice(0).reverse()) await c();
  });

  async function openStore(dir: string, minRecent = 4) {
    const store = new DuckDbStore({ dataDir: dir, traceIndexMinRecentRows: minRecent });
    await store.open();
    cleanups.push(() => store.close());
    return store;
  }

  /** Commits what was acknowledged (a read asks for it), then waits for the compaction that
   * commit may have queued (a checkpoint queues behind it). */
  async function settle(store: DuckDbStore) {
    await store.stats();
    await store.checkpoint();
  }

  async function tables(store: DuckDbStore) {
    const conn = await store.connect();
    const sorted = (
      await conn.runAndReadAll('SELECT trace_key, start_tick, length_ticks FROM trace_index')
    ).getRows();
    const recent = (
      await conn.runAndReadAll('SELECT count(*) FROM trace_index_recent')
    ).getRows()[0]![0];
    conn.closeSync();
    return { sorted, recent: Number(recent) };
  }

  it('is due at the floor, at a quarter of the sorted rows, and never beyond the cap', () => {
    expect(compactionDue(3, 0, 4)).toBe(false);
    expect(compactionDue(4, 0, 4)).toBe(true);
    expect(compactionDue(131_071, 0)).toBe(false);
    expect(compactionDue(131_072, 0)).toBe(true);
    expect(compactionDue(999_999, 4_000_000)).toBe(false);
    expect(compactionDue(1_000_000, 4_000_000)).toBe(true);
    expect(compactionDue(1_048_576, 100_000_000)).toBe(true);
  });

  it('folds commits into one sorted row per trace; lookups see every trace before and after', async () => {
    const { dir, cleanup } = tempDir();
    cleanups.push(cleanup);
    const store = await openStore(dir);
    const traces = Array.from({ length: 6 }, () => hex(16));
    // Three commits, each touching every trace: the trace's window grows across them.
    for (let round = 0; round < 3; round++) {
      for (const [i, traceId] of traces.entries()) {
        const startNs = BigInt(1_000_000 * (i + 1) + round * 100);
        await store.write({ spans: [spanRecord({ traceId, startNs, durationNs: 10n })], logs: [] });
      }
      // A read is what makes the group commit now rather than when it is full.
      await store.stats();
    }
    // Each commit of 6 rows passed the floor of 4 and queued a compaction behind it.
    await settle(store);
    const { sorted, recent } = await tables(store);
    expect(recent).toBe(0);
    expect(sorted).toHaveLength(6);
    const keys = sorted.map((r) => r[0] as number);
    expect(keys).toEqual([...keys].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0)));
    expect(new Set(keys).size).toBe(keys.length);
    for (const [i, traceId] of traces.entries()) {
      const { spans } = await store.reader.lookup({ traceIds: [traceId], requestIds: [] });
      expect(spans.map((s) => s.startNs)).toEqual(
        [0, 100, 200].map((d) => BigInt(1_000_000 * (i + 1) + d)),
      );
    }
    expect((await store.stats()).tracesTotal).toBe(6);
  });

  it('keeps a trace whose spans arrive after its compaction, and survives a restart', async () => {
    const { dir, cleanup } = tempDir();
    cleanups.push(cleanup);
    let store = await openStore(dir);
    const traceId = hex(16);
    const others = Array.from({ length: 5 }, () => hex(16));
    await store.write({
      spans: [
        spanRecord({ traceId, startNs: 5_000n, durationNs: 10n }),
        ...others.map((t) => spanRecord({ traceId: t, startNs: 1_000n, durationNs: 1n })),
      ],
      logs: [],
    });
    await settle(store);
    expect((await tables(store)).recent).toBe(0);
    // A later span of the compacted trace, earlier in time: its row waits in the recent table.
    await store.write({
      spans: [spanRecord({ traceId, startNs: 2_000n, durationNs: 10_000n })],
      logs: [],
    });
    const lookup = async () =>
      (await store.reader.lookup({ traceIds: [traceId], requestIds: [] })).spans.map(
        (s) => s.startNs,
      );
    expect(await lookup()).toEqual([2_000n, 5_000n]);
    expect((await tables(store)).recent).toBe(1);

    await store.close();
    store = await openStore(dir);
    expect(await lookup()).toEqual([2_000n, 5_000n]);
    expect((await store.stats()).tracesTotal).toBe(6);
  });

  it('retention removes old rows from both tables', async () => {
    const { dir, cleanup } = tempDir();
    cleanups.push(cleanup);
    const store = await openStore(dir);
    const now = BigInt(Date.now()) * 1_000_000n;
    const old = now - 3_600_000_000_000n;
    await store.write({
      spans: Array.from({ length: 4 }, () => spanRecord({ startNs: old, durationNs: 1n })),
      logs: [],
    });
    await settle(store);
    await store.write({ spans: [spanRecord({ startNs: old, durationNs: 1n })], logs: [] });
    await store.write({ spans: [spanRecord({ startNs: now, durationNs: 1n })], logs: [] });
    await store.stats();
    expect(await tables(store)).toMatchObject({ recent: 2 });
    await store.enforceRetention({ maxAgeMs: 60_000 });
    const { sorted, recent } = await tables(store);
    expect(sorted).toEqual([]);
    expect(recent).toBe(1);
    expect((await store.stats()).tracesTotal).toBe(1);
  });
});

describe('trace index compaction under load', () => {
  it('never hides a trace from lookups running while commits and compactions go on', async () => {
    const { dir, cleanup } = tempDir();
    const store = new DuckDbStore({ dataDir: dir, traceIndexMinRecentRows: 8 });
    await store.open();
    try {
      const written: string[] = [];
      const misses: string[] = [];
      let writing = true;
      const writer = (async () => {
        for (let round = 0; round < 30; round++) {
          const traces = Array.from({ length: 5 }, () => hex(16));
          await store.write({
            spans: traces.map((traceId) => spanRecord({ traceId })),
            logs: [],
          });
          written.push(...traces);
        }
        writing = false;
      })();
      // Readers look up traces acknowledged earlier, as compactions swap the tables under them.
      const reader = async () => {
        while (writing) {
          const known = written.slice();
          const pick = known[Math.floor(Math.random() * known.length)];
          if (!pick) {
            await new Promise((r) => setTimeout(r, 1));
            continue;
          }
          const { spans } = await store.reader.lookup({ traceIds: [pick], requestIds: [] });
          if (spans.length !== 1) misses.push(pick);
        }
      };
      await Promise.all([writer, reader(), reader()]);
      await store.checkpoint();
      expect(misses).toEqual([]);
      expect((await store.stats()).tracesTotal).toBe(150);
      const conn = await store.connect();
      const sorted = await conn.runAndReadAll('SELECT count(*) FROM trace_index');
      conn.closeSync();
      // Compactions ran: most keys are in the sorted table.
      expect(Number(sorted.getRows()[0]![0])).toBeGreaterThan(100);
    } finally {
      await store.close();
      cleanup();
    }
  });
});
