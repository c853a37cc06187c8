/**
 * Coalesces concurrent write() calls into one transaction: while a commit is in flight, new
 * batches queue up and go together into the next one, so the fsync of the commit is paid once
 * per group rather than once per request.
 *
 * A commit has two halves: `prepare` (synchronous JavaScript: encode the rows) and `execute`
 * (asynchronous, in DuckDB's threads: insert, index, commit). The next group is prepared while
 * the current one executes, so the two halves overlap on a multi-core machine.
 */
type Entry<T> =
  | { kind: 'write'; item: T; resolve: () => void; reject: (err: unknown) => void }
  | { kind: 'task'; run: () => Promise<void> };
type Write<T> = Extract<Entry<T>, { kind: 'write' }>;

export interface CommitSteps<T, P> {
  prepare(items: T[]): P;
  execute(prepared: P): Promise<void>;
}

export class GroupCommit<T, P = unknown> {
  private pending: Entry<T>[] = [];
  private running = false;
  private idle: (() => void)[] = [];

  /** `maxGroup` bounds how many writes one transaction takes. */
  constructor(
    private readonly steps: CommitSteps<T, P>,
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

  /** The writes at the head of the queue, up to the first task or maxGroup. */
  private takeGroup(): Write<T>[] {
    let end = 0;
    while (
      end < this.pending.length &&
      end < this.maxGroup &&
      this.pending[end]!.kind === 'write'
    ) {
      end++;
    }
    return this.pending.splice(0, end) as Write<T>[];
  }

  private prepare(group: Write<T>[]): { group: Write<T>[]; prepared?: P; error?: unknown } {
    try {
      return { group, prepared: this.steps.prepare(group.map((g) => g.item)) };
    } catch (error) {
      return { group, error };
    }
  }

  private async drain(): Promise<void> {
    this.running = true;
    try {
      let next: ReturnType<GroupCommit<T, P>['prepare']> | undefined;
      while (next || this.pending.length > 0) {
        if (!next) {
          const head = this.pending[0]!;
          if (head.kind === 'task') {
            this.pending.shift();
            await head.run();
            continue;
          }
          next = this.prepare(this.takeGroup());
        }
        const current = next;
        next = undefined;
        const executing =
          current.error === undefined
            ? this.steps.execute(current.prepared as P).then(
                () => undefined,
                (err: unknown) => err ?? new Error('commit failed'),
              )
            : Promise.resolve(current.error);
        // Let request handlers queue more writes, then encode them while DuckDB works.
        await new Promise((r) => setImmediate(r));
        if (this.pending[0]?.kind === 'write') next = this.prepare(this.takeGroup());
        const failure = await executing;
        if (failure === undefined) {
          for (const g of current.group) g.resolve();
        } else {
          await this.retryAlone(current.group, failure);
        }
      }
    } finally {
      this.running = false;
      for (const w of this.idle.splice(0)) w();
    }
  }

  /** One bad batch must not fail its neighbours: commit each alone. */
  private async retryAlone(group: Write<T>[], failure: unknown): Promise<void> {
    if (group.length === 1) {
      group[0]!.reject(failure);
      return;
    }
    for (const g of group) {
      try {
        await this.steps.execute(this.steps.prepare([g.item]));
        g.resolve();
      } catch (err) {
        g.reject(err);
      }
    }
  }
}
