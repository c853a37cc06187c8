import type { CapturedLine, FlatRecord } from './encode.js';

/**
 * A fixed-capacity FIFO of captured lines in three preallocated arrays, so adding a line
 * allocates nothing and memory stays bounded whatever the collector does.
 */
export class LineQueue {
  private readonly lines: (string | Uint8Array | FlatRecord | undefined)[];
  private readonly times: Float64Array;
  private readonly flags: Uint8Array;
  private head = 0;
  private size = 0;

  constructor(readonly capacity: number) {
    this.lines = new Array<string | Uint8Array | FlatRecord | undefined>(capacity).fill(undefined);
    this.times = new Float64Array(capacity);
    this.flags = new Uint8Array(capacity);
  }

  get length(): number {
    return this.size;
  }

  /** Adds a line (or an encoded record); `false` when the queue is full (the caller counts the drop). */
  push(line: string | Uint8Array | FlatRecord, timeMs: number, traceFlags: number): boolean {
    if (this.size === this.capacity) return false;
    let i = this.head + this.size;
    if (i >= this.capacity) i -= this.capacity;
    this.lines[i] = line;
    this.times[i] = timeMs;
    this.flags[i] = traceFlags;
    this.size++;
    return true;
  }

  /** Removes and returns up to `max` of the oldest lines. */
  take(max: number): CapturedLine[] {
    const n = Math.min(max, this.size);
    const out = new Array<CapturedLine>(n);
    for (let k = 0; k < n; k++) {
      const i = this.head;
      out[k] = {
        line: this.lines[i] as string | Uint8Array | FlatRecord,
        timeMs: this.times[i]!,
        traceFlags: this.flags[i]!,
      };
      this.lines[i] = undefined; // let the string go now, not when the slot is reused
      this.head = i + 1 === this.capacity ? 0 : i + 1;
    }
    this.size -= n;
    return out;
  }
}
