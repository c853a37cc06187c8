import type { IngestLimits } from '../config.js';
import type { IngestQueue } from '../pipeline/ingest-queue.js';
import type { SelfMetrics } from '../self-metrics.js';
import type { Attributes, LogRecord } from '../store/records.js';
import { parseLogLine } from './log-lines/index.js';
import { reportSanitizer } from './otlp/export.js';
import type { Sanitizer } from './sanitize.js';

export interface IngestLogsContext {
  queue: IngestQueue;
  metrics: SelfMetrics;
  newSanitizer: () => Sanitizer;
  limits: IngestLimits;
}

export interface NdjsonResult {
  accepted: number;
  /** Lines that were not JSON objects, kept as plain messages. */
  plain: number;
  /** Lines longer than the limit, cut before parsing. */
  truncated: number;
}

/**
 * NDJSON from services that only write logs: each non-blank line becomes one LogRecord through
 * the shared normaliser (DESIGN.md, structlog, pino, python logging, bunyan, winston shapes),
 * then the same redaction and caps as OTLP. Resolves once the lines are durable.
 */
export async function ingestLogLines(
  ctx: IngestLogsContext,
  text: string,
  service: string | undefined,
): Promise<NdjsonResult> {
  const sanitizer = ctx.newSanitizer();
  const now = BigInt(Date.now()) * 1_000_000n;
  const logs: LogRecord[] = [];
  let plain = 0;
  let truncated = 0;
  for (let line of text.split('\n')) {
    if (line.trim() === '') continue;
    if (line.length > ctx.limits.maxLogLineBytes) {
      line = line.slice(0, ctx.limits.maxLogLineBytes);
      truncated++;
    }
    const record = parseLogLine(line, { service, now });
    if (!line.trimStart().startsWith('{')) plain++;
    logs.push(sanitizeLog(record, sanitizer));
  }
  ctx.metrics.received.inc({ signal: 'logs', protocol: 'http/ndjson' }, logs.length);
  reportSanitizer(ctx.metrics, sanitizer.counts);
  await ctx.queue.write({ spans: [], logs });
  ctx.metrics.accepted.inc({ signal: 'logs' }, logs.length);
  return { accepted: logs.length, plain, truncated };
}

function sanitizeLog(record: LogRecord, s: Sanitizer): LogRecord {
  const attributes: Attributes = {};
  let n = 0;
  for (const [k, v] of Object.entries(record.attributes)) {
    if (n++ >= s.limits.maxAttributes) {
      s.counts.truncatedAttributes++;
      continue;
    }
    attributes[k] = s.field(k, v);
  }
  return { ...record, body: s.text(record.body), attributes };
}
