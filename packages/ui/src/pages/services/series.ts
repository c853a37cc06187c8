import type { JaegerTrace } from '../../api/types.js';

export interface Buckets {
  startsUs: number[];
  rate: Array<number | null>;
  errorRate: Array<number | null>;
  p50: Array<number | null>;
  p95: Array<number | null>;
  p99: Array<number | null>;
}

/**
 * Rate, error rate and latency percentiles per time bucket for one service (or one of its
 * operations), from the entry spans of sampled traces: the stats API gives one window only.
 */
export function bucketize(
  traces: JaegerTrace[],
  service: string,
  operation: string | null,
  startUs: number,
  endUs: number,
  count = 24,
): Buckets {
  const width = (endUs - startUs) / count;
  const durations: number[][] = Array.from({ length: count }, () => []);
  const errors = new Array<number>(count).fill(0);
  for (const t of traces) {
    const ids = new Set(t.spans.map((s) => s.spanID));
    for (const s of t.spans) {
      if (t.processes[s.processID]?.serviceName !== service) continue;
      if (operation !== null) {
        if (s.operationName !== operation) continue;
      } else {
        const kind = s.tags.find((k) => k.key === 'span.kind')?.value;
        const parent = s.references.find((r) => r.refType === 'CHILD_OF');
        const root = !parent || !ids.has(parent.spanID);
        if (!root && kind !== 'server' && kind !== 'consumer') continue;
      }
      const b = Math.floor((s.startTime - startUs) / width);
      if (b < 0 || b >= count) continue;
      durations[b].push(s.duration / 1000);
      if (s.tags.some((k) => k.key === 'error' && k.value === true)) errors[b]++;
    }
  }
  const q = (sorted: number[], p: number) =>
    sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))] : null;
  const out: Buckets = { startsUs: [], rate: [], errorRate: [], p50: [], p95: [], p99: [] };
  for (let i = 0; i < count; i++) {
    const d = durations[i].sort((a, b) => a - b);
    out.startsUs.push(startUs + i * width);
    out.rate.push(d.length / (width / 1e6));
    out.errorRate.push(d.length ? errors[i] / d.length : null);
    out.p50.push(q(d, 0.5));
    out.p95.push(q(d, 0.95));
    out.p99.push(q(d, 0.99));
  }
  return out;
}
