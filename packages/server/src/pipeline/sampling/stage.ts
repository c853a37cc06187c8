import type { WriteBatch } from '../../store/records.js';
import type { Store } from '../../store/store.js';
import type { SamplingConfig } from './config.js';
import { type SamplingCounts, TailSampler } from './tail-sampler.js';

export interface SamplingStageOptions {
  /** Epoch ms; tests step it. */
  now?: () => number;
  /** How often pending traces are checked; default a tenth of the window, 50 ms–1 s. */
  tickMs?: number;
  /** Called when a background write of kept records fails for good (they are lost; counted too). */
  onWriteError?: (err: unknown, records: number) => void;
  /** Waits between attempts of a failing background write; default 0.25 s doubling to 8 s (6 attempts). */
  retryDelaysMs?: readonly number[];
}

/** What /api/health shows under `sampling` (snake_case like the rest of the health answer). */
export interface SamplingStatus extends SamplingCounts {
  enabled: true;
  decision_wait_ms: number;
  buffered_traces: number;
  buffered_records: number;
  /** Kept records whose write is under way in the background. */
  pending_writes: number;
  /** Kept records lost because their background write failed. */
  write_failures: number;
}

/**
 * Tail sampling between ingest and the store. Ingest calls `write(batch)`; what can be written
 * at once (logs without a trace, warn+ logs, late records of a kept trace) is committed before
 * `write` resolves, so those acks stay durable. Records of undecided traces are held in memory:
 * for them an ack means "accepted for sampling". Traces are decided `decision_wait` after their
 * last record (or early, when the buffer is full) and kept ones are written in the background,
 * retried on failure; `flush()` (server shutdown) decides everything pending and waits for the
 * writes. What a crash loses is at most the held records: see the README.
 */
export class SamplingStage {
  readonly sampler: TailSampler;
  private readonly now: () => number;
  private readonly timer: NodeJS.Timeout;
  private readonly inflight = new Set<Promise<void>>();
  private inflightRecords = 0;
  private writeFailures = 0;
  private flushed: Promise<void> | undefined;

  constructor(
    private readonly store: Store,
    readonly config: SamplingConfig,
    private readonly options: SamplingStageOptions = {},
  ) {
    this.sampler = new TailSampler(config);
    this.now = options.now ?? Date.now;
    const tick = options.tickMs ?? Math.min(1000, Math.max(50, config.decision_wait / 10));
    this.timer = setInterval(() => this.tick(), tick);
    this.timer.unref();
  }

  /** Resolves when what this batch makes writable now is durable (see the class comment). */
  async write(batch: WriteBatch): Promise<void> {
    if (this.flushed) {
      // After shutdown began nothing is held any more: write straight through.
      await this.store.write(batch);
      return;
    }
    const split = this.sampler.split(batch, this.now());
    // Written first: if this fails the request fails whole and nothing of it is held.
    if (split.now.spans.length + split.now.logs.length > 0) await this.store.write(split.now);
    this.background(this.sampler.hold(split, this.now()));
    // Backpressure: when the background writes fall behind, ingest waits for them.
    if (this.inflightRecords > this.config.max_pending_writes) await this.settled();
  }

  /** Decides the traces whose window has passed and writes the kept ones. */
  tick(): void {
    if (this.flushed) return;
    this.background(this.sampler.due(this.now()));
  }

  /** Stops the clock, decides every pending trace and waits until the kept ones are written. */
  flush(): Promise<void> {
    this.flushed ??= (async () => {
      clearInterval(this.timer);
      this.background(this.sampler.decideAll(this.now()));
      await this.settled();
    })();
    return this.flushed;
  }

  /** Resolves when every background write has finished (successfully or not). */
  async settled(): Promise<void> {
    while (this.inflight.size > 0) await Promise.all([...this.inflight]);
  }

  status(): SamplingStatus {
    const c = this.sampler.counts;
    return {
      enabled: true,
      decision_wait_ms: this.config.decision_wait,
      buffered_traces: this.sampler.bufferedTraces,
      buffered_records: this.sampler.bufferedRecords,
      pending_writes: this.inflightRecords,
      write_failures: this.writeFailures,
      traces: { ...c.traces },
      spans: { ...c.spans },
      logs: { ...c.logs },
      late: { ...c.late },
      early: { ...c.early },
      policies: c.policies.map((p) => ({ ...p })),
    };
  }

  private background(batch: WriteBatch): void {
    const n = batch.spans.length + batch.logs.length;
    if (n === 0) return;
    this.inflightRecords += n;
    const p = this.writeWithRetry(batch).then(
      () => {},
      (err: unknown) => {
        this.writeFailures += n;
        (this.options.onWriteError ?? defaultWriteError)(err, n);
      },
    );
    const tracked = p.finally(() => {
      this.inflightRecords -= n;
      this.inflight.delete(tracked);
    });
    this.inflight.add(tracked);
  }

  /**
   * These records were acknowledged long ago, so a failing write (disk full, store busy) is
   * retried for a while rather than dropped at once; meanwhile backpressure slows ingest.
   */
  private async writeWithRetry(batch: WriteBatch): Promise<void> {
    const delays = this.options.retryDelaysMs ?? RETRY_DELAYS_MS;
    for (let attempt = 0; ; attempt++) {
      try {
        await this.store.write(batch);
        return;
      } catch (err) {
        const delay = delays[attempt];
        if (delay === undefined) throw err;
        await new Promise((r) => setTimeout(r, delay));
      }
    }
  }
}

const RETRY_DELAYS_MS = [250, 500, 1000, 2000, 4000, 8000];

function defaultWriteError(err: unknown, records: number): void {
  process.emitWarning(
    `hopscope sampling: ${records} kept records could not be written: ${String(err)}`,
  );
}

/** The store as ingest sees it with sampling on: writes go through the stage. */
export function withTailSampling(store: Store, stage: SamplingStage): Store {
  return {
    get kind() {
      return store.kind;
    },
    get reader() {
      return store.reader;
    },
    open: () => store.open(),
    write: (batch) => stage.write(batch),
    enforceRetention: (policy) => store.enforceRetention(policy),
    stats: () => store.stats(),
    close: async () => {
      await stage.flush();
      await store.close();
    },
  };
}
