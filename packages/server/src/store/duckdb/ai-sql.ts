/**
 * DuckDB SQL of the AI roll-ups (src/store/ai-reader.ts). Parameterised: values never become SQL
 * text. Times are bounded by start_ns so row-group zonemaps prune the scan.
 */
import type { DuckDBValue } from '@duckdb/node-api';
import type {
  AiCallRow,
  AiCallsQuery,
  AiGroupKey,
  AiModelLatencyRow,
  AiReader,
  AiSeriesQuery,
  AiSeriesRow,
  AiUsageQuery,
  AiWindowQuery,
} from '../ai-reader.js';
import {
  type AiContext,
  CALL_COLUMNS,
  CALLS_ORDER,
  type CallsShape,
  numOrNull,
  ownCalls,
  type Placeholder,
  roundUsd,
  USAGE_COLUMNS,
  usageRow,
} from '../ai-sql-parts.js';
import { spanHexSql, traceHexSql } from './ids.js';
import { nsToMs } from './reader-rows.js';

type Row = Record<string, unknown>;
type Params = Record<string, DuckDBValue>;
export type RunQuery = (sql: string, params: Params) => Promise<Row[]>;
const placeholder: Placeholder = (name) => `$${name}`;

/** Builds the `calls` CTE; bench/ai-query.mjs passes the previous builder to measure against. */
export type AiCtes = (q: AiWindowQuery, params: Params, shape: CallsShape) => string;

/**
 * `calls`: the window's AI calls, reading only `shape.columns`. The trace context (the request,
 * session or user any span of the call's trace carries) costs a second scan and a GROUP BY, so
 * it is built only for the one column a roll-up groups by, only over traces with a call that
 * lacks its own value (a semi-join: the rest of the window's traces are never grouped), and for
 * the calls list only after the top `limit` calls are chosen. `own` is materialized because both
 * the semi-join and the final join read it. Every scan of spans carries the time bound, so
 * row-group zonemaps prune it.
 */
export const windowCtes: AiCtes = (q, params, shape) => {
  const { own, col } = ownCalls(q, params, shape, placeholder);
  if (col === undefined) return `WITH calls AS (${own})`;
  return `WITH own AS MATERIALIZED (${own}),
    ctx AS (
      SELECT trace_id, arg_min(${col}, start_ns) AS t FROM spans
      WHERE start_ns BETWEEN $start AND $end AND ${col} IS NOT NULL
        AND trace_id IN (SELECT trace_id FROM own WHERE ${col} IS NULL)
      GROUP BY trace_id),
    calls AS (
      SELECT own.*, coalesce(own.${col}, ctx.t) AS g_${shape.context}
      FROM own LEFT JOIN ctx USING (trace_id))`;
};

/**
 * Per group key: what `calls` is grouped by, the key shown (a function of it: trace IDs and days
 * are grouped as numbers and rendered once per group), and the span column it reads or the
 * trace context it needs.
 */
interface GroupKey {
  by: string;
  expr: string;
  column?: string;
  context?: AiContext;
}
const DAY_NS = 86_400_000_000_000n;
const GROUP: Record<AiGroupKey, GroupKey> = {
  model: { by: 'ai_model', expr: 'ai_model', column: 'ai_model' },
  provider: { by: 'ai_provider', expr: 'ai_provider', column: 'ai_provider' },
  service: { by: 'service', expr: 'service', column: 'service' },
  request: { by: 'g_request', expr: 'g_request', context: 'request' },
  trace: { by: 'trace_id', expr: traceHexSql('trace_id'), column: 'trace_id' },
  session: { by: 'g_session', expr: 'g_session', context: 'session' },
  user: { by: 'g_user', expr: 'g_user', context: 'user' },
  day: {
    by: `start_ns // ${DAY_NS}`,
    expr: `strftime(make_timestamp((start_ns // ${DAY_NS}) * ${DAY_NS / 1000n}), '%Y-%m-%d')`,
    column: 'start_ns',
  },
};

const USAGE = `count(*) FILTER (WHERE ai_kind = 'llm') AS calls,
  count(*) FILTER (WHERE ai_kind = 'llm' AND status_code = 2) AS errors,
  coalesce(sum(ai_input_tokens), 0) AS input,
  coalesce(sum(ai_output_tokens), 0) AS output,
  coalesce(sum(ai_cache_read_tokens), 0) AS cache_read,
  coalesce(sum(ai_cache_creation_tokens), 0) AS cache_creation,
  coalesce(sum(ai_reasoning_tokens), 0) AS reasoning,
  coalesce(sum(ai_cost_usd), 0) AS cost,
  count(*) FILTER (WHERE ai_kind = 'llm' AND ai_cost_usd IS NULL) AS unpriced,
  count(*) FILTER (WHERE ai_kind = 'decision') AS decisions`;

/** `ctes` builds the `calls` CTE every statement reads; tests and the bench may pass another. */
export function duckDbAiReader(run: RunQuery, ctes: AiCtes = windowCtes): AiReader {
  return {
    async aiUsage(q: AiUsageQuery) {
      const group = GROUP[q.groupBy];
      const kinds = 'llm+decision';
      const columns = group.column ? [...USAGE_COLUMNS, group.column] : USAGE_COLUMNS;
      const groupParams: Params = { limit: q.limit };
      const totalParams: Params = {};
      const order = q.groupBy === 'day' ? 'k' : 'cost DESC, calls DESC, k';
      const [groups, totals] = await Promise.all([
        run(
          `${ctes(q, groupParams, { kinds, columns, context: group.context })}
           SELECT ${group.expr} AS k, ${USAGE} FROM calls
           GROUP BY ${group.by} ORDER BY ${order} NULLS LAST LIMIT $limit`,
          groupParams,
        ),
        // The totals need no trace context whatever the grouping.
        run(
          `${ctes(q, totalParams, { kinds, columns: USAGE_COLUMNS })}
           SELECT NULL AS k, ${USAGE} FROM calls`,
          totalParams,
        ),
      ]);
      const row = (r: Row) => usageRow(r, r.k === null || r.k === undefined ? null : String(r.k));
      return { totals: row(totals[0] ?? {}), groups: groups.map(row) };
    },

    async aiModelLatency(q: AiWindowQuery) {
      const params: Params = {};
      const columns = [
        'ai_kind',
        'ai_model',
        'ai_provider',
        'status_code',
        'duration_ns',
        'ai_ttft_ms',
        'ai_output_tokens',
      ];
      const rows = await run(
        `${ctes(q, params, { kinds: 'llm', columns })}
         SELECT ai_model AS model, any_value(ai_provider) AS provider, count(*) AS n,
                count(*) FILTER (WHERE status_code = 2) AS errors, avg(duration_ns) AS avg_ns,
                quantile_cont(duration_ns, [0.5, 0.95, 0.99]) AS q, max(duration_ns) AS max_ns,
                quantile_cont(ai_ttft_ms, [0.5, 0.95]) AS ttft,
                median(ai_output_tokens * 1000.0 /
                  nullif(duration_ns / 1e6 - coalesce(ai_ttft_ms, 0), 0))
                  FILTER (WHERE ai_output_tokens > 0) AS tps
         FROM calls WHERE ai_kind = 'llm'
         GROUP BY ai_model ORDER BY n DESC, model NULLS LAST`,
        params,
      );
      return rows.map((r): AiModelLatencyRow => {
        const lat = Array.isArray(r.q) ? (r.q as unknown[]) : [];
        const ttft = Array.isArray(r.ttft) ? (r.ttft as unknown[]) : [];
        return {
          model: r.model === null ? null : String(r.model),
          provider: r.provider === null ? null : String(r.provider),
          calls: Number(r.n),
          errors: Number(r.errors),
          avgMs: nsToMs(r.avg_ns),
          p50Ms: nsToMs(lat[0]),
          p95Ms: nsToMs(lat[1]),
          p99Ms: nsToMs(lat[2]),
          maxMs: nsToMs(r.max_ns),
          ttftP50Ms: numOrNull(ttft[0]),
          ttftP95Ms: numOrNull(ttft[1]),
          outputTokensPerSecond: numOrNull(r.tps),
        };
      });
    },

    async aiSeries(q: AiSeriesQuery) {
      const params: Params = { step: q.stepNs };
      const key = GROUP[q.by];
      const columns = ['ai_kind', 'start_ns', 'ai_input_tokens', 'ai_output_tokens', 'ai_cost_usd'];
      if (key.column) columns.push(key.column);
      // A bigint binds as HUGEINT: cast, or every row's bucket is 128-bit arithmetic (~4× the CPU).
      const rows = await run(
        `${ctes(q, params, { kinds: 'llm', columns })}
         SELECT (start_ns // $step::BIGINT) * $step::BIGINT AS b, ${key.expr} AS k, count(*) AS calls,
                coalesce(sum(ai_input_tokens), 0) AS input, coalesce(sum(ai_output_tokens), 0) AS output,
                coalesce(sum(ai_cost_usd), 0) AS cost, count(*) FILTER (WHERE ai_cost_usd IS NULL) AS unpriced
         FROM calls WHERE ai_kind = 'llm' GROUP BY b, k ORDER BY b, k NULLS LAST`,
        params,
      );
      return rows.map(
        (r): AiSeriesRow => ({
          bucketNs: BigInt(r.b as bigint),
          key: r.k === null || r.k === undefined ? null : String(r.k),
          calls: Number(r.calls),
          inputTokens: Number(r.input),
          outputTokens: Number(r.output),
          costUsd: roundUsd(Number(r.cost)),
          unpricedCalls: Number(r.unpriced),
        }),
      );
    },

    async aiCalls(q: AiCallsQuery) {
      const params: Params = { limit: q.limit };
      const order = CALLS_ORDER[q.order];
      // The request of only the calls listed: the trace context is built for `limit` traces.
      const shape: CallsShape = {
        kinds: 'llm',
        columns: ['ai_kind', ...CALL_COLUMNS],
        context: 'request',
        top: order,
      };
      const rows = await run(
        `${ctes(q, params, shape)}
         SELECT ${traceHexSql('trace_id')} AS trace_id, ${spanHexSql('span_id')} AS span_id,
                g_request, service, name, start_ns, duration_ns, status_code,
                ai_model, ai_provider, ai_operation, ai_input_tokens, ai_output_tokens,
                ai_cost_usd, ai_cost_source, ai_ttft_ms
         FROM calls WHERE ai_kind = 'llm' ORDER BY ${order} LIMIT $limit`,
        params,
      );
      return rows.map(
        (r): AiCallRow => ({
          traceId: String(r.trace_id),
          spanId: String(r.span_id),
          requestId: r.g_request === null ? null : String(r.g_request),
          service: String(r.service),
          name: String(r.name),
          startNs: BigInt(r.start_ns as bigint),
          durationMs: nsToMs(r.duration_ns) ?? 0,
          statusCode: Number(r.status_code),
          model: r.ai_model === null ? null : String(r.ai_model),
          provider: r.ai_provider === null ? null : String(r.ai_provider),
          operation: r.ai_operation === null ? null : String(r.ai_operation),
          inputTokens: numOrNull(r.ai_input_tokens),
          outputTokens: numOrNull(r.ai_output_tokens),
          costUsd: numOrNull(r.ai_cost_usd),
          costSource: r.ai_cost_source === null ? null : String(r.ai_cost_source),
          ttftMs: numOrNull(r.ai_ttft_ms),
        }),
      );
    },
  };
}
