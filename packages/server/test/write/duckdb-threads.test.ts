import { availableParallelism } from 'node:os';
import { afterEach, describe, expect, it } from 'vitest';
import { DuckDbStore } from '../../src/store/duckdb/store.js';
import { tempDir, testServer } from './helpers.js';

/** The threads setting of the server's DuckDB, as DuckDB reports it. */
async function threadsOf(store: unknown): Promise<number> {
  const conn = await (store as DuckDbStore).connect();
  const rows = (await conn.runAndReadAll("SELECT current_setting('threads')")).getRows();
  conn.closeSync();
  return Number(rows[0]![0]);
}

describe('DuckDB threads', () => {
  const stops: (() => Promise<void>)[] = [];
  const saved = process.env.HOPSCOPE_DUCKDB_THREADS;
  afterEach(async () => {
    for (const stop of stops.splice(0)) await stop();
    if (saved === undefined) delete process.env.HOPSCOPE_DUCKDB_THREADS;
    else process.env.HOPSCOPE_DUCKDB_THREADS = saved;
  });

  it('leave a core to the main thread and one to each ingest worker, at least one', async () => {
    delete process.env.HOPSCOPE_DUCKDB_THREADS;
    for (const ingestWorkers of [0, 1]) {
      const server = await testServer({ grpcPort: false, ingestWorkers });
      stops.push(server.stop);
      expect(await threadsOf(server.store)).toBe(
        Math.max(1, availableParallelism() - 1 - ingestWorkers),
      );
    }
  });

  it('of a store opened on its own leave a core to the main thread', async () => {
    const { dir, cleanup } = tempDir();
    const store = new DuckDbStore({ dataDir: dir });
    await store.open();
    stops.push(async () => {
      await store.close();
      cleanup();
    });
    expect(await threadsOf(store)).toBe(Math.max(1, availableParallelism() - 1));
  });

  it('take the option, else HOPSCOPE_DUCKDB_THREADS', async () => {
    process.env.HOPSCOPE_DUCKDB_THREADS = '3';
    const fromEnv = await testServer({ grpcPort: false });
    stops.push(fromEnv.stop);
    expect(await threadsOf(fromEnv.store)).toBe(3);
    const fromOption = await testServer({ grpcPort: false, duckdbThreads: 2 });
    stops.push(fromOption.stop);
    expect(await threadsOf(fromOption.store)).toBe(2);
  });

  it('refuse a count that is not a whole number from 1 to 256, naming where it came from', async () => {
    await expect(testServer({ grpcPort: false, duckdbThreads: 0 })).rejects.toThrow(
      /DuckDB threads: a whole number from 1 to 256 \(HOPSCOPE_DUCKDB_THREADS or duckdbThreads\), got 0/,
    );
    process.env.HOPSCOPE_DUCKDB_THREADS = 'many';
    await expect(testServer({ grpcPort: false })).rejects.toThrow(/got "many"/);
  });
});
