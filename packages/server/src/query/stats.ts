/** RED stats per service and operation, health numbers and the Prometheus view of them. */
import type { LatencyStats, ServiceStats, StatsResponse } from '../api/types.js';
import type { LatencySummary, SpanStats } from '../store/reader.js';
import { KIND_NAMES } from './format.js';

function red(l: LatencySummary, windowSeconds: number): LatencyStats {
  return {
    count: l.count,
    rate_per_s: windowSeconds > 0 ? l.count / windowSeconds : 0,
    errors: l.errors,
    error_rate: l.count > 0 ? l.errors / l.count : 0,
    avg_ms: l.avgMs,
    p50_ms: l.p50Ms,
    p95_ms: l.p95Ms,
    p99_ms: l.p99Ms,
    max_ms: l.maxMs,
  };
}

export function toStatsResponse(
  stats: SpanStats,
  window: { startMs: number; endMs: number; service: string | null },
): StatsResponse {
  const seconds = (window.endMs - window.startMs) / 1000;
  const services = new Map<string, ServiceStats>();
  const empty: LatencySummary = {
    count: 0,
    errors: 0,
    avgMs: null,
    p50Ms: null,
    p95Ms: null,
    p99Ms: null,
    maxMs: null,
  };
  const serviceOf = (name: string): ServiceStats => {
    let s = services.get(name);
    if (!s) {
      s = { service: name, ...red(empty, seconds), operations: [] };
      services.set(name, s);
    }
    return s;
  };
  for (const s of stats.services) Object.assign(serviceOf(s.service), red(s, seconds));
  for (const o of stats.operations) {
    serviceOf(o.service).operations.push({
      operation: o.operation,
      span_kind: KIND_NAMES[o.kind] ?? 'unspecified',
      ...red(o, seconds),
    });
  }
  return {
    since: new Date(window.startMs).toISOString(),
    until: new Date(window.endMs).toISOString(),
    window_seconds: seconds,
    service: window.service,
    services: [...services.values()].sort((a, b) => a.service.localeCompare(b.service)),
  };
}

function label(v: string): string {
  return v.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/"/g, '\\"');
}

/** RED per service as Prometheus gauges over the given window. */
export function redMetricsText(stats: StatsResponse): string {
  const lines: string[] = [];
  const gauge = (name: string, help: string, rows: Array<[string, number | null]>) => {
    lines.push(`# HELP ${name} ${help}`, `# TYPE ${name} gauge`);
    for (const [labels, v] of rows) if (v !== null) lines.push(`${name}{${labels}} ${v}`);
  };
  const w = `window="${stats.window_seconds}s"`;
  const svc = (s: ServiceStats) => `service="${label(s.service)}",${w}`;
  gauge(
    'hopscope_service_requests_per_second',
    'Entry spans (server/consumer/root) per second over the window.',
    stats.services.map((s) => [svc(s), s.rate_per_s]),
  );
  gauge(
    'hopscope_service_error_ratio',
    'Share of entry spans with error status over the window (0..1).',
    stats.services.map((s) => [svc(s), s.error_rate]),
  );
  lines.push(
    '# HELP hopscope_service_latency_ms Entry span duration quantiles over the window, milliseconds.',
    '# TYPE hopscope_service_latency_ms gauge',
  );
  for (const s of stats.services) {
    for (const [q, v] of [
      ['0.5', s.p50_ms],
      ['0.95', s.p95_ms],
      ['0.99', s.p99_ms],
    ] as const) {
      if (v !== null) lines.push(`hopscope_service_latency_ms{${svc(s)},quantile="${q}"} ${v}`);
    }
  }
  return `${lines.join('\n')}\n`;
}
