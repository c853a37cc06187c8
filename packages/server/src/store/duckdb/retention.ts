import type { DuckDBConnection } from '@duckdb/node-api';
import { endedBeforeSql } from './index-windows.js';

/** Deletes spans, logs and index rows that ended before `cutoffNs`, in one transaction. */
export async function deleteOlderThan(
  conn: DuckDBConnection,
  cutoffNs: bigint,
): Promise<{ spansDeleted: number; logsDeleted: number }> {
  await conn.run('BEGIN TRANSACTION');
  try {
    const spans = await conn.run('DELETE FROM spans WHERE start_ns < $1', [cutoffNs]);
    const logs = await conn.run('DELETE FROM logs WHERE timestamp_ns < $1', [cutoffNs]);
    for (const table of ['trace_index', 'trace_index_recent', 'request_index']) {
      await conn.run(`DELETE FROM ${table} WHERE ${endedBeforeSql('$1')}`, [cutoffNs]);
    }
    await conn.run('COMMIT');
    return { spansDeleted: spans.rowsChanged, logsDeleted: logs.rowsChanged };
  } catch (err) {
    await conn.run('ROLLBACK').catch(() => {});
    throw err;
  }
}

/**
 * When the database uses more than `maxBytes`, the timestamp below which the oldest rows must go
 * to get back under 90% of it, assuming bytes are spread evenly over rows (spans and logs alike).
 */
export async function sizeCutoffNs(
  conn: DuckDBConnection,
  maxBytes: number,
): Promise<bigint | undefined> {
  const size = await conn.runAndReadAll(
    'SELECT used_blocks * block_size, wal_size FROM pragma_database_size()',
  );
  const [used, wal] = size.getRows()[0] ?? [];
  const usedBytes = Number(used ?? 0) + parseSize(String(wal ?? '0'));
  if (usedBytes <= maxBytes) return undefined;
  const dropFraction = Math.min(1, 1 - (maxBytes * 0.9) / usedBytes);
  const q = await conn.runAndReadAll(
    `SELECT quantile_disc(ts, ${dropFraction}) FROM (
       SELECT start_ns AS ts FROM spans UNION ALL SELECT timestamp_ns FROM logs)`,
  );
  const cutoff = q.getRows()[0]?.[0];
  if (cutoff === null || cutoff === undefined) return undefined;
  // Strictly greater so that dropFraction 1 removes everything.
  return BigInt(cutoff as bigint) + (dropFraction >= 1 ? 1n : 0n);
}

/** pragma_database_size reports wal_size as text such as "1.2 MiB". */
function parseSize(text: string): number {
  const m = /^([\d.]+)\s*([KMGT]?i?B)?/i.exec(text.trim());
  if (!m) return 0;
  const units: Record<string, number> = {
    b: 1,
    kib: 1024,
    mib: 1024 ** 2,
    gib: 1024 ** 3,
    tib: 1024 ** 4,
    kb: 1e3,
    mb: 1e6,
    gb: 1e9,
    tb: 1e12,
  };
  return Number(m[1]) * (units[(m[2] ?? 'b').toLowerCase()] ?? 1);
}
