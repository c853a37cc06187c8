/**
 * The query API as a Hono app: debug (request-ID lookup, logs), Jaeger v1 compatible routes,
 * stats, health and /metrics. The server mounts it; this module knows the store only through
 * the StoreReader interface.
 */
import { type Context, Hono } from 'hono';
import { debugTrace, toDebugLog, toDebugSpan } from '../query/debug-trace.js';
import { KIND_BY_NAME, KIND_NAMES, nsToIso } from '../query/format.js';
import { ID_EXPECTED, parseId } from '../query/ids.js';
import { envelope, jaegerError, jaegerTraceId, toJaegerTraces } from '../query/jaeger.js';
import { spansFromLogs } from '../query/log-spans.js';
import { redMetricsText, toStatsResponse } from '../query/stats.js';
import { InvalidCursorError, type StoreReader } from '../store/reader.js';
import type { LogLevel, SpanRecord } from '../store/records.js';
import { registerAiRoutes } from './ai-routes.js';
import { registerAlertRuleRoutes } from './alert-rules-routes.js';
import { type AlertsView, registerAlertRoutes } from './alerts-routes.js';
import { bearerAuth } from './auth.js';
import {
  ageOrTime,
  bool,
  cursor,
  duration,
  durationOrMs,
  int,
  listOf,
  oneOf,
  type ParamProblem,
  parseQuery,
  parseTags,
  requestId,
  resolveTime,
  spanId,
  text,
  timeMs,
  timeUs,
  traceId,
} from './params.js';
import type {
  ApiErrorBody,
  DebugLogsResponse,
  DebugSpanResponse,
  HealthResponse,
  JaegerDependenciesResponse,
  JaegerOperationsResponse,
  JaegerServiceOperationsResponse,
  JaegerServicesResponse,
  JaegerTracesResponse,
  PeersHealth,
  SamplingHealth,
} from './types.js';

/** Live numbers of the write side, supplied by the server. */
export interface IngestStatus {
  queueDepth: number;
  /** When set, a queue at capacity makes /api/health unhealthy. */
  queueCapacity?: number;
  droppedSpans: number;
  droppedLogs: number;
  storeBytes: number;
  /** Anything the server already knows is wrong (e.g. "disk full"). */
  problems?: string[];
  /** Tail-sampling numbers, when sampling is on. */
  sampling?: SamplingHealth;
  /** Trace-ID affinity numbers, when peers are configured. */
  peers?: PeersHealth;
}

export interface ApiDeps {
  reader: StoreReader;
  /** When set, every route needs `Authorization: Bearer <queryToken>`. */
  queryToken?: string;
  storeKind?: 'duckdb' | 'clickhouse';
  version?: string;
  /** The collector's self-metrics in Prometheus text format. */
  metricsText?: () => string | Promise<string>;
  ingestStatus?: () => IngestStatus | Promise<IngestStatus>;
  /** Clock in epoch ms; tests pin it. */
  now?: () => number;
  /** The alert evaluator (src/alerts), when the server runs with rules. */
  alerts?: AlertsView;
}

const DEBUG_PARTS = ['hops', 'spans', 'logs'] as const;
const DEBUG_FORMATS = ['objects', 'columns'] as const;
const LEVELS = ['debug', 'info', 'warn', 'error', 'fatal'] as const;
const SPAN_KINDS = ['unspecified', 'internal', 'server', 'client', 'producer', 'consumer'] as const;
const HOUR_NS = 3_600_000_000_000n;
const HEALTH_WINDOW_S = 3600;
const METRICS_WINDOW_MS = 5 * 60_000;

function badRequest(c: Context, p: ParamProblem) {
  const body: ApiErrorBody = {
    error: {
      status: 400,
      code: 'bad_request',
      message: p.message,
      param: p.param,
      expected: p.expected,
    },
  };
  return c.json(body, 400);
}

function jaegerBad(c: Context, p: ParamProblem) {
  return c.json(jaegerError(400, p.message), 400);
}

export function createApi(deps: ApiDeps): Hono {
  const { reader } = deps;
  const now = deps.now ?? Date.now;
  const started = now();
  const nowNs = () => BigInt(now()) * 1_000_000n;
  const app = new Hono();

  // Scoped to our paths: the server mounts this app beside ingest and the UI, which have their
  // own rules.
  const auth = bearerAuth(deps.queryToken);
  app.use('/api/*', auth);
  app.use('/metrics', auth);

  app.onError((err, c) => {
    if (err instanceof InvalidCursorError) {
      return badRequest(c, {
        param: 'cursor',
        message: err.message,
        expected: 'the next_cursor value of a previous page',
      });
    }
    const body: ApiErrorBody = {
      error: { status: 500, code: 'internal', message: `query failed: ${err.message}` },
    };
    return c.json(body, 500);
  });

  // ---- debug ------------------------------------------------------------------------------

  app.get('/api/debug/trace/:id', async (c) => {
    const input = c.req.param('id');
    const id = parseId(input);
    if (!id) {
      return badRequest(c, {
        param: 'id',
        message: `id: expected ${ID_EXPECTED}`,
        expected: ID_EXPECTED,
      });
    }
    const opts = parseQuery(
      {
        include: listOf(DEBUG_PARTS).optional(),
        format: oneOf(DEBUG_FORMATS).optional(),
        outline: bool().optional(),
      },
      c.req.query(),
    );
    if (!opts.ok) return badRequest(c, opts.problem);
    const result = await debugTrace(reader, id, input, {
      include: opts.value.include ?? [...DEBUG_PARTS],
      format: opts.value.format ?? 'objects',
      outline: opts.value.outline ?? false,
    });
    if (!result) {
      const body: ApiErrorBody = {
        error: {
          status: 404,
          code: 'not_found',
          message: `no spans or log lines found for ${id.kind.replace('_', ' ')} ${JSON.stringify(input)}`,
        },
      };
      return c.json(body, 404);
    }
    // Large requests: a caller that draws from `spans` and `logs` skips `hops` (and so on);
    // parts left out are never built, which halves the work and the body for 50k spans.
    return c.json(result);
  });

  // One span whole, for views that loaded the request with `outline=true`.
  app.get('/api/debug/span/:traceId/:spanId', async (c) => {
    const q = parseQuery(
      { trace_id: traceId(), span_id: spanId() },
      { trace_id: c.req.param('traceId'), span_id: c.req.param('spanId') },
    );
    if (!q.ok) return badRequest(c, q.problem);
    const { trace_id, span_id } = q.value;
    const { spans } = await reader.lookup({
      requestIds: [],
      traceIds: [trace_id],
      spanIds: [span_id],
    });
    if (spans.length === 0) {
      const body: ApiErrorBody = {
        error: {
          status: 404,
          code: 'not_found',
          message: `no span ${span_id} in trace ${trace_id}`,
        },
      };
      return c.json(body, 404);
    }
    return c.json({ span: toDebugSpan(spans[0], 0) } satisfies DebugSpanResponse);
  });

  app.get('/api/debug/logs', async (c) => {
    const q = parseQuery(
      {
        request_id: requestId().optional(),
        trace_id: traceId().optional(),
        service: text().optional(),
        level: oneOf(LEVELS).optional(),
        since: ageOrTime().optional(),
        until: ageOrTime().optional(),
        q: text(512).optional(),
        limit: int(1, 1000).optional(),
        cursor: cursor().optional(),
      },
      c.req.query(),
    );
    if (!q.ok) return badRequest(c, q.problem);
    const v = q.value;
    const raw = c.req.query();
    const t = nowNs();
    // The 1h default keeps a browse cheap; a request or trace ID is its own bound, and an old
    // request must not come back empty because of a default the caller never set.
    const byId = v.request_id !== undefined || v.trace_id !== undefined;
    const since = v.since ?? (byId ? undefined : { kind: 'age' as const, ns: HOUR_NS });
    const sinceNs = since ? resolveTime(since, t) : undefined;
    const untilNs = v.until ? resolveTime(v.until, t) : undefined;
    const limit = v.limit ?? 100;
    const page = await reader.searchLogs({
      requestId: v.request_id,
      traceId: v.trace_id,
      service: v.service,
      minLevel: v.level as LogLevel | undefined,
      sinceNs,
      untilNs,
      text: v.q,
      limit,
      cursor: v.cursor,
    });
    const body: DebugLogsResponse = {
      logs: page.logs.map(toDebugLog),
      count: page.logs.length,
      next_cursor: page.nextCursor,
      filters_applied: {
        request_id: v.request_id ?? null,
        trace_id: v.trace_id ?? null,
        service: v.service ?? null,
        level: v.level ?? null,
        since: raw.since || (since ? '1h' : null),
        since_time: sinceNs === undefined ? null : nsToIso(sinceNs),
        until: raw.until || null,
        q: v.q ?? null,
        limit,
        cursor: v.cursor ?? null,
      },
    };
    return c.json(body);
  });

  // ---- Jaeger v1 ----------------------------------------------------------------------------

  app.get('/api/services', async (c) => {
    const services = await reader.services();
    return c.json(envelope(services) satisfies JaegerServicesResponse);
  });

  app.get('/api/services/:service/operations', async (c) => {
    const service = c.req.param('service');
    const ops = await reader.operations({ service });
    const names = [...new Set(ops.map((o) => o.name))].sort();
    return c.json(envelope(names) satisfies JaegerServiceOperationsResponse);
  });

  app.get('/api/operations', async (c) => {
    const q = parseQuery(
      { service: text().optional(), spanKind: oneOf(SPAN_KINDS).optional() },
      c.req.query(),
    );
    if (!q.ok) return jaegerBad(c, q.problem);
    const ops = await reader.operations({
      service: q.value.service,
      kind: q.value.spanKind ? KIND_BY_NAME[q.value.spanKind] : undefined,
    });
    const data = ops.map((o) => ({
      name: o.name,
      spanKind: o.kind === 0 ? '' : KIND_NAMES[o.kind],
    }));
    return c.json(envelope(data) satisfies JaegerOperationsResponse);
  });

  app.get('/api/traces', async (c) => {
    const q = parseQuery(
      {
        service: text().optional(),
        operation: text(512).optional(),
        minDuration: duration().optional(),
        maxDuration: duration().optional(),
        start: timeUs().optional(),
        end: timeUs().optional(),
        lookback: durationOrMs().optional(),
        limit: int(1, 1500).optional(),
        errors: bool().optional(),
        tags: z_any(),
      },
      withoutCustomLookback(c.req.query()),
    );
    if (!q.ok) return jaegerBad(c, q.problem);
    const v = q.value;
    // Jaeger's search also fetches given traces: ?traceID=…&traceID=…
    const wanted = c.req.queries('traceID') ?? [];
    if (wanted.length > 0) {
      const ids: string[] = [];
      for (const raw of wanted) {
        const one = parseQuery({ traceID: traceId() }, { traceID: raw });
        if (!one.ok) return jaegerBad(c, one.problem);
        ids.push(one.value.traceID);
      }
      const found = await jaegerTraces(reader, ids);
      const missing = ids.filter((id) => !found.some((t) => t.traceID === jaegerTraceId(id)));
      return c.json({
        ...envelope(found, 0),
        errors: missing.length
          ? missing.map((id) => ({ code: 404, msg: 'trace not found', traceID: jaegerTraceId(id) }))
          : null,
      } satisfies JaegerTracesResponse);
    }
    const tags = parseTags(c.req.query('tags'), c.req.queries('tag') ?? []);
    if (typeof tags === 'string') {
      return jaegerBad(c, { param: 'tags', message: `tags: ${tags}`, expected: tags });
    }
    const endNs = v.end ?? nowNs();
    const startNs = v.start ?? endNs - (v.lookback ?? HOUR_NS);
    if (startNs > endNs) {
      return jaegerBad(c, {
        param: 'start',
        message: 'start: expected a time before end',
        expected: 'a time before end',
      });
    }
    if (
      v.minDuration !== undefined &&
      v.maxDuration !== undefined &&
      v.minDuration > v.maxDuration
    ) {
      return jaegerBad(c, {
        param: 'minDuration',
        message: 'minDuration: expected at most maxDuration',
        expected: 'at most maxDuration',
      });
    }
    const ids = await reader.searchTraces({
      service: v.service,
      operation: v.operation,
      tags,
      minDurationNs: v.minDuration,
      maxDurationNs: v.maxDuration,
      startNs,
      endNs,
      limit: v.limit ?? 20,
      errorsOnly: v.errors,
    });
    const data = await jaegerTraces(reader, ids);
    // As Jaeger's query service: `total` is set for lists of names only, 0 for traces.
    return c.json(envelope(data, 0) satisfies JaegerTracesResponse);
  });

  app.get('/api/traces/:traceId', async (c) => {
    const q = parseQuery({ traceId: traceId() }, { traceId: c.req.param('traceId') });
    if (!q.ok) return jaegerBad(c, q.problem);
    const data = await jaegerTraces(reader, [q.value.traceId]);
    if (data.length === 0) return c.json(jaegerError(404, 'trace not found'), 404);
    // As Jaeger's query service: `total` is set for lists of names only, 0 for traces.
    return c.json(envelope(data, 0) satisfies JaegerTracesResponse);
  });

  app.get('/api/dependencies', async (c) => {
    const q = parseQuery(
      {
        endTs: timeMs().optional(),
        lookback: durationOrMs().optional(),
        service: text().optional(),
      },
      c.req.query(),
    );
    if (!q.ok) return jaegerBad(c, q.problem);
    const endNs = q.value.endTs ?? nowNs();
    const startNs = endNs - (q.value.lookback ?? 24n * HOUR_NS);
    const service = q.value.service;
    const edges = (await reader.dependencies(startNs, endNs)).filter(
      (e) => !service || e.parent === service || e.child === service,
    );
    return c.json(envelope(edges, 0) satisfies JaegerDependenciesResponse);
  });

  registerAiRoutes(app, reader, now); // /api/ai/usage, /api/ai/models, /api/ai/calls
  registerAlertRoutes(app, deps.alerts); // /api/alerts, /api/alerts/prometheus-rules
  registerAlertRuleRoutes(app, deps.alerts); // GET/PUT /api/alerts/rules

  // ---- stats, health, metrics ----------------------------------------------------------------

  app.get('/api/stats', async (c) => {
    const q = parseQuery(
      { service: text().optional(), since: duration().optional() },
      c.req.query(),
    );
    if (!q.ok) return badRequest(c, q.problem);
    const endMs = now();
    const startMs = endMs - Number((q.value.since ?? HOUR_NS) / 1_000_000n);
    const stats = await reader.spanStats({
      service: q.value.service,
      startNs: BigInt(startMs) * 1_000_000n,
      endNs: BigInt(endMs) * 1_000_000n,
    });
    return c.json(toStatsResponse(stats, { startMs, endMs, service: q.value.service ?? null }));
  });

  app.get('/api/health', async (c) => {
    const problems: string[] = [];
    const ingest = deps.ingestStatus ? await deps.ingestStatus() : undefined;
    problems.push(...(ingest?.problems ?? []));
    if (ingest?.queueCapacity !== undefined && ingest.queueDepth >= ingest.queueCapacity) {
      problems.push(`ingest queue is full (${ingest.queueDepth}/${ingest.queueCapacity})`);
    }
    const counts = await reader
      .healthCounts(nowNs() - BigInt(HEALTH_WINDOW_S) * 1_000_000_000n)
      .catch((e: Error) => {
        problems.push(`store does not answer: ${e.message}`);
        return undefined;
      });
    const body: HealthResponse = {
      healthy: problems.length === 0,
      problems,
      version: deps.version ?? '0.0.0',
      uptime_s: Math.round((now() - started) / 1000),
      spans_total: counts?.spansTotal ?? 0,
      logs_total: counts?.logsTotal ?? 0,
      traces_total: counts?.tracesTotal ?? 0,
      recent_traces: counts?.recentTraces ?? 0,
      window_seconds: HEALTH_WINDOW_S,
      error_rate:
        counts && counts.recentSpans > 0 ? counts.recentErrorSpans / counts.recentSpans : 0,
      avg_latency_ms: counts?.avgRootLatencyMs ?? null,
      store_bytes: ingest?.storeBytes ?? 0,
      store_kind: deps.storeKind ?? 'duckdb',
      ingest_queue_depth: ingest?.queueDepth ?? 0,
      dropped: { spans: ingest?.droppedSpans ?? 0, logs: ingest?.droppedLogs ?? 0 },
      ...(ingest?.sampling && { sampling: ingest.sampling }),
      ...(ingest?.peers && { peers: ingest.peers }),
    };
    return c.json(body, body.healthy ? 200 : 503);
  });

  app.get('/metrics', async (c) => {
    const endMs = now();
    const startMs = endMs - METRICS_WINDOW_MS;
    const stats = await reader.spanStats({
      startNs: BigInt(startMs) * 1_000_000n,
      endNs: BigInt(endMs) * 1_000_000n,
    });
    const own = deps.metricsText ? await deps.metricsText() : '';
    const red = redMetricsText(toStatsResponse(stats, { startMs, endMs, service: null }));
    const textBody = own && !own.endsWith('\n') ? `${own}\n${red}` : own + red;
    return c.text(textBody, 200, { 'Content-Type': 'text/plain; version=0.0.4; charset=utf-8' });
  });

  return app;
}

/** The Jaeger UI sends `lookback=custom` beside explicit start/end: it means "use those". */
function withoutCustomLookback(query: Record<string, string>): Record<string, string> {
  if (query.lookback !== 'custom') return query;
  const { lookback: _custom, ...rest } = query;
  return rest;
}

/** Tags are parsed separately (they may repeat); accept any string here. */
function z_any() {
  return text(8192).optional();
}

/** Full traces in Jaeger shape, with spans derived from log-only services included. */
async function jaegerTraces(reader: StoreReader, traceIds: string[]) {
  if (traceIds.length === 0) return [];
  const { spans, logs } = await reader.lookup({ requestIds: [], traceIds });
  const known = new Set(spans.map((s) => s.spanId));
  const derived: SpanRecord[] = spansFromLogs(logs, known).filter((s) =>
    traceIds.includes(s.traceId),
  );
  return toJaegerTraces([...spans, ...derived], traceIds);
}
