/**
 * The parts of the AI roll-ups both stores run (duckdb/ai-sql.ts and clickhouse/ai-sql.ts), alike
 * but for placeholders: which span columns each roll-up reads, the window's calls, the calls-list
 * orders, and the conversion of a usage row. The stores share the spans table's columns, so these are one list.
 */
import type { AiCallsQuery, AiUsageRow, AiWindowQuery } from './ai-reader.js';

/** The call's own column that, when absent, is taken from another span of its trace. */
export const CONTEXT_COLUMN = {
  request: 'request_id',
  session: 'ai_session_id',
  user: 'ai_user_id',
} as const;
export type AiContext = keyof typeof CONTEXT_COLUMN;

/** What a roll-up reads from the window's AI calls. */
export interface CallsShape {
  /** `llm` alone, or with `decision` spans (usage counts decisions). */
  kinds: 'llm' | 'llm+decision';
  /** The span columns the roll-up reads. */
  columns: readonly string[];
  /** Adds `g_request`, `g_session` or `g_user`: the call's own value, else its trace's. */
  context?: AiContext;
  /** Only the first `limit` calls in this order (the caller binds `limit`). */
  top?: string;
}

/** A named parameter as a store's SQL writes it: `$name` (DuckDB), `{name:Type}` (ClickHouse). */
export type Placeholder = (name: string, clickHouseType: string) => string;

/**
 * The `calls` CTE's first part, the same in both stores but for placeholders: the window's AI
 * calls (time, kinds, service, model bound into `params`), reading `shape.columns` plus, when
 * the roll-up needs trace context, `trace_id` and the context's own column (`col`).
 */
export function ownCalls(
  q: AiWindowQuery,
  params: Record<string, unknown>,
  shape: CallsShape,
  p: Placeholder,
): { own: string; col: string | undefined } {
  params.start = q.startNs;
  params.end = q.endNs;
  const where = [
    `start_ns BETWEEN ${p('start', 'Int64')} AND ${p('end', 'Int64')}`,
    shape.kinds === 'llm' ? "ai_kind = 'llm'" : "ai_kind IN ('llm', 'decision')",
  ];
  if (q.service !== undefined) {
    params.service = q.service;
    where.push(`service = ${p('service', 'String')}`);
  }
  if (q.model !== undefined) {
    params.model = q.model;
    where.push(`ai_model = ${p('model', 'String')}`);
  }
  const columns = new Set(shape.columns);
  const col = shape.context === undefined ? undefined : CONTEXT_COLUMN[shape.context];
  if (col !== undefined) columns.add('trace_id').add(col);
  const own = `SELECT ${[...columns].join(', ')} FROM spans WHERE ${where.join(' AND ')}${
    shape.top === undefined ? '' : ` ORDER BY ${shape.top} LIMIT ${p('limit', 'UInt64')}`
  }`;
  return { own, col };
}

/** The columns the usage aggregates read. */
export const USAGE_COLUMNS = [
  'ai_kind',
  'status_code',
  'ai_input_tokens',
  'ai_output_tokens',
  'ai_cache_read_tokens',
  'ai_cache_creation_tokens',
  'ai_reasoning_tokens',
  'ai_cost_usd',
];

/** The order of the calls list; trace and span ID make ties come back the same in both stores. */
export const CALLS_ORDER: Record<AiCallsQuery['order'], string> = {
  slowest: 'duration_ns DESC, trace_id, span_id',
  costliest: 'ai_cost_usd DESC NULLS LAST, duration_ns DESC, trace_id, span_id',
  recent: 'start_ns DESC, trace_id, span_id',
};

export const CALL_COLUMNS = [
  'trace_id',
  'span_id',
  'request_id',
  'service',
  'name',
  'start_ns',
  'duration_ns',
  'status_code',
  'ai_model',
  'ai_provider',
  'ai_operation',
  'ai_input_tokens',
  'ai_output_tokens',
  'ai_cost_usd',
  'ai_cost_source',
  'ai_ttft_ms',
];

/** Sums of float costs drift in the last bits; whole picodollars keep equal totals equal. */
export function roundUsd(n: number): number {
  return Math.round(n * 1e12) / 1e12;
}

export function numOrNull(v: unknown): number | null {
  if (v === null || v === undefined) return null;
  const n = Number(v);
  return Number.isFinite(n) ? n : null;
}

/** A usage row as both stores' statements name its aggregates; `key` as the store reads it. */
export function usageRow(r: Record<string, unknown>, key: string | null): AiUsageRow {
  return {
    key,
    calls: Number(r.calls ?? 0),
    errors: Number(r.errors ?? 0),
    inputTokens: Number(r.input ?? 0),
    outputTokens: Number(r.output ?? 0),
    cacheReadTokens: Number(r.cache_read ?? 0),
    cacheCreationTokens: Number(r.cache_creation ?? 0),
    reasoningTokens: Number(r.reasoning ?? 0),
    costUsd: roundUsd(Number(r.cost ?? 0)),
    unpricedCalls: Number(r.unpriced ?? 0),
    decisions: Number(r.decisions ?? 0),
  };
}
