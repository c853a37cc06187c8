/**
 * ClickHouse SQL of the alert reads (src/store/alerts-reader.ts), the twin of
 * duckdb/reader-alerts.ts with the same answers. Bind parameters only (`{name:Type}`).
 * ClickHouse stores absent strings as '' (not NULL) and answers max() of nothing with 0, hence
 * the `!= ''` tests and maxOrNull. Wired into ClickHouseReader by its owner:
 * `readonly alertWindowStats = …clickHouseAlertsReader((sql, p) => this.query(sql, p))…`.
 */
import type {
  AlertExampleQuery,
  AlertScope,
  AlertsReader,
  AlertWindowStats,
} from '../alerts-reader.js';

type Row = Record<string, unknown>;
type Params = Record<string, string | number | bigint>;
export type RunQuery = (sql: string, params: Params) => Promise<Row[]>;

const ENTRY_SPAN = `(kind IN (2, 5) OR parent_span_id = '')`;

// DuckDB's quantile_cont interpolation, lo * (1 - d) + hi * d at rank (n - 1) * q, so both
// stores give the same floats (as the ClickHouse reader's spanStats does).
const RANK = (q: string) => `(length(sorted) - 1) * ${q}`;
const AT = (i: string) => `toFloat64(sorted[toUInt64(${i}) + 1])`;
const D = (q: string) => `(${RANK(q)} - floor(${RANK(q)}))`;
const QUANTILES =
  `if(length(sorted) = 0, [0, 0], arrayMap(x -> ${AT(`floor(${RANK('x')})`)} * (1 - ${D('x')}) + ` +
  `${AT(`ceil(${RANK('x')})`)} * ${D('x')}, [0.95, 0.99]))`;

/** A value matches as a JSON string, or as the raw JSON text of a number or boolean. */
function attrEquals(col: string, k: string, v: string): string {
  return (
    `(JSONExtractString(${col}, ${k}) = ${v} OR (JSONType(${col}, ${k}) NOT IN ('String', 'Null') ` +
    `AND JSONExtractRaw(${col}, ${k}) = ${v}))`
  );
}

function scopeWhere(scope: AlertScope, params: Params): string {
  params.start = scope.startNs;
  params.end = scope.endNs;
  const where = ['start_ns >= {start:Int64} AND start_ns < {end:Int64}'];
  if (scope.service !== undefined) {
    params.service = scope.service;
    where.push('service = {service:String}');
  }
  if (scope.operation !== undefined) {
    params.operation = scope.operation;
    where.push('name = {operation:String}');
  } else {
    where.push(ENTRY_SPAN);
  }
  scope.where.forEach((f, i) => {
    params[`v${i}`] = f.value;
    const v = `{v${i}:String}`;
    if (f.key === 'model') {
      where.push(`ai_model = ${v}`);
    } else {
      params[`k${i}`] = f.key;
      const k = `{k${i}:String}`;
      where.push(`(${attrEquals('attributes', k, v)} OR ${attrEquals('resource', k, v)})`);
    }
  });
  return where.join(' AND ');
}

const msOf = (ns: unknown): number | null => {
  const n = ns === null || ns === undefined ? Number.NaN : Number(ns);
  return Number.isFinite(n) ? n / 1e6 : null;
};

export function clickHouseAlertsReader(run: RunQuery): AlertsReader {
  return {
    async alertWindowStats(scope: AlertScope): Promise<AlertWindowStats> {
      const params: Params = {};
      const [r] = await run(
        `SELECT n, errors, ${QUANTILES} AS q FROM (
           SELECT count() AS n, countIf(status_code = 2) AS errors,
                  arraySort(groupArray(duration_ns)) AS sorted
             FROM spans WHERE ${scopeWhere(scope, params)})`,
        params,
      );
      const n = Number(r?.n ?? 0);
      // No spans: DuckDB answers NULL quantiles, ClickHouse a number; both mean "none".
      const q = n > 0 && Array.isArray(r?.q) ? (r.q as unknown[]) : [];
      return {
        count: n,
        errors: Number(r?.errors ?? 0),
        p95Ms: msOf(q[0]),
        p99Ms: msOf(q[1]),
      };
    },

    async alertExamples(q: AlertExampleQuery): Promise<string[]> {
      const params: Params = { limit: q.limit, scan: q.limit * 4 };
      const cond = [scopeWhere(q, params)];
      if (q.errorsOnly) cond.push('status_code = 2');
      if (q.minDurationNs !== undefined) {
        params.min_dur = q.minDurationNs;
        cond.push('duration_ns >= {min_dur:Int64}');
      }
      // The span's own request ID, else one its trace is indexed under, else the trace ID.
      const rows = await run(
        `WITH hit AS (
           SELECT trace_id, request_id, start_ns FROM spans WHERE ${cond.join(' AND ')}
           ORDER BY start_ns DESC LIMIT {scan:UInt64})
         SELECT id, max(start_ns) AS t FROM (
           SELECT if(hit.request_id != '', hit.request_id, if(ri.rid != '', ri.rid, hit.trace_id)) AS id,
                  hit.start_ns AS start_ns
             FROM hit LEFT JOIN (
               SELECT trace_id, min(request_id) AS rid FROM request_index
                WHERE trace_id IN (SELECT trace_id FROM hit) GROUP BY trace_id) AS ri
             ON ri.trace_id = hit.trace_id)
         GROUP BY id ORDER BY t DESC, id LIMIT {limit:UInt64}`,
        params,
      );
      return rows.map((r) => String(r.id));
    },

    async lastSeenNs(service: string, sinceNs: bigint): Promise<bigint | null> {
      const [r] = await run(
        `SELECT (SELECT maxOrNull(start_ns) FROM spans
                  WHERE service = {service:String} AND start_ns >= {since:Int64}) AS s,
                (SELECT maxOrNull(timestamp_ns) FROM logs
                  WHERE service = {service:String} AND timestamp_ns >= {since:Int64}) AS l`,
        { service, since: sinceNs },
      );
      const seen = [r?.s, r?.l]
        .filter((v) => v !== null && v !== undefined)
        .map((v) => BigInt(v as string));
      // biome-ignore lint/complexity/useMathMinMax: bigints, which Math.max does not take
      return seen.length === 0 ? null : seen.reduce((a, b) => (a > b ? a : b));
    },
  };
}
