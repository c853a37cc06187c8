import type { PriceTable } from '../../pipeline/ai/prices.js';
import type { IngestQueue } from '../../pipeline/ingest-queue.js';
import type { SelfMetrics } from '../../self-metrics.js';
import { encodedFromJournal } from '../../store/duckdb/journal-entry.js';
import { encodeSpanRows } from '../../store/duckdb/span-chunks.js';
import type { WriteBatch } from '../../store/records.js';
import { UnstorableBatchError, unstorableMessage } from '../../store/store.js';
import { IngestInputError } from '../errors.js';
import type { SanitizeCounts, Sanitizer } from '../sanitize.js';
import type { IngestWorkers } from '../workers/pool.js';
import { type Converted, convertLogs, convertTraces } from './convert.js';
import { decodeLogsRequest, decodeTraceRequest } from './decode-proto.js';
import { decodeRowsExport } from './decode-rows.js';

export type Signal = 'traces' | 'logs';
export type Protocol = 'http/json' | 'http/protobuf' | 'grpc';

/** OTLP partial_success, in the field names of the signal's response message. */
export interface ExportResult {
  rejected: number;
  errorMessage: string;
  accepted: number;
}

/** Everything an OTLP export needs, whatever the transport. */
export interface ExportContext {
  queue: IngestQueue;
  metrics: SelfMetrics;
  newSanitizer: () => Sanitizer;
  /** When set, trace exports are decoded and encoded for the store on these threads. */
  workers?: IngestWorkers;
  /**
   * Set (to the server's price table, for the AI fields) when no stage needs decoded spans:
   * the DuckDB store, no tail sampling, no peer routing, the conditions ingest workers run
   * under. Without workers, protobuf trace exports are then decoded on this thread straight
   * into the store's columns, as a worker does (decode-rows.ts), instead of into SpanRecords.
   */
  directRows?: PriceTable;
}

/** An export request decoded and validated, ready for the queue. */
export interface DecodedExport {
  batch: WriteBatch;
  accepted: number;
  rejected: number;
  firstError?: string;
  counts: SanitizeCounts;
}

/** JSON text → object, with the parser's complaint in the 400. */
export function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new IngestInputError(
      `body is not valid JSON: ${err instanceof Error ? err.message : String(err)}`,
    );
  }
}

/**
 * Decodes an export request: protobuf bytes, OTLP/JSON bytes, or an already parsed OTLP/JSON
 * object. Throws IngestInputError on input it cannot read at all.
 */
export function decodeExport(
  signal: Signal,
  protocol: Protocol,
  request: Uint8Array | unknown,
  sanitizer: Sanitizer,
): DecodedExport {
  let converted: Converted<unknown>;
  try {
    if (protocol === 'http/json') {
      const object =
        request instanceof Uint8Array
          ? parseJson(
              Buffer.from(request.buffer, request.byteOffset, request.byteLength).toString(),
            )
          : request;
      converted =
        signal === 'traces'
          ? convertTraces(object, 'json', sanitizer)
          : convertLogs(object, 'json', sanitizer);
    } else {
      const bytes = request as Uint8Array;
      const body = Buffer.isBuffer(bytes)
        ? bytes
        : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
      converted =
        signal === 'traces'
          ? decodeTraceRequest(body, sanitizer)
          : decodeLogsRequest(body, sanitizer);
    }
  } catch (err) {
    if (err instanceof RangeError) {
      // Recursion limits of pathological input end up here rather than as a crash.
      throw new IngestInputError(`request is nested too deeply: ${err.message}`);
    }
    throw err;
  }
  const { records, rejected, firstError } = converted;
  const batch: WriteBatch =
    signal === 'traces'
      ? { spans: records as never[], logs: [] }
      : { spans: [], logs: records as never[] };
  return { batch, accepted: records.length, rejected, firstError, counts: sanitizer.counts };
}

/**
 * Converts an export request (protobuf bytes, OTLP/JSON bytes or object), stores what is
 * valid and says what was refused. Resolves only once the accepted records are durable.
 */
export async function exportSignal(
  ctx: ExportContext,
  signal: Signal,
  protocol: Protocol,
  request: Uint8Array | unknown,
): Promise<ExportResult> {
  const bytes = signal === 'traces' && request instanceof Uint8Array;
  const decoded =
    bytes && ctx.workers?.usable
      ? await ctx.workers.decode(signal, protocol, request)
      : bytes && ctx.directRows && protocol !== 'http/json'
        ? exportOfRecord(decodeToRecord(request, ctx.newSanitizer(), ctx.directRows))
        : decodeExport(signal, protocol, request, ctx.newSanitizer());
  const { accepted, rejected, firstError } = decoded;
  const m = ctx.metrics;
  m.received.inc({ signal, protocol }, accepted + rejected);
  reportSanitizer(m, decoded.counts);
  if (rejected > 0) m.rejected.inc({ signal, reason: 'invalid' }, rejected);
  if (accepted === 0 && rejected > 0) {
    throw new IngestInputError(
      `all ${rejected} ${signal === 'traces' ? 'spans' : 'log records'} were invalid; first: ${firstError}`,
    );
  }
  if (accepted > 0) {
    await ctx.queue.write(decoded.batch).catch((err: unknown) => {
      throw err instanceof UnstorableBatchError
        ? new IngestInputError(unstorableMessage(err))
        : err;
    });
    m.accepted.inc({ signal }, accepted);
  }
  return { accepted, rejected, errorMessage: firstError ?? '' };
}

/** An export's counts and, when spans were accepted, the DuckDB store's journal record of them. */
export type DecodedRecord = Omit<DecodedExport, 'batch'> & { record?: Uint8Array };

/**
 * A protobuf trace export straight into the store's journal record (decode-rows.ts, then
 * encodeSpanRows), no SpanRecords: what an ingest worker does, and the main thread of a server
 * without workers when no stage needs the spans.
 */
export function decodeToRecord(
  request: Uint8Array,
  sanitizer: Sanitizer,
  prices: PriceTable,
): DecodedRecord {
  const { rows, operations, ...counts } = decodeRowsExport(request, sanitizer, prices);
  if (counts.accepted === 0) return counts;
  return { ...counts, record: storable(() => encodeSpanRows(rows, operations)) };
}

/** A DecodedRecord as the queue takes it: a batch carrying the columns read from its record. */
export function exportOfRecord({ record, ...counts }: DecodedRecord): DecodedExport {
  const batch: WriteBatch = { spans: [], logs: [] };
  if (record) batch.encoded = encodedFromJournal(record);
  return { batch, ...counts };
}

/** Runs `encode`; a value the decoder let through but a column cannot hold is the data's fault. */
export function storable<T>(encode: () => T): T {
  try {
    return encode();
  } catch (err) {
    throw new IngestInputError(unstorableMessage(err));
  }
}

export function reportSanitizer(m: SelfMetrics, c: SanitizeCounts): void {
  if (c.redactions) m.redactions.inc(c.redactions);
  if (c.truncatedAttributes) m.truncations.inc({ what: 'attributes' }, c.truncatedAttributes);
  if (c.truncatedValues) m.truncations.inc({ what: 'values' }, c.truncatedValues);
  if (c.truncatedEvents) m.truncations.inc({ what: 'events' }, c.truncatedEvents);
  if (c.truncatedLinks) m.truncations.inc({ what: 'links' }, c.truncatedLinks);
}
