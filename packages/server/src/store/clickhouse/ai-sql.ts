/**
 * ClickHouse SQL of the AI roll-ups (src/store/ai-reader.ts), the twin of duckdb/ai-sql.ts with
 * the same answers. Absent strings are '' here, so keys go through nullIf(…, '') to come back as
 * null; percentiles and medians use DuckDB's quantile_cont interpolation (see reader.ts).
 */
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
import { nsToMs } from '../duckdb/reader-rows.js';

type Row = Record<string, unknown>;
type Params = Record<string, string | number | bigint>;
export type RunQuery = (sql: string, params: Params) => Promise<Row[]>;
const placeholder: Placeholder = (name, type) => `{${name}:${type}}`;

/** quantile_cont over an array expression: lo·(1−d) + hi·d at rank (n−1)·q; [] when empty. */
function interpolated(values: string, qs: string, alias: string): string {
  const rank = (q: string) => `(length(${alias}) - 1) * ${q}`;
  const at = (i: string) => `toFloat64(${alias}[toUInt64(${i}) + 1])`;
  const d = (q: string) => `(${rank(q)} - floor(${rank(q)}))`;
  return (
    `arrayMap(x -> ${at(`floor(${rank('x')})`)} * (1 - ${d('x')}) + ${at(`ceil(${rank('x')})`)} * ${d('x')}, ` +
    `if(length(arraySort(${values}) AS ${alias}) = 0, CAST([] AS Array(Float64)), ${qs}))`
  );
}

/**
 * `calls`: the window's AI calls, reading only `shape.columns`, with the trace context built as
 * the DuckDB twin builds it: for the one column a roll-up needs, only over traces with a call
 * lacking its own value, and for the calls list after the top `limit` calls are chosen (their
 * order ends in trace and span ID, so `own`, read twice here, picks the same calls both times).
 * GLOBAL IN: on a cluster `spans` is Distributed and a plain IN over it would be refused.
 */
function windowCtes(q: AiWindowQuery, params: Params, shape: CallsShape): string {
  const { own, col } = ownCalls(q, params, shape, placeholder);
  if (col === undefined) return `WITH calls AS (${own})`;
  return `WITH own AS (${own}),
    ctx AS (
      SELECT trace_id, argMin(${col}, start_ns) AS t FROM spans
      WHERE start_ns BETWEEN {start:Int64} AND {end:Int64} AND ${col} != ''
        AND trace_id GLOBAL IN (SELECT trace_id FROM own WHERE ${col} = '')
      GROUP BY trace_id),
    calls AS (
      SELECT own.*, coalesce(nullIf(own.${col}, ''), nullIf(ctx.t, '')) AS g_${shape.context}
      FROM own LEFT JOIN ctx ON own.trace_id = ctx.trace_id)`;
}

/** Per group key: the SQL over `calls`, and the span column it reads or the context it needs. */
const GROUP: Record<AiGroupKey, { expr: string; column?: string; context?: AiContext }> = {
  model: { expr: "nullIf(ai_model, '')", column: 'ai_model' },
  provider: { expr: "nullIf(ai_provider, '')", column: 'ai_provider' },
  service: { expr: 'service', column: 'service' },
  request: { expr: 'g_request', context: 'request' },
  trace: { expr: 'trace_id', column: 'trace_id' },
  session: { expr: 'g_session', context: 'session' },
  user: { expr: 'g_user', context: 'user' },
  day: {
    expr: "formatDateTime(toDateTime(intDiv(start_ns, 1000000000), 'UTC'), '%Y-%m-%d')",
    column: 'start_ns',
  },
};

const USAGE = `countIf(ai_kind = 'llm') AS calls,
  countIf(ai_kind = 'llm' AND status_code = 2) AS errors,
  coalesce(sum(ai_input_tokens), 0) AS input,
  coalesce(sum(ai_output_tokens), 0) AS output,
  coalesce(sum(ai_cache_read_tokens), 0) AS cache_read,
  coalesce(sum(ai_cache_creation_tokens), 0) AS cache_creation,
  coalesce(sum(ai_reasoning_tokens), 0) AS reasoning,
  coalesce(sum(ai_cost_usd), 0) AS cost,
  countIf(ai_kind = 'llm' AND ai_cost_usd IS NULL) AS unpriced,
  countIf(ai_kind = 'decision') AS decisions`;

function text(v: unknown): string | null {
  return v === null || v === undefined || v === '' ? null : String(v);
}

export function clickHouseAiReader(run: RunQuery): AiReader {
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
          `${windowCtes(q, groupParams, { kinds, columns, context: group.context })}
           SELECT ${group.expr} AS k, ${USAGE} FROM calls
           GROUP BY k ORDER BY ${order} NULLS LAST LIMIT {limit:UInt64}`,
          groupParams,
        ),
        // The totals need no trace context whatever the grouping.
        run(
          `${windowCtes(q, totalParams, { kinds, columns: USAGE_COLUMNS })}
           SELECT NULL AS k, ${USAGE} FROM calls`,
          totalParams,
        ),
      ]);
      const row = (r: Row) => usageRow(r, text(r.k));
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
        `${windowCtes(q, params, { kinds: 'llm', columns })}
         SELECT nullIf(ai_model, '') AS model, nullIf(anyIf(ai_provider, ai_provider != ''), '') AS provider,
                count() AS n, countIf(status_code = 2) AS errors, avg(duration_ns) AS avg_ns,
                ${interpolated('groupArray(duration_ns)', '[0.5, 0.95, 0.99]', 's_lat')} AS q,
                max(duration_ns) AS max_ns,
                ${interpolated('groupArray(ai_ttft_ms)', '[0.5, 0.95]', 's_ttft')} AS ttft,
                ${interpolated(
                  'groupArrayIf(ai_output_tokens * 1000.0 / nullIf(duration_ns / 1e6 - coalesce(ai_ttft_ms, 0), 0), ai_output_tokens > 0)',
                  '[0.5]',
                  's_tps',
                )} AS tps
         FROM calls WHERE ai_kind = 'llm'
         GROUP BY model ORDER BY n DESC, model NULLS LAST`,
        params,
      );
      return rows.map((r): AiModelLatencyRow => {
        const lat = Array.isArray(r.q) ? (r.q as unknown[]) : [];
        const ttft = Array.isArray(r.ttft) ? (r.ttft as unknown[]) : [];
        const tps = Array.isArray(r.tps) ? (r.tps as unknown[]) : [];
        return {
          model: text(r.model),
          provider: text(r.provider),
          calls: Number(r.n),
          errors: Number(r.errors),
          avgMs: nsToMs(r.avg_ns),
          p50Ms: nsToMs(lat[0]),
          p95Ms: nsToMs(lat[1]),
          p99Ms: nsToMs(lat[2]),
          maxMs: nsToMs(r.max_ns),
          ttftP50Ms: numOrNull(ttft[0]),
          ttftP95Ms: numOrNull(ttft[1]),
          outputTokensPerSecond: numOrNull(tps[0]),
        };
      });
    },

    async aiSeries(q: AiSeriesQuery) {
      const params: Params = { step: q.stepNs };
      const key = GROUP[q.by];
      const columns = ['ai_kind', 'start_ns', 'ai_input_tokens', 'ai_output_tokens', 'ai_cost_usd'];
      if (key.column) columns.push(key.column);
      const rows = await run(
        `${windowCtes(q, params, { kinds: 'llm', columns })}
         SELECT intDiv(start_ns, {step:Int64}) * {step:Int64} AS b, ${key.expr} AS k,
                count() AS calls, coalesce(sum(ai_input_tokens), 0) AS input,
                coalesce(sum(ai_output_tokens), 0) AS output, coalesce(sum(ai_cost_usd), 0) AS cost,
                countIf(ai_cost_usd IS NULL) AS unpriced
         FROM calls WHERE ai_kind = 'llm' GROUP BY b, k ORDER BY b, k NULLS LAST`,
        params,
      );
      return rows.map(
        (r): AiSeriesRow => ({
          bucketNs: BigInt(r.b as string),
          key: text(r.k),
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
        `${windowCtes(q, params, shape)}
         SELECT trace_id, span_id, g_request, service, name, start_ns, duration_ns, status_code,
                ai_model, ai_provider, ai_operation, ai_input_tokens, ai_output_tokens,
                ai_cost_usd, ai_cost_source, ai_ttft_ms
         FROM calls WHERE ai_kind = 'llm' ORDER BY ${order} LIMIT {limit:UInt64}`,
        params,
      );
      return rows.map(
        (r): AiCallRow => ({
          traceId: String(r.trace_id),
          spanId: String(r.span_id),
          requestId: text(r.g_request),
          service: String(r.service),
          name: String(r.name),
          startNs: BigInt(r.start_ns as string),
          durationMs: nsToMs(r.duration_ns) ?? 0,
          statusCode: Number(r.status_code),
          model: text(r.ai_model),
          provider: text(r.ai_provider),
          operation: text(r.ai_operation),
          inputTokens: numOrNull(r.ai_input_tokens),
          outputTokens: numOrNull(r.ai_output_tokens),
          costUsd: numOrNull(r.ai_cost_usd),
          costSource: text(r.ai_cost_source),
          ttftMs: numOrNull(r.ai_ttft_ms),
        }),
      );
    },
  };
}
