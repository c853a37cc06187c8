/**
 * Column buffers that fill a DuckDB data chunk in bulk: fixed-width values go into one buffer
 * per column and reach DuckDB in a single copy, NULLs as one validity bitmap; text as one
 * native call per value (when filled here) or per distinct value (when packed, see
 * unpackDict). The node-api's per-value setters cost ~0.4 µs each (a BigInt shift per validity
 * bit); bench/server.mjs measures this path against the read_csv staging it replaced.
 */

import { DuckDBDataChunk, type DuckDBLogicalType, type DuckDBType } from '@duckdb/node-api';
import duckdb from '@duckdb/node-bindings';

/** Rows per data chunk: DuckDB's vector size. */
export const CHUNK_ROWS = duckdb.vector_size();

/**
 * A column's first `rows` values copied out of its buffers. Text is packed as a dictionary: the
 * chunk's distinct values (`dict`, UTF-8, ending at `ends`) and each row's entry (`index`). A
 * chunk's columns are views into one buffer of their own (one allocation per chunk, and views
 * into the journal record once read back). Earlier builds journaled ArrayBuffers and the `text`
 * form (every row's value in turn); both are still read.
 */
export type PackedColumn =
  | { width: number; data: Uint8Array | ArrayBuffer; valid?: Uint8Array | ArrayBuffer }
  | { dict: Uint8Array; ends: Uint32Array; index: Uint16Array; valid?: Uint8Array | ArrayBuffer }
  | { text: Uint8Array; ends: Uint32Array; valid?: ArrayBuffer }
  | { constant: string };

/** A packed column made once its chunk's buffer exists (PackArena.take). */
type PackedLater = (chunk: ArrayBuffer) => PackedColumn;

/**
 * A chunk's packed bytes, gathered in one scratch buffer and copied out once: a chunk used to
 * allocate ~80 small ArrayBuffers (columns, validity, dictionaries), GC work in the end.
 * Packing is synchronous, so one arena per thread serves every builder.
 */
class PackArena {
  // Zeroed (a fresh ArrayBuffer), so alignment gaps never carry bytes this thread did not pack.
  private buf = Buffer.from(new ArrayBuffer(1 << 18));
  private used = 0;

  /**
   * Reserves `n` bytes at an 8-aligned offset (of `bytes`, whose buffer starts at 0); write them
   * through `bytes` before the next call, which may move them.
   */
  reserve(n: number): number {
    const at = (this.used + 7) & ~7;
    if (at + n > this.buf.length) {
      const bigger = Buffer.from(new ArrayBuffer(Math.max(this.buf.length * 2, at + n)));
      this.buf.copy(bigger, 0, 0, this.used);
      this.buf = bigger;
    }
    this.used = at + n;
    return at;
  }

  /** Gives back the end of the last reservation, unused (it ends at `end`). */
  shrink(end: number): void {
    this.used = end;
  }

  get bytes(): Buffer {
    return this.buf;
  }

  get size(): number {
    return this.used;
  }

  /** Copies the bytes reserved so far into `target` at `at`; the arena starts over. */
  takeInto(target: Uint8Array, at: number): void {
    target.set(this.buf.subarray(0, this.used), at);
    this.used = 0;
  }

  /** Drops whatever is reserved (a batch that failed half-way must not shift the next one). */
  reset(): void {
    this.used = 0;
  }

  /** The bytes reserved so far, in a buffer of their own; the arena starts over. */
  take(): ArrayBuffer {
    const out = this.buf.buffer.slice(0, this.used) as ArrayBuffer;
    this.used = 0;
    return out;
  }
}

const arena = new PackArena();

/** A packed buffer or view as bytes (for DuckDB's copy calls: buffer, offset, length). */
function asBytes(b: Uint8Array | ArrayBuffer): Uint8Array {
  return b instanceof Uint8Array ? b : new Uint8Array(b);
}

/** A data chunk's worth of rows, packed where DuckDB is not at hand (an ingest worker thread). */
export interface PackedChunk {
  rows: number;
  columns: PackedColumn[];
}

abstract class Column {
  /** One bit per row, 1 = valid, in DuckDB's little-endian uint64 words. */
  readonly valid = new Uint8Array(Math.ceil(CHUNK_ROWS / 64) * 8);
  protected anyNull = false;

  reset(): void {
    this.anyNull = false;
  }

  setNull(row: number): void {
    if (!this.anyNull) this.valid.fill(0xff);
    this.anyNull = true;
    this.valid[row >> 3]! &= ~(1 << (row & 7));
  }

  protected flushValidity(vector: duckdb.Vector, rows: number): void {
    if (!this.anyNull) return;
    duckdb.vector_ensure_validity_writable(vector);
    duckdb.copy_data_to_vector_validity(vector, 0, this.valid.buffer, 0, Math.ceil(rows / 64) * 8);
  }

  /** The validity bitmap's place in the arena; -1 when every row is valid. */
  protected packValidity(rows: number, into: PackArena): number {
    if (!this.anyNull) return -1;
    const n = Math.ceil(rows / 64) * 8;
    const at = into.reserve(n);
    into.bytes.set(this.valid.subarray(0, n), at);
    return at;
  }

  protected static validView(chunk: ArrayBuffer, at: number, rows: number): Uint8Array | undefined {
    return at < 0 ? undefined : new Uint8Array(chunk, at, Math.ceil(rows / 64) * 8);
  }

  abstract flush(vector: duckdb.Vector, rows: number): void;
  abstract pack(rows: number, into: PackArena): PackedLater;
}

/** A fixed-width column (integers, doubles, 128-bit IDs), written through `view`. */
export class FixedColumn extends Column {
  readonly buffer: ArrayBuffer;
  readonly view: DataView;
  readonly bytes: Uint8Array;

  constructor(readonly width: number) {
    super();
    this.buffer = new ArrayBuffer(CHUNK_ROWS * width);
    this.view = new DataView(this.buffer);
    this.bytes = new Uint8Array(this.buffer);
  }

  flush(vector: duckdb.Vector, rows: number): void {
    duckdb.copy_data_to_vector(vector, 0, this.buffer, 0, rows * this.width);
    this.flushValidity(vector, rows);
  }

  pack(rows: number, into: PackArena): PackedLater {
    const n = rows * this.width;
    const at = into.reserve(n);
    into.bytes.set(this.bytes.subarray(0, n), at);
    const valid = this.packValidity(rows, into);
    const width = this.width;
    return (chunk) => ({
      width,
      data: new Uint8Array(chunk, at, n),
      valid: Column.validView(chunk, valid, rows),
    });
  }
}

/** A VARCHAR/JSON column. */
export class TextColumn extends Column {
  private readonly values: (string | undefined)[] = new Array(CHUNK_ROWS);
  /** pack()'s scratch: distinct values of the chunk being packed and their entries. */
  private readonly ids = new Map<string, number>();
  private readonly distinct: string[] = [];
  /**
   * True while every row so far holds the same text, as a resource's service, scope and
   * attributes do for all its spans: such a column becomes one constant vector (one native
   * call per chunk instead of one per row).
   */
  private same = false;

  /** `undefined` is NULL. NUL characters become U+FFFD (DuckDB's C API takes C strings). */
  set(row: number, value: string | undefined): void {
    if (value === undefined) {
      this.setNull(row);
    } else {
      const v = value.includes('\u0000') ? value.replaceAll('\u0000', '\uFFFD') : value;
      this.values[row] = v;
      if (row === 0) this.same = true;
      else if (this.same && v !== this.values[0]) this.same = false;
    }
  }

  /**
   * `value` as it is, for text that cannot hold NUL characters (JSON.stringify escapes them;
   * request IDs are checked): set's scan for them was ~2% of a worker's encoding.
   */
  setClean(row: number, value: string | undefined): void {
    if (value === undefined) {
      this.setNull(row);
    } else {
      this.values[row] = value;
      if (row === 0) this.same = true;
      else if (this.same && value !== this.values[0]) this.same = false;
    }
  }

  override setNull(row: number): void {
    this.values[row] = undefined;
    this.same = false;
    super.setNull(row);
  }

  flush(vector: duckdb.Vector, rows: number): void {
    if (this.same && rows > 1) {
      duckdb.vector_reference_value(vector, duckdb.create_varchar(this.values[0]!));
    } else {
      for (let i = 0; i < rows; i++) {
        const v = this.values[i];
        if (v !== undefined) duckdb.vector_assign_string_element(vector, i, v);
      }
      this.flushValidity(vector, rows);
    }
    this.values.fill(undefined, 0, rows);
  }

  /**
   * The chunk's distinct values as one UTF-8 buffer with their end offsets, and each row's
   * entry: a span's service, name, scope, attribute keys and request ID repeat down a chunk,
   * so the store makes one native call per distinct value instead of one per row.
   */
  pack(rows: number, into: PackArena): PackedLater {
    const values = this.values;
    if (this.same && rows > 1) {
      const constant = values[0]!;
      values.fill(undefined, 0, rows);
      return () => ({ constant });
    }
    const ids = this.ids;
    const distinct = this.distinct;
    const indexAt = into.reserve(rows * 2);
    const index = new Uint16Array(into.bytes.buffer, indexAt, rows);
    let max = 0;
    let last: string | undefined;
    let lastId = 0;
    for (let i = 0; i < rows; i++) {
      const v = values[i];
      if (v === undefined) {
        index[i] = 0;
        continue;
      }
      if (v !== last) {
        let k = ids.get(v);
        if (k === undefined) {
          k = distinct.length;
          ids.set(v, k);
          distinct.push(v);
          max += v.length * 3;
        }
        last = v;
        lastId = k;
      }
      index[i] = lastId;
    }
    const n = distinct.length;
    const endsAt = into.reserve(n * 4);
    // Worst case 3 bytes per UTF-16 unit; what is not written is given back below.
    const dictAt = into.reserve(max);
    const bytes = into.bytes;
    const ends = new Uint32Array(bytes.buffer, endsAt, n);
    let at = dictAt;
    for (let k = 0; k < n; k++) {
      at += bytes.write(distinct[k]!, at);
      ends[k] = at - dictAt;
    }
    into.shrink(at);
    ids.clear();
    distinct.length = 0;
    values.fill(undefined, 0, rows);
    const valid = this.packValidity(rows, into);
    const size = at - dictAt;
    return (chunk) => ({
      dict: new Uint8Array(chunk, dictAt, size),
      ends: new Uint32Array(chunk, endsAt, n),
      index: new Uint16Array(chunk, indexAt, rows),
      valid: Column.validView(chunk, valid, rows),
    });
  }
}

/** Bytes of a DuckDB string_t: length u32, then 12 bytes inline or a 4-byte prefix and a pointer. */
const STRING_T = 16;
const INLINE_MAX = 12;

/** unpackDict's scratch: every row's string_t slot, and each long value's place in DuckDB. */
const SLOTS = new ArrayBuffer(CHUNK_ROWS * STRING_T);
const SLOT_WORDS = new Uint32Array(SLOTS);
const SLOT_BYTES = new Uint8Array(SLOTS);

/**
 * Fills a VARCHAR vector from a dictionary-packed column with at most one native call for its
 * text: when some value is longer than 12 bytes (DuckDB keeps those behind a pointer), the
 * whole dictionary goes into the vector's string heap as one string (at row 0), and each long
 * value's row points into it (that string's address plus the value's offset) with the value's
 * length and 4-byte prefix, as a string_t DuckDB made itself would. Short values are written
 * inline. All slots then go in with one copy. DuckDB copies the bytes out of the heap when the
 * chunk is appended and frees the heap with the vector. One call per distinct long value
 * before (attribute values are nearly all distinct) was ~10% of the main thread. The
 * dictionary comes from JavaScript strings via Buffer.write, so it is valid UTF-8 (what the
 * assign call checks, once for all values here).
 */
function unpackDict(
  vector: duckdb.Vector,
  col: { dict: Uint8Array; ends: Uint32Array; index: Uint16Array },
  rows: number,
  valid: Uint8Array | undefined,
): void {
  const { dict, ends, index } = col;
  const n = ends.length;
  // Every row NULL (most AI columns of a chunk without AI spans): the validity says it all.
  if (n === 0) return;
  if (n > CHUNK_ROWS) throw new Error(`a packed text column of ${n} values for ${rows} rows`);
  let long = false;
  for (let k = 0, start = 0; k < n; k++) {
    if (ends[k]! - start > INLINE_MAX) {
      long = true;
      break;
    }
    start = ends[k]!;
  }
  // The dictionary's address in DuckDB's heap, as two 32-bit words.
  let baseLo = 0;
  let baseHi = 0;
  if (long) {
    duckdb.vector_assign_string_element_len(vector, 0, dict);
    const slot0 = duckdb.vector_get_data(vector, STRING_T);
    const w = new DataView(slot0.buffer, slot0.byteOffset, STRING_T);
    if (w.getUint32(0, true) !== dict.byteLength) throw new Error('DuckDB did not take the text');
    baseLo = w.getUint32(8, true);
    baseHi = w.getUint32(12, true);
  }
  const words = SLOT_WORDS;
  const bytes = SLOT_BYTES;
  for (let i = 0; i < rows; i++) {
    const w = i * 4;
    if (valid && !(valid[i >> 3]! & (1 << (i & 7)))) {
      words[w] = 0;
      words[w + 1] = 0;
      words[w + 2] = 0;
      words[w + 3] = 0;
      continue;
    }
    const k = index[i]!;
    const start = k === 0 ? 0 : ends[k - 1]!;
    const length = ends[k]! - start;
    words[w] = length;
    if (length <= INLINE_MAX) {
      words[w + 1] = 0;
      words[w + 2] = 0;
      words[w + 3] = 0;
      const o = i * STRING_T + 4;
      for (let b = 0; b < length; b++) bytes[o + b] = dict[start + b]!;
    } else {
      const o = i * STRING_T + 4;
      bytes[o] = dict[start]!;
      bytes[o + 1] = dict[start + 1]!;
      bytes[o + 2] = dict[start + 2]!;
      bytes[o + 3] = dict[start + 3]!;
      const lo = baseLo + start;
      words[w + 2] = lo >>> 0;
      words[w + 3] = baseHi + (lo > 0xffffffff ? 1 : 0);
    }
  }
  duckdb.copy_data_to_vector(vector, 0, SLOTS, 0, rows * STRING_T);
}

/** Fills `vector` from a packed column (the main-thread half of a worker's chunk). */
function unpackColumn(vector: duckdb.Vector, col: PackedColumn, rows: number): void {
  if ('constant' in col) {
    duckdb.vector_reference_value(vector, duckdb.create_varchar(col.constant));
    return;
  }
  const valid = col.valid && asBytes(col.valid);
  if ('width' in col) {
    const data = asBytes(col.data);
    duckdb.copy_data_to_vector(
      vector,
      0,
      data.buffer as ArrayBuffer,
      data.byteOffset,
      rows * col.width,
    );
  } else if ('dict' in col) {
    unpackDict(vector, col, rows, valid);
  } else {
    const { text, ends } = col;
    let start = 0;
    for (let i = 0; i < rows; i++) {
      const end = ends[i]!;
      if (!valid || valid[i >> 3]! & (1 << (i & 7))) {
        duckdb.vector_assign_string_element_len(vector, i, text.subarray(start, end));
      }
      start = end;
    }
  }
  if (valid) {
    duckdb.vector_ensure_validity_writable(vector);
    duckdb.copy_data_to_vector_validity(
      vector,
      0,
      valid.buffer as ArrayBuffer,
      valid.byteOffset,
      valid.byteLength,
    );
  }
}

/**
 * Each column list's logical types, made once: DuckDBDataChunk.create makes (and later
 * finalises) one native logical type per column per chunk, ~7% of unpacking. The wrappers are
 * kept so their handles stay alive; a chunk copies the types it is made with.
 */
const logicalTypes = new WeakMap<
  readonly DuckDBType[],
  { wrappers: DuckDBLogicalType[]; handles: duckdb.LogicalType[] }
>();

function newChunk(types: readonly DuckDBType[]): DuckDBDataChunk {
  let known = logicalTypes.get(types);
  if (known === undefined) {
    const wrappers = types.map((t) => t.toLogicalType());
    known = { wrappers, handles: wrappers.map((l) => l.logical_type) };
    logicalTypes.set(types, known);
  }
  return new DuckDBDataChunk(duckdb.create_data_chunk(known.handles));
}

/** A packed chunk as a DuckDB data chunk of `types`. */
export function unpackChunk(types: readonly DuckDBType[], packed: PackedChunk): DuckDBDataChunk {
  if (packed.columns.length !== types.length) {
    throw new Error(`a packed chunk of ${packed.columns.length} columns for ${types.length} types`);
  }
  const chunk = newChunk(types);
  for (let k = 0; k < types.length; k++) {
    unpackColumn(duckdb.data_chunk_get_vector(chunk.chunk, k), packed.columns[k]!, packed.rows);
  }
  chunk.rowCount = packed.rows;
  return chunk;
}

/**
 * A packed column's place in a record (journal-entry.ts, v2): byte offsets into the record's
 * data, which is this thread's arena as the batch left it. `w`: fixed width, `d` its data;
 * `x`/`xl` a dictionary's bytes, `e` its `n` end offsets, `i` the rows' entries; `v` validity;
 * `c` a constant.
 */
export type ColumnDesc =
  | { w: number; d: number; v?: number }
  | { x: number; xl: number; e: number; n: number; i: number; v?: number }
  | { c: string };

export interface ChunkDesc {
  rows: number;
  columns: ColumnDesc[];
}

/** Bytes of a validity bitmap of `rows` rows (whole 64-bit words, as DuckDB keeps them). */
function validBytes(rows: number): number {
  return Math.ceil(rows / 64) * 8;
}

function describe(col: PackedColumn): ColumnDesc {
  if ('constant' in col) return { c: col.constant };
  const v = col.valid && asBytes(col.valid).byteOffset;
  if ('width' in col) return { w: col.width, d: asBytes(col.data).byteOffset, v };
  if ('dict' in col) {
    const { dict, ends, index } = col;
    return {
      x: dict.byteOffset,
      xl: dict.byteLength,
      e: ends.byteOffset,
      n: ends.length,
      i: index.byteOffset,
      v,
    };
  }
  throw new Error('row-by-row text is never packed any more');
}

/** A described chunk's columns as views into `buffer`, whose data starts at `base`. */
export function chunkOfDesc(desc: ChunkDesc, buffer: ArrayBuffer, base: number): PackedChunk {
  const rows = desc.rows;
  const columns = desc.columns.map((c): PackedColumn => {
    if ('c' in c) return { constant: c.c };
    const valid =
      c.v === undefined ? undefined : new Uint8Array(buffer, base + c.v, validBytes(rows));
    if ('w' in c)
      return { width: c.w, data: new Uint8Array(buffer, base + c.d, rows * c.w), valid };
    return {
      dict: new Uint8Array(buffer, base + c.x, c.xl),
      ends: new Uint32Array(buffer, base + c.e, c.n),
      index: new Uint16Array(buffer, base + c.i, rows),
      valid,
    };
  });
  return { rows, columns };
}

/** Bytes packed since the last take (the data a record of described chunks carries). */
export function packedSize(): number {
  return arena.size;
}

/** Copies the packed bytes into `target` at `at` (a record's data) and starts the arena over. */
export function takePackedInto(target: Uint8Array, at: number): void {
  arena.takeInto(target, at);
}

/** Starts the arena over: a batch about to be described starts at offset 0. */
export function resetPacked(): void {
  arena.reset();
}

/** The columns of one table, filled row by row and emitted as data chunks. */
export class ChunkBuilder {
  private readonly chunks: DuckDBDataChunk[] = [];
  private readonly packedChunks: PackedChunk[] = [];
  private readonly pending: { rows: number; later: PackedLater[] }[] = [];
  private row = 0;

  /**
   * `packed`: emit PackedChunks (finishPacked) instead of DuckDB chunks (finish);
   * `described`: leave them in the arena and describe them (finishDescribed).
   */
  constructor(
    private readonly types: readonly DuckDBType[],
    readonly columns: readonly Column[],
    private readonly packed: boolean | 'described' = false,
  ) {
    if (types.length !== columns.length) throw new Error('one column buffer per type');
  }

  /** The index of the next row to fill; call before writing its values. */
  next(): number {
    if (this.row === CHUNK_ROWS) this.emit();
    return this.row++;
  }

  /** The filled chunks (the builder is done after this). */
  finish(): DuckDBDataChunk[] {
    if (this.packed) throw new Error('this builder packs: call finishPacked()');
    if (this.row > 0) this.emit();
    return this.chunks;
  }

  /** The filled rows as packed chunks, for another thread to unpack (the builder is done). */
  finishPacked(): PackedChunk[] {
    if (this.packed !== true) throw new Error('this builder does not pack: call finish()');
    if (this.row > 0) this.emit();
    return this.packedChunks;
  }

  /**
   * The filled rows' places in the arena, which keeps them (takePackedInto copies them out):
   * a batch's chunks go into its record with one copy, no buffer per chunk.
   */
  finishDescribed(): ChunkDesc[] {
    if (this.packed !== 'described') throw new Error('this builder does not describe');
    if (this.row > 0) this.emit();
    const buffer = arena.bytes.buffer as ArrayBuffer;
    return this.pending.map(({ rows, later }) => ({
      rows,
      columns: later.map((make) => describe(make(buffer))),
    }));
  }

  private emit(): void {
    if (this.packed === 'described') {
      this.pending.push({
        rows: this.row,
        later: this.columns.map((c) => c.pack(this.row, arena)),
      });
    } else if (this.packed) {
      const later = this.columns.map((c) => c.pack(this.row, arena));
      const buffer = arena.take();
      this.packedChunks.push({ rows: this.row, columns: later.map((make) => make(buffer)) });
    } else {
      const chunk = newChunk(this.types);
      for (let k = 0; k < this.columns.length; k++) {
        this.columns[k]!.flush(duckdb.data_chunk_get_vector(chunk.chunk, k), this.row);
      }
      chunk.rowCount = this.row;
      this.chunks.push(chunk);
    }
    for (const c of this.columns) c.reset();
    this.row = 0;
  }
}

/** Hex digit → value by char code; -1 for anything else. */
const NIBBLE = new Int8Array(128).fill(-1);
for (let i = 0; i < 16; i++) {
  NIBBLE['0123456789abcdef'.charCodeAt(i)] = i;
  NIBBLE['0123456789ABCDEF'.charCodeAt(i)] = i;
}

/** Eight hex digits at `at` as a uint32, or -1 if any is not a hex digit (no substrings made). */
function hexWord(hex: string, at: number): number {
  let v = 0;
  for (let i = at; i < at + 8; i++) {
    const c = hex.charCodeAt(i);
    const n = c < 128 ? NIBBLE[c]! : -1;
    if (n < 0) return -1;
    v = (v << 4) | n;
  }
  return v >>> 0;
}

/** A 32-hex-digit trace ID into a UHUGEINT slot (DuckDB: lower then upper uint64, little-endian). */
export function writeTraceId(col: FixedColumn, row: number, hex: string): void {
  const a = hex.length === 32 ? hexWord(hex, 0) : -1;
  const b = hexWord(hex, 8);
  const c = hexWord(hex, 16);
  const d = hexWord(hex, 24);
  if (a < 0 || b < 0 || c < 0 || d < 0) throw new Error(`invalid trace ID: ${JSON.stringify(hex)}`);
  const v = col.view;
  const o = row * 16;
  v.setUint32(o, d, true);
  v.setUint32(o + 4, c, true);
  v.setUint32(o + 8, b, true);
  v.setUint32(o + 12, a, true);
}

/** A 16-hex-digit span ID into a UBIGINT slot. */
export function writeSpanId(col: FixedColumn, row: number, hex: string): void {
  const a = hex.length === 16 ? hexWord(hex, 0) : -1;
  const b = hexWord(hex, 8);
  if (a < 0 || b < 0) throw new Error(`invalid span ID: ${JSON.stringify(hex)}`);
  col.view.setUint32(row * 8, b, true);
  col.view.setUint32(row * 8 + 4, a, true);
}

const INT64_MAX = 2n ** 63n - 1n;
const INT64_MIN = -(2n ** 63n);

/** A BIGINT; refuses values outside int64 rather than letting them wrap. */
export function writeBigInt(col: FixedColumn, row: number, value: bigint): void {
  // Compared, not BigInt.asIntN'd: that makes a BigInt per value.
  if (value > INT64_MAX || value < INT64_MIN) throw new Error(`${value} is outside BIGINT`);
  col.view.setBigInt64(row * 8, value, true);
}

/** A UBIGINT already known to fit (keys computed by this module's callers). */
export function writeUBigInt(col: FixedColumn, row: number, value: bigint): void {
  col.view.setBigUint64(row * 8, value, true);
}

/** A UTINYINT/USMALLINT; refuses values that do not fit rather than letting them wrap. */
export function writeSmallUint(col: FixedColumn, row: number, value: number): void {
  const max = col.width === 1 ? 0xff : 0xffff;
  if (!Number.isInteger(value) || value < 0 || value > max) {
    throw new Error(`${value} does not fit a ${col.width * 8}-bit unsigned column`);
  }
  if (col.width === 1) col.bytes[row] = value;
  else col.view.setUint16(row * 2, value, true);
}
