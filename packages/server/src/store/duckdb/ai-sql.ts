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
  AiUsageRow,
  AiWindowQuery,
} from '../ai-reader.js';
import { spanHexSql, traceHexSql } from './ids.js';
import { nsToMs } from './reader-rows.js';

type Row = Record<string, unknown>;
type Params = Record<string, DuckDBValue>;
export type RunQuery = (sql: string, params: Params) => Promise<Row[]>;

/** The window's spans, and per trace the request, session and user any of its spans carry. */
function windowCtes(q: AiWindowQuery, params: Params): string {
  params.start = q.startNs;
  params.end = q.endNs;
  const filters: string[] = [];
  if (q.service !== undefined) {
    params.service = q.service;
    filters.push('AND w.service = $service');
  }
  if (q.model !== undefined) {
    params.model = q.model;
    filters.push('AND w.ai_model = $model');
  }
  return `WITH w AS (SELECT * FROM spans WHERE start_ns BETWEEN $start AND $end),
    ctx AS (
      SELECT trace_id,
             any_value(request_id) FILTER (WHERE request_id IS NOT NULL) AS t_request,
             any_value(ai_session_id) FILTER (WHERE ai_session_id IS NOT NULL) AS t_session,
             any_value(ai_user_id) FILTER (WHERE ai_user_id IS NOT NULL) AS t_user
      FROM w WHERE request_id IS NOT NULL OR ai_session_id IS NOT NULL OR ai_user_id IS NOT NULL
      GROUP BY trace_id),
    calls AS (
      SELECT w.*, coalesce(w.request_id, ctx.t_request) AS g_request,
             coalesce(w.ai_session_id, ctx.t_session) AS g_session,
             coalesce(w.ai_user_id, ctx.t_user) AS g_user
      FROM w LEFT JOIN ctx USING (trace_id)
      WHERE w.ai_kind IN ('llm', 'decision') ${filters.join(' ')})`;
}

const GROUP_EXPR: Record<AiGroupKey, string> = {
  model: 'ai_model',
  provider: 'ai_provider',
  service: 'service',
  request: 'g_request',
  trace: traceHexSql('trace_id'),
  session: 'g_session',
  user: 'g_user',
  day: "strftime(make_timestamp(start_ns // 1000), '%Y-%m-%d')",
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

/** Sums of float costs drift in the last bits; whole picodollars keep equal totals equal. */
export function roundUsd(n: number): number {
  return Math.round(n * 1e12) / 1e12;
}

function usageRow(r: Row): AiUsageRow {
  return {
    key: r.k === null || r.k === undefined ? null : String(r.k),
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

function numOrNull(v: unknown): number | null {
  if (v === null || v === undefined) return null;
  const n = Number(v);
  return Number.isFinite(n) ? n : null;
}

export function duckDbAiReader(run: RunQuery): AiReader {
  return {
    async aiUsage(q: AiUsageQuery) {
      const params: Params = {};
      const ctes = windowCtes(q, params);
      const order = q.groupBy === 'day' ? 'k' : 'cost DESC, calls DESC, k';
      const [groups, totals] = await Promise.all([
        run(
          `${ctes} SELECT ${GROUP_EXPR[q.groupBy]} AS k, ${USAGE} FROM calls
             GROUP BY k ORDER BY ${order} NULLS LAST LIMIT $limit`,
          { ...params, limit: q.limit },
        ),
        run(`${ctes} SELECT NULL AS k, ${USAGE} FROM calls`, params),
      ]);
      return { totals: usageRow(totals[0] ?? {}), groups: groups.map(usageRow) };
    },

    async aiModelLatency(q: AiWindowQuery) {
      const params: Params = {};
      const rows = await run(
        `${windowCtes(q, params)}
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
      const rows = await run(
        `${windowCtes(q, params)}
         SELECT (start_ns // $step) * $step AS b, ${GROUP_EXPR[q.by]} AS k, count(*) AS calls,
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
      const order =
        q.order === 'slowest'
          ? 'duration_ns DESC'
          : q.order === 'costliest'
            ? 'ai_cost_usd DESC NULLS LAST, duration_ns DESC'
            : 'start_ns DESC';
      const rows = await run(
        `${windowCtes(q, params)}
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
