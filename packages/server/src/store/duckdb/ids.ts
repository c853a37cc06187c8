/**
 * IDs as schema v4 stores them. Spans keep trace IDs as UHUGEINT and span IDs as UBIGINT (16 and
 * 8 bytes, against 32 and 16 characters of hex); trace_index and request_index are plain tables
 * scanned by a key (64 bits in v4–v11, 32 since v12; a full scan of a UBIGINT column is ~3 ms per million rows, where an
 * ART index cost ~35 B per span on disk and an upsert per commit). The API keeps lowercase hex.
 */
import { createHash } from 'node:crypto';

const TRACE_HEX = /^[0-9a-fA-F]{32}$/;
const SPAN_HEX = /^[0-9a-fA-F]{16}$/;

/** 32 hex digits → the UHUGEINT value; undefined for anything else (no such trace is stored). */
export function traceIdValue(hex: string): bigint | undefined {
  return TRACE_HEX.test(hex) ? BigInt(`0x${hex}`) : undefined;
}

/** 16 hex digits → the UBIGINT value; undefined for anything else. */
export function spanIdValue(hex: string): bigint | undefined {
  return SPAN_HEX.test(hex) ? BigInt(`0x${hex}`) : undefined;
}

/**
 * trace_index's key (schema v12): the trace ID's low 32 bits (its last 8 hex digits), random in
 * every ID scheme in use: W3C Trace Context level 2 promises the right-most 56 bits random,
 * 64-bit Jaeger IDs are padded with zeros and X-Ray and Datadog IDs start with a timestamp; IDs
 * a test or a tool counts up differ there too. 32 bits where v4–v10 kept the low 64: half the
 * bytes, and sorted keys this dense pack into fewer bits each. Keys do collide (about n²/2³³ pairs among n traces: ~116 at
 * 1M, ~11,600 at 10M), which stays exact for lookups: two traces sharing a key only widen each
 * other's window, and the spans and logs scans match the full trace ID. Counting traces by
 * distinct keys is corrected for it (TRACES_ESTIMATE_SQL in trace-index.ts).
 */
export function traceKey(hex: string): number | undefined {
  return TRACE_HEX.test(hex) ? Number.parseInt(hex.slice(24), 16) : undefined;
}

/**
 * request_index's key (schema v12): bytes 4–7 of the request ID's MD5 as a little-endian
 * integer, the high 32 bits of DuckDB's md5_number_upper() (what v4–v10 kept). Exact for
 * lookups as trace keys are: a collision widens the windows, and the spans and logs scans match
 * request_id itself, so it cannot mix two requests.
 */
export function requestKey(requestId: string): number {
  return createHash('md5').update(requestId).digest().readUInt32LE(4);
}

/** SQL: a UHUGEINT trace ID column as 32 lowercase hex digits (NULL stays NULL). */
export function traceHexSql(column: string): string {
  return `lpad(lower(hex(${column})), 32, '0')`;
}

/** SQL: a UBIGINT span ID column as 16 lowercase hex digits (NULL stays NULL). */
export function spanHexSql(column: string): string {
  return `lpad(lower(hex(${column})), 16, '0')`;
}

/** SQL for the migration: a VARCHAR of 32 hex digits → UHUGEINT. */
export function traceFromHexSql(column: string): string {
  return (
    `((('0x' || substr(${column}, 1, 16))::UBIGINT::UHUGEINT << 64) | ` +
    `('0x' || substr(${column}, 17, 16))::UBIGINT::UHUGEINT)`
  );
}

/** SQL for the migration: a VARCHAR of 16 hex digits (or ''/NULL) → UBIGINT (or NULL). */
export function spanFromHexSql(column: string): string {
  return `CASE WHEN ${column} IS NULL OR ${column} = '' THEN NULL ELSE ('0x' || ${column})::UBIGINT END`;
}

/** MD5's per-step shift amounts (by round, then step mod 4) and sine constants (RFC 1321). */
const MD5_SHIFT = [7, 12, 17, 22, 5, 9, 14, 20, 4, 11, 16, 23, 6, 10, 15, 21];
const MD5_K = Int32Array.from({ length: 64 }, (_, i) =>
  Math.floor(Math.abs(Math.sin(i + 1)) * 2 ** 32),
);
const MD5_BLOCK = new Int32Array(16);

/**
 * requestKey's 4 bytes written at `bytes[at]` (a UINTEGER slot), for ASCII request IDs (what
 * requestIdOf promotes) by an MD5 in JavaScript: no Hash object, no Buffer of the text or the
 * digest and no BigInt, which cost ~1 µs per request ID in a worker. Other text goes through
 * node:crypto.
 */
export function writeRequestKey(bytes: Uint8Array, at: number, requestId: string): void {
  if (!md5Word1(requestId, bytes, at)) {
    bytes.set(createHash('md5').update(requestId).digest().subarray(4, 8), at);
  }
}

/** Bytes 4–7 of an ASCII string's MD5 into `out`; false (nothing written) for non-ASCII. */
function md5Word1(s: string, out: Uint8Array, at: number): boolean {
  const n = s.length;
  for (let i = 0; i < n; i++) if (s.charCodeAt(i) > 0x7f) return false;
  const x = MD5_BLOCK;
  let a0 = 0x67452301;
  let b0 = 0xefcdab89 | 0;
  let c0 = 0x98badcfe | 0;
  let d0 = 0x10325476;
  // Text, 0x80, zeros, then the bit length in the last 8 bytes of the last block.
  const blocks = ((n + 8) >> 6) + 1;
  for (let blk = 0; blk < blocks; blk++) {
    x.fill(0);
    const base = blk * 64;
    for (let j = 0; j < 64; j++) {
      const i = base + j;
      const byte = i < n ? s.charCodeAt(i) : i === n ? 0x80 : 0;
      if (byte !== 0) x[j >> 2]! |= byte << ((j & 3) * 8);
    }
    if (blk === blocks - 1) {
      x[14] = (n * 8) | 0;
      x[15] = Math.floor((n * 8) / 2 ** 32);
    }
    let a = a0;
    let b = b0;
    let c = c0;
    let d = d0;
    for (let i = 0; i < 64; i++) {
      let f: number;
      let g: number;
      if (i < 16) {
        f = (b & c) | (~b & d);
        g = i;
      } else if (i < 32) {
        f = (d & b) | (~d & c);
        g = (5 * i + 1) & 15;
      } else if (i < 48) {
        f = b ^ c ^ d;
        g = (3 * i + 5) & 15;
      } else {
        f = c ^ (b | ~d);
        g = (7 * i) & 15;
      }
      const sum = (a + f + MD5_K[i]! + x[g]!) | 0;
      const r = MD5_SHIFT[((i >> 4) << 2) | (i & 3)]!;
      a = d;
      d = c;
      c = b;
      b = (b + ((sum << r) | (sum >>> (32 - r)))) | 0;
    }
    a0 = (a0 + a) | 0;
    b0 = (b0 + b) | 0;
    c0 = (c0 + c) | 0;
    d0 = (d0 + d) | 0;
  }
  for (let k = 0; k < 4; k++) out[at + k] = (b0 >>> (8 * k)) & 0xff;
  return true;
}
