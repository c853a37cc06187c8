/**
 * StoreReader on ClickHouse: the DuckDB reader's questions (duckdb/reader.ts) in ClickHouse SQL,
 * with the same answers. Bind parameters only (`{p0:String}`): user input never becomes SQL text.
 * Point lookups read trace_index / request_index first (aggregating their unmerged rows) so the
 * scan of spans and logs is bounded by a time range: partition pruning plus the primary key and
 * the trace_id / request_id bloom filters.
 */
import type { ClickHouseClient } from '@clickhouse/client';
import type { AiReader } from '../ai-reader.js';
import type { AlertsReader } from '../alerts-reader.js';
// Row → record mapping is shared with the DuckDB twin so both return identical records.
import {
  DETAIL_COLUMNS,
  LOG_COLUMNS,
  nsToMs,
  SPAN_COLUMNS,
  toLog,
  toSpan,
} from '../duckdb/reader-rows.js';
import {
  type DependencyEdge,
  type HealthCounts,
  InvalidCursorError,
  type LatencySummary,
  type LogPage,
  type LogQuery,
  type LookupQuery,
  type OperationInfo,
  type SpanStats,
  type SpanStatsQuery,
  type SpansAndLogs,
  type StoreReader,
  type TraceQuery,
} from '../reader.js';
import type { LogLevel, SpanKind } from '../records.js';
import { LOG_SLACK_NS, PARENT_SLACK_NS, searchNewestFirst } from '../scan-windows.js';
import { clickHouseAiReader } from './ai-sql.js';
import { clickHouseAlertsReader } from './reader-alerts.js';

type Row = Record<string, unknown>;
type ParamType = 'String' | 'Int64' | 'UInt8' | 'UInt64';

const LEVELS: LogLevel[] = ['debug', 'info', 'warn', 'error', 'fatal'];

class Sql {
  readonly params: Record<string, string | number | bigint> = {};
  private n = 0;
  p(value: string | number | bigint, type: ParamType): string {
    const name = `p${this.n++}`;
    this.params[name] = value;
    return `{${name}:${type}}`;
  }
  list(values: readonly string[]): string {
    return `(${values.map((v) => this.p(v, 'String')).join(', ')})`;
  }
}

function cmp(a: bigint, b: bigint): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function big(v: unknown): bigint {
  return BigInt(v as string);
}

function encodeCursor(ts: bigint, rowId: bigint): string {
  return Buffer.from(`${ts}:${rowId}`).toString('base64url');
}

function decodeCursor(cursor: string): { ts: bigint; rowId: bigint } {
  const m = /^(-?\d{1,20}):(\d{1,20})$/.exec(Buffer.from(cursor, 'base64url').toString());
  if (!m) throw new InvalidCursorError();
  return { ts: BigInt(m[1]), rowId: BigInt(m[2]) };
}

/** ClickHouse writes NaN (avg of no rows) as null in JSON; nsToMs maps null to null. */
function latency(r: Row): LatencySummary {
  const q = Array.isArray(r.q) ? (r.q as unknown[]) : [];
  return {
    count: Number(r.n ?? 0),
    errors: Number(r.errors ?? 0),
    avgMs: nsToMs(r.avg_ns),
    p50Ms: nsToMs(q[0]),
    p95Ms: nsToMs(q[1]),
    p99Ms: nsToMs(q[2]),
    maxMs: nsToMs(r.max_ns),
  };
}

// Percentiles interpolate between order statistics exactly as DuckDB's quantile_cont does,
// lo * (1 - d) + hi * d at rank (n - 1) * q, so both stores give the same floats to the last
// bit (quantilesExactInclusive computes lo + (hi - lo) * d, which differs in the last digit).
const RANK = (q: string) => `(length(sorted) - 1) * ${q}`;
const AT = (i: string) => `toFloat64(sorted[toUInt64(${i}) + 1])`;
const D = (q: string) => `(${RANK(q)} - floor(${RANK(q)}))`;
const QUANTILES =
  `arrayMap(x -> ${AT(`floor(${RANK('x')})`)} * (1 - ${D('x')}) + ${AT(`ceil(${RANK('x')})`)} * ${D('x')}, ` +
  '[0.5, 0.95, 0.99])';
const LATENCY =
  'count() AS n, countIf(status_code = 2) AS errors, avg(duration_ns) AS avg_ns, ' +
  `arraySort(groupArray(duration_ns)) AS sorted, ${QUANTILES} AS q, max(duration_ns) AS max_ns`;

const ENTRY_SPAN = `kind IN (2, 5) OR parent_span_id = ''`;

interface Window {
  traceId: string;
  startNs: bigint;
  endNs: bigint;
}

interface Cluster {
  traceIds: string[];
  startNs: bigint;
  endNs: bigint;
}

/** Nearby windows merged (as the DuckDB reader does) so each scan range stays tight. */
function clusterWindows(windows: Window[]): Cluster[] {
  const sorted = [...windows].sort((a, b) => cmp(a.startNs, b.startNs));
  const out: Cluster[] = [];
  for (const w of sorted) {
    const last = out[out.length - 1];
    if (last && w.startNs <= last.endNs + 2n * LOG_SLACK_NS) {
      if (w.endNs > last.endNs) last.endNs = w.endNs;
      if (w.traceId && !last.traceIds.includes(w.traceId)) last.traceIds.push(w.traceId);
    } else {
      out.push({ traceIds: w.traceId ? [w.traceId] : [], startNs: w.startNs, endNs: w.endNs });
    }
  }
  return out;
}

/** Outline lookups: the detail columns only on the rows `keepsDetail` names (ai_kind is '' when unset here). */
const SPAN_OUTLINE_COLUMNS = SPAN_COLUMNS.split(', ')
  .map((c) =>
    DETAIL_COLUMNS.has(c) ? `if(status_code = 2 OR ai_kind != '', ${c}, '') AS ${c}` : c,
  )
  .join(', ');

export class ClickHouseReader implements StoreReader {
  // ---- AI roll-ups (/api/ai/*): SQL in ai-sql.ts ----
  private readonly ai = clickHouseAiReader((sql, params) => this.query(sql, params));
  readonly aiUsage: AiReader['aiUsage'] = (q) => this.ai.aiUsage(q);
  readonly aiModelLatency: AiReader['aiModelLatency'] = (q) => this.ai.aiModelLatency(q);
  readonly aiCalls: AiReader['aiCalls'] = (q) => this.ai.aiCalls(q);
  readonly aiSeries: AiReader['aiSeries'] = (q) => this.ai.aiSeries(q);
  // ---- alerts (src/alerts): SQL in reader-alerts.ts, written by the alerts work ----
  private readonly alerts = clickHouseAlertsReader((sql, params) => this.query(sql, params));
  readonly alertWindowStats: AlertsReader['alertWindowStats'] = (q) =>
    this.alerts.alertWindowStats(q);
  readonly alertExamples: AlertsReader['alertExamples'] = (q) => this.alerts.alertExamples(q);
  readonly lastSeenNs: AlertsReader['lastSeenNs'] = (s, since) => this.alerts.lastSeenNs(s, since);

  constructor(private readonly client: ClickHouseClient) {}

  private async query(sql: string, params: Sql['params'] = {}): Promise<Row[]> {
    const rs = await this.client.query({ query: sql, query_params: params, format: 'JSONEachRow' });
    return rs.json<Row>();
  }

  async lookup(q: LookupQuery): Promise<SpansAndLogs> {
    const requestIds = [...new Set(q.requestIds)];
    const traceIds = [...new Set(q.traceIds)];
    if (requestIds.length === 0 && traceIds.length === 0) return { spans: [], logs: [] };

    const idx = new Sql();
    const parts: string[] = [];
    if (requestIds.length > 0) {
      parts.push(
        `SELECT trace_id, min(start_ns) AS start_ns, max(end_ns) AS end_ns, 0 AS asked FROM request_index
          WHERE request_id IN ${idx.list(requestIds)} GROUP BY request_id, trace_id`,
      );
    }
    if (traceIds.length > 0) {
      parts.push(
        `SELECT trace_id, min(start_ns) AS start_ns, max(end_ns) AS end_ns, 1 AS asked FROM trace_index
          WHERE trace_id IN ${idx.list(traceIds)} GROUP BY trace_id`,
      );
    }
    const windows = await this.query(parts.join(' UNION ALL '), idx.params);
    if (windows.length === 0 && traceIds.length === 0) return { spans: [], logs: [] };
    const indexed = new Set(windows.filter((w) => Number(w.asked)).map((w) => String(w.trace_id)));
    const unindexed = traceIds.filter((t) => !indexed.has(t));
    const clusters = clusterWindows(
      windows.map((w) => ({
        traceId: String(w.trace_id),
        startNs: big(w.start_ns),
        endNs: big(w.end_ns),
      })),
    );

    // One query per table; each cluster is a disjunct with its own time range, which
    // ClickHouse turns into key ranges and partitions to read.
    const s = new Sql();
    const spanWhere = clusters
      .filter((c) => c.traceIds.length > 0)
      .map(
        (c) =>
          `(trace_id IN ${s.list(c.traceIds)} AND start_ns BETWEEN ${s.p(c.startNs, 'Int64')} AND ${s.p(c.endNs, 'Int64')})`,
      );
    const onlySpans = q.spanIds ? ` AND span_id IN ${s.list(q.spanIds)}` : '';
    const spansQuery = spanWhere.length
      ? this.query(
          `SELECT ${q.outline ? SPAN_OUTLINE_COLUMNS : SPAN_COLUMNS} FROM spans WHERE (${spanWhere.join(' OR ')})${onlySpans}`,
          s.params,
        )
      : Promise.resolve([]);

    const l = new Sql();
    let reqList: string | undefined;
    const logWhere = clusters.map((c) => {
      const who: string[] = [];
      if (requestIds.length > 0) {
        reqList ??= l.list(requestIds);
        who.push(`request_id IN ${reqList}`);
      }
      if (c.traceIds.length > 0) who.push(`trace_id IN ${l.list(c.traceIds)}`);
      return (
        `((${who.join(' OR ')}) AND timestamp_ns BETWEEN ${l.p(c.startNs - LOG_SLACK_NS, 'Int64')} ` +
        `AND ${l.p(c.endNs + LOG_SLACK_NS, 'Int64')})`
      );
    });
    if (unindexed.length > 0) logWhere.push(`trace_id IN ${l.list(unindexed)}`);
    const [spanRows, logRows] = await Promise.all([
      spansQuery,
      q.spanIds
        ? []
        : this.query(
            `SELECT ${LOG_COLUMNS}, row_id FROM logs WHERE ${logWhere.join(' OR ')}`,
            l.params,
          ),
    ]);
    const spans = spanRows
      .map(toSpan)
      .sort(
        (a, b) =>
          cmp(a.startNs, b.startNs) || (a.spanId < b.spanId ? -1 : a.spanId > b.spanId ? 1 : 0),
      );
    logRows.sort(
      (a, b) => cmp(big(a.timestamp_ns), big(b.timestamp_ns)) || cmp(big(a.row_id), big(b.row_id)),
    );
    return { spans, logs: logRows.map(toLog) };
  }

  async requestIdsOfTraces(traceIds: string[]): Promise<string[]> {
    if (traceIds.length === 0) return [];
    const ids = [...new Set(traceIds)];
    const w = new Sql();
    const [win] = await this.query(
      `SELECT count() AS n, min(start_ns) AS lo, max(end_ns) AS hi FROM trace_index WHERE trace_id IN ${w.list(ids)}`,
      w.params,
    );
    const s = new Sql();
    const branches: string[] = [];
    if (Number(win.n) > 0) {
      const lo = big(win.lo);
      const hi = big(win.hi);
      branches.push(
        `SELECT request_id FROM spans WHERE trace_id IN ${s.list(ids)} ` +
          `AND start_ns BETWEEN ${s.p(lo, 'Int64')} AND ${s.p(hi, 'Int64')}`,
        `SELECT request_id FROM logs WHERE trace_id IN ${s.list(ids)} ` +
          `AND timestamp_ns BETWEEN ${s.p(lo - LOG_SLACK_NS, 'Int64')} AND ${s.p(hi + LOG_SLACK_NS, 'Int64')}`,
      );
    } else {
      // No span of these traces: only log lines can carry request IDs, anywhere in time.
      branches.push(`SELECT request_id FROM logs WHERE trace_id IN ${s.list(ids)}`);
    }
    const rows = await this.query(
      `SELECT DISTINCT request_id FROM (${branches.join(' UNION ALL ')}) WHERE request_id <> '' ORDER BY request_id`,
      s.params,
    );
    return rows.map((r) => String(r.request_id));
  }

  async searchLogs(q: LogQuery): Promise<LogPage> {
    const s = new Sql();
    const where: string[] = [];
    if (q.sinceNs !== undefined) where.push(`timestamp_ns >= ${s.p(q.sinceNs, 'Int64')}`);
    if (q.untilNs !== undefined) where.push(`timestamp_ns <= ${s.p(q.untilNs, 'Int64')}`);
    if (q.requestId) {
      const [w] = await this.query(
        'SELECT count() AS n, min(start_ns) AS lo, max(end_ns) AS hi FROM request_index WHERE request_id = {r:String}',
        { r: q.requestId },
      );
      if (!w || Number(w.n) === 0) return { logs: [], nextCursor: null };
      where.push(`request_id = ${s.p(q.requestId, 'String')}`);
      where.push(`timestamp_ns BETWEEN ${s.p(big(w.lo), 'Int64')} AND ${s.p(big(w.hi), 'Int64')}`);
    }
    if (q.traceId) where.push(`trace_id = ${s.p(q.traceId, 'String')}`);
    if (q.service) where.push(`service = ${s.p(q.service, 'String')}`);
    if (q.minLevel) where.push(`level IN ${s.list(LEVELS.slice(LEVELS.indexOf(q.minLevel)))}`);
    if (q.text) {
      const t = s.p(q.text.toLowerCase(), 'String');
      // `error` as DuckDB's ->> gives it: the string itself, or the JSON text of anything else.
      const error =
        `if(JSONType(attributes, 'error') = 'String', JSONExtractString(attributes, 'error'), ` +
        `JSONExtractRaw(attributes, 'error'))`;
      where.push(
        `(position(lowerUTF8(body), ${t}) > 0 OR position(lowerUTF8(event), ${t}) > 0 ` +
          `OR position(lowerUTF8(${error}), ${t}) > 0)`,
      );
    }
    if (q.cursor) {
      const c = decodeCursor(q.cursor);
      const ts = s.p(c.ts, 'Int64');
      where.push(
        `(timestamp_ns < ${ts} OR (timestamp_ns = ${ts} AND row_id < ${s.p(c.rowId, 'UInt64')}))`,
      );
    }
    const rows = await this.query(
      `SELECT ${LOG_COLUMNS}, row_id FROM logs` +
        (where.length ? ` WHERE ${where.join(' AND ')}` : '') +
        ` ORDER BY timestamp_ns DESC, row_id DESC LIMIT ${s.p(q.limit + 1, 'UInt64')}`,
      s.params,
    );
    const page = rows.slice(0, q.limit);
    const last = page[page.length - 1];
    return {
      logs: page.map(toLog),
      nextCursor:
        rows.length > q.limit && last
          ? encodeCursor(big(last.timestamp_ns), big(last.row_id))
          : null,
    };
  }

  /** Newest first, in growing slices back from the end (see scan-windows.ts). */
  searchTraces(q: TraceQuery): Promise<string[]> {
    return searchNewestFirst(q, (from, to, limit, exclude) =>
      this.searchSlice(q, from, to, limit, exclude),
    );
  }

  private async searchSlice(
    q: TraceQuery,
    fromNs: bigint,
    toNs: bigint,
    limit: number,
    exclude: Set<string>,
  ): Promise<string[]> {
    const s = new Sql();
    const where = [`start_ns BETWEEN ${s.p(fromNs, 'Int64')} AND ${s.p(toNs, 'Int64')}`];
    if (q.service) where.push(`service = ${s.p(q.service, 'String')}`);
    if (q.operation) where.push(`name = ${s.p(q.operation, 'String')}`);
    if (q.minDurationNs !== undefined)
      where.push(`duration_ns >= ${s.p(q.minDurationNs, 'Int64')}`);
    if (q.maxDurationNs !== undefined)
      where.push(`duration_ns <= ${s.p(q.maxDurationNs, 'Int64')}`);
    for (const tag of q.tags) where.push(tagCondition(s, tag.key, tag.value));
    if (q.errorsOnly) {
      where.push(
        `trace_id IN (SELECT trace_id FROM spans WHERE status_code = 2 AND start_ns BETWEEN ${s.p(q.startNs, 'Int64')} AND ${s.p(q.endNs, 'Int64')})`,
      );
    }
    const rows = await this.query(
      `SELECT trace_id, max(start_ns) AS last FROM spans WHERE ${where.join(' AND ')} ` +
        `GROUP BY trace_id ORDER BY last DESC, trace_id LIMIT ${s.p(limit + exclude.size, 'UInt64')}`,
      s.params,
    );
    return rows
      .map((r) => String(r.trace_id))
      .filter((id) => !exclude.has(id))
      .slice(0, limit);
  }

  async services(): Promise<string[]> {
    const rows = await this.query('SELECT DISTINCT service FROM operations ORDER BY service');
    return rows.map((r) => String(r.service));
  }

  async operations(f: { service?: string; kind?: SpanKind }): Promise<OperationInfo[]> {
    const s = new Sql();
    const where: string[] = [];
    if (f.service !== undefined) where.push(`service = ${s.p(f.service, 'String')}`);
    if (f.kind !== undefined) where.push(`kind = ${s.p(f.kind, 'UInt8')}`);
    // DISTINCT: rows of one operation from different inserts may not have merged yet.
    const rows = await this.query(
      'SELECT DISTINCT service, name, kind FROM operations' +
        (where.length ? ` WHERE ${where.join(' AND ')}` : '') +
        ' ORDER BY service, name, kind',
      s.params,
    );
    return rows.map((r) => ({
      service: String(r.service),
      name: String(r.name),
      kind: Number(r.kind) as SpanKind,
    }));
  }

  async dependencies(startNs: bigint, endNs: bigint): Promise<DependencyEdge[]> {
    const s = new Sql();
    const a = s.p(startNs, 'Int64');
    const b = s.p(endNs, 'Int64');
    // The parents' time filter sits inside the joined subquery: ClickHouse builds the right
    // side of a join in memory, so it must be bounded before the join, not after.
    const rows = await this.query(
      `SELECT p.service AS parent, c.service AS child, count() AS calls,
              countIf(c.status_code = 2) AS errors
         FROM (SELECT trace_id, parent_span_id, service, status_code FROM spans
                WHERE start_ns BETWEEN ${a} AND ${b} AND parent_span_id <> '') AS c
         INNER JOIN (SELECT trace_id, span_id, service FROM spans
                WHERE start_ns BETWEEN ${s.p(startNs - PARENT_SLACK_NS, 'Int64')} AND ${b}) AS p
           ON p.trace_id = c.trace_id AND p.span_id = c.parent_span_id
        WHERE p.service <> c.service
        GROUP BY parent, child ORDER BY parent, child`,
      s.params,
    );
    return rows.map((r) => ({
      parent: String(r.parent),
      child: String(r.child),
      callCount: Number(r.calls),
      errorCount: Number(r.errors),
    }));
  }

  async spanStats(q: SpanStatsQuery): Promise<SpanStats> {
    const s = new Sql();
    const where = [`start_ns BETWEEN ${s.p(q.startNs, 'Int64')} AND ${s.p(q.endNs, 'Int64')}`];
    if (q.service) where.push(`service = ${s.p(q.service, 'String')}`);
    const w = where.join(' AND ');
    const [svc, ops] = await Promise.all([
      this.query(
        `SELECT service, ${LATENCY} FROM spans WHERE ${w} AND (${ENTRY_SPAN})
          GROUP BY service ORDER BY service`,
        s.params,
      ),
      this.query(
        `SELECT service, name, kind, ${LATENCY} FROM spans WHERE ${w}
          GROUP BY service, name, kind ORDER BY service, name, kind`,
        s.params,
      ),
    ]);
    return {
      services: svc.map((r) => ({ service: String(r.service), ...latency(r) })),
      operations: ops.map((r) => ({
        service: String(r.service),
        operation: String(r.name),
        kind: Number(r.kind) as SpanKind,
        ...latency(r),
      })),
    };
  }

  async healthCounts(sinceNs: bigint): Promise<HealthCounts> {
    const s = new Sql();
    const since = s.p(sinceNs, 'Int64');
    // trace_index may hold several unmerged rows per trace: count traces, not rows.
    const [r] = await this.query(
      `SELECT (SELECT count() FROM spans) AS spans_total,
              (SELECT count() FROM logs) AS logs_total,
              (SELECT uniqExact(trace_id) FROM trace_index) AS traces_total,
              (SELECT count() FROM (SELECT trace_id FROM trace_index GROUP BY trace_id
                 HAVING min(start_ns) >= ${since})) AS recent_traces,
              count() AS recent_spans,
              countIf(status_code = 2) AS recent_errors,
              if(countIf(parent_span_id = '') = 0, NULL, avgIf(duration_ns, parent_span_id = '')) AS avg_root_ns
         FROM spans WHERE start_ns >= ${since}`,
      s.params,
    );
    return {
      spansTotal: Number(r.spans_total),
      logsTotal: Number(r.logs_total),
      tracesTotal: Number(r.traces_total),
      recentTraces: Number(r.recent_traces),
      recentSpans: Number(r.recent_spans),
      recentErrorSpans: Number(r.recent_errors),
      avgRootLatencyMs: nsToMs(r.avg_root_ns),
    };
  }
}

/** One tag condition on a span; the same Jaeger field keys as the DuckDB reader. */
function tagCondition(s: Sql, key: string, value: string): string {
  const v = value.toLowerCase();
  switch (key) {
    case 'error':
      return v === 'true' ? 'status_code = 2' : 'status_code <> 2';
    case 'span.kind': {
      const kinds: Record<string, number> = {
        internal: 1,
        server: 2,
        client: 3,
        producer: 4,
        consumer: 5,
      };
      return `kind = ${s.p(kinds[v] ?? 255, 'UInt8')}`;
    }
    case 'otel.status_code': {
      const codes: Record<string, number> = { unset: 0, ok: 1, error: 2 };
      return `status_code = ${s.p(codes[v] ?? 255, 'UInt8')}`;
    }
    case 'service.name':
      return `service = ${s.p(value, 'String')}`;
    case 'request.id':
      return `request_id = ${s.p(value, 'String')}`;
    default: {
      // The substring prefilter of the DuckDB reader (compact JSON from the writer), then the
      // exact test: a string value, or the raw JSON text of a number or boolean.
      const k = JSON.stringify(key);
      const needles = [`${k}:${JSON.stringify(value)}`];
      if (/^(-?\d+(\.\d+)?([eE][+-]?\d+)?|true|false)$/.test(value)) needles.push(`${k}:${value}`);
      const pre = needles
        .map((n) => s.p(n, 'String'))
        .flatMap((n) => [`position(attributes, ${n}) > 0`, `position(resource, ${n}) > 0`])
        .join(' OR ');
      const kp = s.p(key, 'String');
      const val = s.p(value, 'String');
      const exact = (col: string) =>
        `(JSONExtractString(${col}, ${kp}) = ${val} OR (JSONType(${col}, ${kp}) NOT IN ('String', 'Null') ` +
        `AND JSONExtractRaw(${col}, ${kp}) = ${val}))`;
      return `(${pre}) AND (${exact('attributes')} OR ${exact('resource')})`;
    }
  }
}
