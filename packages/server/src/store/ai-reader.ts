/**
 * AI roll-ups a store answers over the `ai_*` span columns: tokens and cost grouped by one key,
 * latency and time to first token per model, and single LLM calls. Only `llm` spans carry
 * tokens and cost (agent/workflow spans would double them); session, user and request come from
 * the call's own span or, when it has none, from the earliest span of its trace (in the window)
 * that carries one: a trace that served two requests attributes its calls to the first, the
 * same on every store.
 */

export const AI_GROUP_KEYS = [
  'model',
  'provider',
  'service',
  'request',
  'trace',
  'session',
  'user',
  'day',
] as const;
export type AiGroupKey = (typeof AI_GROUP_KEYS)[number];

export interface AiWindowQuery {
  startNs: bigint;
  endNs: bigint;
  service?: string;
  model?: string;
}

export interface AiUsageQuery extends AiWindowQuery {
  groupBy: AiGroupKey;
  limit: number;
}

export interface AiUsageRow {
  /** The group's value; null for calls without one (no session, no user…). */
  key: string | null;
  calls: number;
  errors: number;
  inputTokens: number;
  outputTokens: number;
  cacheReadTokens: number;
  cacheCreationTokens: number;
  reasoningTokens: number;
  /** Sum over priced calls, USD. */
  costUsd: number;
  /** Calls with no cost (unknown model or no usage): the cost is a lower bound when > 0. */
  unpricedCalls: number;
  decisions: number;
}

export interface AiModelLatencyRow {
  model: string | null;
  provider: string | null;
  calls: number;
  errors: number;
  avgMs: number | null;
  p50Ms: number | null;
  p95Ms: number | null;
  p99Ms: number | null;
  maxMs: number | null;
  /** Over streamed calls that reported a first token. */
  ttftP50Ms: number | null;
  ttftP95Ms: number | null;
  /** Median of output tokens / generation time (after the first token when known). */
  outputTokensPerSecond: number | null;
}

export interface AiCallsQuery extends AiWindowQuery {
  order: 'slowest' | 'costliest' | 'recent';
  limit: number;
}

export interface AiCallRow {
  traceId: string;
  spanId: string;
  requestId: string | null;
  service: string;
  name: string;
  startNs: bigint;
  durationMs: number;
  statusCode: number;
  model: string | null;
  provider: string | null;
  operation: string | null;
  inputTokens: number | null;
  outputTokens: number | null;
  costUsd: number | null;
  costSource: string | null;
  ttftMs: number | null;
}

export const AI_SERIES_KEYS = ['model', 'provider', 'service'] as const;

export interface AiSeriesQuery extends AiWindowQuery {
  by: (typeof AI_SERIES_KEYS)[number];
  /** Bucket width; buckets start at multiples of it since the epoch. */
  stepNs: bigint;
}

export interface AiSeriesRow {
  bucketNs: bigint;
  key: string | null;
  calls: number;
  inputTokens: number;
  outputTokens: number;
  costUsd: number;
  unpricedCalls: number;
}

export interface AiReader {
  aiUsage(query: AiUsageQuery): Promise<{ totals: AiUsageRow; groups: AiUsageRow[] }>;
  aiModelLatency(query: AiWindowQuery): Promise<AiModelLatencyRow[]>;
  aiCalls(query: AiCallsQuery): Promise<AiCallRow[]>;
  /** LLM calls bucketed by time and grouped by one key, oldest bucket first. */
  aiSeries(query: AiSeriesQuery): Promise<AiSeriesRow[]>;
}
