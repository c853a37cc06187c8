/**
 * What the alert evaluator (src/alerts) asks a store: request counts, errors and latency
 * quantiles of a service or operation over a window, when a service last sent anything, and a
 * few example requests that breach a rule. Optional methods of StoreReader: a store without them
 * runs no alerts (the server says so at startup).
 */

/** An attribute condition: the span attribute or resource attribute `key` equals `value`. */
export interface AlertAttributeFilter {
  key: string;
  value: string;
}

export interface AlertScope {
  /** Absent: every service. */
  service?: string;
  /** A span name. Absent: the service's entry spans (server/consumer kind or roots), as /api/stats. */
  operation?: string;
  /** All must hold on the span. The key `model` matches the normalised AI model (`ai_model`). */
  where: AlertAttributeFilter[];
  startNs: bigint;
  endNs: bigint;
}

export interface AlertWindowStats {
  count: number;
  errors: number;
  p95Ms: number | null;
  p99Ms: number | null;
}

export interface AlertExampleQuery extends AlertScope {
  /** Error spans only. */
  errorsOnly?: boolean;
  /** Spans lasting at least this long. */
  minDurationNs?: bigint;
  limit: number;
}

export interface AlertsReader {
  alertWindowStats(scope: AlertScope): Promise<AlertWindowStats>;
  /**
   * Request IDs of matching spans, most recent first, distinct. A span without a request ID
   * gives its trace's request ID, else its trace ID (both resolve in /api/debug/trace/:id).
   */
  alertExamples(q: AlertExampleQuery): Promise<string[]>;
  /** Newest span start or log line time of `service` in [sinceNs, now], null when none. */
  lastSeenNs(service: string, sinceNs: bigint): Promise<bigint | null>;
}
