import type { FixedColumn } from './chunk-columns.js';

/**
 * How trace_index, trace_index_recent and request_index store a time window (schema v12): a
 * start in ticks of 2^23 ns (~8.4 ms, floored) and a length in ticks (the end ceiled), where
 * v4–v10 kept two nanosecond BIGINTs. On bench/server.mjs's data that is ~1.0 instead of ~2.2 B
 * per span per table. Readers fold a key's rows in ticks (FOLDED_TICKS_SQL) and turn them into
 * nanoseconds in JavaScript (foldedWindowNs): ~0.3 ms per lookup less than computing nanoseconds
 * in the SQL, which DuckDB plans anew each time. A window that still holds
 * every span and log line of its trace or request, at most one tick wider at either end, which
 * widens the spans/logs scan that follows by as little (at 100k spans/s, no measurable cost;
 * second ticks cost ~13% of a lookup there and saved ~0.35 B/span more).
 * A power of two, so JavaScript and SQL floor with a shift, negative times included.
 */
export const TICK_SHIFT = 23;
export const TICK_NS = 1n << BigInt(TICK_SHIFT);

/**
 * A length no UINTEGER tick count holds (more than ~417 days, or an end past year 2262): the
 * window is open-ended (readers scan to the end of time). Only timestamps far apart under one
 * trace or request ID get it, such as a log line stamped 1970.
 */
export const OPEN_LENGTH = 0xffff_ffff;

const TICK_NS_SHIFT = BigInt(TICK_SHIFT);
const TICKS_PER_WORD = 2 ** (32 - TICK_SHIFT);
const TICK_MASK = 2 ** TICK_SHIFT - 1;
/** The largest end tick whose nanoseconds (tick << TICK_SHIFT) stay within int64. */
const MAX_END_TICK = Number(((1n << 63n) - 1n) >> BigInt(TICK_SHIFT));

/** SQL: the window columns of the three tables. `key`: trace_key or request_key. */
export function windowColumnsSql(key: 'trace_key' | 'request_key'): string {
  return `(
    ${key.padEnd(15)} UINTEGER NOT NULL,
    start_tick      BIGINT NOT NULL,
    length_ticks    UINTEGER NOT NULL
  )`;
}

/**
 * SQL: a stored window as `start_ns, end_ns`, open ends as int64's max (for ad-hoc SQL and
 * tests). Multiplied, not shifted: DuckDB refuses to left-shift a negative number.
 */
export const WINDOW_NS_SQL =
  `start_tick * ${TICK_NS} AS start_ns, CASE WHEN length_ticks = ${OPEN_LENGTH} ` +
  `THEN 9223372036854775807 ELSE (start_tick + length_ticks) * ${TICK_NS} END AS end_ns`;

/**
 * SQL: `start_tick, length_ticks` of the window from nanoseconds `lo` to `hi` (aggregates or
 * columns): lo floored, hi ceiled, an open length when the ticks do not fit. `open`: a condition
 * that makes the window open whatever its ends (a folded row that was open already).
 */
export function ticksOfNsSql(lo: string, hi: string, open = 'false'): string {
  const start = `((${lo}) >> ${TICK_SHIFT})`;
  const end = `(((${hi}) >> ${TICK_SHIFT}) + CASE WHEN ((${hi}) & ${TICK_MASK}) = 0 THEN 0 ELSE 1 END)`;
  return `${start}, ${lengthSql(start, end, open)}`;
}

/** SQL: length_ticks of the ticks `start` to `end` (floored and ceiled already). */
export function lengthSql(start: string, end: string, open = 'false'): string {
  return (
    `CASE WHEN ${open} OR ${end} - ${start} >= ${OPEN_LENGTH} OR ${end} > ${MAX_END_TICK} ` +
    `THEN ${OPEN_LENGTH} ELSE greatest(${end} - ${start}, 0) END::UINTEGER`
  );
}

/** SQL: several rows of one key folded into one window (compaction). */
export const FOLD_WINDOWS_SQL = `min(start_tick), ${lengthSql(
  'min(start_tick)',
  'max(start_tick + length_ticks)',
  `bool_or(length_ticks = ${OPEN_LENGTH})`,
)}`;

/** The window [startNs, endNs] into a row's start_tick (BIGINT) and length_ticks (UINTEGER). */
export function writeWindow(
  start: FixedColumn,
  length: FixedColumn,
  row: number,
  startNs: bigint,
  endNs: bigint,
): void {
  const s = startNs >> TICK_NS_SHIFT;
  // Ceiling by floor of the negation: BigInt's >> floors.
  const e = -(-endNs >> TICK_NS_SHIFT);
  start.view.setBigInt64(row * 8, s, true);
  const n = e > s ? e - s : 0n;
  const open = n >= BigInt(OPEN_LENGTH) || e > BigInt(MAX_END_TICK);
  length.view.setUint32(row * 4, open ? OPEN_LENGTH : Number(n), true);
}

/**
 * writeWindow for times as (signed high, unsigned low) 32-bit words, as decoded span rows keep
 * them: no BigInt per row. Ticks fit a double exactly (|t| < 2^41).
 */
export function writeWindowWords(
  start: FixedColumn,
  length: FixedColumn,
  row: number,
  sHi: number,
  sLo: number,
  eHi: number,
  eLo: number,
): void {
  const s = sHi * TICKS_PER_WORD + Math.floor(sLo / 2 ** TICK_SHIFT);
  const e =
    eHi * TICKS_PER_WORD + Math.floor(eLo / 2 ** TICK_SHIFT) + ((eLo & TICK_MASK) === 0 ? 0 : 1);
  const hi = Math.floor(s / 2 ** 32);
  start.view.setUint32(row * 8, s - hi * 2 ** 32, true);
  start.view.setInt32(row * 8 + 4, hi, true);
  const n = Math.max(0, e - s);
  length.view.setUint32(row * 4, n >= OPEN_LENGTH || e > MAX_END_TICK ? OPEN_LENGTH : n, true);
}

/**
 * SQL: the rows whose window ended before nanosecond `cutoff` (a parameter). Open windows never
 * end, so retention keeps their rows: one per trace or request with times decades apart.
 */
export function endedBeforeSql(cutoff: string): string {
  return `length_ticks <> ${OPEN_LENGTH} AND (start_tick + length_ticks) * ${TICK_NS} < ${cutoff}`;
}

/**
 * SQL: a key's rows folded into one window in ticks: `start_tick`, `end_tick` and `max_length`,
 * which is OPEN_LENGTH when any row is open (it is the largest UINTEGER). NULLs for no rows.
 */
export const FOLDED_TICKS_SQL =
  'min(start_tick) AS start_tick, max(start_tick + length_ticks) AS end_tick, ' +
  'max(length_ticks) AS max_length';

/** SQL: a key's rows folded into `lo, hi` nanoseconds, for a window used inside a statement. */
export const FOLDED_NS_SQL =
  `min(start_tick) * ${TICK_NS} AS lo, CASE WHEN max(length_ticks) = ${OPEN_LENGTH} ` +
  `THEN 9223372036854775807 ELSE max(start_tick + length_ticks) * ${TICK_NS} END AS hi`;

const INT64_MAX = (1n << 63n) - 1n;

/** A row's window in nanoseconds. */
export function windowNs(
  startTick: bigint,
  lengthTicks: number,
): { startNs: bigint; endNs: bigint } {
  return {
    startNs: startTick * TICK_NS,
    endNs: lengthTicks === OPEN_LENGTH ? INT64_MAX : (startTick + BigInt(lengthTicks)) * TICK_NS,
  };
}

/** FOLDED_TICKS_SQL's columns as nanoseconds; undefined when no row was folded. */
export function foldedWindowNs(
  r: Record<string, unknown> | undefined,
): { startNs: bigint; endNs: bigint } | undefined {
  if (r?.start_tick === null || r?.start_tick === undefined) return undefined;
  const start = r.start_tick as bigint;
  return {
    startNs: start * TICK_NS,
    endNs: r.max_length === OPEN_LENGTH ? INT64_MAX : (r.end_tick as bigint) * TICK_NS,
  };
}

/** The first tick at or after `ns` (a bound for `start_tick >= …`). */
export function tickAtOrAfter(ns: bigint): bigint {
  return -(-ns >> TICK_NS_SHIFT);
}
