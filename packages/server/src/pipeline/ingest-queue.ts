import type { QueueOptions } from '../config.js';
import { QueueFullError } from '../ingest/errors.js';
import { batchRecords, type WriteBatch } from '../store/records.js';
import type { Store } from '../store/store.js';

/**
 * Admission control in front of the store: counts records accepted but not yet committed and
 * refuses new batches beyond the bound, so memory stays bounded under overload and clients get
 * a 429 / RESOURCE_EXHAUSTED instead of a timeout.
 */
export class IngestQueue {
  private pending = 0;
  private closed = false;

  constructor(
    private readonly store: Store,
    private readonly options: QueueOptions,
    private readonly onDepth: (depth: number) => void = () => {},
  ) {}

  get depth(): number {
    return this.pending;
  }

  /** Resolves once the batch is durable; throws QueueFullError without waiting when full. */
  async write(batch: WriteBatch): Promise<void> {
    const n = batchRecords(batch);
    if (n === 0) return;
    if (this.closed) throw new QueueFullError(this.options.retryAfterSeconds);
    // A single batch larger than the whole queue still goes through when the queue is empty.
    if (this.pending > 0 && this.pending + n > this.options.maxPendingRecords) {
      throw new QueueFullError(this.options.retryAfterSeconds);
    }
    this.pending += n;
    this.onDepth(this.pending);
    try {
      await this.store.write(batch);
    } finally {
      this.pending -= n;
      this.onDepth(this.pending);
    }
  }

  /** Refuses new batches (shutdown); those already admitted still commit. */
  close(): void {
    this.closed = true;
  }
}
