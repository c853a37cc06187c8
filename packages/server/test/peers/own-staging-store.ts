import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { DuckDbStore } from '../../src/store/duckdb/store.js';

/**
 * A DuckDB store whose commit staging files live in its own data directory. Several stores in
 * one process otherwise name their staging CSVs alike (`hopscope-<pid>-<n>-<kind>.csv` in
 * /dev/shm, `n` counted per store), so concurrent commits of different stores overwrite each
 * other's rows: a trace lands in the wrong store or in none. Reported to the store's owners;
 * until it is fixed there, these tests give each collector its own staging folder.
 */
export function ownStagingStore(dataDir: string): DuckDbStore {
  const store = new DuckDbStore({ dataDir });
  const stageDir = join(dataDir, 'staging');
  mkdirSync(stageDir, { recursive: true });
  Object.defineProperty(store, 'stageDir', { value: stageDir });
  return store;
}
