import { deserialize, serialize } from 'node:v8';
import type { WriteBatch } from '../records.js';
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

/**
 * The spans of `batch` (decoded here or already packed by an ingest worker) as one entry;
 * undefined when it has none. Throws, as encodeSpans does, for values the columns cannot hold.
 */
export function journalEntry(batch: WriteBatch): JournalEntry | undefined {
  const parts: DuckDbEncoded[] = [];
  if (batch.spans.length > 0) parts.push(encodeSpans(batch.spans).payload);
  const worker = duckdbPayload(batch);
  if (worker) parts.push(worker);
  if (parts.length === 0) return undefined;
  return {
    v: 1,
    rows: batch.spans.length + (batch.encoded?.rows ?? 0),
    chunks: parts.flatMap((p) => p.chunks),
    index: parts.map((p) => p.index),
  };
}

export function encodeEntry(entry: JournalEntry): Uint8Array {
  return serialize(entry);
}

export function decodeEntry(bytes: Uint8Array): JournalEntry {
  const entry = deserialize(bytes) as JournalEntry;
  if (entry?.v !== 1 || !Array.isArray(entry.chunks) || !Array.isArray(entry.index)) {
    throw new Error('not a journal entry this Hopscope can read');
  }
  return entry;
}
