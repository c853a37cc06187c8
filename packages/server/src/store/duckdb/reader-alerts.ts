/**
 * DuckDB SQL of the alert reads (src/store/alerts-reader.ts). Parameterised: values never become
 * SQL text. Every scan is bounded by start_ns so row-group zonemaps prune it.
 */

import type { DuckDBValue } from '@duckdb/node-api';
import type {
  AlertExampleQuery,
  AlertScope,
  AlertsReader,
  AlertWindowStats,
} from '../alerts-reader.js';
import { spanAttrSql } from './attr-sql.js';
import { traceHexSql } from './ids.js';
import { ENTRY_SPAN_SQL } from './parent-refs.js';
import { nsToMs } from './reader-rows.js';

type Row = Record<string, unknown>;
type Params = Record<string, DuckDBValue>;
export type RunQuery = (sql: string, params: Params) => Promise<Row[]>;

function jsonPath(key: string): string {
  return `$."${key.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
}

/** The WHERE clause of a scope; fills `params`. */
function scopeWhere(scope: AlertScope, params: Params): string {
  params.start = scope.startNs;
  params.end = scope.endNs;
  const where = ['start_ns >= $start AND start_ns < $end'];
  if (scope.service !== undefined) {
    params.service = scope.service;
    where.push('service = $service');
  }
  if (scope.operation !== undefined) {
    params.operation = scope.operation;
    where.push('name = $operation');
  } else {
    where.push(ENTRY_SPAN_SQL);
  }
  scope.where.forEach((f, i) => {
    params[`v${i}`] = f.value;
    if (f.key === 'model') {
      where.push(`ai_model = $v${i}`);
    } else if (f.key === 'request.id') {
      // Kept in its own column, not in the attributes JSON (schema v4).
      where.push(`request_id = $v${i}`);
    } else {
      params[`k${i}`] = jsonPath(f.key);
      params[`a${i}`] = f.key;
      where.push(
        `(${spanAttrSql(`$a${i}`)} = $v${i} OR json_extract_string(resource, $k${i}) = $v${i})`,
      );
    }
  });
  return where.join(' AND ');
}

/** (trace, request ID) pairs the traces' spans and log lines carry, ordered by request ID. */
export type TraceRequestIds = (
  traceIds: string[],
) => Promise<{ traceId: string; requestId: string }[]>;

export function duckDbAlertsReader(run: RunQuery, traceRequestIds: TraceRequestIds): AlertsReader {
  return {
    async alertWindowStats(scope: AlertScope): Promise<AlertWindowStats> {
      const params: Params = {};
      const [r] = await run(
        `SELECT count(*) AS n, count(*) FILTER (WHERE status_code = 2) AS errors,
                quantile_cont(duration_ns, [0.95, 0.99]) AS q
           FROM spans WHERE ${scopeWhere(scope, params)}`,
        params,
      );
      const q = Array.isArray(r?.q) ? (r.q as unknown[]) : [];
      return {
        count: Number(r?.n ?? 0),
        errors: Number(r?.errors ?? 0),
        p95Ms: nsToMs(q[0]),
        p99Ms: nsToMs(q[1]),
      };
    },

    async alertExamples(q: AlertExampleQuery): Promise<string[]> {
      const params: Params = { limit: q.limit };
      const cond = [scopeWhere(q, params)];
      if (q.errorsOnly) cond.push('status_code = 2');
      if (q.minDurationNs !== undefined) {
        params.min_dur = q.minDurationNs;
        cond.push('duration_ns >= $min_dur');
      }
      // The span's own request ID, else one another span of its trace carries, else the trace
      // ID: whichever it is, /api/debug/trace/:id finds the request.
      const hits = await run(
        `SELECT ${traceHexSql('trace_id')} AS trace, request_id, start_ns FROM spans
          WHERE ${cond.join(' AND ')} ORDER BY start_ns DESC LIMIT $limit * 4`,
        params,
      );
      // Pairs come ordered by request ID: a trace's first is its smallest.
      const ofTrace = new Map<string, string>();
      const missing = hits.filter((h) => h.request_id === null).map((h) => String(h.trace));
      for (const { traceId, requestId } of await traceRequestIds(missing)) {
        if (!ofTrace.has(traceId)) ofTrace.set(traceId, requestId);
      }
      const newest = new Map<string, bigint>();
      for (const h of hits) {
        const id =
          h.request_id === null
            ? (ofTrace.get(String(h.trace)) ?? String(h.trace))
            : String(h.request_id);
        const t = BigInt(h.start_ns as bigint);
        if (!newest.has(id) || newest.get(id)! < t) newest.set(id, t);
      }
      return [...newest]
        .sort(([a, ta], [b, tb]) => (ta === tb ? (a < b ? -1 : a > b ? 1 : 0) : ta > tb ? -1 : 1))
        .slice(0, q.limit)
        .map(([id]) => id);
    },

    async lastSeenNs(service: string, sinceNs: bigint): Promise<bigint | null> {
      const [r] = await run(
        `SELECT greatest(
           (SELECT max(start_ns) FROM spans WHERE service = $service AND start_ns >= $since),
           (SELECT max(timestamp_ns) FROM logs WHERE service = $service AND timestamp_ns >= $since)
         ) AS t`,
        { service, since: sinceNs },
      );
      const t = r?.t;
      return t === null || t === undefined ? null : BigInt(t as bigint | number | string);
    },
  };
}
