import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { spanHexSql } from '../../src/store/duckdb/ids.js';
import { DuckDbStore } from '../../src/store/duckdb/store.js';
import { hex, otlpJson, postJson, tempDir } from './helpers.js';

const here = dirname(fileURLToPath(import.meta.url));
const serverRoot = join(here, '../..');

async function startChild(
  dataDir: string,
  workers: number,
): Promise<{ child: ChildProcess; url: string }> {
  const child = spawn(
    process.execPath,
    [
      '--import',
      './test/write/ts-register.mjs',
      'test/write/child-server.ts',
      dataDir,
      String(workers),
    ],
    { cwd: serverRoot, stdio: ['ignore', 'pipe', 'inherit'] },
  );
  const lines = createInterface({ input: child.stdout! });
  const [line] = (await Promise.race([
    once(lines, 'line'),
    once(child, 'exit').then(([code]) => {
      throw new Error(`child server exited with ${code} before listening`);
    }),
  ])) as [string];
  return { child, url: JSON.parse(line).url };
}

describe('durability: kill -9 after acknowledgements', () => {
  const cleanups: (() => void)[] = [];
  afterEach(() => {
    for (const c of cleanups.splice(0)) c();
  });

  // With an ingest worker, the journal record is the one the worker serialised.
  it.each([0, 1])(
    'keeps every span the server acknowledged before it was killed (%i ingest workers)',
    {
      timeout: 120_000,
    },
    async (workers) => {
      const { dir, cleanup } = tempDir();
      cleanups.push(cleanup);
      const { child, url } = await startChild(dir, workers);
      cleanups.push(() => child.kill('SIGKILL'));

      const acked: string[] = [];
      let stop = false;
      // Several concurrent senders so commits are grouped, still sending when the kill lands.
      const sender = async (n: number) => {
        while (!stop) {
          const spans = Array.from({ length: 50 }, () => ({ traceId: hex(16), spanId: hex(8) }));
          const res = await postJson(`${url}/v1/traces`, otlpJson(`svc-${n}`, spans)).catch(
            () => undefined,
          );
          if (!res) return;
          await res.arrayBuffer();
          if (res.status === 200) acked.push(...spans.map((s) => s.spanId));
        }
      };
      const senders = [0, 1, 2, 3].map(sender);
      while (acked.length < 2000) await new Promise((r) => setTimeout(r, 5));
      const exited = once(child, 'exit');
      child.kill('SIGKILL');
      const ackedAtKill = acked.slice();
      stop = true;
      await Promise.all(senders);
      await exited;

      const store = new DuckDbStore({ dataDir: dir });
      await store.open();
      try {
        const conn = await store.connect();
        const rows = (
          await conn.runAndReadAll(`SELECT ${spanHexSql('span_id')} FROM spans`)
        ).getRows();
        conn.closeSync();
        const stored = new Set(rows.map((r) => r[0] as string));
        const missing = ackedAtKill.filter((id) => !stored.has(id));
        expect(missing).toEqual([]);
        expect(stored.size).toBeGreaterThanOrEqual(ackedAtKill.length);
      } finally {
        await store.close();
      }
    },
  );
});
