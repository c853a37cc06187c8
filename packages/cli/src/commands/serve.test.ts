import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DuckDbStore } from '@hopscope/server';
import { afterEach, describe, expect, it } from 'vitest';

const BIN = fileURLToPath(new URL('../../dist/bin.js', import.meta.url));

function serve(args: string[], env: Record<string, string> = {}) {
  if (!existsSync(BIN)) throw new Error(`${BIN} is missing: run \`npx tsc -b\` first`);
  const child = spawn(process.execPath, [BIN, 'serve', ...args], {
    env: { PATH: process.env.PATH ?? '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d) => {
    stdout += d;
  });
  child.stderr.on('data', (d) => {
    stderr += d;
  });
  const exit = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  const banner = new Promise<string>((resolve, reject) => {
    child.stdout.on('data', () => {
      if (stdout.includes('Ctrl-C')) resolve(stdout);
    });
    void exit.then((code) => reject(new Error(`serve exited with ${code}: ${stderr}`)));
  });
  // A test that expects an early exit never awaits the banner.
  banner.catch(() => {});
  return { child, exit, banner, output: () => ({ stdout, stderr }) };
}

describe('hopscope serve', () => {
  const dirs: string[] = [];
  afterEach(() => {
    for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
  });

  it('prints where it listens and how to send data, ingests, and flushes on SIGTERM', {
    timeout: 60_000,
  }, async () => {
    const data = mkdtempSync(join(tmpdir(), 'hopscope-serve-'));
    dirs.push(data);
    const s = serve(['--port', '0', '--grpc-port', '0', '--data', data, '--retention', '3d']);
    const banner = await s.banner;
    const url = /UI and API\s+(http:\/\/127\.0\.0\.1:\d+)\//.exec(banner)?.[1];
    expect(url).toBeDefined();
    expect(banner).toContain(`export OTEL_EXPORTER_OTLP_ENDPOINT=${url}`);
    expect(banner).toMatch(/OTLP\/gRPC\s+127\.0\.0\.1:\d+/);
    expect(banner).toContain('retention 3d');

    const traceId = '5b8aa5a2d2c872e8321cf37308d69df2';
    const res = await fetch(`${url}/v1/traces`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        resourceSpans: [
          {
            resource: { attributes: [{ key: 'service.name', value: { stringValue: 'cli-test' } }] },
            scopeSpans: [{ spans: [{ traceId, spanId: '051581bf3cb55c13', name: 'GET /' }] }],
          },
        ],
      }),
    });
    expect(res.status).toBe(200);

    s.child.kill('SIGTERM');
    expect(await s.exit).toBe(0);
    expect(s.output().stderr).toContain('closed cleanly');

    const store = new DuckDbStore({ dataDir: data });
    await store.open();
    const found = await store.reader.lookup({ traceIds: [traceId], requestIds: [] });
    await store.close();
    expect(found.spans.map((x) => x.service)).toEqual(['cli-test']);
  });

  it('refuses a bad flag value with a message saying what was expected', async () => {
    const s = serve(['--retention', 'banana']);
    expect(await s.exit).toBe(2);
    expect(s.output().stderr).toMatch(/--retention: expected a duration like 30m, 12h, 7d/);
    const e = serve([], { HOPSCOPE_PORT: '99999' });
    expect(await e.exit).toBe(2);
    expect(e.output().stderr).toMatch(/HOPSCOPE_PORT: expected a port 0–65535/);
    const w = serve(['--ingest-workers', 'two']);
    expect(await w.exit).toBe(2);
    expect(w.output().stderr).toMatch(/--ingest-workers: expected a whole number 0–64, got "two"/);
    const we = serve([], { HOPSCOPE_INGEST_WORKERS: '-1' });
    expect(await we.exit).toBe(2);
    expect(we.output().stderr).toMatch(/HOPSCOPE_INGEST_WORKERS: expected a whole number 0–64/);
    const t = serve(['--duckdb-threads', '0']);
    expect(await t.exit).toBe(2);
    expect(t.output().stderr).toMatch(/--duckdb-threads: expected a whole number 1–256, got "0"/);
    const te = serve([], { HOPSCOPE_DUCKDB_THREADS: '1.5' });
    expect(await te.exit).toBe(2);
    expect(te.output().stderr).toMatch(/HOPSCOPE_DUCKDB_THREADS: expected a whole number 1–256/);
  });
});
