/**
 * JSON response bodies of the query API. The CLI and the UI are built against these; change them
 * only additively. Times: `*_us` are Unix epoch microseconds (safe JS numbers), `timestamp`/`start`
 * strings are ISO 8601 UTC with milliseconds, `*_ms` are float milliseconds (µs precision).
 */

/** Attribute values keep their OTLP types (numbers stay numbers). */
export type JsonValue =
  | string
  | number
  | boolean
  | null
  | JsonValue[]
  | { [key: string]: JsonValue };
export type JsonAttributes = Record<string, JsonValue>;

// ---------------------------------------------------------------------------------------------
// Errors (every non-Jaeger route; Jaeger routes answer with a Jaeger envelope, see below)
// ---------------------------------------------------------------------------------------------

/** 400 / 401 / 404 / 500 body of the non-Jaeger routes. */
export interface ApiErrorBody {
  error: {
    /** HTTP status, repeated for clients that only keep the body. */
    status: number;
    /** Machine-readable: `bad_request`, `unauthorized`, `not_found`, `internal`. */
    code: 'bad_request' | 'unauthorized' | 'not_found' | 'internal';
    /** One sentence a person can act on, e.g. `since: expected a duration like 1h, 30m, 1.5s`. */
    message: string;
    /** The query/path parameter at fault (400 only). */
    param?: string;
    /** What was expected for `param` (400 only). */
    expected?: string;
  };
}

// ---------------------------------------------------------------------------------------------
// Debug API: GET /api/debug/trace/:id and GET /api/debug/logs
// ---------------------------------------------------------------------------------------------

export type SpanKindName =
  | 'unspecified'
  | 'internal'
  | 'server'
  | 'client'
  | 'producer'
  | 'consumer';
export type HopStatus = 'ok' | 'error' | 'unset';
export type LogLevelName = 'debug' | 'info' | 'warn' | 'error' | 'fatal';

/** One entry of `hops`: a span (real or derived from log lines) or a log line, ordered by time. */
export interface Hop {
  /** ISO 8601 UTC, ms. */
  timestamp: string;
  timestamp_us: number;
  service: string;
  /** Span name for spans, `event` (or the message when there is no event) for log lines. */
  event: string;
  /** `span`: an OTLP span; `log_span`: a span derived from a log-only service's lines; `log`: a line. */
  type: 'span' | 'log_span' | 'log';
  /** Span duration, or the log line's `duration_ms`; null when unknown. */
  duration_ms: number | null;
  status: HopStatus;
  /** The error text when this hop failed (status message, exception message, log `error`). */
  error: string | null;
  /** Log level for log lines; null for spans. */
  level: LogLevelName | null;
  trace_id: string | null;
  span_id: string | null;
  parent_span_id: string | null;
  /** Depth in the span tree (0 = root); log lines take the depth of their span, else 0. */
  depth: number;
  /** Offset from the first hop of the request, ms. */
  offset_ms: number;
}

export interface DebugSpanEvent {
  timestamp: string;
  timestamp_us: number;
  name: string;
  attributes: JsonAttributes;
}

export interface DebugSpanLink {
  trace_id: string;
  span_id: string;
  attributes: JsonAttributes;
}

/** A span as the debug API returns it: enough to draw a waterfall. */
export interface DebugSpan {
  trace_id: string;
  span_id: string;
  parent_span_id: string | null;
  name: string;
  kind: SpanKindName;
  service: string;
  start: string;
  start_us: number;
  duration_ms: number;
  status: HopStatus;
  status_message: string | null;
  request_id: string | null;
  attributes: JsonAttributes;
  resource: JsonAttributes;
  scope: { name: string | null; version: string | null };
  events: DebugSpanEvent[];
  links: DebugSpanLink[];
  /** Depth in its trace's tree (0 = root or orphan). */
  depth: number;
  /** True for spans built from a log-only service's request_received…request_completed lines. */
  derived_from_logs: boolean;
  /** Normalised AI columns, on LLM/agent/tool/decision spans only. */
  ai?: DebugSpanAi;
  /**
   * Asked with `outline=true`: attributes, resource, events and links were left out (empty
   * here); `GET /api/debug/span/:trace_id/:span_id` has them. Error and AI spans come whole.
   */
  outline?: true;
}

/** GET /api/debug/span/:trace_id/:span_id — one span, whole (`depth` is not computed: 0). */
export interface DebugSpanResponse {
  span: DebugSpan;
}

export interface DebugLog {
  timestamp: string;
  timestamp_us: number;
  level: LogLevelName;
  service: string;
  event: string | null;
  message: string;
  request_id: string | null;
  trace_id: string | null;
  span_id: string | null;
  /** Every other field of the line (duration_ms, error, method, path, status_code, …). */
  attributes: JsonAttributes;
  resource: JsonAttributes;
  /** `otlp` (OTLP logs) or `ndjson` (POST /api/ingest/logs). */
  source: 'otlp' | 'ndjson';
  /** Opaque; pass as `cursor` to continue after this line (GET /api/debug/logs only). */
  cursor?: string;
}

export interface FirstError {
  timestamp: string;
  timestamp_us: number;
  service: string;
  /** Span name or log event. */
  event: string;
  message: string;
  /** e.g. the exception type or log `error_type`, when known. */
  error_type: string | null;
  trace_id: string | null;
  span_id: string | null;
  type: 'span' | 'log_span' | 'log';
}

/**
 * A column whose values repeat (services, trace IDs, resources…): each distinct value once in
 * `values`, and per row its position in `values`.
 */
export interface DictColumn<T> {
  values: T[];
  index: number[];
}

/**
 * `spans` as parallel columns (`?format=columns`): row i of every column is span i, in the order
 * `spans` would have. At 50,000 spans the object form repeats every key, the resource and the
 * scope per span (~540 B/span); this form sends each repeated value once, so the server builds
 * and the browser parses a fraction of the bytes and objects.
 */
export interface DebugSpanColumns {
  count: number;
  trace_id: DictColumn<string>;
  span_id: string[];
  parent_span_id: Array<string | null>;
  name: DictColumn<string>;
  kind: DictColumn<SpanKindName>;
  service: DictColumn<string>;
  /** µs after the response's `start_us` (add it back for epoch µs). */
  start_offset_us: number[];
  duration_ms: number[];
  status: DictColumn<HopStatus>;
  status_message: Array<string | null>;
  request_id: DictColumn<string | null>;
  /** null: left out by `outline=true` (so are the row's resource, events and links). */
  attributes: Array<JsonAttributes | null>;
  /** Index -1: left out by `outline=true`. */
  resource: DictColumn<JsonAttributes>;
  scope: DictColumn<{ name: string | null; version: string | null }>;
  depth: number[];
  /** Rows built from a log-only service's lines (`derived_from_logs`), by row number. */
  derived_from_logs: number[];
  /** Only rows that have any, keyed by row number. */
  events: Record<string, DebugSpanEvent[]>;
  links: Record<string, DebugSpanLink[]>;
  ai: Record<string, DebugSpanAi>;
}

/** `logs` as parallel columns (`?format=columns`), oldest first like `logs`. */
export interface DebugLogColumns {
  count: number;
  /** µs after the response's `start_us`. */
  offset_us: number[];
  level: DictColumn<LogLevelName>;
  service: DictColumn<string>;
  event: DictColumn<string | null>;
  message: string[];
  request_id: DictColumn<string | null>;
  trace_id: DictColumn<string | null>;
  span_id: Array<string | null>;
  attributes: JsonAttributes[];
  resource: DictColumn<JsonAttributes>;
  source: DictColumn<'otlp' | 'ndjson'>;
}

/** GET /api/debug/trace/:id — `:id` is a request ID, a 32-hex trace ID or a traceparent. */
export interface DebugTraceResponse {
  /** What `:id` was understood as. */
  query: { input: string; kind: 'request_id' | 'trace_id' | 'traceparent' };
  /** The request ID asked for, or the (first) one found on the trace. */
  request_id: string | null;
  /** Every request ID seen on the returned spans and logs. */
  request_ids: string[];
  /** Every trace stitched together by the request ID(s). */
  trace_ids: string[];
  /** Services in order of first appearance. */
  services: string[];
  start: string | null;
  start_us: number | null;
  end: string | null;
  end_us: number | null;
  total_duration_ms: number | null;
  span_count: number;
  log_count: number;
  error_count: number;
  first_error: FirstError | null;
  /** Which of hops/spans/logs are filled (`?include=`, default all); the others are []. */
  included: Array<'hops' | 'spans' | 'logs'>;
  hops: Hop[];
  /** Ordered by start time; includes derived spans (derived_from_logs). */
  spans: DebugSpan[];
  /** Ordered oldest first. */
  logs: DebugLog[];
  /** With `?format=columns`: the spans, as columns (`spans` is then []). */
  span_columns?: DebugSpanColumns;
  /** With `?format=columns`: the log lines, as columns (`logs` is then []). */
  log_columns?: DebugLogColumns;
  /** Model calls, tokens, cost and decisions of the request; absent when it has no AI spans. */
  ai?: AiTraceSummary;
}

/** GET /api/debug/logs — newest first. */
export interface DebugLogsResponse {
  logs: DebugLog[];
  count: number;
  /** Pass as `cursor` for the next (older) page; null when there is none. */
  next_cursor: string | null;
  filters_applied: {
    request_id: string | null;
    trace_id: string | null;
    service: string | null;
    /** Minimum level: `warn` returns warn, error and fatal. */
    level: LogLevelName | null;
    /** As given; default `1h`, or null (no lower bound) when request_id or trace_id is given. */
    since: string | null;
    /** Resolved lower time bound (ISO). */
    since_time: string | null;
    until: string | null;
    q: string | null;
    limit: number;
    cursor: string | null;
  };
}

// ---------------------------------------------------------------------------------------------
// Stats, health
// ---------------------------------------------------------------------------------------------

export interface LatencyStats {
  /** Spans counted. */
  count: number;
  /** count / window seconds. */
  rate_per_s: number;
  errors: number;
  /** errors / count, 0..1 (0 when count is 0). */
  error_rate: number;
  avg_ms: number | null;
  p50_ms: number | null;
  p95_ms: number | null;
  p99_ms: number | null;
  max_ms: number | null;
}

export interface OperationStats extends LatencyStats {
  operation: string;
  span_kind: SpanKindName;
}

export interface ServiceStats extends LatencyStats {
  service: string;
  /** Service-level numbers count entry spans only: server/consumer spans and root spans. */
  operations: OperationStats[];
}

/** GET /api/stats?service&since */
export interface StatsResponse {
  since: string;
  until: string;
  window_seconds: number;
  service: string | null;
  services: ServiceStats[];
}

/** GET /api/health */
export interface HealthResponse {
  healthy: boolean;
  /** Why not healthy (empty when healthy). */
  problems: string[];
  version: string;
  uptime_s: number;
  spans_total: number;
  logs_total: number;
  /**
   * Traces stored. The DuckDB store counts distinct 32-bit trace keys, corrected for the
   * collisions expected among that many: exact for small counts, within about ±100 traces at
   * 10M (±0.001%).
   */
  traces_total: number;
  /** Traces that started within `window_seconds` (the same estimate; window edges to ~8 ms). */
  recent_traces: number;
  window_seconds: number;
  /** Error spans / spans within the window, 0..1. */
  error_rate: number;
  /** Mean duration of root spans within the window; null when none. */
  avg_latency_ms: number | null;
  store_bytes: number;
  store_kind: 'duckdb' | 'clickhouse';
  ingest_queue_depth: number;
  dropped: {
    spans: number;
    logs: number;
  };
  /** Present only when tail sampling is on. */
  sampling?: SamplingHealth;
  /** Present only when peers are configured (`hopscope serve --peers`). */
  peers?: PeersHealth;
}

/**
 * Trace-ID affinity since start. `forwarded`: records sent to the peer owning their trace and
 * acknowledged by it; `failed`: forwards that failed after every retry (those records were kept
 * here, counted in `kept_locally_after_failure`); `received`: records peers forwarded here.
 */
export interface PeersHealth {
  self: string;
  peers: string[];
  spans: { forwarded: number; failed: number; received: number };
  logs: { forwarded: number; failed: number; received: number };
  retries: number;
  pending_records: number;
  kept_locally_after_failure: number;
}

/**
 * Tail sampling since start (`hopscope serve --sampling`). Traces are counted when decided;
 * `policies` in evaluation order: `kept` = traces it kept (first keep wins), `declined` = traces
 * it passed on (declined by every policy = dropped).
 */
export interface SamplingHealth {
  enabled: true;
  decision_wait_ms: number;
  buffered_traces: number;
  buffered_records: number;
  pending_writes: number;
  write_failures: number;
  traces: { kept: number; dropped: number };
  spans: { kept: number; dropped: number };
  /** `passed`: no trace ID, or warn and above: written without waiting for a decision. */
  logs: { kept: number; dropped: number; passed: number };
  /** Records that arrived after their trace was decided and followed the decision. */
  late: { kept: number; dropped: number };
  /** Traces decided before their window ended because the buffer was full. */
  early: { max_records: number; max_traces: number };
  policies: { name: string; type: string; kept: number; declined: number }[];
}

// ---------------------------------------------------------------------------------------------
// Jaeger v1 (query-service HTTP JSON). Shapes follow jaeger/model/json and the query service's
// structuredResponse so the Jaeger UI and its clients work unchanged.
// ---------------------------------------------------------------------------------------------

export interface JaegerError {
  code: number;
  msg: string;
  traceID?: string;
}

/** Error answers carry `data: null` and the reason in `errors`. */
export interface JaegerEnvelope<T> {
  data: T | null;
  total: number;
  limit: number;
  offset: number;
  errors: JaegerError[] | null;
}

export type JaegerKeyValue =
  | { key: string; type: 'string'; value: string }
  | { key: string; type: 'bool'; value: boolean }
  | { key: string; type: 'int64'; value: number }
  | { key: string; type: 'float64'; value: number }
  | { key: string; type: 'binary'; value: string };

export interface JaegerReference {
  refType: 'CHILD_OF' | 'FOLLOWS_FROM';
  traceID: string;
  spanID: string;
}

export interface JaegerLog {
  /** µs since epoch. */
  timestamp: number;
  fields: JaegerKeyValue[];
}

export interface JaegerSpan {
  traceID: string;
  spanID: string;
  operationName: string;
  references: JaegerReference[];
  /** µs since epoch. */
  startTime: number;
  /** µs. */
  duration: number;
  tags: JaegerKeyValue[];
  logs: JaegerLog[];
  processID: string;
  warnings: string[] | null;
  flags: number;
}

export interface JaegerProcess {
  serviceName: string;
  tags: JaegerKeyValue[];
}

export interface JaegerTrace {
  traceID: string;
  spans: JaegerSpan[];
  processes: Record<string, JaegerProcess>;
  warnings: string[] | null;
}

export interface JaegerOperation {
  name: string;
  /** `server`, `client`, `producer`, `consumer`, `internal`, or '' when unspecified. */
  spanKind: string;
}

export interface JaegerDependencyLink {
  parent: string;
  child: string;
  callCount: number;
  /** Hopscope addition: child spans of this edge with error status. */
  errorCount: number;
}

/** GET /api/services */
export type JaegerServicesResponse = JaegerEnvelope<string[]>;
/** GET /api/services/:service/operations */
export type JaegerServiceOperationsResponse = JaegerEnvelope<string[]>;
/** GET /api/operations?service&spanKind */
export type JaegerOperationsResponse = JaegerEnvelope<JaegerOperation[]>;
/** GET /api/traces?… and GET /api/traces/:traceId (404: data [] and errors [{code:404}]). */
export type JaegerTracesResponse = JaegerEnvelope<JaegerTrace[]>;
/** GET /api/dependencies?endTs&lookback */
export type JaegerDependenciesResponse = JaegerEnvelope<JaegerDependencyLink[]>;

// ---- AI (issue 7): LLM calls, agents, tools, decisions; tokens and cost ---------------------

/** What an AI span is, normalised from GenAI, OpenInference, Vercel `ai.*` or Traceloop. */
export type AiSpanKind = 'llm' | 'agent' | 'tool' | 'decision' | 'retrieval' | 'workflow';

/**
 * Where a cost came from: sent by the client, priced from the table, or not priced because the
 * model is unknown or the call reported no usage (cost null: never a silent $0).
 */
export type AiCostSource = 'client' | 'table' | 'unknown_model' | 'no_usage';

export interface AiTokenCounts {
  /** All input tokens, cached ones included. */
  input_tokens: number;
  /** All output tokens, reasoning ones included. */
  output_tokens: number;
  cache_read_tokens: number;
  cache_creation_tokens: number;
  reasoning_tokens: number;
}

/** `DebugSpan.ai`: the span's normalised AI columns (absent on non-AI spans). */
export interface DebugSpanAi {
  kind: AiSpanKind | null;
  provider: string | null;
  model: string | null;
  operation: string | null;
  input_tokens: number | null;
  output_tokens: number | null;
  cache_read_tokens: number | null;
  cache_creation_tokens: number | null;
  reasoning_tokens: number | null;
  cost_usd: number | null;
  cost_source: AiCostSource | null;
  ttft_ms: number | null;
  session_id: string | null;
  user_id: string | null;
}

export interface AiModelSummary extends AiTokenCounts {
  model: string | null;
  provider: string | null;
  calls: number;
  errors: number;
  cost_usd: number;
  unpriced_calls: number;
  /** Summed duration of the model's calls. */
  duration_ms: number;
}

/** A `decision(...)` (seed 001): the span's `decision.*` attributes. */
export interface AiDecision {
  span_id: string;
  trace_id: string;
  service: string;
  timestamp: string;
  type: string;
  confidence: number | null;
  /** `decision.factors`, parsed when it is JSON text. */
  factors: unknown;
  result: string | null;
  /** `decision.alternatives`, parsed when it is JSON text. */
  alternatives: unknown;
}

/** `DebugTraceResponse.ai`: what the request's model calls did and cost. */
export interface AiTraceSummary extends AiTokenCounts {
  /** LLM calls (chat, completion, embeddings …). */
  calls: number;
  errors: number;
  agents: number;
  tools: number;
  cost_usd: number;
  /** Calls without a cost (unknown model / no usage): cost_usd is then a lower bound. */
  unpriced_calls: number;
  /** Summed duration of the LLM calls. */
  llm_duration_ms: number;
  /** Most expensive first. */
  models: AiModelSummary[];
  decisions: AiDecision[];
  sessions: string[];
  users: string[];
}

export interface AiUsageGroup extends AiTokenCounts {
  /** The group's value (model, day `YYYY-MM-DD`, …); null for calls without one. */
  key: string | null;
  calls: number;
  errors: number;
  cost_usd: number;
  unpriced_calls: number;
  decisions: number;
}

/** GET /api/ai/usage?group_by&since&until&service&model&limit */
export interface AiUsageResponse {
  group_by: 'model' | 'provider' | 'service' | 'request' | 'trace' | 'session' | 'user' | 'day';
  start: string;
  end: string;
  filters_applied: { service: string | null; model: string | null };
  totals: Omit<AiUsageGroup, 'key'>;
  /** Costliest first; by day: oldest first. */
  groups: AiUsageGroup[];
}

export interface AiModelLatency {
  model: string | null;
  provider: string | null;
  calls: number;
  errors: number;
  avg_ms: number | null;
  p50_ms: number | null;
  p95_ms: number | null;
  p99_ms: number | null;
  max_ms: number | null;
  ttft_p50_ms: number | null;
  ttft_p95_ms: number | null;
  output_tokens_per_s: number | null;
}

/** GET /api/ai/models?since&until&service */
export interface AiModelsResponse {
  start: string;
  end: string;
  models: AiModelLatency[];
}

export interface AiCall {
  trace_id: string;
  span_id: string;
  request_id: string | null;
  service: string;
  name: string;
  start: string;
  start_us: number;
  duration_ms: number;
  status: 'ok' | 'error' | 'unset';
  model: string | null;
  provider: string | null;
  operation: string | null;
  input_tokens: number | null;
  output_tokens: number | null;
  cost_usd: number | null;
  cost_source: AiCostSource | null;
  ttft_ms: number | null;
}

/** GET /api/ai/calls?order=slowest|costliest|recent&since&until&service&model&limit */
export interface AiCallsResponse {
  order: 'slowest' | 'costliest' | 'recent';
  start: string;
  end: string;
  calls: AiCall[];
}

// ---- alerts (src/alerts; GET /api/alerts, webhook payloads) -----------------------------------

export type AlertKind = 'error_rate' | 'latency' | 'error_spike' | 'burn_rate' | 'no_data';
export type AlertState = 'inactive' | 'pending' | 'firing' | 'resolved';
export type AlertUnit = 'ratio' | 'ms' | 'burn_rate' | 'seconds_silent';

export interface AlertRuleView {
  name: string;
  kind: AlertKind;
  description: string | null;
  service: string | null;
  operation: string | null;
  where: Array<{ key: string; value: string }>;
  severity: string;
  /** `for` as a duration (`1m`). */
  for: string;
  /** The rule as loaded, defaults filled in (durations in ms). */
  spec: Record<string, unknown>;
}

/** A request that shows the problem, and its trace view in the UI. */
export interface AlertExample {
  request_id: string;
  url: string;
}

export interface AlertStateView {
  rule: string;
  state: AlertState;
  value: number | null;
  threshold: number | null;
  unit: AlertUnit | null;
  window: string | null;
  summary: string | null;
  active_since: string | null;
  fired_at: string | null;
  resolved_at: string | null;
  last_evaluated: string | null;
  /** Examples taken when the alert fired (up to 5). */
  examples: AlertExample[];
}

export interface AlertHistoryEntry {
  time: string;
  /** The evaluation round (AlertsResponse.evaluations counts them) that made the change. */
  evaluation: number;
  rule: string;
  from: AlertState;
  to: AlertState;
  value: number | null;
  threshold: number;
  unit: AlertUnit;
  window: string;
  summary: string;
  examples: AlertExample[];
}

/** GET /api/alerts */
export interface AlertsResponse {
  /** False when the server runs without `--alerts`. */
  enabled: boolean;
  evaluation_interval_ms: number | null;
  /** Evaluation rounds started since the server started. */
  evaluations: number;
  last_evaluation: string | null;
  /** The last round's store error, if it failed. */
  last_error: string | null;
  rules: AlertRuleView[];
  states: AlertStateView[];
  /** Newest first. */
  history: AlertHistoryEntry[];
  /** Webhook URLs may hold secrets (Slack's do): only their host is shown. */
  webhooks: Array<{ name: string; format: 'json' | 'slack'; host: string }>;
}

/** The generic webhook body (format `json`); `slack` webhooks get a message built from it. */
export interface AlertNotification {
  version: 1;
  source: 'hopscope';
  /** The same on every retry of one notification. */
  delivery_id: string;
  status: 'firing' | 'resolved';
  rule: {
    name: string;
    kind: AlertKind;
    severity: string;
    description: string | null;
    service: string | null;
    operation: string | null;
    where: Array<{ key: string; value: string }>;
    labels: Record<string, string>;
  };
  value: number | null;
  threshold: number;
  unit: AlertUnit;
  window: string;
  summary: string;
  started_at: string | null;
  fired_at: string | null;
  resolved_at: string | null;
  examples: AlertExample[];
  /** GET /api/alerts on the server. */
  alerts_url: string;
}

export interface AiSeriesPoint {
  /** Bucket start. */
  start: string;
  start_us: number;
  calls: number;
  input_tokens: number;
  output_tokens: number;
  cost_usd: number;
  unpriced_calls: number;
}

/** GET /api/ai/series?by=model|provider|service&step=1h&since&until&service&model */
export interface AiSeriesResponse {
  by: 'model' | 'provider' | 'service';
  step_ms: number;
  start: string;
  end: string;
  /** One series per key, costliest first; only buckets with calls are listed. */
  series: Array<{ key: string | null; calls: number; cost_usd: number; points: AiSeriesPoint[] }>;
}

/** GET /api/alerts/rules: the rules file as written, for editing. */
export interface AlertRulesSourceResponse {
  file: string;
  format: 'yaml' | 'json';
  text: string;
}

/** One problem of a refused rules text; line and column are 1-based, null when unknown. */
export interface AlertRuleProblem {
  line: number | null;
  column: number | null;
  message: string;
}

/** Errors of GET/PUT /api/alerts/rules. */
export interface AlertRulesErrorBody {
  error: {
    status: 400 | 409 | 413;
    /** `conflict`: the server has no rules file to edit (see message for how to get one). */
    code: 'bad_request' | 'conflict' | 'payload_too_large';
    message: string;
    /** Every problem of a refused text (400), in file order. */
    problems?: AlertRuleProblem[];
  };
}
