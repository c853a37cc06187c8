import { closeSync, existsSync, fsyncSync, openSync, renameSync, rmSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { DUCKDB_FILE_NAME, DuckDbStore, STORAGE_VERSION, storageFormat } from './store.js';

export interface CompactResult {
  file: string;
  bytesBefore: number;
  bytesAfter: number;
  /** DuckDB's storage format tag of the file before and after (e.g. `v1.0.0+`, `v1.5.0+`). */
  formatBefore: string;
  formatAfter: string;
}

/**
 * Rewrites a data dir's DuckDB file in the store's storage format (STORAGE_VERSION) and without
 * free blocks: a file made before that format keeps its old encodings for every row written to
 * it later (DuckDB takes the format from the file), and DuckDB never shrinks a file after
 * retention deletes. The store opens first, so journaled batches are committed and the schema
 * is current, and its connection copies every table into a file beside it, which is renamed
 * over the old one once the store is closed, so a crash leaves either file whole. The server must not be running on the dir (DuckDB's file lock refuses it).
 */
export async function compactDataDir(dataDir: string): Promise<CompactResult> {
  const dir = resolve(dataDir);
  const file = join(dir, DUCKDB_FILE_NAME);
  if (!existsSync(file)) throw new Error(`no Hopscope store in ${dir} (no ${DUCKDB_FILE_NAME})`);
  const store = new DuckDbStore({ dataDir: dir });
  try {
    await store.open();
  } catch (err) {
    const message = (err as Error).message;
    if (/lock/i.test(message)) {
      throw new Error(`${file} is in use (is \`hopscope serve\` running on ${dir}?): ${message}`);
    }
    throw err;
  }
  const copy = `${file}.compact`;
  rmSync(copy, { force: true });
  rmSync(`${copy}.wal`, { force: true });
  let formatAfter: string;
  try {
    const conn = await store.connect();
    try {
      const name = String((await conn.runAndReadAll('SELECT current_database()')).getRows()[0]![0]);
      await conn.run(`ATTACH '${copy.replaceAll("'", "''")}' AS ${COPY_NAME}
        (STORAGE_VERSION '${STORAGE_VERSION}')`);
      await conn.run(`COPY FROM DATABASE "${name.replaceAll('"', '""')}" TO ${COPY_NAME}`);
      formatAfter = await storageFormat(conn, COPY_NAME);
      await conn.run(`DETACH ${COPY_NAME}`);
    } finally {
      conn.closeSync();
    }
  } catch (err) {
    await store.close();
    rmSync(copy, { force: true });
    throw err;
  }
  await store.close();
  const bytesBefore = statSync(file).size;
  // A write-ahead log left beside either file would be replayed into the other after the rename.
  for (const wal of [`${file}.wal`, `${copy}.wal`]) {
    if (existsSync(wal) && statSync(wal).size > 0) {
      rmSync(copy, { force: true });
      throw new Error(`${wal} was not checkpointed; ${file} is left as it was`);
    }
  }
  fsyncFile(copy);
  renameSync(copy, file);
  fsyncFile(dirname(file));
  return {
    file,
    bytesBefore,
    bytesAfter: statSync(file).size,
    formatBefore: store.format,
    formatAfter,
  };
}

/** The name the copy is attached under while it is written. */
const COPY_NAME = 'hopscope_compact';

function fsyncFile(path: string): void {
  const fd = openSync(path, 'r');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}
