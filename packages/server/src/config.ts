/**
 * Server options and the parsing of human-friendly values (`7d`, `10GB`) that the CLI and env
 * variables pass in. Parsers throw with a message naming what was expected.
 */

const DURATION_UNITS: Record<string, number> = {
  ms: 1,
  s: 1000,
  m: 60_000,
  h: 3_600_000,
  d: 86_400_000,
  w: 604_800_000,
};

/** `90s`, `15m`, `12h`, `7d`, `2w`, `1.5h` → milliseconds. */
export function parseDuration(text: string): number {
  const match = /^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h|d|w)\s*$/i.exec(text);
  if (!match) throw new Error(`expected a duration like 30m, 12h, 7d; got "${text}"`);
  const ms = Number(match[1]) * DURATION_UNITS[match[2]!.toLowerCase()]!;
  if (!(ms > 0)) throw new Error(`expected a positive duration; got "${text}"`);
  return ms;
}

const SIZE_UNITS: Record<string, number> = {
  b: 1,
  kb: 1e3,
  mb: 1e6,
  gb: 1e9,
  tb: 1e12,
  kib: 1024,
  mib: 1024 ** 2,
  gib: 1024 ** 3,
  tib: 1024 ** 4,
};

/** `500MB`, `10GB`, `1.5GiB`, `4096` (bytes) → bytes. */
export function parseSize(text: string): number {
  const match = /^\s*(\d+(?:\.\d+)?)\s*([kmgt]i?b|b)?\s*$/i.exec(text);
  if (!match) throw new Error(`expected a size like 500MB or 10GB; got "${text}"`);
  const bytes = Math.floor(Number(match[1]) * SIZE_UNITS[(match[2] ?? 'b').toLowerCase()]!);
  if (!(bytes > 0)) throw new Error(`expected a positive size; got "${text}"`);
  return bytes;
}

/** Caps applied to every span and log record at ingest; values over a cap are truncated and counted. */
export interface IngestLimits {
  /** Largest accepted request body, compressed or not (after decompression too). */
  maxBodyBytes: number;
  /** Attributes kept per span, event, link, log record and resource. */
  maxAttributes: number;
  /** Longest string value kept (UTF-16 code units); longer ones are cut. */
  maxValueLength: number;
  /** Deepest nesting of array/kvlist attribute values; deeper is a 400. */
  maxValueDepth: number;
  /** Events and links kept per span. */
  maxEvents: number;
  maxLinks: number;
  /** Longest NDJSON log line kept. */
  maxLogLineBytes: number;
  /** Request bodies held in memory across all requests at once; beyond it, 429. */
  maxInflightBodyBytes: number;
}

export const DEFAULT_LIMITS: IngestLimits = {
  maxBodyBytes: 16 * 1024 * 1024,
  maxAttributes: 128,
  maxValueLength: 16 * 1024,
  maxValueDepth: 16,
  maxEvents: 128,
  maxLinks: 128,
  maxLogLineBytes: 256 * 1024,
  maxInflightBodyBytes: 256 * 1024 * 1024,
};

export interface RedactionOptions {
  /** On by default. */
  enabled: boolean;
  /** Keys (last dotted segment, case-insensitive) whose values are replaced. */
  keyPattern: RegExp;
  /** Replaces `Bearer <token>` inside any string value. */
  redactBearerValues: boolean;
  replacement: string;
}

export const DEFAULT_REDACTION: RedactionOptions = {
  enabled: true,
  keyPattern:
    /^(?:authorization|proxy[-_]authorization|cookie|set[-_]cookie|(?:x[-_])?api[-_]?key|password|passwd|pwd|secret|client[-_]secret|(?:access|refresh|id|auth|session|bearer|api)[-_]?token|token)$/i,
  redactBearerValues: true,
  replacement: '[REDACTED]',
};

export interface QueueOptions {
  /** Spans + log records accepted but not yet committed; beyond this, ingest answers 429. */
  maxPendingRecords: number;
  /** Seconds a client is told to wait when the queue is full. */
  retryAfterSeconds: number;
}

export const DEFAULT_QUEUE: QueueOptions = { maxPendingRecords: 200_000, retryAfterSeconds: 2 };
