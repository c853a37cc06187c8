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
import { traceHexSql, traceKey } from './ids.js';
import { nsToMs } from './reader-rows.js';
import { TRACE_INDEX } from './trace-index.js';

type Row = Record<string, unknown>;
type Params = Record<string, DuckDBValue>;
export type RunQuery = (sql: string, params: Params) => Promise<Row[]>;

const ENTRY_SPAN = '(kind IN (2, 5) OR parent_span_id IS NULL)';

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
    where.push(ENTRY_SPAN);
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

export function duckDbAlertsReader(run: RunQuery): AlertsReader {
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
      const ofTrace = await traceRequestIds(
        run,
        hits.filter((h) => h.request_id === null).map((h) => String(h.trace)),
      );
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

/**
 * A request ID that some span or log line of each trace carries (the smallest), found within the
 * traces' windows from trace_index (which cover their log lines too).
 */
async function traceRequestIds(run: RunQuery, traces: string[]): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  const ids = [...new Set(traces)].filter((t) => traceKey(t) !== undefined);
  if (ids.length === 0) return out;
  // 64- and 128-bit values go as decimal text: a JS bigint binds as a signed HUGEINT.
  const params: Params = {};
  const keys = ids.map((t, i) => {
    params[`k${i}`] = traceKey(t)!.toString();
    return `$k${i}::UBIGINT`;
  });
  const [w] = await run(
    `SELECT min(start_ns) AS lo, max(end_ns) AS hi FROM ${TRACE_INDEX} WHERE trace_key IN (${keys.join(', ')})`,
    params,
  );
  if (w?.lo === null || w?.lo === undefined) return out;
  const p: Params = { lo: w.lo as bigint, hi: w.hi as bigint };
  const values = ids.map((t, i) => {
    p[`t${i}`] = BigInt(`0x${t}`).toString();
    p[`h${i}`] = t;
    return [`$t${i}::UHUGEINT`, `$h${i}`];
  });
  const rows = await run(
    `SELECT trace, min(request_id) AS request_id FROM (
       SELECT ${traceHexSql('trace_id')} AS trace, request_id FROM spans
        WHERE trace_id IN (${values.map((v) => v[0]).join(', ')}) AND start_ns BETWEEN $lo AND $hi
       UNION ALL
       SELECT trace_id, request_id FROM logs
        WHERE trace_id IN (${values.map((v) => v[1]).join(', ')}) AND timestamp_ns BETWEEN $lo AND $hi)
      WHERE request_id IS NOT NULL AND request_id <> '' GROUP BY trace`,
    p,
  );
  for (const r of rows) out.set(String(r.trace), String(r.request_id));
  return out;
}
