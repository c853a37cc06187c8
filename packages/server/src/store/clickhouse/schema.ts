/**
 * ClickHouse schema: the DuckDB twin's tables and column names (duckdb/schema.ts), laid out for
 * ClickHouse. Every statement is idempotent (IF NOT EXISTS), so open() runs them all each time.
 *
 * - spans/logs: MergeTree, one partition per UTC day (retention drops whole days cheaply),
 *   sorted by (service, time) so service + time-range searches read a few granules; trace_id
 *   and request_id get bloom-filter skip indexes for point lookups outside that order.
 * - trace_index / request_index: AggregatingMergeTree keeping min(start) / max(end) per key, so
 *   "trace by id" and "request by id" find their time window first, then scan spans/logs
 *   pruned by it. Rows merge in the background; readers always aggregate (GROUP BY).
 * - operations: ReplacingMergeTree, one row per (service, name, kind) after merges.
 * - Optional strings are '' rather than Nullable (ClickHouse's idiom; the reader maps '' to
 *   absent, as the DuckDB reader does for NULL); optional numbers stay Nullable.
 * - logs.row_id: DuckDB's rowid has no ClickHouse equivalent; the writer assigns an increasing
 *   id so equal-timestamp log lines keep insertion order and cursors stay stable.
 */

export interface SchemaOptions {
  /** Days to keep spans and logs (a TTL clause); absent: kept until enforceRetention. */
  ttlDays?: number;
  /** Cluster name: tables become Replicated *_local tables plus Distributed tables over them. */
  cluster?: string;
  /** Database the tables live in (Distributed tables name it). */
  database: string;
}

export function quoteIdent(name: string): string {
  if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) {
    throw new Error(`clickhouse: "${name}" is not a plain identifier (letters, digits, _)`);
  }
  return name;
}

const day = (ns: string) => `toDate(toDateTime(intDiv(${ns}, 1000000000), 'UTC'))`;
const ttl = (ns: string, days?: number) =>
  days === undefined
    ? ''
    : `TTL toDateTime(intDiv(${ns}, 1000000000), 'UTC') + INTERVAL ${days} DAY`;

interface Table {
  name: string;
  columns: string;
  engine: 'MergeTree' | 'AggregatingMergeTree' | 'ReplacingMergeTree';
  tail: string;
  /** Distributed sharding key: a trace's rows on one shard keeps lookups on one node. */
  shardBy: string;
}

function tables(o: SchemaOptions): Table[] {
  return [
    {
      name: 'spans',
      columns: `
    trace_id        String,
    span_id         String,
    parent_span_id  String,
    trace_state     String,
    name            LowCardinality(String),
    kind            UInt8,
    service         LowCardinality(String),
    start_ns        Int64,
    duration_ns     Int64,
    status_code     UInt8,
    status_message  String,
    request_id      String,
    attributes      String,
    resource        String,
    scope_name      LowCardinality(String),
    scope_version   LowCardinality(String),
    events          String,
    links           String,
    ai_kind         LowCardinality(String),
    ai_provider     LowCardinality(String),
    ai_model        LowCardinality(String),
    ai_operation    LowCardinality(String),
    ai_input_tokens Nullable(Int64),
    ai_output_tokens Nullable(Int64),
    ai_cache_read_tokens Nullable(Int64),
    ai_cache_creation_tokens Nullable(Int64),
    ai_reasoning_tokens Nullable(Int64),
    ai_cost_usd     Nullable(Float64),
    ai_cost_source  LowCardinality(String),
    ai_ttft_ms      Nullable(Float64),
    ai_session_id   String,
    ai_user_id      String,
    INDEX trace_id_bloom trace_id TYPE bloom_filter(0.01) GRANULARITY 1,
    INDEX request_id_bloom request_id TYPE bloom_filter(0.01) GRANULARITY 1`,
      engine: 'MergeTree',
      tail: `PARTITION BY ${day('start_ns')} ORDER BY (service, start_ns) ${ttl('start_ns', o.ttlDays)}`,
      shardBy: 'cityHash64(trace_id)',
    },
    {
      name: 'logs',
      columns: `
    timestamp_ns    Int64,
    observed_ns     Nullable(Int64),
    severity_number UInt8,
    level           LowCardinality(String),
    service         LowCardinality(String),
    event           LowCardinality(String),
    body            String,
    trace_id        String,
    span_id         String,
    request_id      String,
    attributes      String,
    resource        String,
    source          LowCardinality(String),
    row_id          UInt64,
    INDEX trace_id_bloom trace_id TYPE bloom_filter(0.01) GRANULARITY 1,
    INDEX request_id_bloom request_id TYPE bloom_filter(0.01) GRANULARITY 1`,
      engine: 'MergeTree',
      tail: `PARTITION BY ${day('timestamp_ns')} ORDER BY (service, timestamp_ns) ${ttl('timestamp_ns', o.ttlDays)}`,
      shardBy: 'cityHash64(trace_id)',
    },
    {
      name: 'trace_index',
      columns: `
    trace_id        String,
    start_ns        SimpleAggregateFunction(min, Int64),
    end_ns          SimpleAggregateFunction(max, Int64)`,
      engine: 'AggregatingMergeTree',
      tail: `ORDER BY trace_id ${ttl('end_ns', o.ttlDays)}`,
      shardBy: 'cityHash64(trace_id)',
    },
    {
      name: 'request_index',
      columns: `
    request_id      String,
    trace_id        String,
    start_ns        SimpleAggregateFunction(min, Int64),
    end_ns          SimpleAggregateFunction(max, Int64)`,
      engine: 'AggregatingMergeTree',
      tail: `ORDER BY (request_id, trace_id) ${ttl('end_ns', o.ttlDays)}`,
      shardBy: 'cityHash64(request_id)',
    },
    {
      name: 'operations',
      columns: `
    service         LowCardinality(String),
    name            LowCardinality(String),
    kind            UInt8`,
      engine: 'ReplacingMergeTree',
      tail: 'ORDER BY (service, name, kind)',
      shardBy: 'cityHash64(service)',
    },
  ];
}

/** The DDL statements open() runs, in order. */
export function schemaStatements(o: SchemaOptions): string[] {
  const db = quoteIdent(o.database);
  if (!o.cluster) {
    return tables(o).map(
      (t) =>
        `CREATE TABLE IF NOT EXISTS ${db}.${t.name} (${t.columns}\n) ENGINE = ${t.engine} ${t.tail}`,
    );
  }
  const cluster = quoteIdent(o.cluster);
  const out: string[] = [`CREATE DATABASE IF NOT EXISTS ${db} ON CLUSTER ${cluster}`];
  for (const t of tables(o)) {
    // {shard} and {replica} are the server's macros; each replica of a shard shares the path.
    out.push(
      `CREATE TABLE IF NOT EXISTS ${db}.${t.name}_local ON CLUSTER ${cluster} (${t.columns}\n) ` +
        `ENGINE = Replicated${t.engine}('/clickhouse/tables/{shard}/${db}/${t.name}', '{replica}') ${t.tail}`,
      `CREATE TABLE IF NOT EXISTS ${db}.${t.name} ON CLUSTER ${cluster} AS ${db}.${t.name}_local ` +
        `ENGINE = Distributed(${cluster}, ${db}, ${t.name}_local, ${t.shardBy})`,
    );
  }
  return out;
}

/** Tables a retention delete touches (the *_local ones on a cluster). */
export function dataTable(
  o: SchemaOptions,
  name: 'spans' | 'logs' | 'trace_index' | 'request_index',
): string {
  return o.cluster
    ? `${quoteIdent(o.database)}.${name}_local ON CLUSTER ${quoteIdent(o.cluster)}`
    : `${quoteIdent(o.database)}.${name}`;
}
