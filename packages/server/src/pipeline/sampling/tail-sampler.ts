import type { LogRecord, SpanRecord, WriteBatch } from '../../store/records.js';
import type { SamplingConfig } from './config.js';
import { buildPolicy, type Policy } from './policies.js';

/** Counts since start; the health route and /metrics read them. */
export interface SamplingCounts {
  traces: { kept: number; dropped: number };
  spans: { kept: number; dropped: number };
  /** `passed`: no trace ID, or warn and above, written without waiting for a decision. */
  logs: { kept: number; dropped: number; passed: number };
  /** Spans (and trace-bound info logs) that arrived after their trace was decided. */
  late: { kept: number; dropped: number };
  /** Traces decided before their window ended because the buffer was full. */
  early: { max_records: number; max_traces: number };
  /** Per policy in order: traces it kept (the first keep wins) and traces it declined. */
  policies: { name: string; type: string; kept: number; declined: number }[];
}

interface Pending {
  spans: SpanRecord[];
  logs: LogRecord[];
  lastMs: number;
  errorLogged: boolean;
}

/** A batch sorted by `split`: what to write now and what to hold once that write succeeded. */
export interface HeldBatch {
  now: WriteBatch;
  spans: SpanRecord[];
  logs: (LogRecord & { traceId: string })[];
  /** Undecided traces named by an error or fatal line. */
  errorTraces: string[];
}

const PASS_LEVELS = new Set(['warn', 'error', 'fatal']);
const ERROR_LEVELS = new Set(['error', 'fatal']);

/**
 * Tail sampling without I/O: holds spans per trace until `decision_wait` passes without a new
 * record of that trace, then asks the policies. Every method returns what is to be written now;
 * the caller (`SamplingStage`) writes it. The clock is a parameter so tests step it.
 *
 * The pending map is kept in order of last activity (a trace is re-inserted on each record), so
 * the traces due, and the stalest to decide early when full, are always at its front.
 */
export class TailSampler {
  private readonly policies: Policy[];
  private readonly pending = new Map<string, Pending>();
  /** trace ID → kept?, in decision order so expiry walks from the front. */
  private readonly decided = new Map<string, { keep: boolean; atMs: number }>();
  private records = 0;
  readonly counts: SamplingCounts;

  constructor(readonly config: SamplingConfig) {
    this.policies = config.policies.map(buildPolicy);
    this.counts = {
      traces: { kept: 0, dropped: 0 },
      spans: { kept: 0, dropped: 0 },
      logs: { kept: 0, dropped: 0, passed: 0 },
      late: { kept: 0, dropped: 0 },
      early: { max_records: 0, max_traces: 0 },
      policies: this.policies.map((p) => ({ name: p.name, type: p.type, kept: 0, declined: 0 })),
    };
  }

  get bufferedTraces(): number {
    return this.pending.size;
  }

  get bufferedRecords(): number {
    return this.records;
  }

  /** Takes an ingest batch; returns what must be written now (the rest is held or dropped). */
  offer(batch: WriteBatch, nowMs: number): WriteBatch {
    const split = this.split(batch, nowMs);
    const early = this.hold(split, nowMs);
    return {
      spans: [...split.now.spans, ...early.spans],
      logs: [...split.now.logs, ...early.logs],
    };
  }

  /**
   * Sorts a batch without holding anything yet: `now` is what can be written at once (logs
   * without a trace, warn and above, late records of a kept trace); late records of a dropped
   * trace are dropped here. Ingest writes `now` first and holds the rest only if that write
   * succeeded, so a failed request (retried by the client) leaves nothing behind.
   */
  split(batch: WriteBatch, nowMs: number): HeldBatch {
    const now: WriteBatch = { spans: [], logs: [] };
    const held: HeldBatch = { now, spans: [], logs: [], errorTraces: [] };
    for (const span of batch.spans) {
      const decision = this.decisionFor(span.traceId, nowMs);
      if (decision === undefined) {
        held.spans.push(span);
        continue;
      }
      if (decision) now.spans.push(span);
      this.countLate(decision, 1);
      this.countSpans(decision, 1);
    }
    for (const log of batch.logs) {
      if (log.traceId === undefined || PASS_LEVELS.has(log.level)) {
        now.logs.push(log);
        this.counts.logs.passed++;
        // An error line marks its undecided trace as an error trace (the `errors` policy).
        if (log.traceId !== undefined && ERROR_LEVELS.has(log.level)) {
          if (this.decisionFor(log.traceId, nowMs) === undefined)
            held.errorTraces.push(log.traceId);
        }
        continue;
      }
      const decision = this.decisionFor(log.traceId, nowMs);
      if (decision === undefined) {
        held.logs.push(log as LogRecord & { traceId: string });
        continue;
      }
      if (decision) now.logs.push(log);
      this.countLate(decision, 1);
      this.countLogs(decision, 1);
    }
    return held;
  }

  /**
   * Holds the undecided records of a split batch. Past a memory bound the stalest traces are
   * decided early: their kept records are returned, to be written.
   */
  hold(held: HeldBatch, nowMs: number): WriteBatch {
    for (const span of held.spans) this.holdRecord(span.traceId, nowMs).spans.push(span);
    for (const log of held.logs) this.holdRecord(log.traceId, nowMs).logs.push(log);
    for (const traceId of held.errorTraces) {
      if (this.decisionFor(traceId, nowMs) === undefined) {
        this.touch(traceId, nowMs).errorLogged = true;
      }
    }
    const out: WriteBatch = { spans: [], logs: [] };
    this.shed(nowMs, out);
    return out;
  }

  /** Decides every trace whose window has passed; also forgets expired decisions. */
  due(nowMs: number): WriteBatch {
    const out: WriteBatch = { spans: [], logs: [] };
    const wait = this.config.decision_wait;
    for (const [traceId, p] of this.pending) {
      if (p.lastMs + wait > nowMs) break; // ordered by last activity: the rest are younger
      this.decide(traceId, p, nowMs, out);
    }
    const ttl = this.config.decision_cache_ttl;
    for (const [traceId, d] of this.decided) {
      if (d.atMs + ttl > nowMs) break;
      this.decided.delete(traceId);
    }
    return out;
  }

  /** Decides every pending trace now (shutdown). */
  decideAll(nowMs: number): WriteBatch {
    const out: WriteBatch = { spans: [], logs: [] };
    for (const [traceId, p] of this.pending) this.decide(traceId, p, nowMs, out);
    return out;
  }

  private holdRecord(traceId: string, nowMs: number): Pending {
    const p = this.touch(traceId, nowMs);
    this.records++;
    return p;
  }

  /** The trace's pending entry, created if new, moved to the back (most recently active). */
  private touch(traceId: string, nowMs: number): Pending {
    let p = this.pending.get(traceId);
    if (p) this.pending.delete(traceId);
    else p = { spans: [], logs: [], lastMs: nowMs, errorLogged: false };
    p.lastMs = nowMs;
    this.pending.set(traceId, p);
    return p;
  }

  /** Past a bound, decides the stalest traces early rather than dropping or growing. */
  private shed(nowMs: number, out: WriteBatch): void {
    while (this.pending.size > this.config.max_buffered_traces) {
      const [traceId, p] = this.pending.entries().next().value as [string, Pending];
      this.decide(traceId, p, nowMs, out);
      this.counts.early.max_traces++;
    }
    while (this.records > this.config.max_buffered_records && this.pending.size > 0) {
      const [traceId, p] = this.pending.entries().next().value as [string, Pending];
      this.decide(traceId, p, nowMs, out);
      this.counts.early.max_records++;
    }
  }

  private decide(traceId: string, p: Pending, nowMs: number, out: WriteBatch): void {
    this.pending.delete(traceId);
    this.records -= p.spans.length + p.logs.length;
    const view = { traceId, spans: p.spans, logs: p.logs, errorLogged: p.errorLogged };
    let keep = false;
    for (let i = 0; i < this.policies.length; i++) {
      if (this.policies[i]!.keeps(view, nowMs)) {
        this.counts.policies[i]!.kept++;
        keep = true;
        break;
      }
      this.counts.policies[i]!.declined++;
    }
    // A client that retried a request whose answer it missed sends the same spans twice.
    const spans = p.spans.length > 1 ? uniqueSpans(p.spans) : p.spans;
    if (keep) {
      this.counts.traces.kept++;
      for (const s of spans) out.spans.push(s);
      for (const l of p.logs) out.logs.push(l);
    } else {
      this.counts.traces.dropped++;
    }
    this.countSpans(keep, spans.length);
    this.countLogs(keep, p.logs.length);
    this.remember(traceId, keep, nowMs);
  }

  private remember(traceId: string, keep: boolean, nowMs: number): void {
    this.decided.delete(traceId);
    this.decided.set(traceId, { keep, atMs: nowMs });
    if (this.decided.size > this.config.decision_cache_size) {
      this.decided.delete(this.decided.keys().next().value as string);
    }
  }

  private decisionFor(traceId: string, nowMs: number): boolean | undefined {
    const d = this.decided.get(traceId);
    if (d === undefined) return undefined;
    if (d.atMs + this.config.decision_cache_ttl <= nowMs) {
      this.decided.delete(traceId);
      return undefined;
    }
    return d.keep;
  }

  private countSpans(keep: boolean, n: number): void {
    if (keep) this.counts.spans.kept += n;
    else this.counts.spans.dropped += n;
  }

  private countLogs(keep: boolean, n: number): void {
    if (keep) this.counts.logs.kept += n;
    else this.counts.logs.dropped += n;
  }

  private countLate(keep: boolean, n: number): void {
    if (keep) this.counts.late.kept += n;
    else this.counts.late.dropped += n;
  }
}

function uniqueSpans(spans: SpanRecord[]): SpanRecord[] {
  const seen = new Set<string>();
  const out: SpanRecord[] = [];
  for (const s of spans) {
    if (seen.has(s.spanId)) continue;
    seen.add(s.spanId);
    out.push(s);
  }
  return out;
}
