/**
 * Read side of a store: the questions the query layer asks. Every store answers them with the
 * same results; the query layer assembles hops, Jaeger shapes and stats on top. Times are Unix
 * epoch nanoseconds (bigint) in and out; aggregated durations are float milliseconds.
 */
import type { AiReader } from './ai-reader.js';
import type { AlertsReader } from './alerts-reader.js';
import type { LogLevel, LogRecord, SpanKind, SpanRecord } from './records.js';

/** Spans and log lines that belong together (a request, a set of traces). */
export interface SpansAndLogs {
  /** Ordered by start time. */
  spans: SpanRecord[];
  /** Ordered oldest first. */
  logs: LogRecord[];
}

export interface LookupQuery {
  /** Every trace indexed under these request IDs, every log line carrying them. */
  requestIds: string[];
  /** These whole traces and their log lines. */
  traceIds: string[];
  /**
   * Spans without their attributes, resource, events and links (left empty), except the spans
   * `keepsDetail` names, which the summary and the waterfall's marks read. For views of large
   * requests: the rest is fetched per span (`spanIds`) when someone looks at it.
   */
  outline?: boolean;
  /** Only these spans of the traces, and no log lines: one span's detail. */
  spanIds?: string[];
}

/** Spans an outline lookup returns whole: errors (the first error's exception) and AI spans. */
export function keepsDetail(s: SpanRecord): boolean {
  return s.statusCode === 2 || !!s.ai?.kind;
}

export interface LogQuery {
  requestId?: string;
  traceId?: string;
  service?: string;
  /** Minimum level: `warn` keeps warn, error and fatal. */
  minLevel?: LogLevel;
  sinceNs?: bigint;
  untilNs?: bigint;
  /** Case-insensitive substring of body, event or the `error` field. */
  text?: string;
  limit: number;
  /** Opaque, from a previous page's `nextCursor`. */
  cursor?: string;
}

export interface LogPage {
  /** Newest first. */
  logs: LogRecord[];
  nextCursor: string | null;
}

/** A tag condition of a trace search. */
export interface TagFilter {
  key: string;
  value: string;
}

export interface TraceQuery {
  service?: string;
  operation?: string;
  /** All must hold on one span (attributes or resource); Jaeger semantics. */
  tags: TagFilter[];
  minDurationNs?: bigint;
  maxDurationNs?: bigint;
  startNs: bigint;
  endNs: bigint;
  limit: number;
  /** Only traces with at least one error span. */
  errorsOnly?: boolean;
}

export interface OperationInfo {
  service: string;
  name: string;
  kind: SpanKind;
}

export interface DependencyEdge {
  parent: string;
  child: string;
  callCount: number;
  errorCount: number;
}

export interface LatencySummary {
  count: number;
  errors: number;
  avgMs: number | null;
  p50Ms: number | null;
  p95Ms: number | null;
  p99Ms: number | null;
  maxMs: number | null;
}

export interface ServiceLatency extends LatencySummary {
  service: string;
}

export interface OperationLatency extends LatencySummary {
  service: string;
  operation: string;
  kind: SpanKind;
}

export interface SpanStatsQuery {
  service?: string;
  startNs: bigint;
  endNs: bigint;
}

export interface SpanStats {
  /** Entry spans only (server/consumer kind, or no parent). */
  services: ServiceLatency[];
  /** All spans, by service, name and kind. */
  operations: OperationLatency[];
}

export interface HealthCounts {
  spansTotal: number;
  logsTotal: number;
  tracesTotal: number;
  /** Traces whose first span started at or after `sinceNs`. */
  recentTraces: number;
  recentSpans: number;
  recentErrorSpans: number;
  /** Mean duration of root spans started at or after `sinceNs`. */
  avgRootLatencyMs: number | null;
}

/**
 * The AI roll-ups (src/store/ai-reader.ts) are optional: without them /api/ai/* answer 404.
 * So are the alert reads (src/store/alerts-reader.ts): without them no alert rules run.
 */
export interface StoreReader extends Partial<AiReader>, Partial<AlertsReader> {
  /** Spans and logs of the given traces plus everything indexed under the given request IDs. */
  lookup(query: LookupQuery): Promise<SpansAndLogs>;
  /** Request IDs found on the spans and log lines of these traces. */
  requestIdsOfTraces(traceIds: string[]): Promise<string[]>;
  searchLogs(query: LogQuery): Promise<LogPage>;
  /** Matching trace IDs, most recent first. */
  searchTraces(query: TraceQuery): Promise<string[]>;
  /** Services that sent spans, sorted. */
  services(): Promise<string[]>;
  operations(filter: { service?: string; kind?: SpanKind }): Promise<OperationInfo[]>;
  /** Parent → child service edges of spans started in [startNs, endNs]. */
  dependencies(startNs: bigint, endNs: bigint): Promise<DependencyEdge[]>;
  spanStats(query: SpanStatsQuery): Promise<SpanStats>;
  healthCounts(sinceNs: bigint): Promise<HealthCounts>;
}

/** A `cursor` that this store did not produce (or that is corrupt). */
export class InvalidCursorError extends Error {
  constructor() {
    super('cursor: expected the next_cursor value of a previous page');
    this.name = 'InvalidCursorError';
  }
}
