/**
 * One rule, one evaluation: reads the store through AlertsReader and says whether the rule's
 * condition holds (`breaching`) and whether it is comfortably clear of it (`clear`: below the
 * hysteresis band), which the state machine turns into pending / firing / resolved.
 */
import type { AlertScope, AlertsReader, AlertWindowStats } from '../store/alerts-reader.js';
import { formatDuration } from './duration.js';
import type { AlertRule } from './schema.js';

const MS_NS = 1_000_000n;

export interface Observation {
  /** Null when there were too few requests to judge: the state is kept as it is. */
  value: number | null;
  threshold: number;
  /** What `value` measures. */
  unit: 'ratio' | 'ms' | 'burn_rate' | 'seconds_silent';
  breaching: boolean;
  clear: boolean;
  /** The window(s) the value was computed over, e.g. `5m` or `1h & 5m`. */
  window: string;
  /** One line for people: `error rate 42.0% (21 of 50) over 5m, threshold 20%`. */
  summary: string;
  /** How to find example requests when this fires; absent for no_data. */
  examples?: { scope: AlertScope; errorsOnly?: boolean; minDurationNs?: bigint };
}

function scopeOf(rule: AlertRule, nowMs: number, windowMs: number, offsetMs = 0): AlertScope {
  const endNs = BigInt(nowMs - offsetMs) * MS_NS;
  return {
    service: rule.service,
    operation: rule.kind === 'no_data' ? undefined : rule.operation,
    where: rule.where,
    startNs: endNs - BigInt(windowMs) * MS_NS,
    endNs,
  };
}

const pct = (r: number) => `${(r * 100).toFixed(r < 0.001 ? 3 : 1)}%`;
const rate = (s: AlertWindowStats) => (s.count > 0 ? s.errors / s.count : 0);

export async function evaluateRule(
  rule: AlertRule,
  reader: AlertsReader,
  nowMs: number,
): Promise<Observation> {
  switch (rule.kind) {
    case 'error_rate': {
      const scope = scopeOf(rule, nowMs, rule.window);
      const s = await reader.alertWindowStats(scope);
      const value = rate(s);
      const enough = s.count >= rule.min_requests;
      return {
        value: enough ? value : null,
        threshold: rule.threshold,
        unit: 'ratio',
        breaching: enough && value > rule.threshold,
        clear: enough && value <= rule.threshold * (1 - rule.hysteresis),
        window: formatDuration(rule.window),
        summary: `error rate ${pct(value)} (${s.errors} of ${s.count}) over ${formatDuration(rule.window)}, threshold ${pct(rule.threshold)}`,
        examples: { scope, errorsOnly: true },
      };
    }
    case 'latency': {
      const scope = scopeOf(rule, nowMs, rule.window);
      const s = await reader.alertWindowStats(scope);
      const v = rule.percentile === 'p95' ? s.p95Ms : s.p99Ms;
      const enough = s.count >= rule.min_requests && v !== null;
      const value = v ?? 0;
      return {
        value: enough ? value : null,
        threshold: rule.threshold_ms,
        unit: 'ms',
        breaching: enough && value > rule.threshold_ms,
        clear: enough && value <= rule.threshold_ms * (1 - rule.hysteresis),
        window: formatDuration(rule.window),
        summary: `${rule.percentile} latency ${value.toFixed(1)} ms over ${formatDuration(rule.window)} (${s.count} requests), threshold ${rule.threshold_ms} ms`,
        examples: { scope, minDurationNs: BigInt(Math.ceil(rule.threshold_ms * 1e6)) },
      };
    }
    case 'error_spike': {
      const scope = scopeOf(rule, nowMs, rule.window);
      const [cur, prev] = await Promise.all([
        reader.alertWindowStats(scope),
        reader.alertWindowStats(scopeOf(rule, nowMs, rule.window, rule.window)),
      ]);
      const now = rate(cur);
      const before = rate(prev);
      const enough = cur.count >= rule.min_requests;
      // A rise from zero is a spike once it passes the floor; the floor keeps noise out.
      const limit = Math.max(before * rule.factor, rule.min_error_rate);
      const h = 1 - rule.hysteresis;
      return {
        value: enough ? now : null,
        threshold: limit,
        unit: 'ratio',
        breaching: enough && now >= limit,
        clear: enough && (now <= limit * h || now <= rule.min_error_rate * h),
        window: formatDuration(rule.window),
        summary: `error rate ${pct(now)} (${cur.errors} of ${cur.count}) over the last ${formatDuration(rule.window)} against ${pct(before)} the ${formatDuration(rule.window)} before (×${rule.factor} and ≥ ${pct(rule.min_error_rate)} fires)`,
        examples: { scope, errorsOnly: true },
      };
    }
    case 'burn_rate': {
      const budget = 1 - rule.objective;
      const pairs = await Promise.all(
        rule.windows.map(async (w) => {
          const [long, short] = await Promise.all([
            reader.alertWindowStats(scopeOf(rule, nowMs, w.long)),
            reader.alertWindowStats(scopeOf(rule, nowMs, w.short)),
          ]);
          return { w, long, short, longBurn: rate(long) / budget, shortBurn: rate(short) / budget };
        }),
      );
      const judged = pairs.filter((p) => p.long.count >= rule.min_requests);
      const h = 1 - rule.hysteresis;
      const firing = judged.find((p) => p.longBurn >= p.w.factor && p.shortBurn >= p.w.factor);
      // The value shown is the long-window burn of the pair that fires, else of the worst pair.
      const shown =
        firing ?? [...judged].sort((a, b) => b.longBurn / b.w.factor - a.longBurn / a.w.factor)[0];
      const windows = (p: (typeof pairs)[number]) =>
        `${formatDuration(p.w.long)} & ${formatDuration(p.w.short)}`;
      return {
        value: shown ? shown.longBurn : null,
        threshold: shown?.w.factor ?? rule.windows[0].factor,
        unit: 'burn_rate',
        breaching: firing !== undefined,
        // Clear once no pair is near its factor: the short window drops first after a fix.
        clear:
          judged.length > 0 &&
          judged.every((p) => p.longBurn < p.w.factor * h || p.shortBurn < p.w.factor * h),
        window: shown ? windows(shown) : windows(pairs[0]),
        summary: shown
          ? `error budget burning ${shown.longBurn.toFixed(1)}× over ${formatDuration(shown.w.long)} and ${shown.shortBurn.toFixed(1)}× over ${formatDuration(shown.w.short)} (SLO ${pct(rule.objective)}, fires at ${shown.w.factor}×)`
          : `too few requests to judge the SLO ${pct(rule.objective)}`,
        examples: {
          scope: scopeOf(rule, nowMs, shown?.w.short ?? rule.windows[0].short),
          errorsOnly: true,
        },
      };
    }
    case 'no_data': {
      const since = BigInt(nowMs - rule.lookback) * MS_NS;
      const last = await reader.lastSeenNs(rule.service, since);
      const silentMs = last === null ? null : nowMs - Number(last / MS_NS);
      // Never sent within the lookback: nothing "stopped", so no alert (and a firing one clears).
      const breaching = silentMs !== null && silentMs >= rule.window;
      return {
        value: silentMs === null ? null : Math.max(0, silentMs / 1000),
        threshold: rule.window / 1000,
        unit: 'seconds_silent',
        breaching,
        clear: !breaching,
        window: formatDuration(rule.window),
        summary:
          silentMs === null
            ? `${rule.service} sent nothing in the last ${formatDuration(rule.lookback)}`
            : `${rule.service} last sent ${formatDuration(Math.max(0, Math.round(silentMs / 1000) * 1000))} ago (alert after ${formatDuration(rule.window)} of silence)`,
      };
    }
  }
}
