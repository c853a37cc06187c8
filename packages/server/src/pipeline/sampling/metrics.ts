import { Counter, Gauge, type Registry } from 'prom-client';
import type { SamplingStage } from './stage.js';

/**
 * Sampling counters on the server's registry. The stage's counts are the one source of truth;
 * each scrape copies them in (`collect`), so nothing is counted twice.
 */
export function registerSamplingMetrics(registry: Registry, stage: SamplingStage): void {
  const counter = <L extends string>(
    name: string,
    help: string,
    labelNames: readonly L[],
    fill: (set: (labels: Record<L, string>, value: number) => void) => void,
  ) =>
    new Counter({
      name,
      help,
      labelNames,
      registers: [registry],
      collect() {
        this.reset();
        fill((labels, value) => {
          if (labelNames.length === 0) this.inc(value);
          else this.inc(labels, value);
        });
      },
    });
  const gauge = (name: string, help: string, read: () => number) =>
    new Gauge({
      name,
      help,
      registers: [registry],
      collect() {
        this.set(read());
      },
    });

  counter(
    'hopscope_sampling_traces_total',
    'Traces decided by tail sampling, by decision.',
    ['decision'],
    (set) => {
      const c = stage.sampler.counts.traces;
      set({ decision: 'kept' }, c.kept);
      set({ decision: 'dropped' }, c.dropped);
    },
  );
  counter(
    'hopscope_sampling_policy_traces_total',
    'Per policy: traces it kept (first keep wins) and traces it declined (passed on; declined by all = dropped).',
    ['policy', 'type', 'result'],
    (set) => {
      for (const p of stage.sampler.counts.policies) {
        set({ policy: p.name, type: p.type, result: 'kept' }, p.kept);
        set({ policy: p.name, type: p.type, result: 'declined' }, p.declined);
      }
    },
  );
  counter(
    'hopscope_sampling_spans_total',
    'Spans kept or dropped by tail sampling (late spans included).',
    ['decision'],
    (set) => {
      const c = stage.sampler.counts.spans;
      set({ decision: 'kept' }, c.kept);
      set({ decision: 'dropped' }, c.dropped);
    },
  );
  counter(
    'hopscope_sampling_logs_total',
    'Log records kept or dropped with their trace, or passed (no trace ID, or warn and above).',
    ['decision'],
    (set) => {
      const c = stage.sampler.counts.logs;
      set({ decision: 'kept' }, c.kept);
      set({ decision: 'dropped' }, c.dropped);
      set({ decision: 'passed' }, c.passed);
    },
  );
  counter(
    'hopscope_sampling_late_records_total',
    'Records that arrived after their trace was decided and followed that decision.',
    ['decision'],
    (set) => {
      const c = stage.sampler.counts.late;
      set({ decision: 'kept' }, c.kept);
      set({ decision: 'dropped' }, c.dropped);
    },
  );
  counter(
    'hopscope_sampling_early_decisions_total',
    'Traces decided before their window ended because the buffer was full, by bound.',
    ['reason'],
    (set) => {
      const c = stage.sampler.counts.early;
      set({ reason: 'max_records' }, c.max_records);
      set({ reason: 'max_traces' }, c.max_traces);
    },
  );
  counter(
    'hopscope_sampling_write_failures_total',
    'Kept records lost because their background write to the store failed.',
    [],
    (set) => set({}, stage.status().write_failures),
  );
  gauge(
    'hopscope_sampling_buffered_traces',
    'Traces waiting for a sampling decision.',
    () => stage.sampler.bufferedTraces,
  );
  gauge(
    'hopscope_sampling_buffered_records',
    'Spans and trace-bound log records waiting for a sampling decision.',
    () => stage.sampler.bufferedRecords,
  );
}
