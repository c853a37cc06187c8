/**
 * StoreReader on DuckDB. Parameterised SQL only: user input never becomes SQL text (lists become
 * `$p0, $p1 …` placeholders). Point lookups go through trace_index / request_index first so the
 * scan of spans and logs is bounded by a time range, which DuckDB prunes with row-group min/max.
 */
import {
  DuckDBConnection,
  DuckDBInstance,
  type DuckDBType,
  type DuckDBValue,
  UBIGINT,
  UHUGEINT,
  UINTEGER,
} from '@duckdb/node-api';
import type { AiReader } from '../ai-reader.js';
import type { AlertsReader } from '../alerts-reader.js';
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
import type { LogLevel, LogRecord, SpanKind, SpanRecord } from '../records.js';
import { LOG_SLACK_NS, PARENT_SLACK_NS, searchNewestFirst } from '../scan-windows.js';
import { mayMove } from './ai-attrs.js';
import { duckDbAiReader } from './ai-sql.js';
import { spanAttrSql } from './attr-sql.js';
import { requestKey, spanIdValue, traceHexSql, traceIdValue, traceKey } from './ids.js';
import {
  FOLDED_NS_SQL,
  FOLDED_TICKS_SQL,
  foldedWindowNs,
  tickAtOrAfter,
  windowNs,
} from './index-windows.js';
import {
  ENTRY_SPAN_SQL,
  IS_ROOT_SQL,
  ParentResolver,
  parentIdSql,
  parentJoinSql,
  parentRefMatchSql,
} from './parent-refs.js';
import { duckDbAlertsReader } from './reader-alerts.js';
import {
  type JsonField,
  LOG_COLUMNS,
  LOG_FIELDS,
  nsToMs,
  SPAN_FIELDS,
  SPAN_OUTLINE_FIELDS,
  SPAN_SELECT,
  toLog,
  toSpan,
} from './reader-rows.js';
import { TRACE_INDEX, tracesEstimateSql } from './trace-index.js';

type Params = Record<string, DuckDBValue>;
type Types = Record<string, DuckDBType>;
type Row = Record<string, unknown>;

/** A UHUGEINT trace ID (as node-api returns it) → 32 lowercase hex digits. */
function traceHex(v: unknown): string {
  return typeof v === 'bigint' ? v.toString(16).padStart(32, '0') : String(v);
}

const LEVELS: LogLevel[] = ['debug', 'info', 'warn', 'error', 'fatal'];

/**
 * Columns → row objects. The node-api's own getRowObjectsJS took 6 s for 50k spans (per-value
 * wrapping); reading columns and zipping them here takes a fraction of that.
 */
function rowsOf(names: string[], columns: unknown[][]): Row[] {
  const n = columns[0]?.length ?? 0;
  const rows: Row[] = new Array(n);
  for (let i = 0; i < n; i++) {
    const row: Row = {};
    for (let k = 0; k < names.length; k++) row[names[k]] = columns[k][i];
    rows[i] = row;
  }
  return rows;
}

function cmp(a: bigint, b: bigint): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

interface Window {
  traceId: string;
  startNs: bigint;
  endNs: bigint;
}

/** A log line and its row, which tells equal lines apart. */
interface LogRow {
  log: LogRecord;
  rowId: bigint;
}

interface Cluster {
  /** Real trace IDs of the cluster ('' windows — log lines with no trace — only widen it). */
  traceIds: string[];
  startNs: bigint;
  endNs: bigint;
}

/** Most scan branches a lookup uses; past this, the nearest clusters are merged. */
const MAX_CLUSTERS = 4;

/**
 * Merges windows closer than two log slacks, so the clusters' scan ranges never overlap; then
 * merges across the smallest gaps until at most MAX_CLUSTERS remain, since each branch costs
 * at least one row-group scan (a search result's traces are often minutes apart).
 */
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
  while (out.length > MAX_CLUSTERS) {
    let best = 0;
    for (let i = 1; i < out.length - 1; i++) {
      if (out[i + 1].startNs - out[i].endNs < out[best + 1].startNs - out[best].endNs) best = i;
    }
    const [a, b] = [out[best], out[best + 1]];
    // biome-ignore lint/complexity/useMathMinMax: bigints, which Math.max does not take
    a.endNs = a.endNs > b.endNs ? a.endNs : b.endNs;
    for (const t of b.traceIds) if (!a.traceIds.includes(t)) a.traceIds.push(t);
    out.splice(best + 1, 1);
  }
  return out;
}

/** Builds `$name` parameters for a query, so values never become SQL text. */
class Sql {
  readonly params: Params = {};
  /** Types of the parameters that need one (unsigned 64/128-bit IDs and keys). */
  readonly types: Types = {};
  private n = 0;
  /** Registers a value and returns its placeholder. */
  p(value: DuckDBValue, type?: DuckDBType): string {
    const name = `p${this.n++}`;
    this.params[name] = value;
    if (type) this.types[name] = type;
    return `$${name}`;
  }
  /** `($p0, $p1, …)` for a non-empty list. */
  list(values: readonly DuckDBValue[], type?: DuckDBType): string {
    return `(${values.map((v) => this.p(v, type)).join(', ')})`;
  }
}

/** The UHUGEINT values of the well-formed trace IDs among `ids` (others match nothing). */
function traceValues(ids: readonly string[]): bigint[] {
  return ids.map(traceIdValue).filter((v): v is bigint => v !== undefined);
}

function jsonPath(key: string): string {
  return `$."${key.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
}

function encodeCursor(ts: bigint, rowid: bigint): string {
  return Buffer.from(`${ts}:${rowid}`).toString('base64url');
}

function decodeCursor(cursor: string): { ts: bigint; rowid: bigint } {
  const m = /^(-?\d{1,20}):(\d{1,20})$/.exec(Buffer.from(cursor, 'base64url').toString());
  if (!m) throw new InvalidCursorError();
  return { ts: BigInt(m[1]), rowid: BigInt(m[2]) };
}

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

const LATENCY =
  'count(*) AS n, count(*) FILTER (WHERE status_code = 2) AS errors, avg(duration_ns) AS avg_ns, ' +
  'quantile_cont(duration_ns, [0.5, 0.95, 0.99]) AS q, max(duration_ns) AS max_ns';

export class DuckDbReader implements StoreReader {
  private readonly idle: DuckDBConnection[] = [];
  private readonly waiting: Array<(c: DuckDBConnection) => void> = [];
  private readonly owned: DuckDBConnection[] = [];
  private opening = 0;
  private closed = false;
  private readonly poolSize: number;
  private readonly barrier?: () => Promise<void> | undefined;
  private readonly ai = duckDbAiReader((sql, params) => this.query(sql, params));
  readonly aiUsage: AiReader['aiUsage'] = (q) => this.ai.aiUsage(q);
  readonly aiModelLatency: AiReader['aiModelLatency'] = (q) => this.ai.aiModelLatency(q);
  readonly aiCalls: AiReader['aiCalls'] = (q) => this.ai.aiCalls(q);
  readonly aiSeries: AiReader['aiSeries'] = (q) => this.ai.aiSeries(q);
  // ---- alerts (src/alerts): SQL in reader-alerts.ts ----
  private readonly alerts = duckDbAlertsReader(
    (sql, params) => this.query(sql, params),
    (traceIds) => this.traceRequestIds(traceIds),
  );
  readonly alertWindowStats: AlertsReader['alertWindowStats'] = (q) =>
    this.alerts.alertWindowStats(q);
  readonly alertExamples: AlertsReader['alertExamples'] = (q) => this.alerts.alertExamples(q);
  readonly lastSeenNs: AlertsReader['lastSeenNs'] = (s, since) => this.alerts.lastSeenNs(s, since);

  /**
   * From an instance the reader opens its own connections (up to `poolSize`, default 2), so
   * reads never wait behind the writer's appends and a lookup's span and log scans run side by
   * side. From a single connection it runs one query at a time on it.
   */
  constructor(
    private readonly source: DuckDBInstance | DuckDBConnection,
    options: {
      poolSize?: number;
      /** Awaited before each query: the store's writes a read must see (see DuckDbStore). */
      barrier?: () => Promise<void> | undefined;
    } = {},
  ) {
    this.barrier = options.barrier;
    this.poolSize = source instanceof DuckDBConnection ? 1 : Math.max(1, options.poolSize ?? 2);
    if (source instanceof DuckDBConnection) this.idle.push(source);
  }

  private async acquire(): Promise<DuckDBConnection> {
    if (this.closed) throw new Error('store reader is closed');
    const wait = this.barrier?.();
    if (wait) await wait;
    const c = this.idle.pop();
    if (c) return c;
    if (this.source instanceof DuckDBInstance && this.owned.length + this.opening < this.poolSize) {
      this.opening++;
      try {
        const conn = await this.source.connect();
        this.owned.push(conn);
        return conn;
      } finally {
        this.opening--;
      }
    }
    return new Promise((resolve) => this.waiting.push(resolve));
  }

  private release(c: DuckDBConnection): void {
    const next = this.waiting.shift();
    if (next) next(c);
    else this.idle.push(c);
  }

  /** DuckDB connections are not for concurrent use: each query holds one from the pool. */
  private async query(sql: string, params: Params = {}, types?: Types): Promise<Row[]> {
    const c = await this.acquire();
    try {
      const reader = await c.runAndReadAll(sql, params, types);
      return rowsOf(reader.columnNames(), reader.getColumnsJS());
    } finally {
      this.release(c);
    }
  }

  /**
   * For results of thousands of rows: DuckDB renders them as one JSON text, parsed once here.
   * Converting values one by one through the node-api took ~5× longer at 50k spans. Each row is
   * a JSON array in `fields` order: objects repeated every key (the AI columns' mostly null ones
   * too), twice the text to build and parse (50k spans: 40 MB → 17 MB, ~2× faster overall).
   * BIGINT fields travel as text so nanoseconds keep every digit.
   */
  private async queryJsonRows<T>(
    sql: string,
    params: Params,
    fields: readonly JsonField[],
    types: Types | undefined,
    convert: (row: Row) => T,
  ): Promise<T[]> {
    const values = fields
      .map((f) => {
        const col = f.onlyIf ? `CASE WHEN ${f.onlyIf} THEN ${f.name} END` : f.name;
        return `coalesce(${f.big ? `'"' || ${col}::VARCHAR || '"'` : `to_json(${col})::VARCHAR`}, 'null')`;
      })
      .join(', ');
    const [r] = await this.query(
      `SELECT string_agg('[' || concat_ws(',', ${values}) || ']', ',') AS j FROM (${sql})`,
      params,
      types,
    );
    const text = r?.j;
    if (typeof text !== 'string' || text === '') return [];
    const tuples = JSON.parse(`[${text}]`) as unknown[][];
    // One row object, refilled for each tuple: `convert` copies what it needs out of it, and
    // 50k short-lived rows of ~30 fields were a large share of the lookup's garbage.
    const row: Row = {};
    const out: T[] = new Array(tuples.length);
    for (let i = 0; i < tuples.length; i++) {
      const t = tuples[i];
      for (let k = 0; k < fields.length; k++) row[fields[k].name] = t[k];
      out[i] = convert(row);
    }
    return out;
  }

  /** Closes the connections the reader opened itself (not one it was given). */
  close(): void {
    this.closed = true;
    for (const c of this.owned) c.closeSync();
    this.owned.length = 0;
    this.idle.length = 0;
  }

  /**
   * Which traces, and the window each covers. A trace's window (trace_index, a scan of one 32-bit
   * key column) covers all its spans and log lines (v9), so the scans that follow need no slack.
   * A request's traces are those whose spans carry its ID (or a log line: see lookup):
   * request_index gives the windows where it appeared (one row per trace per commit), which bound
   * a scan for them. Those windows stay in the result too, for the request's log lines.
   */
  private async indexWindows(
    requestIds: string[],
    traceIds: string[],
  ): Promise<{ windows: Window[]; indexed: Set<string> }> {
    const windows: Window[] = [];
    const found = requestIds.length > 0 ? await this.requestTraces(requestIds, windows) : [];
    // Keys of the well-formed trace IDs (a malformed one has no spans, only log lines).
    const keyOf = new Map<string, number>();
    for (const t of [...traceIds, ...found]) {
      const k = traceKey(t);
      if (k !== undefined) keyOf.set(t, k);
    }
    const indexed = new Set<string>();
    if (keyOf.size === 0) return { windows, indexed };
    const s = new Sql();
    const rows = await this.query(
      `SELECT trace_key, ${FOLDED_TICKS_SQL} FROM ${TRACE_INDEX} ` +
        `WHERE trace_key IN ${s.list([...new Set(keyOf.values())], UINTEGER)} GROUP BY trace_key`,
      s.params,
      s.types,
    );
    // A key two traces share gives both the window of both: wider, never wrong (ids.ts).
    const byKey = new Map(rows.map((r) => [Number(r.trace_key), r]));
    for (const [traceId, k] of keyOf) {
      const w = foldedWindowNs(byKey.get(k));
      if (!w) continue;
      windows.push({ traceId, ...w });
      indexed.add(traceId);
    }
    return { windows, indexed };
  }

  /**
   * The traces of the requests whose spans carry a request ID, looked for only in the windows
   * request_index gives, which are added to `windows`. (Traces only a log line ties to the request
   * come from the logs scan: see lookup.)
   */
  private async requestTraces(requestIds: string[], windows: Window[]): Promise<string[]> {
    const k = new Sql();
    const rows = await this.query(
      `SELECT start_tick, length_ticks FROM request_index WHERE request_key IN ${k.list(requestIds.map(requestKey), UINTEGER)}`,
      k.params,
      k.types,
    );
    const own: Window[] = rows.map((r) => ({
      traceId: '',
      ...windowNs(r.start_tick as bigint, r.length_ticks as number),
    }));
    windows.push(...own);
    if (own.length === 0) return [];
    const s = new Sql();
    const ids = s.list(requestIds);
    const branches = clusterWindows(own).map(
      (c) =>
        `SELECT DISTINCT trace_id FROM spans WHERE request_id IN ${ids} ` +
        `AND start_ns BETWEEN ${s.p(c.startNs)} AND ${s.p(c.endNs)}`,
    );
    const traces = await this.query(branches.join(' UNION '), s.params, s.types);
    return traces.map((r) => traceHex(r.trace_id));
  }

  async lookup(q: LookupQuery): Promise<SpansAndLogs> {
    const requestIds = [...new Set(q.requestIds)];
    const traceIds = [...new Set(q.traceIds)];
    const { spans, logRows, traces } = await this.scan(q, requestIds, traceIds);
    // A trace whose spans do not carry the request ID (a service that does not propagate it)
    // but whose log lines do: its log lines came with the request's, its spans and other lines
    // come now.
    if (requestIds.length > 0 && !q.spanIds) {
      const asked = new Set(requestIds);
      const more = new Set<string>();
      for (const { log } of logRows) {
        const t = log.traceId;
        if (t && log.requestId && asked.has(log.requestId) && !traces.has(t)) more.add(t);
      }
      if (more.size > 0) {
        const next = await this.scan(q, [], [...more]);
        spans.push(...next.spans);
        const seen = new Set(logRows.map((r) => r.rowId));
        logRows.push(...next.logRows.filter((r) => !seen.has(r.rowId)));
      }
    }
    spans.sort(
      (a, b) =>
        cmp(a.startNs, b.startNs) || (a.spanId < b.spanId ? -1 : a.spanId > b.spanId ? 1 : 0),
    );
    logRows.sort((a, b) => cmp(a.log.timestampNs, b.log.timestampNs) || cmp(a.rowId, b.rowId));
    return { spans, logs: logRows.map((r) => r.log) };
  }

  /** Spans and log lines of the requests and traces, and which traces that covered. */
  private async scan(
    q: LookupQuery,
    requestIds: string[],
    traceIds: string[],
  ): Promise<{ spans: SpanRecord[]; logRows: LogRow[]; traces: Set<string> }> {
    const none = { spans: [], logRows: [], traces: new Set<string>() };
    if (requestIds.length === 0 && traceIds.length === 0) return none;

    // 1. Which traces, and the time window each covers (spans and log lines alike).
    const { windows, indexed } = await this.indexWindows(requestIds, traceIds);
    // Unknown request IDs alone: nothing was indexed, so there is nothing to scan for.
    if (windows.length === 0 && traceIds.length === 0) return none;
    const traces = new Set([...traceIds, ...windows.map((w) => w.traceId).filter(Boolean)]);
    // A trace ID with no trace_index entry has no spans and no log lines under that well-formed
    // ID (v9 indexes those too); a malformed one may have log lines (an NDJSON sender's own IDs):
    // those are found by an unbounded scan of logs.
    const unindexed = traceIds.filter((t) => !indexed.has(t));
    const clusters = clusterWindows(windows);

    // 2. One branch per cluster of nearby windows, so each scan is pruned to its own range even
    // when the traces of a search result lie hours apart.
    const s = new Sql();
    let spanIdList: string | undefined;
    const spanFilter = () => {
      if (!q.spanIds) return '';
      const values = q.spanIds.map(spanIdValue).filter((v): v is bigint => v !== undefined);
      if (values.length === 0) return ' AND false';
      spanIdList ??= s.list(values, UBIGINT);
      return ` AND c.span_id IN ${spanIdList}`;
    };
    // Whole traces come with the parents their spans refer to (ParentResolver); some spans
    // alone (`spanIds`) are joined to theirs in SQL.
    const spanBranches = clusters
      .filter((c) => c.traceIds.length > 0)
      .map((c) => {
        const traces = s.list(traceValues(c.traceIds), UHUGEINT);
        const window = `BETWEEN ${s.p(c.startNs)} AND ${s.p(c.endNs)}`;
        const where = `c.trace_id IN ${traces} AND c.start_ns ${window}${spanFilter()}`;
        if (!q.spanIds) return `SELECT ${SPAN_SELECT} FROM spans c WHERE ${where}`;
        const scope = `p.trace_id IN ${traces} AND p.start_ns ${window}`;
        return (
          `SELECT ${SPAN_SELECT} FROM (SELECT c.* REPLACE (${parentIdSql('c', 'p')} AS parent_span_id) ` +
          `FROM spans c ${parentJoinSql('c', 'p', scope)} WHERE ${where})`
        );
      });
    const parents = new ParentResolver();
    const spansQuery = spanBranches.length
      ? this.queryJsonRows(
          spanBranches.join(' UNION ALL '),
          s.params,
          q.outline ? SPAN_OUTLINE_FIELDS : SPAN_FIELDS,
          s.types,
          (r) => {
            const span = toSpan(r);
            parents.add(span, r.write_batch, r.parent_ref);
            return span;
          },
        )
      : Promise.resolve([]);

    const l = new Sql();
    let reqPlaceholders: string | undefined;
    // Registered on first use: DuckDB refuses parameters that the SQL does not reference.
    const reqList = () => {
      reqPlaceholders ??= l.list(requestIds);
      return reqPlaceholders;
    };
    const logBranches = clusters.map((c) => {
      const who: string[] = [];
      if (requestIds.length > 0) who.push(`request_id IN ${reqList()}`);
      if (c.traceIds.length > 0) who.push(`trace_id IN ${l.list(c.traceIds)}`);
      return (
        `SELECT ${LOG_COLUMNS}, rowid AS row_id FROM logs WHERE (${who.join(' OR ')}) AND timestamp_ns ` +
        `BETWEEN ${l.p(c.startNs)} AND ${l.p(c.endNs)}`
      );
    });
    if (unindexed.length > 0) {
      logBranches.push(
        `SELECT ${LOG_COLUMNS}, rowid AS row_id FROM logs WHERE trace_id IN ${l.list(unindexed)}`,
      );
    }
    // Branch ranges are disjoint (clusters are more than two slacks apart), except the unbounded
    // one: UNION drops the rows it shares with another branch (row_id keeps equal lines apart).
    // Sorting here, not in SQL: wrapping the branches in an ORDER BY doubled the scan time.
    const [spans, logRows] = await Promise.all([
      spansQuery,
      q.spanIds
        ? []
        : this.queryJsonRows(
            logBranches.join(unindexed.length > 0 ? ' UNION ' : ' UNION ALL '),
            l.params,
            LOG_FIELDS,
            undefined,
            (r) => ({ log: toLog(r), rowId: BigInt(r.row_id as string) }),
          ),
    ]);
    parents.resolve();
    return { spans, logRows, traces };
  }

  async requestIdsOfTraces(traceIds: string[]): Promise<string[]> {
    const pairs = await this.traceRequestIds(traceIds);
    return [...new Set(pairs.map((p) => p.requestId))];
  }

  /**
   * The request IDs the traces' spans and log lines carry, as (trace, request ID) pairs ordered by
   * request ID. The traces' windows from trace_index (which cover their log lines) bound the scans.
   */
  private async traceRequestIds(
    traceIds: string[],
  ): Promise<{ traceId: string; requestId: string }[]> {
    const ids = [...new Set(traceIds)];
    const values = traceValues(ids);
    if (values.length === 0) return [];
    const s = new Sql();
    const keys = ids.map(traceKey).filter((k): k is number => k !== undefined);
    const rows = await this.query(
      `WITH w AS (SELECT ${FOLDED_NS_SQL} FROM ${TRACE_INDEX}
                   WHERE trace_key IN ${s.list(keys, UINTEGER)})
       SELECT DISTINCT trace, request_id FROM (
         SELECT ${traceHexSql('trace_id')} AS trace, request_id FROM spans, w
          WHERE trace_id IN ${s.list(values, UHUGEINT)} AND start_ns BETWEEN w.lo AND w.hi
         UNION ALL
         SELECT trace_id, request_id FROM logs, w WHERE trace_id IN ${s.list(ids)}
           AND (w.lo IS NULL OR timestamp_ns BETWEEN w.lo AND w.hi)
       ) WHERE request_id IS NOT NULL AND request_id <> '' ORDER BY request_id, trace`,
      s.params,
      s.types,
    );
    return rows.map((r) => ({ traceId: String(r.trace), requestId: String(r.request_id) }));
  }

  async searchLogs(q: LogQuery): Promise<LogPage> {
    const s = new Sql();
    const where: string[] = [];
    if (q.sinceNs !== undefined) where.push(`timestamp_ns >= ${s.p(q.sinceNs)}`);
    if (q.untilNs !== undefined) where.push(`timestamp_ns <= ${s.p(q.untilNs)}`);
    if (q.requestId) {
      // The request's window from request_index bounds the scan to a few row groups.
      const [r] = await this.query(
        `SELECT ${FOLDED_TICKS_SQL} FROM request_index WHERE request_key = $k`,
        { k: requestKey(q.requestId) },
        { k: UINTEGER },
      );
      const w = foldedWindowNs(r);
      if (!w) return { logs: [], nextCursor: null };
      where.push(`request_id = ${s.p(q.requestId)}`);
      where.push(`timestamp_ns BETWEEN ${s.p(w.startNs)} AND ${s.p(w.endNs)}`);
    }
    if (q.traceId) where.push(`trace_id = ${s.p(q.traceId)}`);
    if (q.service) where.push(`service = ${s.p(q.service)}`);
    if (q.minLevel) where.push(`level IN ${s.list(LEVELS.slice(LEVELS.indexOf(q.minLevel)))}`);
    if (q.text) {
      const t = s.p(q.text.toLowerCase());
      where.push(
        `(contains(lower(body), ${t}) OR contains(lower(coalesce(event, '')), ${t}) ` +
          `OR contains(lower(coalesce(attributes->>'$.error', '')), ${t}))`,
      );
    }
    if (q.cursor) {
      const c = decodeCursor(q.cursor);
      where.push(
        `(timestamp_ns < ${s.p(c.ts)} OR (timestamp_ns = ${s.p(c.ts)} AND rowid < ${s.p(c.rowid)}))`,
      );
    }
    const rows = await this.query(
      `SELECT ${LOG_COLUMNS}, rowid AS row_id FROM logs` +
        (where.length ? ` WHERE ${where.join(' AND ')}` : '') +
        ` ORDER BY timestamp_ns DESC, rowid DESC LIMIT ${s.p(q.limit + 1)}`,
      s.params,
    );
    const page = rows.slice(0, q.limit);
    const last = page[page.length - 1];
    return {
      logs: page.map(toLog),
      nextCursor:
        rows.length > q.limit && last
          ? encodeCursor(last.timestamp_ns as bigint, last.row_id as bigint)
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
    const where = [`start_ns BETWEEN ${s.p(fromNs)} AND ${s.p(toNs)}`];
    if (q.service) where.push(`service = ${s.p(q.service)}`);
    if (q.operation) where.push(`name = ${s.p(q.operation)}`);
    if (q.minDurationNs !== undefined) where.push(`duration_ns >= ${s.p(q.minDurationNs)}`);
    if (q.maxDurationNs !== undefined) where.push(`duration_ns <= ${s.p(q.maxDurationNs)}`);
    for (const tag of q.tags) where.push(tagCondition(s, tag.key, tag.value));
    if (q.errorsOnly) {
      where.push(
        `trace_id IN (SELECT trace_id FROM spans WHERE status_code = 2 AND start_ns BETWEEN ${s.p(q.startNs)} AND ${s.p(q.endNs)})`,
      );
    }
    // Traces already found in a newer slice are skipped in JS: a few extra rows are cheaper
    // than a growing NOT IN list.
    const rows = await this.query(
      `SELECT trace_id, max(start_ns) AS last FROM spans WHERE ${where.join(' AND ')} ` +
        `GROUP BY trace_id ORDER BY last DESC, trace_id LIMIT ${s.p(limit + exclude.size)}`,
      s.params,
    );
    return rows
      .map((r) => traceHex(r.trace_id))
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
    if (f.service !== undefined) where.push(`service = ${s.p(f.service)}`);
    if (f.kind !== undefined) where.push(`kind = ${s.p(f.kind)}`);
    const rows = await this.query(
      'SELECT service, name, kind FROM operations' +
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
    const a = s.p(startNs);
    const b = s.p(endNs);
    // A child names its parent by ID or, within its write batch, by reference (parent-refs.ts):
    // one join for each, so both stay hash joins.
    const rows = await this.query(
      `WITH c AS (SELECT trace_id, parent_span_id, write_batch, parent_ref, service, status_code
                    FROM spans WHERE start_ns BETWEEN ${a} AND ${b} AND NOT ${IS_ROOT_SQL}),
            p AS (SELECT trace_id, span_id, write_batch, service FROM spans
                   WHERE start_ns BETWEEN ${s.p(startNs - PARENT_SLACK_NS)} AND ${b}),
            pairs AS (
              SELECT p.service AS parent, c.service AS child, c.status_code
                FROM c JOIN p ON p.trace_id = c.trace_id AND p.span_id = c.parent_span_id
              UNION ALL
              SELECT p.service, c.service, c.status_code FROM c JOIN p ON ${parentRefMatchSql('c', 'p')})
       SELECT parent, child, count(*) AS calls, count(*) FILTER (WHERE status_code = 2) AS errors
         FROM pairs WHERE parent <> child GROUP BY 1, 2 ORDER BY 1, 2`,
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
    const where = [`start_ns BETWEEN ${s.p(q.startNs)} AND ${s.p(q.endNs)}`];
    if (q.service) where.push(`service = ${s.p(q.service)}`);
    const w = where.join(' AND ');
    // Two scans side by side on the pool; the entry filter as WHERE, not FILTER, is ~25% cheaper.
    const [svc, ops] = await Promise.all([
      this.query(
        `SELECT service, ${LATENCY} FROM spans WHERE ${w} AND ${ENTRY_SPAN_SQL}
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
    const since = s.p(sinceNs);
    const [r] = await this.query(
      `SELECT (SELECT count(*) FROM spans) AS spans_total,
              (SELECT count(*) FROM logs) AS logs_total,
              ${tracesEstimateSql()} AS traces_total,
              ${tracesEstimateSql(`start_tick >= ${s.p(tickAtOrAfter(sinceNs))}`)} AS recent_traces,
              count(*) AS recent_spans,
              count(*) FILTER (WHERE status_code = 2) AS recent_errors,
              avg(duration_ns) FILTER (WHERE ${IS_ROOT_SQL}) AS avg_root_ns
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

/**
 * One tag condition on a span. A few keys are Jaeger's views of span fields (error,
 * span.kind, otel.status_code); the rest match span attributes or resource attributes.
 */
function tagCondition(s: Sql, key: string, value: string): string {
  const v = value.toLowerCase();
  switch (key) {
    case 'error':
      return v === 'true' ? 'status_code = 2' : 'status_code <> 2';
    case 'span.kind': {
      const kinds: Record<string, SpanKind> = {
        internal: 1,
        server: 2,
        client: 3,
        producer: 4,
        consumer: 5,
      };
      return `kind = ${s.p(kinds[v] ?? 255)}`;
    }
    case 'otel.status_code': {
      const codes: Record<string, number> = { unset: 0, ok: 1, error: 2 };
      return `status_code = ${s.p(codes[v] ?? 255)}`;
    }
    case 'service.name':
      return `service = ${s.p(value)}`;
    case 'request.id':
      return `request_id = ${s.p(value)}`;
    default: {
      // Substring tests on the JSON texts first: far cheaper than parsing every row's JSON, and
      // necessary conditions because the writer stores compact JSON.stringify output (the key
      // as "key" among attr_keys, the value as "value", or 500 for numbers and booleans, among
      // attr_values; "key":value in resource). The exact check follows.
      const k = JSON.stringify(key);
      const values = [JSON.stringify(value)];
      const bare = /^(-?\d+(\.\d+)?([eE][+-]?\d+)?|true|false)$/.test(value);
      if (bare) values.push(value);
      // A bare number is only an element when [ or , stands before it and , or ] after it
      // ("37" alone would match 137 and 370 too).
      const elements = [JSON.stringify(value)];
      if (bare) elements.push(`[${value},`, `,${value},`, `,${value}]`, `[${value}]`);
      // A token count kept only in its ai_* column (ai-attrs.ts) is not among attr_values.
      const moved = mayMove(key) ? ' OR attr_ai IS NOT NULL' : '';
      const inAttributes = `contains(attr_keys, ${s.p(k)}) AND (${elements
        .map((v) => `contains(attr_values, ${s.p(v)})`)
        .join(' OR ')}${moved})`;
      const inResource = values.map((v) => `contains(resource, ${s.p(`${k}:${v}`)})`).join(' OR ');
      const path = s.p(jsonPath(key));
      const val = s.p(value);
      return (
        `((${inAttributes}) OR ${inResource}) AND (${spanAttrSql(s.p(key))} = ${val} ` +
        `OR json_extract_string(resource, ${path}) = ${val})`
      );
    }
  }
}
