/**
 * An ingest worker thread: decodes, validates and redacts OTLP trace exports, adds the AI
 * fields and encodes the spans for the DuckDB store, so the server's main thread (HTTP, the
 * store's commits, queries) only copies finished columns in. Started by pool.ts.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { normaliseBatch } from '../../pipeline/ai/normalize.js';
import { PriceTable } from '../../pipeline/ai/prices.js';
import { serialisedEntry } from '../../store/duckdb/journal-entry.js';
import { encodeSpanRows, encodeSpans } from '../../store/duckdb/span-chunks.js';
import { unstorableMessage } from '../../store/store.js';
import { IngestInputError } from '../errors.js';
import { decodeRowsExport } from '../otlp/decode-rows.js';
import { type DecodedExport, decodeExport } from '../otlp/export.js';
import { Sanitizer } from '../sanitize.js';
import type { DecodeJob, DecodeReply, WorkerConfig } from './messages.js';

const config = workerData as WorkerConfig;
const prices = new PriceTable(config.prices.shipped, config.prices.user);
const port = parentPort!;

function run(job: DecodeJob): { reply: DecodeReply; transfer: ArrayBuffer[] } {
  const sanitizer = new Sanitizer(config.limits, config.redaction);
  // Protobuf straight into column rows; OTLP/JSON (rare from SDKs) through SpanRecords.
  const direct = job.signal === 'traces' && job.protocol !== 'http/json';
  let decoded: DecodedExport | undefined;
  let rows: ReturnType<typeof decodeRowsExport> | undefined;
  if (direct) rows = decodeRowsExport(job.body, sanitizer, prices);
  else decoded = decodeExport(job.signal, job.protocol, job.body, sanitizer);
  const { accepted, rejected, firstError, counts } = (rows ?? decoded)!;
  if (accepted === 0) {
    return {
      reply: { id: job.id, ok: true, accepted, rejected, firstError, counts },
      transfer: [],
    };
  }
  let journal: Uint8Array;
  try {
    if (rows) journal = encodeSpanRows(rows.rows, rows.operations);
    else {
      normaliseBatch(decoded!.batch, prices);
      const encoded = encodeSpans(decoded!.batch.spans);
      // Only the journal record crosses: posting the packed columns as well cloned the same
      // object graph a second time (~6% of this thread's CPU).
      journal = serialisedEntry(encoded.payload, encoded.rows);
    }
  } catch (err) {
    // A value the decoder let through but a column cannot hold: the data is at fault.
    throw new IngestInputError(unstorableMessage(err));
  }
  return {
    reply: { id: job.id, ok: true, accepted, rejected, firstError, counts, journal },
    transfer: [journal.buffer as ArrayBuffer],
  };
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
