import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { DUCKDB_FILE_NAME, DuckDbStore } from '@hopscope/server';
import { afterEach, describe, expect, it } from 'vitest';
import { runBin } from '../../test/child.js';

describe('hopscope compact', () => {
  const dirs: string[] = [];
  afterEach(() => {
    for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
  });

  function dataDir(): string {
    const dir = mkdtempSync(join(tmpdir(), 'hopscope-compact-'));
    dirs.push(dir);
    return dir;
  }

  it('rewrites a data dir made in DuckDB’s older format and keeps its spans', {
    timeout: 60_000,
  }, async () => {
    const data = dataDir();
    // The file as a build from before Hopscope chose the storage format left it.
    const old = await DuckDBInstance.create(join(data, DUCKDB_FILE_NAME));
    old.closeSync();
    const traceId = 'a'.repeat(32);
    const store = new DuckDbStore({ dataDir: data });
    await store.open();
    await store.write({
      spans: [
        {
          traceId,
          spanId: 'b'.repeat(16),
          name: 'GET /',
          kind: 2,
          service: 'cli-test',
          startNs: 1_700_000_000_000_000_000n,
          durationNs: 1_000_000n,
          statusCode: 0,
          attributes: { 'http.route': '/' },
          resource: { 'service.name': 'cli-test' },
          events: [],
          links: [],
        },
      ],
      logs: [],
    });
    await store.close();

    const text = await runBin(['compact', '--data', data]);
    expect(text.stderr).toBe('');
    expect(text.code).toBe(0);
    expect(text.stdout).toMatch(
      /^compacted .*hopscope\.duckdb: [\d.]+ MB → [\d.]+ MB \(DuckDB storage v1\.0\.0\+ → v1\.5\.0\+\)\n$/,
    );
    const again = await runBin(['compact', '--data', data, '--json']);
    expect(again.code).toBe(0);
    expect(JSON.parse(again.stdout)).toMatchObject({
      formatBefore: 'v1.5.0+',
      formatAfter: 'v1.5.0+',
    });

    const reopened = new DuckDbStore({ dataDir: data });
    await reopened.open();
    const { spans } = await reopened.reader.lookup({ traceIds: [traceId], requestIds: [] });
    await reopened.close();
    expect(spans.map((s) => s.service)).toEqual(['cli-test']);
  });

  it('says when the folder holds no store (exit 3)', async () => {
    const data = dataDir();
    const r = await runBin(['compact', '--data', data]);
    expect(r.code).toBe(3);
    expect(r.stderr).toBe(`hopscope: no Hopscope store in ${data} (no hopscope.duckdb)\n`);
  });

  it('refuses a data dir a running store holds, naming it (exit 1), and leaves it whole', {
    timeout: 60_000,
  }, async () => {
    const data = dataDir();
    const store = new DuckDbStore({ dataDir: data });
    await store.open();
    try {
      const r = await runBin(['compact', '--data', data]);
      expect(r.code).toBe(1);
      expect(r.stderr).toContain(`hopscope: ${join(data, DUCKDB_FILE_NAME)} is in use`);
      expect(r.stderr).toContain(`is \`hopscope serve\` running on ${data}?`);
      expect((await store.stats()).spansTotal).toBe(0);
    } finally {
      await store.close();
    }
  });
});
