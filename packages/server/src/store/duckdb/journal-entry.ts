import { deserialize, serialize } from 'node:v8';
import type { EncodedSpans, WriteBatch } from '../records.js';
import {
  type ChunkDesc,
  chunkOfDesc,
  type PackedChunk,
  packedSize,
  takePackedInto,
} from './chunk-columns.js';
import type { DescribedIndex, PackedIndex } from './index-rows.js';
import { type DuckDbEncoded, duckdbPayload, encodeSpans } from './span-chunks.js';

/**
 * A batch of spans as the journal keeps it: the packed columns the store copies into DuckDB,
 * after validation, redaction and AI normalisation, so replay needs none of the ingest
 * pipeline (and no secret reaches the disk unredacted). Written with v8.serialize: the column
 * buffers go in as bytes, ~0.6 µs and ~390 B per span on bench/server.mjs's data.
 */
export interface JournalEntry {
  /** 1: written with v8.serialize; 2: a record of described chunks (recordOf). */
  v: 1 | 2;
  rows: number;
  chunks: PackedChunk[];
  index: PackedIndex[];
}

/** Entries an ingest worker serialised already (its payload's `journal`), with those bytes. */
const serialised = new WeakMap<JournalEntry, Uint8Array>();

/** A worker's payload as the entry it makes alone. */
function entryOf(payload: DuckDbEncoded, rows: number): JournalEntry {
  return { v: 1, rows, chunks: payload.chunks, index: [payload.index] };
}

/**
 * The spans of `batch` (decoded here or already packed by an ingest worker) as one entry;
 * undefined when it has none. Throws, as encodeSpans does, for values the columns cannot hold.
 */
export function journalEntry(batch: WriteBatch): JournalEntry | undefined {
  const worker = duckdbPayload(batch);
  if (worker && batch.spans.length === 0) {
    const entry = entryOf(worker, batch.encoded!.rows);
    if (worker.journal) serialised.set(entry, worker.journal);
    return entry;
  }
  const parts: DuckDbEncoded[] = [];
  if (batch.spans.length > 0) parts.push(encodeSpans(batch.spans).payload);
  if (worker) parts.push(worker);
  if (parts.length === 0) return undefined;
  return {
    v: 1,
    rows: batch.spans.length + (batch.encoded?.rows ?? 0),
    chunks: parts.flatMap((p) => p.chunks),
    index: parts.map((p) => p.index),
  };
}

/**
 * The entry's bytes for the journal. An ingest worker serialises its batches' entries itself
 * (serialisedEntry), so the main thread only writes them: v8.serialize of the packed columns
 * was ~3% of the main thread's CPU.
 */
export function encodeEntry(entry: JournalEntry): Uint8Array {
  return serialised.get(entry) ?? serialize(entry);
}

/**
 * A worker's encoded batch serialised as the entry journalEntry makes of it alone, in a buffer
 * of its own (to be transferred with the columns).
 */
export function serialisedEntry(payload: DuckDbEncoded, rows: number): Uint8Array {
  const bytes = serialize(entryOf(payload, rows));
  const own = bytes.byteOffset === 0 && bytes.buffer.byteLength === bytes.byteLength;
  return own ? bytes : new Uint8Array(bytes);
}

/**
 * A worker's serialised entry (serialisedEntry) as the batch's encoded spans, for the store to
 * journal as they are: the columns are read out of the same bytes (views into them), as
 * replay reads them.
 */
export function encodedFromJournal(bytes: Uint8Array): EncodedSpans & { payload: DuckDbEncoded } {
  const entry = decodeEntry(bytes);
  if (entry.index.length !== 1) throw new Error('a worker journal entry holds one batch');
  return {
    store: 'duckdb',
    rows: entry.rows,
    payload: { chunks: entry.chunks, index: entry.index[0]!, journal: bytes },
  };
}

/**
 * Version 2 records, which the decode-rows path writes (ingest workers, or the main thread of a
 * server without them): "HSJ2", the u32 offset of the header, the batch's packed bytes as the
 * arena held them (8-aligned), then the header as JSON: rows, each chunk's column places
 * (ChunkDesc) and the operations. Against v8.serialize of the packed columns (version 1), the
 * columns are copied once into one buffer, and the main thread reads them as views into the
 * record, no copy: ~0.5 µs/span of a worker's ~4.5 went to serialising.
 */
const V2_MAGIC = 0x324a5348; // "HSJ2" read as a little-endian u32
const V2_DATA = 8;

interface HeaderV2 {
  rows: number;
  chunks: ChunkDesc[];
  traces: ChunkDesc[];
  requests: ChunkDesc[];
  operations: [string, string, number][];
}

/**
 * A batch's spans and index rows, described in this thread's arena (encodeSpanRows), as a
 * version 2 record in a buffer of its own (to be transferred); the arena starts over.
 */
export function recordOf(rows: number, chunks: ChunkDesc[], index: DescribedIndex): Uint8Array {
  const header: HeaderV2 = { rows, chunks, ...index };
  const json = JSON.stringify(header);
  const dataEnd = V2_DATA + packedSize();
  const out = new Uint8Array(new ArrayBuffer(dataEnd + Buffer.byteLength(json)));
  const view = new DataView(out.buffer);
  view.setUint32(0, V2_MAGIC, true);
  view.setUint32(4, dataEnd, true);
  takePackedInto(out, V2_DATA);
  Buffer.from(out.buffer).write(json, dataEnd);
  return out;
}

function decodeV2(record: Uint8Array): JournalEntry {
  // Views of 16- and 32-bit values need aligned offsets: a record read at any offset of a
  // journal file is copied once to a buffer of its own.
  const bytes = record.byteOffset % 8 === 0 ? record : new Uint8Array(record);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const dataEnd = view.getUint32(4, true);
  if (dataEnd < V2_DATA || dataEnd > bytes.byteLength)
    throw new Error('a v2 journal record cut short');
  const text = Buffer.from(bytes.buffer, bytes.byteOffset + dataEnd, bytes.byteLength - dataEnd);
  const h = JSON.parse(text.toString()) as HeaderV2;
  const buffer = bytes.buffer as ArrayBuffer;
  const base = bytes.byteOffset + V2_DATA;
  const of = (d: ChunkDesc) => chunkOfDesc(d, buffer, base);
  return {
    v: 2,
    rows: h.rows,
    chunks: h.chunks.map(of),
    index: [{ traces: h.traces.map(of), requests: h.requests.map(of), operations: h.operations }],
  };
}

function isV2(bytes: Uint8Array): boolean {
  return (
    bytes.byteLength >= V2_DATA &&
    (bytes[0]! | (bytes[1]! << 8) | (bytes[2]! << 16) | (bytes[3]! << 24)) === V2_MAGIC
  );
}

export function decodeEntry(bytes: Uint8Array): JournalEntry {
  if (isV2(bytes)) return decodeV2(bytes);
  const entry = deserialize(bytes) as JournalEntry;
  if (entry?.v !== 1 || !Array.isArray(entry.chunks) || !Array.isArray(entry.index)) {
    throw new Error('not a journal entry this Hopscope can read');
  }
  return entry;
}
