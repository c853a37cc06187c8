import { DuckDBInstance } from '@duckdb/node-api';
import { describe, expect, it } from 'vitest';
import { FixedColumn } from '../../src/store/duckdb/chunk-columns.js';
import {
  OPEN_LENGTH,
  TICK_NS,
  ticksOfNsSql,
  WINDOW_NS_SQL,
  writeWindow,
  writeWindowWords,
} from '../../src/store/duckdb/index-windows.js';

const INT64_MAX = (1n << 63n) - 1n;
const T = TICK_NS;
const NOW = BigInt(Date.now()) * 1_000_000n;
/** NOW floored to a tick. */
const TICK_AT = NOW - (NOW % T);

/** Windows near tick boundaries, negative times, the longest closed length and beyond. */
const WINDOWS: [bigint, bigint][] = [
  [0n, 0n],
  [1n, 1n],
  [T - 1n, T],
  [T, T],
  [T, T + 1n],
  [NOW, NOW + 1_000_000n],
  [TICK_AT, TICK_AT + T + 1n],
  [-1n, 0n],
  [-T - 1n, -T + 1n],
  [TICK_AT, TICK_AT + (BigInt(OPEN_LENGTH) - 1n) * T], // the longest closed window
  [TICK_AT, TICK_AT + (BigInt(OPEN_LENGTH) - 1n) * T + 1n], // 1 ns longer: open
  [0n, NOW], // a log line stamped 1970 under a trace of today: ~56 years, open
  [NOW, INT64_MAX], // an end in the last tick before 2262: open
  [NOW, NOW - 5n], // an end before the start (never written): an empty length
];

function viaBigInt(start: bigint, end: bigint): [bigint, number] {
  const s = new FixedColumn(8);
  const l = new FixedColumn(4);
  writeWindow(s, l, 0, start, end);
  return [s.view.getBigInt64(0, true), l.view.getUint32(0, true)];
}

function viaWords(start: bigint, end: bigint): [bigint, number] {
  const s = new FixedColumn(8);
  const l = new FixedColumn(4);
  const words = (v: bigint) => [Number(v >> 32n), Number(BigInt.asUintN(32, v))] as const;
  writeWindowWords(s, l, 0, ...words(start), ...words(end));
  return [s.view.getBigInt64(0, true), l.view.getUint32(0, true)];
}

describe('index windows in ticks', () => {
  it('hold every nanosecond of the window, at most a tick wider each side, or are open', () => {
    for (const [start, end] of WINDOWS) {
      const [s, len] = viaBigInt(start, end);
      expect(s * T).toBeLessThanOrEqual(start);
      expect(s * T).toBeGreaterThan(start - T);
      if (len === OPEN_LENGTH) {
        expect(end - s * T).toBeGreaterThan((BigInt(OPEN_LENGTH) - 1n) * T);
        continue;
      }
      const e = (s + BigInt(len)) * T;
      expect(e).toBeGreaterThanOrEqual(end);
      expect(e < end + T || end < start).toBe(true);
    }
    expect(viaBigInt(TICK_AT, TICK_AT + (BigInt(OPEN_LENGTH) - 1n) * T)[1]).toBe(OPEN_LENGTH - 1);
    expect(viaBigInt(TICK_AT, TICK_AT + (BigInt(OPEN_LENGTH) - 1n) * T + 1n)[1]).toBe(OPEN_LENGTH);
    expect(viaBigInt(0n, NOW)[1]).toBe(OPEN_LENGTH);
    expect(viaBigInt(NOW, INT64_MAX)[1]).toBe(OPEN_LENGTH);
  });

  it('are the same from words (decoded span rows), BigInts (records) and SQL (migrations)', async () => {
    const db = await DuckDBInstance.create(':memory:');
    const conn = await db.connect();
    try {
      for (const [start, end] of WINDOWS) {
        const expected = viaBigInt(start, end);
        if (start >= 0n && end >= 0n) expect(viaWords(start, end)).toEqual(expected);
        const r = await conn.runAndReadAll(`SELECT ${ticksOfNsSql('$s::BIGINT', '$e::BIGINT')}`, {
          s: start,
          e: end,
        });
        expect(r.getRows()[0]).toEqual(expected);
        // And what readers see of it: nanoseconds, an open end as int64's max.
        const ns = await conn.runAndReadAll(
          `SELECT ${WINDOW_NS_SQL} FROM (SELECT $s::BIGINT AS start_tick, $l::UINTEGER AS length_ticks)`,
          { s: expected[0], l: expected[1] },
        );
        const [s, len] = expected;
        expect(ns.getRows()[0]).toEqual([
          s * T,
          len === OPEN_LENGTH ? INT64_MAX : (s + BigInt(len)) * T,
        ]);
      }
    } finally {
      conn.closeSync();
      db.closeSync();
    }
  });
});
