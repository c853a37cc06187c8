/**
 * An ingest worker thread: decodes, validates and redacts OTLP trace exports, adds the AI
 * fields and encodes the spans for the DuckDB store, so the server's main thread (HTTP, the
 * store's commits, queries) only copies finished columns in. Started by pool.ts.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { normaliseBatch } from '../../pipeline/ai/normalize.js';
import { PriceTable } from '../../pipeline/ai/prices.js';
import { serialisedEntry } from '../../store/duckdb/journal-entry.js';
import { encodeSpans } from '../../store/duckdb/span-chunks.js';
import { IngestInputError } from '../errors.js';
import {
  type DecodedExport,
  type DecodedRecord,
  decodeExport,
  decodeToRecord,
  storable,
} from '../otlp/export.js';
import { Sanitizer } from '../sanitize.js';
import type { DecodeJob, DecodeReply, WorkerConfig } from './messages.js';

const config = workerData as WorkerConfig;
const prices = new PriceTable(config.prices.shipped, config.prices.user);
const port = parentPort!;

function run(job: DecodeJob): { reply: DecodeReply; transfer: ArrayBuffer[] } {
  const sanitizer = new Sanitizer(config.limits, config.redaction);
  // Protobuf straight into the store's record; OTLP/JSON (rare from SDKs) through SpanRecords.
  const { record, ...counts } =
    job.signal === 'traces' && job.protocol !== 'http/json'
      ? decodeToRecord(job.body, sanitizer, prices)
      : recordOfSpans(decodeExport(job.signal, job.protocol, job.body, sanitizer));
  return {
    reply: { id: job.id, ok: true, ...counts, journal: record },
    transfer: record ? [record.buffer as ArrayBuffer] : [],
  };
}

/** Decoded SpanRecords, AI-normalised and encoded, as the journal record a worker posts. */
function recordOfSpans({ batch, ...counts }: DecodedExport): DecodedRecord {
  if (counts.accepted === 0) return counts;
  // Only the journal record crosses: posting the packed columns as well cloned the same object
  // graph a second time (~6% of this thread's CPU).
  const record = storable(() => {
    normaliseBatch(batch, prices);
    const encoded = encodeSpans(batch.spans);
    return serialisedEntry(encoded.payload, encoded.rows);
  });
  return { ...counts, record };
}

port.on('message', (job: DecodeJob) => {
  let out: { reply: DecodeReply; transfer: ArrayBuffer[] };
  try {
    out = run(job);
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    out = {
      reply: { id: job.id, ok: false, input: err instanceof IngestInputError, message },
      transfer: [],
    };
  }
  port.postMessage(out.reply, out.transfer);
});
