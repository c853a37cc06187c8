/**
 * The shapes every store accepts and returns. Ingest turns OTLP and log lines into these; the
 * query layer reads them back. Nothing here names a database.
 */

/** Attribute values as OTLP allows them, kept typed (numbers stay numbers). */
export type AttributeValue =
  | string
  | number
  | boolean
  | null
  | AttributeValue[]
  | { [key: string]: AttributeValue };

export type Attributes = Record<string, AttributeValue>;

/** OTLP SpanKind numbering: 0 unspecified, 1 internal, 2 server, 3 client, 4 producer, 5 consumer. */
export type SpanKind = 0 | 1 | 2 | 3 | 4 | 5;

/** OTLP status: 0 unset, 1 ok, 2 error. */
export type StatusCode = 0 | 1 | 2;

export interface SpanEventRecord {
  timeNs: bigint;
  name: string;
  attributes: Attributes;
}

export interface SpanLinkRecord {
  traceId: string;
  spanId: string;
  traceState?: string;
  attributes: Attributes;
}

export interface SpanRecord {
  /** 32 lowercase hex. */
  traceId: string;
  /** 16 lowercase hex. */
  spanId: string;
  /** 16 lowercase hex; undefined for a root span. */
  parentSpanId?: string;
  traceState?: string;
  name: string;
  kind: SpanKind;
  service: string;
  /** Unix epoch nanoseconds. */
  startNs: bigint;
  durationNs: bigint;
  statusCode: StatusCode;
  statusMessage?: string;
  /** From the `request.id` attribute (or its aliases), promoted to its own column. */
  requestId?: string;
  attributes: Attributes;
  resource: Attributes;
  scopeName?: string;
  scopeVersion?: string;
  events: SpanEventRecord[];
  links: SpanLinkRecord[];
  /** AI columns, set at ingest by src/pipeline/ai from whichever dialect the span speaks. */
  ai?: SpanAiColumns;
}

/** Normalised AI fields of a span (columns `ai_*`); token counts are integers. */
export interface SpanAiColumns {
  /** llm | agent | tool | decision | retrieval | workflow; absent when only session/user are set. */
  kind?: string;
  provider?: string;
  model?: string;
  operation?: string;
  input?: number;
  output?: number;
  cacheRead?: number;
  cacheCreation?: number;
  reasoning?: number;
  /** USD; null when it could not be priced. */
  costUsd?: number | null;
  /** client | table | unknown_model | no_usage */
  costSource?: string;
  ttftMs?: number;
  sessionId?: string;
  userId?: string;
}

export type LogLevel = 'debug' | 'info' | 'warn' | 'error' | 'fatal';

/** Where a log record came from: OTLP logs, or NDJSON lines of a service that only writes logs. */
export type LogSource = 'otlp' | 'ndjson';

export interface LogRecord {
  /** Unix epoch nanoseconds. */
  timestampNs: bigint;
  observedNs?: bigint;
  /** OTLP SeverityNumber 1–24 (0 when unknown). */
  severityNumber: number;
  level: LogLevel;
  service: string;
  /** snake_case event name (`request_completed`), when the line has one. */
  event?: string;
  /** The human message (`message`, `msg`, OTLP body as text). */
  body: string;
  traceId?: string;
  spanId?: string;
  requestId?: string;
  attributes: Attributes;
  resource: Attributes;
  source: LogSource;
}

/**
 * Spans an ingest worker thread already decoded and encoded in the format of one store kind
 * (`store`), so that store's thread only copies them in. Opaque to everything but that store.
 */
export interface EncodedSpans {
  store: string;
  rows: number;
  payload: unknown;
}

export interface WriteBatch {
  spans: SpanRecord[];
  logs: LogRecord[];
  /** Spans encoded by an ingest worker, besides (usually instead of) `spans`. */
  encoded?: EncodedSpans;
}

/** Spans + log records in a batch, whether decoded here or encoded by a worker. */
export function batchRecords(batch: WriteBatch): number {
  return batch.spans.length + batch.logs.length + (batch.encoded?.rows ?? 0);
}
