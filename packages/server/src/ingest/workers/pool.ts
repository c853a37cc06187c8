/**
 * Worker threads that decode OTLP trace exports and encode their spans for the DuckDB store.
 * On two cores the main thread was the limit at ~35k spans/s: HTTP, protobuf decoding, the
 * spans' column encoding and DuckDB's appends all ran on it. Moving decoding and encoding
 * here leaves the main thread HTTP, copying finished columns into DuckDB, and queries.
 */
import { existsSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import { IngestInputError } from '../errors.js';
import { type DecodedExport, exportOfRecord, type Protocol, type Signal } from '../otlp/export.js';
import type { DecodeJob, DecodeReply, WorkerConfig } from './messages.js';

interface Waiting {
  resolve: (d: DecodedExport) => void;
  reject: (err: unknown) => void;
}

interface Slot {
  worker: Worker;
  waiting: Map<number, Waiting>;
  /** Has answered at least once: it started. */
  answered: boolean;
}

/** Threads that die before answering once, in a row, before the pool gives up on threads. */
const MAX_FAILED_STARTS = 3;

/**
 * The thread's compiled file. Under the tests this module runs from src/*.ts, which a worker
 * cannot load: it then runs the build's copy (dist/), which `npm run build` makes.
 */
function threadFile(): URL {
  const here = import.meta.url;
  if (!here.endsWith('.ts')) return new URL('./thread.js', here);
  const path = fileURLToPath(new URL('./thread.js', here)).replace(
    /([\\/])src([\\/])(?!.*[\\/]src[\\/])/,
    '$1dist$2',
  );
  if (!existsSync(path)) {
    throw new Error(`ingest workers run the built ${path}: run \`npm run build\` first`);
  }
  return pathToFileURL(path);
}

export class IngestWorkers {
  private readonly slots: Slot[] = [];
  private nextId = 0;
  private closed = false;
  private failedStarts = 0;
  /** Why the threads were given up on; callers then decode on their own thread. */
  private brokenBy?: string;

  /** `file`: the thread's module (tests give a broken one); the build's thread.js otherwise. */
  constructor(
    readonly threads: number,
    private readonly config: WorkerConfig,
    private readonly file: URL = threadFile(),
  ) {
    if (!Number.isInteger(threads) || threads < 1) {
      throw new Error(`ingest workers: need a whole number ≥ 1 of threads, got ${threads}`);
    }
    for (let k = 0; k < threads; k++) this.slots.push(this.spawn());
  }

  /**
   * False once threads kept dying before answering (a broken install, say): a server then
   * decodes on its main thread rather than failing every export.
   */
  get usable(): boolean {
    return !this.closed && this.brokenBy === undefined;
  }

  /** Decodes one export request on the least busy thread. */
  decode(signal: Signal, protocol: Protocol, body: Uint8Array): Promise<DecodedExport> {
    if (this.closed) return Promise.reject(new Error('ingest workers are closed'));
    if (this.brokenBy !== undefined) {
      return Promise.reject(new Error(`ingest workers gave up: ${this.brokenBy}`));
    }
    let slot = this.slots[0]!;
    for (const s of this.slots) if (s.waiting.size < slot.waiting.size) slot = s;
    const id = this.nextId++;
    const job: DecodeJob = { id, signal, protocol, body };
    return new Promise((resolve, reject) => {
      slot.waiting.set(id, { resolve, reject });
      slot.worker.postMessage(job);
    });
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await Promise.all(this.slots.map((s) => s.worker.terminate()));
  }

  private spawn(): Slot {
    const worker = new Worker(this.file, { workerData: this.config });
    const slot: Slot = { worker, waiting: new Map(), answered: false };
    worker.unref();
    worker.on('message', (reply: DecodeReply) => {
      slot.answered = true;
      this.failedStarts = 0;
      const w = slot.waiting.get(reply.id);
      if (!w) return;
      slot.waiting.delete(reply.id);
      if (!reply.ok) {
        w.reject(reply.input ? new IngestInputError(reply.message) : new Error(reply.message));
        return;
      }
      const { accepted, rejected, firstError, counts, journal } = reply;
      let decoded: DecodedExport;
      try {
        decoded = exportOfRecord({ accepted, rejected, firstError, counts, record: journal });
      } catch (err) {
        w.reject(err);
        return;
      }
      w.resolve(decoded);
    });
    const fail = (why: string) => {
      const err = new Error(`ingest worker stopped: ${why}`);
      for (const w of slot.waiting.values()) w.reject(err);
      slot.waiting.clear();
      if (this.closed) return;
      const k = this.slots.indexOf(slot);
      if (!slot.answered && ++this.failedStarts >= MAX_FAILED_STARTS) {
        this.brokenBy = why;
        if (k >= 0) this.slots.splice(k, 1);
        process.emitWarning(
          `hopscope: ingest worker threads keep failing (${why}); decoding on the main thread`,
        );
        return;
      }
      // A thread that died takes only its own requests down: the next ones get a fresh one.
      if (k >= 0) this.slots[k] = this.spawn();
    };
    worker.on('error', (err) => fail(err.message));
    worker.on('exit', (code) => {
      if (this.slots.includes(slot)) fail(`exit code ${code}`);
    });
    return slot;
  }
}
