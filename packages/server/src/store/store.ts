import type { StoreReader } from './reader.js';
import type { WriteBatch } from './records.js';

export interface RetentionPolicy {
  /** Drop data older than this many milliseconds. */
  maxAgeMs?: number;
  /** Drop the oldest data until the store is under this many bytes. */
  maxBytes?: number;
}

export interface StoreStats {
  spansTotal: number;
  logsTotal: number;
  tracesTotal: number;
  bytesOnDisk: number;
}

/**
 * A batch holding a value the store's columns cannot hold (a time beyond 64 bits, a kind out of
 * range): the data is at fault and sending it again cannot help. Nothing of it was stored.
 */
export class UnstorableBatchError extends Error {
  override readonly name = 'UnstorableBatchError';
}

/** How ingest words an unstorable batch, on whichever thread it was encoded. */
export function unstorableMessage(err: unknown): string {
  return `spans cannot be stored: ${err instanceof Error ? err.message : String(err)}`;
}

/**
 * One interface for every backend (DuckDB embedded, ClickHouse at scale). Nothing above the
 * store layer names a database.
 */
export interface Store {
  readonly kind: 'duckdb' | 'clickhouse';
  readonly reader: StoreReader;
  /** Creates or migrates the schema. */
  open(): Promise<void>;
  /** What open() recovered of what was acknowledged before the last stop (DuckDB's journal). */
  readonly recovered?: { batches: number; spans: number };
  /** Resolves only once the batch is durable: a crash after this loses nothing. */
  write(batch: WriteBatch): Promise<void>;
  enforceRetention(policy: RetentionPolicy): Promise<{ spansDeleted: number; logsDeleted: number }>;
  stats(): Promise<StoreStats>;
  /** Flushes and releases resources. */
  close(): Promise<void>;
}
