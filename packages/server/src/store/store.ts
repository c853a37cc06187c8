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
 * One interface for every backend (DuckDB embedded, ClickHouse at scale). Nothing above the
 * store layer names a database.
 */
export interface Store {
  readonly kind: 'duckdb' | 'clickhouse';
  readonly reader: StoreReader;
  /** Creates or migrates the schema. */
  open(): Promise<void>;
  /** Resolves only once the batch is durable: a crash after this loses nothing. */
  write(batch: WriteBatch): Promise<void>;
  enforceRetention(policy: RetentionPolicy): Promise<{ spansDeleted: number; logsDeleted: number }>;
  stats(): Promise<StoreStats>;
  /** Flushes and releases resources. */
  close(): Promise<void>;
}
