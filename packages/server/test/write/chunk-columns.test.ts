import { DuckDBInstance, VARCHAR } from '@duckdb/node-api';
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

describe('text columns', () => {
  const cases: [string, (string | undefined)[]][] = [
    ['one value on every row (a constant vector)', Array(300).fill('gateway')],
    ['a value then NULLs', ['gpt-4o', ...Array(9).fill(undefined)]],
    ['NULLs then one value', [...Array(9).fill(undefined), 'gpt-4o']],
    ['a constant broken by the last row', [...Array(20).fill('a'), 'b']],
    ['non-ASCII and NUL', ['café ☕', 'nul\u0000here', '日本語', 'café ☕']],
    ['past one chunk, constant in the first', Array(2_500).fill('x').concat(['y'])],
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
});
