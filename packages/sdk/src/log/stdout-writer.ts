import { writeSync } from 'node:fs';

/** Pending text beyond this many characters is written at once, so a burst does not pile up. */
export const MAX_PENDING_CHARS = 64 * 1024;

/** The exit flush keeps retrying a full pipe this long without progress, then gives up. */
const EXIT_STALL_LIMIT_MS = 5_000;
const EXIT_RETRY_MS = 10;
/**
 * A full pipe (EAGAIN, a short write) is retried after 1 ms, doubling while it takes nothing, up
 * to the batch interval (or MAX_IDLE_RETRY_MS): a reader that keeps reading gets the backlog at
 * its own pace, not at one pipe's worth per interval; a stalled one costs a syscall now and then.
 */
const MAX_IDLE_RETRY_MS = 20;

const sleeper = new Int32Array(new SharedArrayBuffer(4));

/**
 * The logger's default destination: lines for the process's stdout, gathered and written to fd 1
 * in one `write` per `flushMs` (or per MAX_PENDING_CHARS). Written line by line, every line was
 * its own asynchronous `fs.write`: a libuv threadpool round trip each.
 *
 * The write is a synchronous call on the main thread that never waits: once `process.stdout` has
 * been touched, a stdout pipe is non-blocking, so a full pipe answers at once with a partial write
 * or EAGAIN, and the rest is kept (in order) for the next try. Keeping every byte's state on this
 * thread is what makes the exit flush exact: an asynchronous write still on the threadpool when
 * the process exits (pino's SonicBoom) can be cut short, which lost lines of a burst ended by
 * `process.exit()`. Files and other blocking descriptors take the write at once.
 *
 * Pending lines are written synchronously on `exit` (process.exit(), the end of the event loop,
 * an uncaught exception). A broken stdout (EPIPE, a closed fd) silences the writer: logging
 * never throws into the app nor crashes it.
 */
export class StdoutWriter {
  private pending: string[] = [];
  private pendingChars = 0;
  /**
   * Earlier batches a full pipe did not take yet (the first maybe in part), oldest first; they
   * go before `pending`. A queue, not one growing buffer, so a long stall costs no re-copying.
   */
  private backlog: Buffer[] = [];
  private timer: NodeJS.Timeout | undefined;
  private retryMs = 1;
  private broken = false;
  private exiting = false;
  private readonly onTimer = () => {
    this.timer = undefined;
    this.drain();
  };

  constructor(
    private readonly fd: number,
    private flushMs: number,
  ) {}

  /** Changes the batching interval (`init()` may set a new one); 0 writes each line at once. */
  setFlushMs(flushMs: number): void {
    if (flushMs === this.flushMs) return;
    this.flushMs = flushMs;
    this.drain();
  }

  /** pino's destination call. Always true: the app is never asked to wait for stdout. */
  write(line: string): boolean {
    if (this.broken) return true;
    if (this.exiting) {
      // after the exit flush no timer fires again
      this.writeAllSync(Buffer.from(line));
      return true;
    }
    this.pending.push(line);
    this.pendingChars += line.length;
    if (this.flushMs === 0 || this.pendingChars >= MAX_PENDING_CHARS) this.drain();
    else this.arm(this.flushMs);
    return true;
  }

  /** pino's `logger.flush(cb)`: pending lines are written now (as far as stdout takes them). */
  flush(cb?: (err?: Error) => void): void {
    this.drain();
    cb?.();
  }

  /** Writes everything pending, waiting for a full pipe: for the end of the process. */
  flushSync(): void {
    this.disarm();
    if (this.broken) return;
    const backlog = this.backlog;
    this.backlog = [];
    for (const buf of backlog) this.writeAllSync(buf);
    if (this.pending.length > 0) this.writeAllSync(Buffer.from(this.take()));
  }

  /** @internal The process is ending: flush, and write any later line synchronously. */
  onExit(): void {
    this.flushSync();
    this.exiting = true;
  }

  private arm(ms: number): void {
    if (this.timer !== undefined) return;
    this.timer = setTimeout(this.onTimer, ms);
    // a pending batch never keeps the process alive: `exit` writes it
    this.timer.unref();
  }

  private disarm(): void {
    if (this.timer === undefined) return;
    clearTimeout(this.timer);
    this.timer = undefined;
  }

  private take(): string {
    const text = this.pending.length === 1 ? (this.pending[0] as string) : this.pending.join('');
    this.pending = [];
    this.pendingChars = 0;
    return text;
  }

  private drain(): void {
    this.disarm();
    if (this.broken) return;
    if (this.pending.length > 0) this.backlog.push(Buffer.from(this.take()));
    let progressed = false;
    while (this.backlog.length > 0) {
      const head = this.backlog[0] as Buffer;
      const rest = this.writeSome(head);
      if (rest === undefined) {
        this.backlog.shift();
        progressed = true;
        continue;
      }
      // the pipe is full: try again soon, new lines queue behind
      if (rest !== head) progressed = true;
      this.backlog[0] = rest;
      this.retryMs = progressed ? 1 : Math.min(this.retryMs * 2, this.flushMs || MAX_IDLE_RETRY_MS);
      this.arm(this.retryMs);
      return;
    }
    this.retryMs = 1;
  }

  /** One write attempt; returns what stdout did not take. */
  private writeSome(data: Buffer): Buffer | undefined {
    try {
      const written = writeSync(this.fd, data);
      return written >= data.length ? undefined : data.subarray(written);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'EAGAIN' || code === 'EBUSY') return data;
      this.silence();
      return undefined;
    }
  }

  /** Writes all of `buf`, waiting out a full pipe (bounded, so exit cannot hang forever). */
  private writeAllSync(buf: Buffer): void {
    let rest = buf;
    let stalledMs = 0;
    while (rest.length > 0 && !this.broken) {
      try {
        rest = rest.subarray(writeSync(this.fd, rest));
        stalledMs = 0;
      } catch (err) {
        const code = (err as NodeJS.ErrnoException).code;
        if ((code === 'EAGAIN' || code === 'EBUSY') && stalledMs < EXIT_STALL_LIMIT_MS) {
          Atomics.wait(sleeper, 0, 0, EXIT_RETRY_MS);
          stalledMs += EXIT_RETRY_MS;
        } else {
          this.silence();
        }
      }
    }
  }

  /** EPIPE (the reader is gone), EBADF, EIO…: stop writing, as pino does on EPIPE. */
  private silence(): void {
    this.broken = true;
    this.pending = [];
    this.pendingChars = 0;
    this.backlog = [];
    this.disarm();
  }
}

let shared: StdoutWriter | undefined;

/**
 * The process's one stdout writer (every logger writing to stdout shares it, so their lines
 * keep their order), created on first use with its `exit` hook.
 */
export function stdoutWriter(flushMs: number): StdoutWriter {
  if (shared === undefined) {
    // as pino's default: fd 1 when stdout has none (a worker thread)
    const writer = new StdoutWriter(process.stdout.fd || 1, flushMs);
    process.on('exit', () => writer.onExit());
    shared = writer;
  } else {
    shared.setFlushMs(flushMs);
  }
  return shared;
}
