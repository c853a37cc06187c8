import type { IngestLimits, RedactionOptions } from '../../config.js';
import type { PriceTable } from '../../pipeline/ai/prices.js';
import type { Protocol, Signal } from '../otlp/export.js';
import type { SanitizeCounts } from '../sanitize.js';

/** What every ingest worker thread is started with (its workerData). */
export interface WorkerConfig {
  limits: IngestLimits;
  redaction: RedactionOptions;
  /** The price files the server's table was built from (read once there, never re-read). */
  prices: PriceTable['files'];
}

/** One export request for a worker to decode. */
export interface DecodeJob {
  id: number;
  signal: Signal;
  protocol: Protocol;
  body: Uint8Array;
}

export type DecodeReply =
  | {
      id: number;
      ok: true;
      accepted: number;
      rejected: number;
      firstError?: string;
      counts: SanitizeCounts;
      /**
       * The accepted spans as the store's journal record (journal-entry.ts): the main thread
       * writes these bytes as they are and reads its columns back out of them.
       */
      journal?: Uint8Array;
    }
  | {
      id: number;
      ok: false;
      /** True when the request itself was bad (a 400), false for a fault of ours. */
      input: boolean;
      message: string;
    };
