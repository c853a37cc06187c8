/**
 * Coalesces concurrent write() calls into one transaction: while a commit is in flight, new
 * batches queue up and go together into the next one, so the fsync of the commit is paid once
 * per group rather than once per request.
 */
type Entry<T> =
  | { kind: 'write'; item: T; resolve: () => void; reject: (err: unknown) => void }
  | { kind: 'task'; run: () => Promise<void> };

export class GroupCommit<T> {
  private pending: Entry<T>[] = [];
  private running = false;
  private idle: (() => void)[] = [];

  /** `commit` runs one transaction for a group; `maxGroup` bounds how many items it takes. */
  constructor(
    private readonly commit: (items: T[]) => Promise<void>,
    private readonly maxGroup = 64,
  ) {}

  submit(item: T): Promise<void> {
    return new Promise((resolve, reject) => {
      this.pending.push({ kind: 'write', item, resolve, reject });
      this.kick();
    });
  }

  /** Runs `task` between commits, with no transaction open (retention, checkpoints). */
  exclusive<R>(task: () => Promise<R>): Promise<R> {
    return new Promise<R>((resolve, reject) => {
      this.pending.push({ kind: 'task', run: () => task().then(resolve, reject) });
      this.kick();
    });
  }

  /** Resolves once everything submitted so far is committed (or failed). */
  whenIdle(): Promise<void> {
    if (!this.running && this.pending.length === 0) return Promise.resolve();
    return new Promise((resolve) => this.idle.push(resolve));
  }

  private kick(): void {
    if (!this.running) void this.drain();
  }

  private async drain(): Promise<void> {
    this.running = true;
    try {
      while (this.pending.length > 0) {
        const first = this.pending[0]!;
        if (first.kind === 'task') {
          this.pending.shift();
          await first.run();
          continue;
        }
        let end = 1;
        while (
          end < this.pending.length &&
          end < this.maxGroup &&
          this.pending[end]!.kind === 'write'
        ) {
          end++;
        }
        const group = this.pending.splice(0, end) as Extract<Entry<T>, { kind: 'write' }>[];
        try {
          await this.commit(group.map((g) => g.item));
          for (const g of group) g.resolve();
        } catch (err) {
          if (group.length === 1) {
            group[0]!.reject(err);
            continue;
          }
          // One bad batch must not fail its neighbours: retry each alone.
          for (const g of group) {
            try {
              await this.commit([g.item]);
              g.resolve();
            } catch (single) {
              g.reject(single);
            }
          }
        }
      }
    } finally {
      this.running = false;
      for (const w of this.idle.splice(0)) w();
    }
  }
}
