import type { IngestQueue } from '../../pipeline/ingest-queue.js';
import type { SelfMetrics } from '../../self-metrics.js';
import { IngestInputError } from '../errors.js';
import type { Sanitizer } from '../sanitize.js';
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
 * Converts an export request (protobuf bytes, or the parsed OTLP/JSON object), stores what is
 * valid and says what was refused. Resolves only once the accepted records are durable.
 */
export async function exportSignal(
  ctx: ExportContext,
  signal: Signal,
  protocol: Protocol,
  request: Buffer | unknown,
): Promise<ExportResult> {
  const sanitizer = ctx.newSanitizer();
  let converted: Converted<unknown>;
  try {
    if (protocol === 'http/json') {
      converted =
        signal === 'traces'
          ? convertTraces(request, 'json', sanitizer)
          : convertLogs(request, 'json', sanitizer);
    } else {
      const body = request as Buffer;
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
  const m = ctx.metrics;
  m.received.inc({ signal, protocol }, records.length + rejected);
  reportSanitizer(m, sanitizer);
  if (rejected > 0) m.rejected.inc({ signal, reason: 'invalid' }, rejected);
  if (records.length === 0 && rejected > 0) {
    throw new IngestInputError(
      `all ${rejected} ${signal === 'traces' ? 'spans' : 'log records'} were invalid; first: ${firstError}`,
    );
  }
  if (records.length > 0) {
    const batch =
      signal === 'traces'
        ? { spans: records as never[], logs: [] }
        : { spans: [], logs: records as never[] };
    await ctx.queue.write(batch);
    m.accepted.inc({ signal }, records.length);
  }
  return { accepted: records.length, rejected, errorMessage: firstError ?? '' };
}

export function reportSanitizer(m: SelfMetrics, s: Sanitizer): void {
  const c = s.counts;
  if (c.redactions) m.redactions.inc(c.redactions);
  if (c.truncatedAttributes) m.truncations.inc({ what: 'attributes' }, c.truncatedAttributes);
  if (c.truncatedValues) m.truncations.inc({ what: 'values' }, c.truncatedValues);
  if (c.truncatedEvents) m.truncations.inc({ what: 'events' }, c.truncatedEvents);
  if (c.truncatedLinks) m.truncations.inc({ what: 'links' }, c.truncatedLinks);
}
