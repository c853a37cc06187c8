import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BIGINT, DuckDBInstance, VARCHAR } from '@duckdb/node-api';
import { describe, expect, it } from 'vitest';
import {
  ChunkBuilder,
  type PackedChunk,
  TextColumn,
  unpackChunk,
} from '../../src/store/duckdb/chunk-columns.js';

/** Rows written through a builder, appended to a real DuckDB table and read back. */
async function roundTrip(rows: (string | undefined)[], packed: boolean, viaSetNull = false) {
  const col = new TextColumn();
  const builder = new ChunkBuilder([VARCHAR], [col], packed);
  for (const v of rows) {
    const i = builder.next();
    // Both ways a NULL is written: set(undefined), or setNull() as the AI columns do.
    if (v === undefined && viaSetNull) col.setNull(i);
    else col.set(i, v);
  }
  const chunks = packed
    ? builder.finishPacked().map((p: PackedChunk) => unpackChunk([VARCHAR], p))
    : builder.finish();
  const db = await DuckDBInstance.create(':memory:');
  const conn = await db.connect();
  try {
    await conn.run('CREATE TABLE s (v VARCHAR)');
    const appender = await conn.createAppender('s');
    for (const c of chunks) appender.appendDataChunk(c);
    appender.flushSync();
    appender.closeSync();
    const out = await conn.runAndReadAll('SELECT v FROM s');
    return out.getRows().map((r) => (r[0] === null ? undefined : r[0]));
  } finally {
    conn.closeSync();
    db.closeSync();
  }
}

/** `select` over one VARCHAR column `v` holding the packed chunks. */
async function query(chunks: PackedChunk[], select: string) {
  const db = await DuckDBInstance.create(':memory:');
  const conn = await db.connect();
  try {
    await conn.run('CREATE TABLE s (v VARCHAR)');
    const appender = await conn.createAppender('s');
    for (const c of chunks) appender.appendDataChunk(unpackChunk([VARCHAR], c));
    appender.flushSync();
    appender.closeSync();
    return (await conn.runAndReadAll(select)).getRows();
  } finally {
    conn.closeSync();
    db.closeSync();
  }
}

describe('text columns', () => {
  const cases: [string, (string | undefined)[]][] = [
    ['one value on every row (a constant vector)', Array(300).fill('gateway')],
    ['a value then NULLs', ['gpt-4o', ...Array(9).fill(undefined)]],
    ['NULLs then one value', [...Array(9).fill(undefined), 'gpt-4o']],
    ['a constant broken by the last row', [...Array(20).fill('a'), 'b']],
    ['non-ASCII and NUL', ['café ☕', 'nul\u0000here', '日本語', 'café ☕']],
    ['past one chunk, constant in the first', Array(2_500).fill('x').concat(['y'])],
    // Packed as a dictionary: values past 12 bytes go to DuckDB once, shorter ones inline.
    ['every row NULL', Array(5).fill(undefined)],
    ['only short values, with NULLs between', ['a', undefined, 'bb', 'a', undefined, 'ccc']],
    [
      'long values repeating, apart and in runs',
      [
        'a value longer than twelve',
        'b',
        'a value longer than twelve',
        undefined,
        'another long value',
        'another long value',
        'a value longer than twelve',
      ],
    ],
    [
      'around the 12-byte inline limit',
      [
        '',
        'x',
        'twelve bytes',
        'thirteen byte',
        'twelve bytes',
        'ééééééé',
        'éééééé',
        'thirteen byte',
      ],
    ],
    [
      'a long value first seen after NULLs, in a second chunk',
      [
        ...Array(2_047).fill('s'),
        'not the first row of its chunk',
        undefined,
        'not the first row of its chunk',
      ],
    ],
  ];
  for (const [name, rows] of cases) {
    for (const packed of [false, true]) {
      it(`${name}${packed ? ', packed by a worker' : ''}`, async () => {
        const expected = rows.map((v) => v?.replaceAll('\u0000', '\uFFFD'));
        expect(await roundTrip(rows, packed)).toEqual(expected);
        expect(await roundTrip(rows, packed, true)).toEqual(expected);
      });
    }
  }

  it('a column reused for a second chunk forgets the first one’s constant', async () => {
    const rows = [...Array(2_048).fill('same'), undefined, 'other', undefined];
    for (const packed of [false, true]) {
      for (const viaSetNull of [false, true]) {
        expect(await roundTrip(rows, packed, viaSetNull)).toEqual(rows);
      }
    }
  });

  it('short values written inline compare and group like ones DuckDB wrote', async () => {
    const col = new TextColumn();
    const builder = new ChunkBuilder([VARCHAR], [col], true);
    const rows = ['ab', 'a', 'abc', 'ab', 'a long value past the limit', 'ab'];
    for (const v of rows) col.set(builder.next(), v);
    const packed = builder.finishPacked();
    expect(await query(packed, "SELECT count(*) FROM s WHERE v = 'ab'")).toEqual([[3n]]);
    expect(await query(packed, 'SELECT v, count(*) FROM s GROUP BY v ORDER BY v')).toEqual([
      ['a', 1n],
      ['a long value past the limit', 1n],
      ['ab', 3n],
      ['abc', 1n],
    ]);
  });

  it('long values pointing into one shared copy of the dictionary compare, sort and persist', async () => {
    const col = new TextColumn();
    const builder = new ChunkBuilder([VARCHAR], [col], true);
    // Distinct long values sharing prefixes (a string_t keeps the first 4 bytes beside its
    // pointer), long and short ones mixed, NULLs, and a second chunk.
    const rows: (string | undefined)[] = [];
    for (let i = 0; i < 3_000; i++) {
      rows.push(i % 7 === 0 ? undefined : i % 5 === 0 ? `s${i % 3}` : `prefix-${i % 400}-é-long`);
    }
    for (const v of rows) col.set(builder.next(), v);
    const packed = builder.finishPacked();
    expect(packed.length).toBe(2);
    const want = (v: string) => rows.filter((r) => r === v).length;
    expect(await query(packed, "SELECT count(*) FROM s WHERE v = 'prefix-13-é-long'")).toEqual([
      [BigInt(want('prefix-13-é-long'))],
    ]);
    expect(await query(packed, "SELECT count(*) FROM s WHERE v LIKE 'prefix-1%'")).toEqual([
      [BigInt(rows.filter((r) => r?.startsWith('prefix-1')).length)],
    ]);
    const sorted = [...new Set(rows.filter((r) => r !== undefined))].sort();
    expect(
      (await query(packed, 'SELECT DISTINCT v FROM s WHERE v IS NOT NULL ORDER BY v')).map(
        (r) => r[0],
      ),
    ).toEqual(sorted);
    // Through a checkpoint to disk and back.
    const dir = mkdtempSync(join(tmpdir(), 'hopscope-chunk-'));
    try {
      const db = await DuckDBInstance.create(join(dir, 'x.duckdb'));
      const conn = await db.connect();
      await conn.run('CREATE TABLE s (v VARCHAR)');
      const appender = await conn.createAppender('s');
      for (const c of packed) appender.appendDataChunk(unpackChunk([VARCHAR], c));
      appender.flushSync();
      appender.closeSync();
      await conn.run('CHECKPOINT');
      conn.closeSync();
      db.closeSync();
      const again = await DuckDBInstance.create(join(dir, 'x.duckdb'));
      const c2 = await again.connect();
      const back = (await c2.runAndReadAll('SELECT v FROM s'))
        .getRows()
        .map((r) => r[0] ?? undefined);
      c2.closeSync();
      again.closeSync();
      expect(back).toEqual(rows);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('reads fixed-width columns packed as ArrayBuffers, as journals of earlier builds hold them', async () => {
    const data = new ArrayBuffer(24);
    new BigInt64Array(data).set([7n, -1n, 42n]);
    const valid = new ArrayBuffer(8);
    new Uint8Array(valid)[0] = 0b101;
    const old: PackedChunk = { rows: 3, columns: [{ width: 8, data, valid }] };
    const db = await DuckDBInstance.create(':memory:');
    const conn = await db.connect();
    try {
      await conn.run('CREATE TABLE n (v BIGINT)');
      const appender = await conn.createAppender('n');
      appender.appendDataChunk(unpackChunk([BIGINT], old));
      appender.flushSync();
      appender.closeSync();
      expect((await conn.runAndReadAll('SELECT v FROM n')).getRows()).toEqual([
        [7n],
        [null],
        [42n],
      ]);
    } finally {
      conn.closeSync();
      db.closeSync();
    }
  });

  it('reads text packed row by row, as journals of earlier builds hold it', async () => {
    const values = ['first value', '', 'café ☕ and more text'];
    const bytes = values.map((v) => Buffer.from(v));
    const ends = new Uint32Array(4);
    let at = 0;
    bytes.forEach((b, k) => {
      at += b.length;
      ends[k] = at;
    });
    ends[3] = at; // a NULL ends where it starts
    const valid = new ArrayBuffer(8);
    new Uint8Array(valid)[0] = 0b0111;
    const text = new Uint8Array(Buffer.concat(bytes));
    const old: PackedChunk = { rows: 4, columns: [{ text, ends, valid }] };
    expect(await query([old], 'SELECT v FROM s')).toEqual([...values.map((v) => [v]), [null]]);
  });
});
