import type { DuckDBConnection } from '@duckdb/node-api';
import { MIGRATIONS } from './schema.js';

/** Runs the migrations the file has not seen yet, each in its own transaction. */
export async function migrate(conn: DuckDBConnection): Promise<number> {
  await conn.run(
    'CREATE TABLE IF NOT EXISTS schema_version (version INTEGER PRIMARY KEY, applied_at TIMESTAMP DEFAULT current_timestamp)',
  );
  const rows = (await conn.runAndReadAll('SELECT max(version) FROM schema_version')).getRows();
  const current = Number(rows[0]?.[0] ?? 0);
  if (current > MIGRATIONS.length) {
    throw new Error(
      `the data file has schema version ${current}, newer than this Hopscope knows (${MIGRATIONS.length}); upgrade Hopscope`,
    );
  }
  for (let version = current + 1; version <= MIGRATIONS.length; version++) {
    await conn.run('BEGIN TRANSACTION');
    try {
      await conn.run(MIGRATIONS[version - 1]!);
      await conn.run(`INSERT INTO schema_version (version) VALUES (${version})`);
      await conn.run('COMMIT');
    } catch (err) {
      // A failed statement may already have ended the transaction: report its error, not ROLLBACK's.
      await conn.run('ROLLBACK').catch(() => {});
      throw new Error(`schema migration to v${version} failed: ${(err as Error).message}`, {
        cause: err,
      });
    }
  }
  return MIGRATIONS.length;
}
