import { accessSync, constants, mkdirSync, readdirSync, rmSync, statSync } from 'node:fs';
import { rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { type DuckDBConnection, DuckDBInstance } from '@duckdb/node-api';
import type { WriteBatch } from '../records.js';
import type { RetentionPolicy, Store, StoreStats } from '../store.js';
import { type CsvText, logsCsv, spansCsv } from './csv.js';
import { GroupCommit } from './group-commit.js';
import { type IndexRows, indexRows } from './index-rows.js';
import { migrate } from './migrate.js';
import { DuckDbReader } from './reader.js';
import { RecentKeys } from './recent-keys.js';
import { deleteOlderThan, sizeCutoffNs } from './retention.js';
import { commitSql, type StagedFile } from './write-sql.js';

export const DUCKDB_FILE_NAME = 'hopscope.duckdb';

/** A group of batches encoded for read_csv, ready to commit. */
interface Prepared {
  batches: WriteBatch[];
  spans: CsvText;
  logs: CsvText;
  index: IndexRows;
}

export interface DuckDbStoreOptions {
  /** Folder holding hopscope.duckdb (created if missing). */
  dataDir: string;
  /** Worker threads DuckDB may use; defaults to DuckDB's choice (the core count). */
  threads?: number;
  /** Told after every commit how many rows landed (for self-metrics). */
  onCommit?: (spans: number, logs: number) => void;
  /**
   * WAL size that triggers an automatic checkpoint (DuckDB syntax, e.g. '64MB'); defaults to
   * DEFAULT_CHECKPOINT_THRESHOLD.
   */
  checkpointThreshold?: string;
  /** Merge every index row with ON CONFLICT, as before RecentKeys (for bench/server.mjs's A/B). */
  upsertAllIndexRows?: boolean;
}

/**
 * Each automatic checkpoint compresses the table's last, partly filled row group again and
 * leaves its previous blocks free in the file. At DuckDB's default (16 MB of WAL, ~40k spans)
 * a 122,880-row group is rewritten about three times; at 64 MB about once. Commits are durable
 * either way (the WAL is synced at COMMIT); the cost is a longer WAL replay after a crash and
 * up to 64 MB of uncheckpointed rows held in memory. bench/server.mjs measures both.
 */
export const DEFAULT_CHECKPOINT_THRESHOLD = '64MB';

/** Numbers the stores of this process, to keep their staging file names apart. */
let nextStoreId = 0;

/**
 * The embedded store: one DuckDB file. All writes go through one connection and a group commit,
 * so concurrent ingest requests share transactions; readers get connections of their own.
 */
export class DuckDbStore implements Store {
  readonly kind = 'duckdb' as const;
  readonly path: string;
  private duckReader?: DuckDbReader;
  private instance?: DuckDBInstance;
  private conn?: DuckDBConnection;
  /** stats() runs here, never on the writer's connection in the middle of a transaction. */
  private statsConn?: DuckDBConnection;
  private readonly group = new GroupCommit<WriteBatch, Prepared>({
    prepare: (batches) => ({
      batches,
      spans: spansCsv(batches),
      logs: logsCsv(batches),
      index: indexRows(
        batches,
        this.knownOperations,
        this.options.upsertAllIndexRows ? undefined : this.recentKeys,
      ),
    }),
    execute: (prepared) => this.commit(prepared),
  });
  /** Where group commits stage their rows (tmpfs when available). */
  readonly stageDir = stagingDir();
  // Several stores can share a process (tests, tools): each names its staging files apart.
  private readonly storeId = nextStoreId++;
  /** Operations known to be in the table, so each is sent to DuckDB once per process. */
  private knownOperations = new Set<string>();
  /** Index keys written lately, so new ones are inserted without ON CONFLICT. */
  private recentKeys = new RecentKeys();
  private staged = 0;
  private closed = false;

  constructor(private readonly options: DuckDbStoreOptions) {
    this.path = join(resolve(options.dataDir), DUCKDB_FILE_NAME);
  }

  get reader(): DuckDbReader {
    if (!this.duckReader) throw new Error('store is not open');
    return this.duckReader;
  }

  async open(): Promise<void> {
    mkdirSync(resolve(this.options.dataDir), { recursive: true });
    const config: Record<string, string> = {};
    if (this.options.threads) config.threads = String(this.options.threads);
    config.checkpoint_threshold = this.options.checkpointThreshold ?? DEFAULT_CHECKPOINT_THRESHOLD;
    this.instance = await DuckDBInstance.create(this.path, config);
    this.conn = await this.instance.connect();
    await migrate(this.conn);
    this.statsConn = await this.instance.connect();
    removeStaleStaging(this.stageDir);
    this.duckReader = new DuckDbReader(this.instance);
  }

  /** A fresh connection to the same database, for readers; the caller closes it. */
  async connect(): Promise<DuckDBConnection> {
    if (!this.instance) throw new Error('store is not open');
    return this.instance.connect();
  }

  write(batch: WriteBatch): Promise<void> {
    if (this.closed) return Promise.reject(new Error('store is closed'));
    if (batch.spans.length === 0 && batch.logs.length === 0) return Promise.resolve();
    return this.group.submit(batch);
  }

  private async commit(prepared: Prepared): Promise<void> {
    const { index } = prepared;
    try {
      await this.commitOnce(prepared);
    } catch (err) {
      if (index.freshTraces.rows + index.freshRequests.rows === 0) throw err;
      // A key taken for new was already in the table (written before a restart, or forgotten
      // since): redo the group merging every index row. A batch bad for other reasons fails
      // again here and GroupCommit retries it alone.
      const merged = indexRows(prepared.batches, this.knownOperations);
      await this.commitOnce({ ...prepared, index: merged });
    }
  }

  private async commitOnce({ spans, logs, index }: Prepared): Promise<void> {
    const conn = this.conn!;
    const n = `${this.storeId}-${this.staged++}`;
    const files: string[] = [];
    const stage = async (csv: CsvText, kind: string): Promise<StagedFile | undefined> => {
      if (csv.rows === 0) return undefined;
      const path = join(this.stageDir, `hopscope-${process.pid}-${n}-${kind}.csv`);
      files.push(path);
      await writeFile(path, csv.text);
      return { path, serial: csv.quotedNewline };
    };
    try {
      const [s, l, t, r, o, ft, fr] = await Promise.all([
        stage(spans, 'spans'),
        stage(logs, 'logs'),
        stage(index.traces, 'traces'),
        stage(index.requests, 'requests'),
        stage(index.operations, 'ops'),
        stage(index.freshTraces, 'newtraces'),
        stage(index.freshRequests, 'newrequests'),
      ]);
      await conn.run(
        commitSql({
          spans: s,
          logs: l,
          traces: t,
          requests: r,
          operations: o,
          freshTraces: ft,
          freshRequests: fr,
        }),
      );
    } catch (err) {
      await conn.run('ROLLBACK').catch(() => {});
      throw err;
    } finally {
      await Promise.all(files.map((f) => rm(f, { force: true })));
    }
    for (const op of index.newOperations) this.knownOperations.add(op);
    this.options.onCommit?.(spans.rows, logs.rows);
  }

  enforceRetention(
    policy: RetentionPolicy,
  ): Promise<{ spansDeleted: number; logsDeleted: number }> {
    return this.group.exclusive(async () => {
      const conn = this.conn!;
      let spansDeleted = 0;
      let logsDeleted = 0;
      if (policy.maxAgeMs !== undefined) {
        const cutoff = BigInt(Date.now() - policy.maxAgeMs) * 1_000_000n;
        const r = await deleteOlderThan(conn, cutoff);
        spansDeleted += r.spansDeleted;
        logsDeleted += r.logsDeleted;
      }
      if (policy.maxBytes !== undefined) {
        const cutoff = await sizeCutoffNs(conn, policy.maxBytes);
        if (cutoff !== undefined) {
          const r = await deleteOlderThan(conn, cutoff);
          spansDeleted += r.spansDeleted;
          logsDeleted += r.logsDeleted;
        }
      }
      if (spansDeleted + logsDeleted > 0) {
        // Deleted rows free their blocks for reuse only once checkpointed.
        await conn.run('CHECKPOINT');
      }
      return { spansDeleted, logsDeleted };
    });
  }

  async stats(): Promise<StoreStats> {
    const conn = this.statsConn;
    if (!conn) throw new Error('store is not open');
    const reader = await conn.runAndReadAll(
      'SELECT (SELECT count(*) FROM spans), (SELECT count(*) FROM logs), (SELECT count(*) FROM trace_index)',
    );
    const [spans, logs, traces] = reader.getRows()[0]!;
    return {
      spansTotal: Number(spans),
      logsTotal: Number(logs),
      tracesTotal: Number(traces),
      bytesOnDisk: fileSize(this.path) + fileSize(`${this.path}.wal`),
    };
  }

  /** Forces the WAL into the main file (used by the benchmark to measure bytes per span). */
  checkpoint(): Promise<void> {
    return this.group.exclusive(async () => {
      await this.conn!.run('CHECKPOINT');
    });
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.group.whenIdle();
    this.duckReader?.close();
    this.statsConn?.closeSync();
    this.statsConn = undefined;
    if (this.conn) {
      await this.conn.run('CHECKPOINT').catch(() => {});
      this.conn.closeSync();
    }
    this.instance?.closeSync();
    this.conn = undefined;
    this.instance = undefined;
  }
}

function fileSize(path: string): number {
  try {
    return statSync(path).size;
  } catch {
    return 0;
  }
}

/** Staged rows live for one commit: tmpfs when the machine has one, else the OS temp dir. */
function stagingDir(): string {
  try {
    accessSync('/dev/shm', constants.W_OK);
    return '/dev/shm';
  } catch {
    return tmpdir();
  }
}

/** Staging files left by a process that died mid-commit (tmpfs would keep them until reboot). */
function removeStaleStaging(dir: string): void {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return;
  }
  for (const name of names) {
    const m =
      /^hopscope-(\d+)-(?:\d+-)?\d+-(?:spans|logs|traces|requests|ops|newtraces|newrequests)\.csv$/.exec(
        name,
      );
    if (!m || Number(m[1]) === process.pid || pidAlive(Number(m[1]))) continue;
    rmSync(join(dir, name), { force: true });
  }
}

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}
