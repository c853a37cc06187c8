import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { startServer } from '../../src/server.js';
import { compactDataDir } from '../../src/store/duckdb/compact.js';
import { DUCKDB_FILE_NAME, DuckDbStore, isOlderFormat } from '../../src/store/duckdb/store.js';
import { hex, spanRecord, tempDir } from './helpers.js';

describe('DuckDB storage format', () => {
  const cleanups: (() => Promise<void> | void)[] = [];
  afterEach(async () => {
    for (const c of cleanups.splice(0).reverse()) await c();
  });

  async function openStore(dir: string) {
    const store = new DuckDbStore({ dataDir: dir });
    await store.open();
    cleanups.push(() => store.close());
    return store;
  }

  /** Spans of 64 traces whose attribute values repeat, as a real service's do. */
  function spans(count: number) {
    const traces = Array.from({ length: 64 }, () => hex(16));
    return Array.from({ length: count }, (_, i) =>
      spanRecord({
        traceId: traces[i % traces.length],
        startNs: 1_700_000_000_000_000_000n + BigInt(i) * 1_000_000n,
        attributes: {
          'http.route': `/v1/agents/${i % 7}/runs`,
          'user_agent.original': `hopscope-test/${i % 3}.0 (linux; x64)`,
        },
      }),
    );
  }

  it('writes a new data dir with the newer text encodings (DICT_FSST)', async () => {
    const { dir, cleanup } = tempDir();
    cleanups.push(cleanup);
    const store = await openStore(dir);
    await store.write({ spans: spans(4096), logs: [] });
    await store.checkpoint();
    const conn = await store.connect();
    const found = await conn.runAndReadAll(
      `SELECT DISTINCT compression FROM pragma_storage_info('spans')
        WHERE column_name = 'attr_values' AND segment_type <> 'VALIDITY'`,
    );
    conn.closeSync();
    // DuckDB's default format (readable by v0.10.2) has plain Dictionary and FSST only.
    expect(found.getRows().map((r) => r[0])).toContain('DICT_FSST');
  });

  it('opens, writes and reads a data dir whose file DuckDB made in its default format', async () => {
    const { dir, cleanup } = tempDir();
    cleanups.push(cleanup);
    // A file as a build from before the storage version was set leaves it: DuckDB's default.
    const old = await DuckDBInstance.create(join(dir, DUCKDB_FILE_NAME));
    const conn = await old.connect();
    await conn.run('CREATE TABLE made_before (x INTEGER)');
    conn.closeSync();
    old.closeSync();

    const written = spans(300);
    const store = await openStore(dir);
    await store.write({ spans: written, logs: [] });
    await store.checkpoint();
    const traceId = written[5]!.traceId;
    const { spans: back } = await store.reader.lookup({ traceIds: [traceId], requestIds: [] });
    expect(back.length).toBe(written.filter((s) => s.traceId === traceId).length);
    expect(back[0]!.attributes['http.route']).toMatch(/^\/v1\/agents\/\d\/runs$/);
  });

  /** A data dir as a build from before the storage version was set made it, with spans in it. */
  async function oldDataDir(written: ReturnType<typeof spans>) {
    const { dir, cleanup } = tempDir();
    cleanups.push(cleanup);
    const old = await DuckDBInstance.create(join(dir, DUCKDB_FILE_NAME));
    const conn = await old.connect();
    await conn.run('CREATE TABLE made_before AS SELECT 42 AS x');
    conn.closeSync();
    old.closeSync();
    const store = new DuckDbStore({ dataDir: dir });
    await store.open();
    await store.write({ spans: written, logs: [] });
    await store.close();
    return dir;
  }

  async function attrValuesCompression(store: DuckDbStore) {
    const conn = await store.connect();
    const rows = await conn.runAndReadAll(
      `SELECT DISTINCT compression FROM pragma_storage_info('spans')
        WHERE column_name = 'attr_values' AND segment_type <> 'VALIDITY'`,
    );
    conn.closeSync();
    return rows.getRows().map((r) => r[0]);
  }

  it('compacts an old data dir into the new format, keeping every table and row', async () => {
    const written = spans(4096);
    const dir = await oldDataDir(written);
    const before = new DuckDbStore({ dataDir: dir });
    await before.open();
    expect(await attrValuesCompression(before)).not.toContain('DICT_FSST');
    await before.close();

    const result = await compactDataDir(dir);
    expect(isOlderFormat(result.formatBefore)).toBe(true);
    expect(result.formatAfter).toMatch(/^v1\.5\.0/);
    expect(result.bytesAfter).toBeGreaterThan(0);

    const store = await openStore(dir);
    expect(await attrValuesCompression(store)).toContain('DICT_FSST');
    const traceId = written[9]!.traceId;
    const { spans: back } = await store.reader.lookup({ traceIds: [traceId], requestIds: [] });
    expect(back.length).toBe(written.filter((s) => s.traceId === traceId).length);
    expect((await store.stats()).spansTotal).toBe(written.length);
    const conn = await store.connect();
    const kept = (await conn.runAndReadAll('SELECT x FROM made_before')).getRows();
    conn.closeSync();
    expect(kept).toEqual([[42]]);
  });

  it('refuses to compact a folder without a store, naming it', async () => {
    const { dir, cleanup } = tempDir();
    cleanups.push(cleanup);
    await expect(compactDataDir(dir)).rejects.toThrow(`no Hopscope store in ${dir}`);
  });

  it('a server on an old data dir says once how to compact it; on a new one, nothing', async () => {
    const dir = await oldDataDir(spans(10));
    const errors = vi.spyOn(console, 'error').mockImplementation(() => {});
    try {
      const server = await startServer({ port: 0, grpcPort: false, dataDir: dir });
      await server.close();
      const said = errors.mock.calls.map((c) => String(c[0]));
      expect(said.filter((m) => /older storage format v1\.0\.0\+/.test(m))).toHaveLength(1);
      expect(said.join('\n')).toContain(`\`hopscope compact --data ${dir}\``);
      errors.mockClear();
      await compactDataDir(dir);
      const again = await startServer({ port: 0, grpcPort: false, dataDir: dir });
      await again.close();
      expect(errors.mock.calls.map((c) => String(c[0])).join('\n')).not.toContain('older storage');
    } finally {
      errors.mockRestore();
    }
  });
});
