import type { IngestQueue } from '../../pipeline/ingest-queue.js';
import type { SelfMetrics } from '../../self-metrics.js';
import type { WriteBatch } from '../../store/records.js';
import { UnstorableBatchError, unstorableMessage } from '../../store/store.js';
import { IngestInputError } from '../errors.js';
import type { SanitizeCounts, Sanitizer } from '../sanitize.js';
import type { IngestWorkers } from '../workers/pool.js';
import { type Converted, convertLogs, convertTraces } from './convert.js';
import { decodeLogsRequest, decodeTraceRequest } from './decode-proto.js';

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
  const decoded =
    ctx.workers?.usable && signal === 'traces' && request instanceof Uint8Array
      ? await ctx.workers.decode(signal, protocol, request)
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

export function reportSanitizer(m: SelfMetrics, c: SanitizeCounts): void {
  if (c.redactions) m.redactions.inc(c.redactions);
  if (c.truncatedAttributes) m.truncations.inc({ what: 'attributes' }, c.truncatedAttributes);
  if (c.truncatedValues) m.truncations.inc({ what: 'values' }, c.truncatedValues);
  if (c.truncatedEvents) m.truncations.inc({ what: 'events' }, c.truncatedEvents);
  if (c.truncatedLinks) m.truncations.inc({ what: 'links' }, c.truncatedLinks);
}
