/**
 * The one place a backend is chosen: `--store` absent or `duckdb` → the embedded DuckDB file in
 * the data folder; `clickhouse://…` → ClickHouse. The store comes back unopened.
 */
import { ClickHouseStore } from './clickhouse/store.js';
import { parseClickHouseUrl } from './clickhouse/url.js';
import { DuckDbStore } from './duckdb/store.js';
import type { Store } from './store.js';

export interface StoreChoice {
  /** `duckdb` (default) or a `clickhouse://user:pass@host:8123/database?cluster=&ttl_days=` URL. */
  store?: string;
  /** Folder of the DuckDB file. */
  dataDir: string;
  /** DuckDB: the threads it may use (DuckDbStoreOptions.threads). */
  duckdbThreads?: number;
  onCommit?: (spans: number, logs: number) => void;
  /** DuckDB: told the number of acknowledged spans still waiting in the journal for a commit. */
  onUncommitted?: (spans: number) => void;
}

export function createStore(choice: StoreChoice): Store {
  const spec = choice.store?.trim() ?? '';
  if (spec === '' || spec === 'duckdb') {
    return new DuckDbStore({
      dataDir: choice.dataDir,
      threads: choice.duckdbThreads,
      onCommit: choice.onCommit,
      onUncommitted: choice.onUncommitted,
    });
  }
  if (spec.startsWith('clickhouse://')) {
    return new ClickHouseStore({ ...parseClickHouseUrl(spec), onCommit: choice.onCommit });
  }
  throw new Error(`--store: expected duckdb or a clickhouse:// URL, got "${spec}"`);
}
