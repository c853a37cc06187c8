/**
 * Coalesces concurrent write() calls into one transaction: while a commit is in flight, new
 * batches queue up and go together into the next one, so the fixed cost of a transaction is
 * paid once per group rather than once per request.
 *
 * Each item is prepared (synchronous JavaScript: encode its rows) when it arrives, while DuckDB
 * works on the commit before it in its own threads; a commit then takes every item prepared
 * since the last one. Preparing whole groups at once made the groups smaller: items arriving
 * after a group was taken waited for two commits (2.7 requests per commit with 8 senders).
 *
 * Items may carry the sequence number of their ingest-journal record. They commit in the
 * order they were submitted, and execute() is told the last sequence number of its group so the
 * store can record it in the same transaction: everything up to it is then in DuckDB.
 */
type Entry<T, P> =
  | {
      kind: 'write';
      item: T;
      prepared: P;
      rows: number;
      seq?: number;
      resolve: () => void;
      reject: (err: unknown) => void;
    }
  | { kind: 'task'; run: () => Promise<void> };
type Write<T, P> = Extract<Entry<T, P>, { kind: 'write' }>;

export interface CommitSteps<T, P> {
  /** Encodes one item as it arrives; a throw fails that write alone. */
  prepare(item: T): P;
  /** Stores a group's prepared items in one transaction, with the group's last sequence number. */
  execute(prepared: P[], lastSeq: number | undefined): Promise<void>;
  /** Rows an item holds, for `maxRows` (1 per item when absent). */
  rows?(item: T): number;
  /**
   * A journaled item failed to commit even alone: it is retried after a pause (its ack was
   * given, so it cannot be dropped), and this hears why.
   */
  onRetry?(err: unknown, delayMs: number): void;
}

export interface GroupLimits {
  /** Writes one transaction takes at most. */
  maxItems: number;
  /** Rows one transaction takes at most (the first item always goes, however large). */
  maxRows: number;
  /**
   * Journaled items wait for this many rows before a commit starts, unless a read or close
   * waits for them, an unjournaled item (acked at commit) is queued, or the oldest has waited
   * `maxDelayMs`. Default 0: commit as soon as the previous commit is done.
   */
  minRows: number;
  maxDelayMs: number;
}

const RETRY_FIRST_MS = 200;
const RETRY_MAX_MS = 30_000;

export class GroupCommit<T, P = unknown> {
  private pending: Entry<T, P>[] = [];
  private running = false;
  private idle: (() => void)[] = [];
  private stopped = false;
  /** Set once a journaled item was given up on: later journaled items are refused, uncommitted. */
  private broken?: Error;
  private committed = 0;
  private seqWaiters: { seq: number; resolve: () => void }[] = [];
  private readonly limits: GroupLimits;
  /** Rows and unjournaled writes in `pending`, and when the oldest pending write arrived. */
  private pendingRows = 0;
  private unjournaled = 0;
  private oldestAt = 0;
  private timer?: NodeJS.Timeout;
  private overdue = false;
  private tasks = 0;

  constructor(
    private readonly steps: CommitSteps<T, P>,
    limits: Partial<GroupLimits> = {},
  ) {
    this.limits = {
      maxItems: 64,
      maxRows: Number.POSITIVE_INFINITY,
      minRows: 0,
      maxDelayMs: 0,
      ...limits,
    };
  }

  /** Records that journal records up to `seq` were committed before (by an earlier process). */
  startAfter(seq: number): void {
    this.committed = Math.max(this.committed, seq);
  }

  /** The highest journal sequence number committed so far. */
  get committedSeq(): number {
    return this.committed;
  }

  /**
   * Queues `item` for the next commit; resolves once it is committed. `prepared` is the item
   * already prepared by the caller (who then saw any error itself); `seq` its journal record.
   */
  submit(item: T, options: { seq?: number; prepared?: P } = {}): Promise<void> {
    let prepared: P;
    try {
      prepared = options.prepared ?? this.steps.prepare(item);
    } catch (err) {
      return Promise.reject(err);
    }
    const rows = this.steps.rows?.(item) ?? 1;
    return new Promise((resolve, reject) => {
      if (this.pendingRows === 0 && this.unjournaled === 0) this.oldestAt = performance.now();
      this.pending.push({ kind: 'write', item, prepared, rows, seq: options.seq, resolve, reject });
      this.pendingRows += rows;
      if (options.seq === undefined) this.unjournaled++;
      this.kick();
    });
  }

  /** Runs `task` between commits, with no transaction open (retention, checkpoints). */
  exclusive<R>(task: () => Promise<R>): Promise<R> {
    return new Promise<R>((resolve, reject) => {
      this.pending.push({ kind: 'task', run: () => task().then(resolve, reject) });
      this.tasks++;
      this.kick();
    });
  }

  /** Resolves once everything submitted so far is committed (or failed). */
  whenIdle(): Promise<void> {
    if (!this.running && this.pending.length === 0) return Promise.resolve();
    return new Promise((resolve) => {
      this.idle.push(resolve);
      this.kick();
    });
  }

  /**
   * Undefined when journal record `seq` is committed already, else a promise that resolves
   * once it is (or once the group commit stops).
   */
  whenCommitted(seq: number): Promise<void> | undefined {
    if (seq <= this.committed || this.stopped) return undefined;
    return new Promise((resolve) => {
      this.seqWaiters.push({ seq, resolve });
      this.kick();
    });
  }

  /** Ends retries of failing journaled items (they stay in the journal for the next start). */
  stop(): void {
    this.stopped = true;
    this.kick();
    for (const w of this.seqWaiters.splice(0)) w.resolve();
  }

  private kick(): void {
    if (this.running) return;
    if (this.ready()) {
      void this.drain();
    } else if (!this.timer && this.pending.length > 0) {
      const wait = Math.max(0, this.oldestAt + this.limits.maxDelayMs - performance.now());
      this.timer = setTimeout(() => {
        this.timer = undefined;
        this.overdue = true;
        this.kick();
      }, wait);
    }
  }

  /** Whether the head of the queue should go now rather than wait for a fuller group. */
  private ready(): boolean {
    const head = this.pending[0];
    if (!head) return false;
    return (
      this.tasks > 0 ||
      this.pendingRows >= this.limits.minRows ||
      this.unjournaled > 0 ||
      this.overdue ||
      this.stopped ||
      this.seqWaiters.length > 0 ||
      this.idle.length > 0
    );
  }

  /** The writes at the head of the queue, up to the first task or a limit. */
  private takeGroup(): Write<T, P>[] {
    let end = 0;
    let rows = 0;
    while (end < this.pending.length && end < this.limits.maxItems) {
      const e = this.pending[end]!;
      if (e.kind !== 'write' || (end > 0 && rows + e.rows > this.limits.maxRows)) break;
      rows += e.rows;
      end++;
    }
    const group = this.pending.splice(0, end) as Write<T, P>[];
    for (const g of group) {
      this.pendingRows -= g.rows;
      if (g.seq === undefined) this.unjournaled--;
    }
    this.overdue = false;
    this.oldestAt = performance.now();
    return group;
  }

  private async drain(): Promise<void> {
    this.running = true;
    clearTimeout(this.timer);
    this.timer = undefined;
    try {
      while (this.ready()) {
        const head = this.pending[0]!;
        if (head.kind === 'task') {
          this.pending.shift();
          this.tasks--;
          await head.run();
          continue;
        }
        const group = this.withoutJournaledIfBroken(this.takeGroup());
        if (group.length === 0) continue;
        let failure: unknown;
        try {
          await this.steps.execute(
            group.map((g) => g.prepared),
            lastSeq(group),
          );
        } catch (err) {
          failure = err ?? new Error('commit failed');
        }
        if (failure === undefined) {
          this.done(group);
        } else {
          await this.retryAlone(group, failure);
        }
      }
    } finally {
      this.running = false;
      if (this.pending.length === 0) for (const w of this.idle.splice(0)) w();
      else this.kick();
    }
  }

  private withoutJournaledIfBroken(group: Write<T, P>[]): Write<T, P>[] {
    if (!this.broken) return group;
    for (const g of group) if (g.seq !== undefined) g.reject(this.broken);
    return group.filter((g) => g.seq === undefined);
  }

  private done(group: Write<T, P>[]): void {
    const seq = lastSeq(group);
    if (seq !== undefined && seq > this.committed) {
      this.committed = seq;
      this.seqWaiters = this.seqWaiters.filter((w) => {
        if (w.seq > seq) return true;
        w.resolve();
        return false;
      });
    }
    for (const g of group) g.resolve();
  }

  /**
   * One bad batch must not fail its neighbours: commit each alone, freshly prepared. A batch
   * that fails alone is refused, unless it is journaled (acknowledged already): that one is
   * retried with growing pauses, holding back those after it so commits stay in journal order.
   */
  private async retryAlone(group: Write<T, P>[], failure: unknown): Promise<void> {
    if (group.length === 1 && group[0]!.seq === undefined) {
      group[0]!.reject(failure);
      return;
    }
    for (const g of group) {
      let delay = RETRY_FIRST_MS;
      for (;;) {
        if (g.seq !== undefined && this.broken) {
          g.reject(this.broken);
          break;
        }
        try {
          await this.steps.execute([this.steps.prepare(g.item)], g.seq);
          this.done([g]);
          break;
        } catch (err) {
          if (g.seq === undefined) {
            g.reject(err);
            break;
          }
          if (this.stopped) {
            // Journaled batches after this one must not commit either: the journal position
            // committed with them would skip this one at the next replay.
            this.broken = new Error(
              `journal record ${g.seq} could not be committed (${(err as Error)?.message ?? err}); it and later records stay in the journal`,
            );
            g.reject(err);
            break;
          }
          this.steps.onRetry?.(err, delay);
          await new Promise((r) => setTimeout(r, delay));
          delay = Math.min(delay * 2, RETRY_MAX_MS);
        }
      }
    }
  }
}

function lastSeq(group: readonly { seq?: number }[]): number | undefined {
  for (let k = group.length - 1; k >= 0; k--) {
    const seq = group[k]!.seq;
    if (seq !== undefined) return seq;
  }
  return undefined;
}
