import { spanFromHexSql, traceFromHexSql } from './ids.js';
import { ticksOfNsSql, windowColumnsSql } from './index-windows.js';

/**
 * DuckDB schema, versioned. Each entry in MIGRATIONS runs once, in order, recorded in
 * `schema_version`. Column names and query shapes are kept identical to the ClickHouse twin.
 *
 * Layout notes:
 * - spans/logs are append-only and arrive roughly in time order, so DuckDB's per-row-group
 *   min/max (zonemaps) on start_ns/timestamp_ns prune scans once a time range is known.
 * - trace_index and request_index turn "trace by id" and "request by id" into a scan of one
 *   key column that yields the time range, then a pruned scan of spans/logs (v4; v1–v3 used ART
 *   primary keys, ~35 B per span on disk and an upsert per commit). Since v8 the trace keys are
 *   kept sorted (trace-index.ts); since v12 keys are 32-bit and windows coarse (index-windows.ts).
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
  /* v4: binary IDs and key-scanned index tables (bytes per span 155 → see bench/RESULTS.md).
   * - spans: trace_id UHUGEINT, span_id/parent_span_id UBIGINT instead of hex text.
   * - spans.request_id_at: where `request.id` stood among the attribute keys when the writer
   *   took it out of the attributes JSON (it is the request_id column); NULL when it did not.
   *   Rows written before v4 keep it inside the JSON.
   * - trace_index / request_index: no primary keys (their ART indexes were ~35 B per span and
   *   forced upserts); one row per key per commit, read with min/max. Lookups scan a UBIGINT
   *   key: the trace ID's low 64 bits, the request ID's md5_number_upper (ids.ts).
   * The ClickHouse twin keeps hex IDs; the readers return hex either way. */ `
  CREATE TABLE spans_v4 (
    trace_id        UHUGEINT NOT NULL,
    span_id         UBIGINT NOT NULL,
    parent_span_id  UBIGINT,
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
    links           JSON,
    ai_kind VARCHAR, ai_provider VARCHAR, ai_model VARCHAR, ai_operation VARCHAR,
    ai_input_tokens BIGINT, ai_output_tokens BIGINT, ai_cache_read_tokens BIGINT,
    ai_cache_creation_tokens BIGINT, ai_reasoning_tokens BIGINT, ai_cost_usd DOUBLE,
    ai_cost_source VARCHAR, ai_ttft_ms DOUBLE, ai_session_id VARCHAR, ai_user_id VARCHAR,
    request_id_at   USMALLINT
  );
  INSERT INTO spans_v4 SELECT ${traceFromHexSql('trace_id')}, ${spanFromHexSql('span_id')},
    ${spanFromHexSql('parent_span_id')}, * EXCLUDE (trace_id, span_id, parent_span_id), NULL
    FROM spans;
  DROP TABLE spans;
  ALTER TABLE spans_v4 RENAME TO spans;
  CREATE TABLE trace_index_v4 (
    trace_key       UBIGINT NOT NULL,
    start_ns        BIGINT NOT NULL,
    end_ns          BIGINT NOT NULL
  );
  INSERT INTO trace_index_v4
    SELECT ('0x' || substr(trace_id, 17, 16))::UBIGINT, start_ns, end_ns FROM trace_index;
  DROP TABLE trace_index;
  ALTER TABLE trace_index_v4 RENAME TO trace_index;
  CREATE TABLE request_index_v4 (
    request_key     UBIGINT NOT NULL,
    request_id      VARCHAR NOT NULL,
    trace_id        UHUGEINT, -- NULL for log lines that belong to no trace
    start_ns        BIGINT NOT NULL,
    end_ns          BIGINT NOT NULL
  );
  INSERT INTO request_index_v4
    SELECT md5_number_upper(request_id), request_id,
      CASE WHEN trace_id = '' THEN NULL ELSE ${traceFromHexSql('trace_id')} END, start_ns, end_ns
    FROM request_index;
  DROP INDEX request_index_by_request;
  DROP TABLE request_index;
  ALTER TABLE request_index_v4 RENAME TO request_index;
  `,
  /* v5: an ART index on trace_index's 64-bit key. Without it a trace lookup scans the key column,
   * which at 10M spans (1M traces) took trace by id from 14 to 35 ms p50 (bench/RESULTS.md); a
   * non-unique index on a UBIGINT keeps plain appends (no upsert) and costs far less than v3's
   * index on 32-character hex. request_index stays index-free: its lookups met their goal. */ `
  CREATE INDEX trace_index_by_key ON trace_index (trace_key);
  `,
  /* v6: the ingest journal's position (src/store/duckdb/journal.ts): the last journal record
   * whose spans are in this file, written in the same transaction as them. */ `
  CREATE TABLE ingest_journal (applied_seq BIGINT NOT NULL);
  INSERT INTO ingest_journal VALUES (0);
  `,
  /* v7: span attributes as two JSON arrays, keys and values in the same order. Spans of one kind
   * share their key list, which DuckDB's dictionary stores once: 20.5 → 7.7 B per span on
   * bench/server.mjs's data (bench/RESULTS.md). Searches find a key's value with spanAttrSql. */ `
  CREATE TABLE spans_v7 (
    trace_id        UHUGEINT NOT NULL,
    span_id         UBIGINT NOT NULL,
    parent_span_id  UBIGINT,
    trace_state     VARCHAR,
    name            VARCHAR NOT NULL,
    kind            UTINYINT NOT NULL,
    service         VARCHAR NOT NULL,
    start_ns        BIGINT NOT NULL,
    duration_ns     BIGINT NOT NULL,
    status_code     UTINYINT NOT NULL,
    status_message  VARCHAR,
    request_id      VARCHAR,
    resource        JSON,
    scope_name      VARCHAR,
    scope_version   VARCHAR,
    events          JSON,
    links           JSON,
    ai_kind VARCHAR, ai_provider VARCHAR, ai_model VARCHAR, ai_operation VARCHAR,
    ai_input_tokens BIGINT, ai_output_tokens BIGINT, ai_cache_read_tokens BIGINT,
    ai_cache_creation_tokens BIGINT, ai_reasoning_tokens BIGINT, ai_cost_usd DOUBLE,
    ai_cost_source VARCHAR, ai_ttft_ms DOUBLE, ai_session_id VARCHAR, ai_user_id VARCHAR,
    request_id_at   USMALLINT,
    attr_keys       JSON, -- ["http.route","http.response.status_code"]
    attr_values     JSON  -- ["/chat",200]
  );
  INSERT INTO spans_v7 SELECT * EXCLUDE (attributes),
    CASE WHEN json_keys(attributes) <> [] THEN to_json(json_keys(attributes)) END,
    CASE WHEN json_keys(attributes) <> [] THEN to_json(list_transform(json_keys(attributes),
      lambda k: json_extract(attributes, '$."' || replace(k, '"', '\\"') || '"'))) END
    FROM spans;
  DROP TABLE spans;
  ALTER TABLE spans_v7 RENAME TO spans;
  `,
  /* v8: trace_index sorted by key instead of indexed (trace-index.ts). v5's ART was ~6 B per span,
   * a tenth of the file; DuckDB's per-segment min/max on a sorted key finds a trace as fast.
   * Commits append to trace_index_recent; compactions fold it into trace_index. */ `
  DROP INDEX trace_index_by_key;
  CREATE TABLE trace_index_v8 (
    trace_key       UBIGINT NOT NULL,
    start_ns        BIGINT NOT NULL,
    end_ns          BIGINT NOT NULL
  );
  INSERT INTO trace_index_v8
    SELECT trace_key, min(start_ns), max(end_ns) FROM trace_index GROUP BY trace_key ORDER BY trace_key;
  DROP TABLE trace_index;
  ALTER TABLE trace_index_v8 RENAME TO trace_index;
  CREATE TABLE trace_index_recent (
    trace_key       UBIGINT NOT NULL,
    start_ns        BIGINT NOT NULL,
    end_ns          BIGINT NOT NULL
  );
  `,
  /* v9: a trace's window covers its log lines too (index-rows.ts), so a trace lookup scans logs in
   * that window instead of 15 s either side of its spans (3.5 vs 9.5 ms per lookup at 10M spans
   * and 2M log lines). Log lines already stored are indexed here; the next compaction folds them. */ `
  INSERT INTO trace_index_recent
    SELECT ('0x' || substr(trace_id, 17, 16))::UBIGINT, min(timestamp_ns), max(timestamp_ns)
    FROM logs WHERE regexp_full_match(trace_id, '[0-9a-fA-F]{32}') GROUP BY trace_id;
  `,
  /* v10: request_index keeps the request's key and time windows only. The request ID's text and
   * its traces' IDs are in spans and logs, where a lookup finds them within those windows
   * (reader.ts); they were ~3.4 of its 5.1 B per span. */ `
  CREATE TABLE request_index_v10 (
    request_key     UBIGINT NOT NULL,
    start_ns        BIGINT NOT NULL,
    end_ns          BIGINT NOT NULL
  );
  INSERT INTO request_index_v10 SELECT request_key, start_ns, end_ns FROM request_index;
  DROP TABLE request_index;
  ALTER TABLE request_index_v10 RENAME TO request_index;
  `,
  /* v11: a parent in the same write batch as its child is named by the low 8 bits of its span ID
   * (parent_ref) instead of the full ID (parent-refs.ts): 6.8 → ~1.3 B per span on bench data.
   * Rows written before keep parent_span_id, with both new columns NULL. attr_ai: which token
   * counts among attr_values are kept only in their ai_* column (ai-attrs.ts). Token counts as
   * INTEGER: sparse columns run-length encode each value with its width, 4.3 → 3.4 B per span
   * for the three on bench data; a count past int32 (none real) becomes NULL, its attribute
   * keeps it. */ `
  ALTER TABLE spans ADD COLUMN write_batch UBIGINT;
  ALTER TABLE spans ADD COLUMN parent_ref UTINYINT;
  ALTER TABLE spans ADD COLUMN attr_ai USMALLINT;
  ${['input', 'output', 'cache_read', 'cache_creation', 'reasoning']
    .map(
      (t) => `ALTER TABLE spans ALTER ai_${t}_tokens TYPE INTEGER
    USING CASE WHEN ai_${t}_tokens BETWEEN -2147483648 AND 2147483647 THEN ai_${t}_tokens::INTEGER END;`,
    )
    .join('\n  ')}
  `,
  /* v12: 32-bit keys and windows in ticks of ~8.4 ms (start and length) in the three index
   * tables (ids.ts traceKey/requestKey, index-windows.ts): 4.7 → 1.8–2.1 B per span on 1.5M
   * spans of bench/server.mjs's data. A key is the low half of the v4 one for traces, the high half for
   * requests (ids.ts); windows widen to whole ticks, so they still hold every span and log line.
   * Rows of the sorted table whose keys now collide are folded into one, which keeps it one row
   * per key. */ `
  CREATE TABLE trace_index_v12 ${windowColumnsSql('trace_key')};
  INSERT INTO trace_index_v12
    SELECT (trace_key & 4294967295)::UINTEGER AS k, ${ticksOfNsSql('min(start_ns)', 'max(end_ns)')}
    FROM trace_index GROUP BY k ORDER BY k;
  DROP TABLE trace_index;
  ALTER TABLE trace_index_v12 RENAME TO trace_index;
  CREATE TABLE trace_index_recent_v12 ${windowColumnsSql('trace_key')};
  INSERT INTO trace_index_recent_v12
    SELECT (trace_key & 4294967295)::UINTEGER, ${ticksOfNsSql('start_ns', 'end_ns')} FROM trace_index_recent;
  DROP TABLE trace_index_recent;
  ALTER TABLE trace_index_recent_v12 RENAME TO trace_index_recent;
  CREATE TABLE request_index_v12 ${windowColumnsSql('request_key')};
  INSERT INTO request_index_v12
    SELECT (request_key >> 32)::UINTEGER, ${ticksOfNsSql('start_ns', 'end_ns')} FROM request_index;
  DROP TABLE request_index;
  ALTER TABLE request_index_v12 RENAME TO request_index;
  `,
];
