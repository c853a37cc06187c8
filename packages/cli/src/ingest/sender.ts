import { setTimeout as sleep } from 'node:timers/promises';
import type { HopscopeClient } from '../client.js';
import { CliError, EXIT } from '../errors.js';

export interface IngestSummary {
  sources: string[];
  /** Non-blank lines read. */
  lines: number;
  accepted: number;
  /** Refused by the server (400/413): counted, reported, not fatal. */
  rejected: number;
  rejectReasons: string[];
  /** Still queued when the run was interrupted. */
  unsent: number;
  /** Lines that are not a JSON object: sent anyway, stored as plain messages. */
  notJson: number;
  blank: number;
  oversized: number;
  /** Cut by the server to its line-length limit (stored, shortened). */
  truncated: number;
  requests: number;
  seconds: number;
  startedAt: number;
}

export function newSummary(sources: string[]): IngestSummary {
  return {
    sources,
    lines: 0,
    accepted: 0,
    rejected: 0,
    rejectReasons: [],
    unsent: 0,
    notJson: 0,
    blank: 0,
    oversized: 0,
    truncated: 0,
    requests: 0,
    seconds: 0,
    startedAt: performance.now(),
  };
}

interface Batch {
  service?: string;
  lines: string[];
}

const MAX_BATCH_BYTES = 1024 * 1024;
const FOLLOW_FLUSH_MS = 250;
const MAX_IN_FLIGHT = 2;
const MAX_RETRIES = 8;

/** Collects one source's lines into NDJSON batches; in follow mode a quiet moment flushes too. */
export class Batcher {
  private lines: string[] = [];
  private bytes = 0;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly sender: IngestSender,
    private readonly service: string | undefined,
    private readonly maxLines: number,
    private readonly follow: boolean,
  ) {}

  async add(line: string): Promise<void> {
    const summary = this.sender.summary;
    const trimmed = line.trim();
    if (trimmed === '') {
      summary.blank++;
      return;
    }
    summary.lines++;
    // A cheap shape check; the server's parser decides, this only feeds the summary.
    if (!(trimmed.startsWith('{') && trimmed.endsWith('}'))) summary.notJson++;
    this.lines.push(line);
    this.bytes += line.length + 1;
    if (this.lines.length >= this.maxLines || this.bytes >= MAX_BATCH_BYTES) {
      await this.flush();
    } else if (this.follow && !this.timer) {
      // A failure here is kept by the sender and thrown by the next send or drain.
      this.timer = setTimeout(() => this.flush().catch(() => {}), FOLLOW_FLUSH_MS);
    }
  }

  async flush(): Promise<void> {
    clearTimeout(this.timer);
    this.timer = undefined;
    if (this.lines.length === 0) return;
    const lines = this.lines;
    this.lines = [];
    this.bytes = 0;
    await this.sender.send({ service: this.service, lines });
  }
}

/**
 * POSTs batches to /api/ingest/logs with at most two requests in flight. Overload (429/503) is
 * retried after Retry-After; a 413 splits the batch; a 400 rejects it (counted, not fatal);
 * 401 and an unreachable server end the run with the client's message.
 */
export class IngestSender {
  private readonly inFlight = new Set<Promise<void>>();
  private failure: unknown;
  private everReached = false;

  constructor(
    private readonly client: HopscopeClient,
    readonly summary: IngestSummary,
    private readonly signal: AbortSignal,
    /** Told once when the run cannot go on (401, unreachable), so reading stops at once. */
    private readonly onFailure: (err: unknown) => void = () => {},
  ) {}

  /** The error that ended the run, if one did. */
  get failed(): unknown {
    return this.failure;
  }

  async send(batch: Batch): Promise<void> {
    this.throwIfFailed();
    while (this.inFlight.size >= MAX_IN_FLIGHT) await Promise.race(this.inFlight);
    this.throwIfFailed();
    const request: Promise<void> = this.post(batch)
      .catch((err: unknown) => {
        if (this.failure !== undefined) return;
        this.failure = err;
        this.onFailure(err);
      })
      .finally(() => this.inFlight.delete(request));
    this.inFlight.add(request);
  }

  async drain(): Promise<void> {
    while (this.inFlight.size > 0) await Promise.race(this.inFlight);
    this.throwIfFailed();
  }

  private throwIfFailed(): void {
    if (this.failure !== undefined) throw this.failure;
  }

  private async post(batch: Batch): Promise<void> {
    const body = `${batch.lines.join('\n')}\n`;
    for (let attempt = 0; ; attempt++) {
      let response: Response;
      try {
        this.summary.requests++;
        response = await this.client.post(
          '/api/ingest/logs',
          { service: batch.service },
          body,
          'application/x-ndjson',
        );
      } catch (err) {
        // Not reachable at all: say so at once. Reached before: a restart, worth a few retries.
        const transient = err instanceof CliError && err.exitCode === EXIT.unreachable;
        if (!transient || !this.everReached || attempt >= MAX_RETRIES) throw err;
        if (!(await this.backoff(attempt, undefined))) return this.unsent(batch);
        continue;
      }
      this.everReached = true;
      if (response.ok) {
        // { accepted, plain, truncated } from the server; only `truncated` adds to what we know.
        const result = (await response.json().catch(() => ({}))) as { truncated?: unknown };
        if (typeof result.truncated === 'number') this.summary.truncated += result.truncated;
        this.summary.accepted += batch.lines.length;
        return;
      }
      if (response.status === 429 || response.status === 503) {
        await response.body?.cancel();
        if (attempt >= MAX_RETRIES) {
          throw new CliError(
            `The server at ${this.client.baseUrl} stayed overloaded (${response.status}) after ${MAX_RETRIES} retries.`,
            EXIT.server,
          );
        }
        if (!(await this.backoff(attempt, response.headers.get('retry-after'))))
          return this.unsent(batch);
        continue;
      }
      if (response.status === 413 && batch.lines.length > 1) {
        await response.body?.cancel();
        const half = Math.ceil(batch.lines.length / 2);
        await this.post({ service: batch.service, lines: batch.lines.slice(0, half) });
        await this.post({ service: batch.service, lines: batch.lines.slice(half) });
        return;
      }
      const error = await this.client.errorFor(response, this.client.url('/api/ingest/logs'));
      this.summary.rejected += batch.lines.length;
      const reason = `${response.status}: ${error.message.replace(/^The server rejected the request: /, '')}`;
      if (this.summary.rejectReasons.length < 5 && !this.summary.rejectReasons.includes(reason)) {
        this.summary.rejectReasons.push(reason);
      }
      return;
    }
  }

  /** Waits before a retry; false when interrupted meanwhile. */
  private async backoff(attempt: number, retryAfter: string | null | undefined): Promise<boolean> {
    const seconds = Number(retryAfter);
    const ms =
      Number.isFinite(seconds) && seconds > 0
        ? Math.min(seconds * 1000, 30_000)
        : Math.min(250 * 2 ** attempt, 8000);
    try {
      await sleep(ms, undefined, { signal: this.signal });
      return true;
    } catch {
      return false;
    }
  }

  private unsent(batch: Batch): void {
    this.summary.unsent += batch.lines.length;
  }
}
