/**
 * The rules as Prometheus alerting rules over the RED gauges /metrics exposes
 * (src/query/stats.ts): `hopscope_service_error_ratio`, `hopscope_service_requests_per_second`
 * and `hopscope_service_latency_ms{quantile}`, labelled `service` and computed over the last
 * 5 minutes at each scrape. Windows other than 5m become `avg_over_time` of those gauges, an
 * approximation a metrics-only system cannot avoid. Rules scoped to an operation or filtered by
 * attributes have no series to work from (the gauges are per service) and are listed as skipped.
 */
import { stringify } from 'yaml';
import { formatDuration } from './duration.js';
import type { AlertRule, AlertRulesFile } from './schema.js';

const GAUGE_WINDOW_MS = 300_000;

export interface PrometheusExport {
  yaml: string;
  skipped: Array<{ rule: string; reason: string }>;
}

interface PromRule {
  alert: string;
  expr: string;
  for?: string;
  labels: Record<string, string>;
  annotations: Record<string, string>;
}

/** Prometheus alert names must be metric-name-shaped. */
export function promAlertName(name: string): string {
  const parts = name.split(/[^A-Za-z0-9]+/).filter(Boolean);
  const camel = parts.map((p) => p[0].toUpperCase() + p.slice(1)).join('');
  return `Hopscope${camel}`;
}

/** A PromQL string literal. */
function str(s: string): string {
  return JSON.stringify(s);
}

function selector(metric: string, rule: AlertRule, extra = ''): string {
  const labels = [`service=${str(rule.service ?? '')}`];
  if (extra) labels.push(extra);
  return `${metric}{${labels.join(',')}}`;
}

/** The gauge itself for the 5m window it already covers, else its average over `windowMs`. */
function over(sel: string, windowMs: number, offsetMs = 0): string {
  const offset = offsetMs > 0 ? ` offset ${formatDuration(offsetMs)}` : '';
  return windowMs === GAUGE_WINDOW_MS
    ? `${sel}${offset}`
    : `avg_over_time(${sel}[${formatDuration(windowMs)}]${offset})`;
}

function num(n: number): string {
  return String(Number(n.toPrecision(12)));
}

function exprOf(rule: AlertRule): string {
  const ratio = selector('hopscope_service_error_ratio', rule);
  const rps = selector('hopscope_service_requests_per_second', rule);
  switch (rule.kind) {
    case 'error_rate':
      return `${over(ratio, rule.window)} > ${num(rule.threshold)}`;
    case 'latency': {
      const q = rule.percentile === 'p95' ? '0.95' : '0.99';
      return `${over(selector('hopscope_service_latency_ms', rule, `quantile="${q}"`), rule.window)} > ${num(rule.threshold_ms)}`;
    }
    case 'error_spike': {
      const now = over(ratio, rule.window);
      const before = over(ratio, rule.window, rule.window);
      return `(${now} >= ${num(rule.factor)} * (${before})) and (${now} >= ${num(rule.min_error_rate)})`;
    }
    case 'burn_rate': {
      const budget = 1 - rule.objective;
      return rule.windows
        .map((w) => {
          const limit = num(w.factor * budget);
          return `(${over(ratio, w.long)} > ${limit} and ${over(ratio, w.short)} > ${limit})`;
        })
        .join(' or ');
    }
    case 'no_data':
      // The gauges exist only for services seen in the last 5 minutes: absent for `window` while
      // present within `lookback` means "used to send, stopped".
      return (
        `absent_over_time(${rps}[${formatDuration(rule.window)}]) ` +
        `and on() present_over_time(${rps}[${formatDuration(rule.lookback)}])`
      );
  }
}

function skipReason(rule: AlertRule): string | null {
  if (rule.kind !== 'no_data' && rule.operation) {
    return 'scoped to an operation: /metrics has per-service series only';
  }
  if (rule.where.length > 0) return 'filtered by attributes: /metrics has per-service series only';
  if (!rule.service) return 'no service: /metrics has per-service series only';
  return null;
}

export function prometheusRules(file: AlertRulesFile, groupName = 'hopscope'): PrometheusExport {
  const skipped: PrometheusExport['skipped'] = [];
  const rules: PromRule[] = [];
  for (const rule of file.rules) {
    const reason = skipReason(rule);
    if (reason) {
      skipped.push({ rule: rule.name, reason });
      continue;
    }
    rules.push({
      alert: promAlertName(rule.name),
      expr: exprOf(rule),
      ...(rule.for > 0 && { for: formatDuration(rule.for) }),
      labels: { ...rule.labels, severity: rule.severity, hopscope_rule: rule.name },
      annotations: {
        summary: `${rule.kind.replace('_', ' ')} alert ${rule.name} on ${rule.service}`,
        ...(rule.description && { description: rule.description }),
      },
    });
  }
  const head = [
    '# Hopscope alert rules as Prometheus alerting rules, over the gauges of Hopscope /metrics.',
    '# Load with rule_files in prometheus.yml; check with: promtool check rules <file>',
    ...skipped.map((s) => `# skipped ${s.rule}: ${s.reason}`),
  ].join('\n');
  return {
    yaml: `${head}\n${stringify({ groups: [{ name: groupName, rules }] }, { lineWidth: 0 })}`,
    skipped,
  };
}
