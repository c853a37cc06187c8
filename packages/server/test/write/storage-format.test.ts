import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { afterEach, describe, expect, it } from 'vitest';
import { DUCKDB_FILE_NAME, DuckDbStore } from '../../src/store/duckdb/store.js';
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
});
