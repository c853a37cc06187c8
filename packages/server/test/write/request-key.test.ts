import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { requestKey, writeRequestKey } from '../../src/store/duckdb/ids.js';

/** writeRequestKey (an MD5 in JavaScript for ASCII) against requestKey (node:crypto). */
function viaWrite(id: string): number {
  const bytes = new Uint8Array(12).fill(0xaa);
  writeRequestKey(bytes, 4, id);
  expect([...bytes.subarray(0, 4), ...bytes.subarray(8)]).toEqual(new Array(8).fill(0xaa));
  return Buffer.from(bytes.buffer, 4, 4).readUInt32LE(0);
}

describe('request keys written into index rows', () => {
  it('equal requestKey for every length across MD5 block boundaries, and for non-ASCII text', () => {
    let seed = 11;
    const chars = 'abcXYZ019._:-';
    for (let n = 0; n <= 200; n++) {
      let id = '';
      for (let i = 0; i < n; i++) {
        seed = (seed * 1103515245 + 12345) & 0x7fffffff;
        id += chars[seed % chars.length];
      }
      expect(viaWrite(id)).toBe(requestKey(id));
      // The high half of DuckDB's md5_number_upper, the key before schema v12.
      expect(requestKey(id)).toBe(
        Number(createHash('md5').update(id).digest().readBigUInt64LE(0) >> 32n),
      );
    }
    for (const id of ['req_ü', 'ключ', '请求-1', '\u{1f600}x'])
      expect(viaWrite(id)).toBe(requestKey(id));
  });
});
