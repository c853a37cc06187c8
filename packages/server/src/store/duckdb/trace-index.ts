import type { DuckDBConnection } from '@duckdb/node-api';
import { FOLD_WINDOWS_SQL, windowColumnsSql } from './index-windows.js';

/**
 * Trace lookups start from a trace ID's key (traceKey) and need the time window its spans lie in.
 * Since schema v8 that window lives in two tables instead of one table with an ART index (the
 * index was ~6 B per span on disk, a tenth of the store):
 * - `trace_index_recent`: what commits append, one row per trace per commit, unsorted. Small,
 *   so a lookup scans its key column whole.
 * - `trace_index`: one row per trace, sorted by key. DuckDB keeps min/max per row group and
 *   column segment, so a lookup reads the one segment whose range holds the key.
 * A compaction folds the recent rows into the sorted table (rewriting it) once they are many
 * enough; a lookup reads both tables, so it sees a trace before and after its compaction.
 * Windows are stored in ticks (index-windows.ts).
 */

/**
 * Both tables as one, for the readers (trace_key, start_tick, length_ticks): filters on
 * trace_key reach both scans.
 */
export const TRACE_INDEX = `(SELECT trace_key, start_tick, length_ticks FROM trace_index
  UNION ALL SELECT trace_key, start_tick, length_ticks FROM trace_index_recent)`;

/**
 * SQL: how many traces TRACE_INDEX holds (`where`: a condition on its rows), from its distinct
 * 32-bit keys. n traces fill an expected 2³²·(1 − (1 − 2⁻³²)ⁿ) keys; inverting that undoes the
 * collisions' undercount (~11,600 at 10M traces) to within a few hundredths of a percent at
 * any size up to billions of traces, exact (rounded) for the small counts tests make.
 */
export function tracesEstimateSql(where = 'true'): string {
  return `(SELECT round(-4294967296 * ln(1 - count(DISTINCT trace_key) / 4294967296))::BIGINT
    FROM ${TRACE_INDEX} WHERE ${where})`;
}

/** The table commits append to. */
export const TRACE_INDEX_RECENT = 'trace_index_recent';

export const TRACE_INDEX_COLUMNS = windowColumnsSql('trace_key');

/**
 * Recent rows are folded in once there are this many (about one row group: a scan of them stays
 * near a millisecond) …
 */
const MIN_RECENT_ROWS = 131_072;
/**
 * … or a quarter of the sorted rows, whichever is more, so each row is rewritten a bounded
 * number of times as the table grows (about four) …
 */
const SORTED_FRACTION = 4;
/** … but never more than this many wait, so a lookup's scan of them stays bounded at any size. */
const MAX_RECENT_ROWS = 1_048_576;

/**
 * Whether the recent rows are due to be folded into the sorted table. `minRecentRows` is for
 * tests, which compact small tables.
 */
export function compactionDue(
  recentRows: number,
  sortedRows: number,
  minRecentRows = MIN_RECENT_ROWS,
): boolean {
  const threshold = Math.min(
    MAX_RECENT_ROWS,
    Math.max(minRecentRows, Math.ceil(sortedRows / SORTED_FRACTION)),
  );
  return recentRows >= threshold;
}

/** Row counts of both tables (the store tracks them from here on). */
export async function traceIndexRows(
  conn: DuckDBConnection,
): Promise<{ sorted: number; recent: number }> {
  const r = await conn.runAndReadAll(
    'SELECT (SELECT count(*) FROM trace_index), (SELECT count(*) FROM trace_index_recent)',
  );
  const [sorted, recent] = r.getRows()[0] ?? [0, 0];
  return { sorted: Number(sorted), recent: Number(recent) };
}

/**
 * Rewrites the sorted table with the recent rows folded in (one row per trace: the earliest
 * start, the latest end) and empties the recent table, in one transaction on the writer's
 * connection, between commits. Returns the sorted table's new row count.
 * (An open-ended window stays open; see OPEN_LENGTH.)
 */
export async function compactTraceIndex(conn: DuckDBConnection): Promise<number> {
  await conn.run('BEGIN TRANSACTION');
  try {
    await conn.run(`CREATE TABLE trace_index_next ${TRACE_INDEX_COLUMNS}`);
    const inserted = await conn.run(
      `INSERT INTO trace_index_next
         SELECT trace_key, ${FOLD_WINDOWS_SQL} FROM ${TRACE_INDEX}
         GROUP BY trace_key ORDER BY trace_key`,
    );
    // Dropped and created again rather than emptied by DELETE, whose rows would stay in the
    // file until DuckDB vacuums them.
    await conn.run(`DROP TABLE trace_index;
      ALTER TABLE trace_index_next RENAME TO trace_index;
      DROP TABLE trace_index_recent;
      CREATE TABLE trace_index_recent ${TRACE_INDEX_COLUMNS};`);
    await conn.run('COMMIT');
    return inserted.rowsChanged;
  } catch (err) {
    await conn.run('ROLLBACK').catch(() => {});
    throw err;
  }
}
