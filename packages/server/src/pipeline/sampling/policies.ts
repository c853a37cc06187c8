import type { AttributeValue, LogRecord, SpanRecord } from '../../store/records.js';
import type { PolicyConfig } from './config.js';

/** Everything the collector holds of one trace when it is decided. */
export interface TraceView {
  traceId: string;
  spans: readonly SpanRecord[];
  /** Info and debug lines held with the trace (warn and above are written at once). */
  logs: readonly LogRecord[];
  /** An error or fatal log line named this trace. */
  errorLogged: boolean;
}

/** One policy, ready to evaluate: `keeps` says whether it keeps the trace. */
export interface Policy {
  readonly name: string;
  readonly type: PolicyConfig['type'];
  keeps(trace: TraceView, nowMs: number): boolean;
}

export function buildPolicy(config: PolicyConfig): Policy {
  const base = { name: config.name, type: config.type };
  switch (config.type) {
    case 'errors':
      return {
        ...base,
        keeps: (t) => t.errorLogged || t.spans.some((s) => s.statusCode === 2),
      };
    case 'latency':
      return { ...base, keeps: latencyCheck(config) };
    case 'attribute':
      return { ...base, keeps: attributeCheck(config) };
    case 'rate_limit':
      return { ...base, keeps: tokenBucket(config.traces_per_second) };
    case 'probabilistic': {
      const threshold = probabilityThreshold(config.percent);
      return { ...base, keeps: (t) => traceRandomness(t.traceId) >= threshold };
    }
  }
}

type LatencyConfig = Extract<PolicyConfig, { type: 'latency' }>;

function latencyCheck(config: LatencyConfig): (t: TraceView) => boolean {
  const thresholdNs = BigInt(Math.round(config.threshold * 1e6));
  if (config.service === undefined && config.operation === undefined) {
    // The whole trace: first start to last end of the spans held.
    return (t) => {
      if (t.spans.length === 0) return false;
      let start = t.spans[0]!.startNs;
      let end = start;
      for (const s of t.spans) {
        if (s.startNs < start) start = s.startNs;
        const e = s.startNs + s.durationNs;
        if (e > end) end = e;
      }
      return end - start >= thresholdNs;
    };
  }
  return (t) =>
    t.spans.some(
      (s) =>
        (config.service === undefined || s.service === config.service) &&
        (config.operation === undefined || s.name === config.operation) &&
        s.durationNs >= thresholdNs,
    );
}

type AttributeConfig = Extract<PolicyConfig, { type: 'attribute' }>;

function attributeCheck(config: AttributeConfig): (t: TraceView) => boolean {
  const wanted =
    config.values !== undefined
      ? new Set(config.values.map(String))
      : config.value !== undefined
        ? new Set([String(config.value)])
        : undefined;
  const matches = (v: AttributeValue | undefined): boolean => {
    if (v === undefined) return false;
    if (!wanted) return true;
    if (Array.isArray(v))
      return v.some((x) => x !== null && typeof x !== 'object' && wanted.has(String(x)));
    return v !== null && typeof v !== 'object' && wanted.has(String(v));
  };
  const key = config.key;
  // `request.id` also matches the request ID ingest promoted from any of its aliases.
  const rid = key === 'request.id';
  // Span and resource attributes, and those of the trace's log lines (a user ID is often logged only).
  return (t) =>
    t.spans.some(
      (s) =>
        matches(s.attributes[key]) || matches(s.resource[key]) || (rid && matches(s.requestId)),
    ) ||
    t.logs.some(
      (l) =>
        matches(l.attributes[key]) || matches(l.resource[key]) || (rid && matches(l.requestId)),
    );
}

/** Keeps at most `perSecond` traces per second on average, bursting up to one second's worth. */
function tokenBucket(perSecond: number): (t: TraceView, nowMs: number) => boolean {
  const capacity = Math.max(1, perSecond);
  let tokens = capacity;
  let last: number | undefined;
  return (_t, nowMs) => {
    if (last !== undefined && nowMs > last) {
      tokens = Math.min(capacity, tokens + ((nowMs - last) / 1000) * perSecond);
    }
    last = nowMs;
    if (tokens < 1) return false;
    tokens -= 1;
    return true;
  };
}

const TWO_56 = 2n ** 56n;

/**
 * The OpenTelemetry consistent-probability form (W3C Trace Context level 2): the trace ID's
 * last 56 bits are its randomness R, and a trace is kept at probability p when
 * R >= (1 - p)·2^56. Every collector computes the same answer from the trace ID alone.
 */
export function probabilityThreshold(percent: number): bigint {
  if (percent >= 100) return 0n;
  if (percent <= 0) return TWO_56; // no R reaches it
  const keep = BigInt(Math.round((percent / 100) * 2 ** 52)) * 16n; // 52 bits of precision
  return TWO_56 - keep;
}

export function traceRandomness(traceId: string): bigint {
  return BigInt(`0x${traceId.slice(-14)}`);
}
