import { mkdirSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { type DuckDBConnection, DuckDBInstance } from '@duckdb/node-api';
import type { WriteBatch } from '../records.js';
import type { RetentionPolicy, Store, StoreStats } from '../store.js';
import { appendLog, appendSpan } from './append.js';
import { GroupCommit } from './group-commit.js';
import { migrate } from './migrate.js';
import { DuckDbReader } from './reader.js';
import { deleteOlderThan, sizeCutoffNs } from './retention.js';
import { IndexStager } from './stage.js';

export const DUCKDB_FILE_NAME = 'hopscope.duckdb';

export interface DuckDbStoreOptions {
  /** Folder holding hopscope.duckdb (created if missing). */
  dataDir: string;
  /** Worker threads DuckDB may use; defaults to DuckDB's choice (the core count). */
  threads?: number;
  /** Told after every commit how many rows landed (for self-metrics). */
  onCommit?: (spans: number, logs: number) => void;
}

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
  private readonly group = new GroupCommit<WriteBatch>((batches) => this.commit(batches));
  private stager?: IndexStager;
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
    this.instance = await DuckDBInstance.create(this.path, config);
    this.conn = await this.instance.connect();
    await migrate(this.conn);
    this.stager = await IndexStager.create(this.conn);
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

  private async commit(batches: WriteBatch[]): Promise<void> {
    const conn = this.conn!;
    await conn.run('BEGIN TRANSACTION');
    let spans = 0;
    let logs = 0;
    try {
      const spanApp = await conn.createAppender('spans');
      const logApp = await conn.createAppender('logs');
      for (const b of batches) {
        for (const s of b.spans) appendSpan(spanApp, s);
        for (const l of b.logs) appendLog(logApp, l);
        spans += b.spans.length;
        logs += b.logs.length;
      }
      spanApp.closeSync();
      logApp.closeSync();
      await this.stager!.upsert(batches);
      await conn.run('COMMIT');
    } catch (err) {
      await conn.run('ROLLBACK').catch(() => {});
      this.stager!.forgetUncommitted();
      throw err;
    }
    this.stager!.committed();
    this.options.onCommit?.(spans, logs);
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
        this.stager!.reset();
      }
      return { spansDeleted, logsDeleted };
    });
  }

  async stats(): Promise<StoreStats> {
    const conn = this.conn;
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
