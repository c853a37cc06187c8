/**
 * `hopscope serve --store`: a spec the server cannot use is a usage error (exit 2) naming the
 * problem, before anything listens. (The ClickHouse path itself is tested end to end in
 * packages/server/test/store-parity, on the real engine.)
 */
import { afterAll, describe, expect, it } from 'vitest';
import { runCli, tempDir } from './helpers.js';

const { dir, cleanup } = tempDir();
afterAll(cleanup);

const serve = (store: string, env: Record<string, string> = {}) =>
  runCli(
    [
      'serve',
      '--port',
      '0',
      '--grpc-port',
      'off',
      '--data',
      dir,
      ...(store ? ['--store', store] : []),
    ],
    { env },
  );

describe('serve --store: usage errors (exit 2)', () => {
  it('an unknown backend, an unknown URL option, a bad ttl_days', async () => {
    const other = await serve('postgres://db/x');
    expect(other.code).toBe(2);
    expect(other.stderr).toContain(
      '--store: expected duckdb or a clickhouse:// URL, got "postgres://db/x"',
    );
    const option = await serve('clickhouse://127.0.0.1:1/obs?ttl=3');
    expect(option.code).toBe(2);
    expect(option.stderr).toContain('unknown option "ttl"');
    const fromEnv = await serve('', { HOPSCOPE_STORE: 'clickhouse://127.0.0.1:1/obs?ttl_days=-1' });
    expect(fromEnv.code).toBe(2);
    expect(fromEnv.stderr).toContain('ttl_days must be a whole number of days');
  });
});
