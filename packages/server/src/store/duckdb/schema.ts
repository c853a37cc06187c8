/**
 * DuckDB schema, versioned. Each entry in MIGRATIONS runs once, in order, recorded in
 * `schema_version`. Column names and query shapes are kept identical to the ClickHouse twin.
 *
 * Layout notes:
 * - spans/logs are append-only and arrive roughly in time order, so DuckDB's per-row-group
 *   min/max (zonemaps) on start_ns/timestamp_ns prune scans once a time range is known.
 * - trace_index and request_index turn "trace by id" and "request by id" into an index
 *   point lookup (ART) that yields the time range, then a pruned scan of spans/logs.
 * - JSON columns keep attribute types; hot fields are promoted to their own columns.
 */
export const MIGRATIONS: readonly string[] = [
  /* v1 */ `
  CREATE TABLE spans (
    trace_id        VARCHAR NOT NULL,
    span_id         VARCHAR NOT NULL,
    parent_span_id  VARCHAR,
    trace_state     VARCHAR,
    name            VARCHAR NOT NULL,
    kind            UTINYINT NOT NULL,
    service         VARCHAR NOT NULL,
    start_ns        BIGINT NOT NULL,
    duration_ns     BIGINT NOT NULL,
    status_code     UTINYINT NOT NULL,
    status_message  VARCHAR,
    request_id      VARCHAR,
    attributes      JSON,
    resource        JSON,
    scope_name      VARCHAR,
    scope_version   VARCHAR,
    events          JSON,
    links           JSON
  );
  CREATE TABLE logs (
    timestamp_ns    BIGINT NOT NULL,
    observed_ns     BIGINT,
    severity_number UTINYINT NOT NULL,
    level           VARCHAR NOT NULL,
    service         VARCHAR NOT NULL,
    event           VARCHAR,
    body            VARCHAR NOT NULL,
    trace_id        VARCHAR,
    span_id         VARCHAR,
    request_id      VARCHAR,
    attributes      JSON,
    resource        JSON,
    source          VARCHAR NOT NULL
  );
  CREATE TABLE trace_index (
    trace_id        VARCHAR PRIMARY KEY,
    start_ns        BIGINT NOT NULL,
    end_ns          BIGINT NOT NULL
  );
  CREATE TABLE request_index (
    request_id      VARCHAR NOT NULL,
    trace_id        VARCHAR NOT NULL, -- '' for log lines that belong to no trace
    start_ns        BIGINT NOT NULL,
    end_ns          BIGINT NOT NULL,
    PRIMARY KEY (request_id, trace_id)
  );
  CREATE TABLE operations (
    service         VARCHAR NOT NULL,
    name            VARCHAR NOT NULL,
    kind            UTINYINT NOT NULL,
    PRIMARY KEY (service, name, kind)
  );
  `,
  /* v2: AI columns (src/pipeline/ai normalises GenAI, OpenInference, Vercel ai.*, Traceloop) */ `
  ALTER TABLE spans ADD COLUMN ai_kind VARCHAR;
  ALTER TABLE spans ADD COLUMN ai_provider VARCHAR;
  ALTER TABLE spans ADD COLUMN ai_model VARCHAR;
  ALTER TABLE spans ADD COLUMN ai_operation VARCHAR;
  ALTER TABLE spans ADD COLUMN ai_input_tokens BIGINT;
  ALTER TABLE spans ADD COLUMN ai_output_tokens BIGINT;
  ALTER TABLE spans ADD COLUMN ai_cache_read_tokens BIGINT;
  ALTER TABLE spans ADD COLUMN ai_cache_creation_tokens BIGINT;
  ALTER TABLE spans ADD COLUMN ai_reasoning_tokens BIGINT;
  ALTER TABLE spans ADD COLUMN ai_cost_usd DOUBLE;
  ALTER TABLE spans ADD COLUMN ai_cost_source VARCHAR;
  ALTER TABLE spans ADD COLUMN ai_ttft_ms DOUBLE;
  ALTER TABLE spans ADD COLUMN ai_session_id VARCHAR;
  ALTER TABLE spans ADD COLUMN ai_user_id VARCHAR;
  `,
  /* v3: request lookups by request ID alone. DuckDB cannot use the composite primary key
   * (request_id, trace_id) for a lookup by its first column, so without this every request-ID
   * lookup scanned request_index (108 ms → 10.7 ms at 10M spans, bench/RESULTS.md). */ `
  CREATE INDEX request_index_by_request ON request_index (request_id);
  `,
];
