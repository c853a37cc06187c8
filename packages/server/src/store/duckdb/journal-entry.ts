import { deserialize, serialize } from 'node:v8';
import type { EncodedSpans, WriteBatch } from '../records.js';
import type { PackedChunk } from './chunk-columns.js';
import type { PackedIndex } from './index-rows.js';
import { type DuckDbEncoded, duckdbPayload, encodeSpans } from './span-chunks.js';

/**
 * A batch of spans as the journal keeps it: the packed columns the store copies into DuckDB,
 * after validation, redaction and AI normalisation, so replay needs none of the ingest
 * pipeline (and no secret reaches the disk unredacted). Written with v8.serialize: the column
 * buffers go in as bytes, ~0.6 µs and ~390 B per span on bench/server.mjs's data.
 */
export interface JournalEntry {
  v: 1;
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

export function decodeEntry(bytes: Uint8Array): JournalEntry {
  const entry = deserialize(bytes) as JournalEntry;
  if (entry?.v !== 1 || !Array.isArray(entry.chunks) || !Array.isArray(entry.index)) {
    throw new Error('not a journal entry this Hopscope can read');
  }
  return entry;
}
