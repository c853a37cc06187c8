import { QueueFullError } from '../../ingest/errors.js';
import type { LogRecord, SpanRecord } from '../../store/records.js';
import { encodeLogs, encodeTraces } from './encode-otlp-json.js';

/** Set on every forwarded request: the receiver keeps those records and never forwards them again. */
export const FORWARDED_HEADER = 'x-hopscope-forwarded';

export interface ForwarderOptions {
  /** Bearer token the peers require on ingest (the cluster shares one). */
  ingestToken?: string;
  /** Attempts per request, the first included; default 4. */
  attempts?: number;
  /** First backoff, doubled each retry; default 100 ms. */
  backoffMs?: number;
  /** Per-attempt timeout; default 5 s. */
  timeoutMs?: number;
  /** Records in flight to peers beyond which new forwards are refused (→ 429); default 50 000. */
  maxPendingRecords?: number;
  retryAfterSeconds?: number;
}

export interface ForwardCounts {
  spans: { forwarded: number; failed: number };
  logs: { forwarded: number; failed: number };
  retries: number;
}

/**
 * Posts records to the peer that owns their traces, as OTLP/JSON over HTTP, retrying with
 * exponential backoff. Bounded: records waiting on peers count against `maxPendingRecords`.
 */
export class PeerForwarder {
  readonly counts: ForwardCounts = {
    spans: { forwarded: 0, failed: 0 },
    logs: { forwarded: 0, failed: 0 },
    retries: 0,
  };
  private pending = 0;
  private readonly o: Required<Omit<ForwarderOptions, 'ingestToken'>> & { ingestToken?: string };

  constructor(options: ForwarderOptions = {}) {
    this.o = {
      attempts: 4,
      backoffMs: 100,
      timeoutMs: 5000,
      maxPendingRecords: 50_000,
      retryAfterSeconds: 1,
      ...options,
    };
  }

  get pendingRecords(): number {
    return this.pending;
  }

  /**
   * Throws QueueFullError when `n` more records would pass the bound. Called for a whole batch
   * before any of it is written, so a refused request has stored nothing and a retry duplicates
   * nothing. (A single batch larger than the bound passes when nothing is pending.)
   */
  checkRoom(n: number): void {
    if (this.pending > 0 && this.pending + n > this.o.maxPendingRecords) {
      throw new QueueFullError(this.o.retryAfterSeconds);
    }
  }

  /** Resolves once the peer acknowledged; throws after the last attempt failed. */
  async send(peer: string, spans: SpanRecord[], logs: LogRecord[]): Promise<void> {
    const n = spans.length + logs.length;
    if (n === 0) return;
    this.pending += n;
    try {
      await Promise.all([
        this.counted('spans', spans.length, () =>
          this.post(peer, '/v1/traces', encodeTraces(spans)),
        ),
        this.counted('logs', logs.length, () => this.post(peer, '/v1/logs', encodeLogs(logs))),
      ]);
    } finally {
      this.pending -= n;
    }
  }

  private async counted(
    signal: 'spans' | 'logs',
    n: number,
    send: () => Promise<void>,
  ): Promise<void> {
    if (n === 0) return;
    try {
      await send();
      this.counts[signal].forwarded += n;
    } catch (err) {
      this.counts[signal].failed += n;
      throw err;
    }
  }

  private async post(peer: string, path: string, body: object): Promise<void> {
    const text = JSON.stringify(body);
    const headers: Record<string, string> = {
      'content-type': 'application/json',
      [FORWARDED_HEADER]: '1',
    };
    if (this.o.ingestToken) headers.authorization = `Bearer ${this.o.ingestToken}`;
    let last = '';
    for (let attempt = 0; attempt < this.o.attempts; attempt++) {
      if (attempt > 0) {
        this.counts.retries++;
        await new Promise((r) => setTimeout(r, this.o.backoffMs * 2 ** (attempt - 1)));
      }
      try {
        const res = await fetch(`${peer}${path}`, {
          method: 'POST',
          headers,
          body: text,
          signal: AbortSignal.timeout(this.o.timeoutMs),
        });
        const reply = await res.text();
        if (res.ok) return;
        last = `${res.status} ${reply.slice(0, 200)}`;
        // Only overload and server faults are worth retrying; a 4xx will answer the same again.
        if (res.status !== 429 && res.status < 500) break;
      } catch (err) {
        last = err instanceof Error ? err.message : String(err);
      }
    }
    throw new Error(`forwarding to ${peer}${path} failed: ${last}`);
  }
}
