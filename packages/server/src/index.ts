export type * from './api/types.js';
export {
  DEFAULT_LIMITS,
  DEFAULT_QUEUE,
  DEFAULT_REDACTION,
  type IngestLimits,
  parseDuration,
  parseSize,
  type QueueOptions,
  type RedactionOptions,
} from './config.js';
export * from './ingest/log-lines/index.js';
export {
  loadSamplingConfig,
  parseSamplingConfig,
  type SamplingConfig,
  SamplingConfigError,
  type SamplingConfigInput,
  type SamplingFlags,
  samplingFromFlags,
} from './pipeline/sampling/index.js';
export {
  isDuckDbThreadCount,
  isIngestWorkerCount,
  MAX_DUCKDB_THREADS,
  MAX_INGEST_WORKERS,
  type ServerHandle,
  type ServerOptions,
  startServer,
} from './server.js';
export { ClickHouseStore, type ClickHouseStoreOptions } from './store/clickhouse/store.js';
export { type CompactResult, compactDataDir } from './store/duckdb/compact.js';
export { DUCKDB_FILE_NAME, DuckDbStore, type DuckDbStoreOptions } from './store/duckdb/store.js';
export { createStore, type StoreChoice } from './store/open-store.js';
export type * from './store/reader.js';
export type * from './store/records.js';
export type * from './store/store.js';
