import { accessSync, constants, mkdirSync, readdirSync, rmSync, statSync } from 'node:fs';
import { rm, writeFile } from 'node:fs/promises';
import { availableParallelism, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { type DuckDBConnection, type DuckDBDataChunk, DuckDBInstance } from '@duckdb/node-api';
import { batchRecords, type LogRecord, type WriteBatch } from '../records.js';
import {
  type RetentionPolicy,
  type Store,
  type StoreStats,
  UnstorableBatchError,
} from '../store.js';
import { type CsvText, joinCsv, logsCsv } from './csv.js';
import { GroupCommit } from './group-commit.js';
import {
  type BatchIndexRows,
  batchIndexRows,
  type IndexRows,
  operationRows,
} from './index-rows.js';
import { IngestJournal } from './journal.js';
import { decodeEntry, encodeEntry, type JournalEntry, journalEntry } from './journal-entry.js';
import { migrate } from './migrate.js';
import { DuckDbReader } from './reader.js';
import { deleteOlderThan, sizeCutoffNs } from './retention.js';
import { SPAN_TYPES, unpackSpanChunk } from './span-chunks.js';
import {
  compactionDue,
  compactTraceIndex,
  TRACE_INDEX_RECENT,
  traceIndexRows,
  tracesEstimateSql,
} from './trace-index.js';
import { type StagedFile, stagedSql } from './write-sql.js';

export const DUCKDB_FILE_NAME = 'hopscope.duckdb';
/** The ingest journal's folder, beside the DuckDB file. */
export const JOURNAL_DIR_NAME = 'journal';

/**
 * Spans journaled but not yet in DuckDB, at most: beyond it writes wait (and the ingest queue
 * in front answers 429), so memory stays bounded. About two of the largest commit groups.
 */
const MAX_UNCOMMITTED_ROWS = 262_144;
/** Rows one DuckDB transaction takes at most (about one row group: 122,880). */
const MAX_GROUP_ROWS = 131_072;
/**
 * Journaled spans wait for a group this large, or for this long, before a commit starts (a read
 * waiting for them starts it at once): the fuller the group, the less each span pays of the
 * transaction's fixed cost.
 */
const MIN_GROUP_ROWS = 65_536;
const MAX_COMMIT_DELAY_MS = 250;
/** The longest a read waits for acknowledged spans to be committed. */
const READ_WAIT_MS = 10_000;
/** An idle journal's last segment is deleted after this long without appends. */
const TRIM_IDLE_MS = 1_000;

/** What the group commit stores: a journaled batch of spans, or log lines (acked at commit). */
type Item = { entry: JournalEntry } | { logs: LogRecord[] };
const NO_CSV: CsvText = { text: '', rows: 0, quotedNewline: false };

/** A batch encoded for DuckDB as it arrives (chunks for the Appender, text for read_csv). */
interface Prepared {
  spans: DuckDBDataChunk[];
  spanRows: number;
  logs: CsvText;
  index: BatchIndexRows;
}

export interface DuckDbStoreOptions {
  /** Folder holding hopscope.duckdb (created if missing). */
  dataDir: string;
  /**
   * Threads DuckDB may use. Default: the cores less one, for Node's main thread (DuckDB's own
   * default, every core, competes with it: bench/RESULTS.md 2026-11-24 03:45); the server also
   * leaves one per ingest worker (server.ts).
   */
  threads?: number;
  /** Told after every commit how many rows landed (for self-metrics). */
  onCommit?: (spans: number, logs: number) => void;
  /** Told the number of acknowledged spans waiting in the journal for a commit, as it changes. */
  onUncommitted?: (spans: number) => void;
  /** Told when an acknowledged batch failed to commit and will be retried (default: stderr). */
  onCommitRetry?: (err: Error, delayMs: number) => void;
  /**
   * WAL size that triggers an automatic checkpoint (DuckDB syntax, e.g. '64MB'); defaults to
   * DEFAULT_CHECKPOINT_THRESHOLD.
   */
  checkpointThreshold?: string;
  /**
   * Recent trace index rows that start a compaction at the least (trace-index.ts; default about
   * one row group). Tests set it low.
   */
  traceIndexMinRecentRows?: number;
}

/**
 * Each automatic checkpoint compresses the table's last, partly filled row group again and
 * leaves its previous blocks free in the file. At DuckDB's default (16 MB of WAL, ~40k spans)
 * a 122,880-row group is rewritten about three times; at 64 MB about once. Commits are durable
 * either way (the WAL is synced at COMMIT); the cost is a longer WAL replay after a crash and
 * up to 64 MB of uncheckpointed rows held in memory. bench/server.mjs measures both.
 */
export const DEFAULT_CHECKPOINT_THRESHOLD = '64MB';

/**
 * The DuckDB storage format a new data dir is written in. DuckDB's default stays readable by
 * v0.10.2 and so leaves out the encodings added since; from v1.3.0 text columns get DICT_FSST
 * (a dictionary whose entries are FSST-compressed), which takes span attribute values from 7.1
 * to 3.9 B/span and request IDs from 4.5 to 3.0 (bench/RESULTS.md, 2026-11-24 03:20). We ship
 * our own DuckDB, so nothing older reads these files. A data dir created before keeps its
 * format: DuckDB decides it from the file, not from this setting.
 */
export const STORAGE_VERSION = 'v1.5.0';

/**
 * The storage format DuckDB reports for a database file the connection has attached (e.g.
 * `v1.0.0+`); by default its own.
 */
export async function storageFormat(conn: DuckDBConnection, database?: string): Promise<string> {
  const rows = (
    await conn.runAndReadAll(
      `SELECT tags['storage_version'] FROM duckdb_databases()
        WHERE database_name = ${database === undefined ? 'current_database()' : '$1'}`,
      database === undefined ? undefined : [database],
    )
  ).getRows();
  const tag = rows[0]?.[0];
  return typeof tag === 'string' ? tag : String(tag ?? 'unknown');
}

/** Whether a storage format tag predates DICT_FSST (v1.3.0), which STORAGE_VERSION brings. */
export function isOlderFormat(tag: string): boolean {
  const m = /^v(\d+)\.(\d+)\./.exec(tag);
  if (!m) return false;
  return Number(m[1]) < 1 || (Number(m[1]) === 1 && Number(m[2]) < 3);
}

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
  private readonly group = new GroupCommit<Item, Prepared>(
    {
      prepare: (item) => prepare(item),
      execute: (prepared, lastSeq) => this.commit(prepared, lastSeq),
      rows: (item) => ('entry' in item ? item.entry.rows : item.logs.length),
      onRetry: (err, ms) => {
        // At start, a record that fails to commit stops the start instead of retrying forever.
        if (this.replaying) this.group.stop();
        else (this.options.onCommitRetry ?? defaultRetryReport)(err as Error, ms);
      },
    },
    {
      maxItems: Number.POSITIVE_INFINITY,
      maxRows: MAX_GROUP_ROWS,
      minRows: MIN_GROUP_ROWS,
      maxDelayMs: MAX_COMMIT_DELAY_MS,
    },
  );
  private journal?: IngestJournal;
  /** Rows journaled and not yet committed, and the writes waiting for them to drop. */
  private uncommitted = 0;
  private roomWaiters: (() => void)[] = [];
  private trimTimer?: NodeJS.Timeout;
  private replaying = false;
  recovered?: { batches: number; spans: number };
  /** Where group commits stage their rows (tmpfs when available). */
  readonly stageDir = stagingDir();
  // Several stores can share a process (tests, tools): each names its staging files apart.
  private readonly storeId = nextStoreId++;
  /** Operations known to be in the table, so each is sent to DuckDB once per process. */
  private knownOperations = new Set<string>();
  private staged = 0;
  private closed = false;
  /** DuckDB's storage format tag of the file (storageFormat), known once open. */
  format = '';
  /** Rows in trace_index (sorted) and trace_index_recent, and whether a compaction is queued. */
  private traceRows = { sorted: 0, recent: 0 };
  private compacting = false;
  /** After a failed compaction, the recent row count at which to try again. */
  private compactAfter = 0;

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
    config.threads = String(this.options.threads ?? Math.max(1, availableParallelism() - 1));
    config.checkpoint_threshold = this.options.checkpointThreshold ?? DEFAULT_CHECKPOINT_THRESHOLD;
    config.storage_compatibility_version = STORAGE_VERSION;
    this.instance = await DuckDBInstance.create(this.path, config);
    this.conn = await this.instance.connect();
    this.format = await storageFormat(this.conn);
    await migrate(this.conn);
    await checkColumnTypes(this.conn, 'spans', SPAN_TYPES);
    this.statsConn = await this.instance.connect();
    removeStaleStaging(this.stageDir);
    this.traceRows = await traceIndexRows(this.conn);
    await this.replayJournal();
    this.duckReader = new DuckDbReader(this.instance, { barrier: () => this.barrier() });
  }

  /**
   * Commits the journal's records DuckDB does not have yet (acknowledged before a crash), in
   * order, before the store serves anything.
   */
  private async replayJournal(): Promise<void> {
    const applied = await this.conn!.runAndReadAll('SELECT applied_seq FROM ingest_journal');
    const appliedSeq = Number(applied.getRows()[0]?.[0] ?? 0);
    const dir = join(resolve(this.options.dataDir), JOURNAL_DIR_NAME);
    const { journal, replay } = IngestJournal.open(dir, appliedSeq);
    this.journal = journal;
    this.group.startAfter(appliedSeq);
    // Every record is decoded and encoded before any commits: one that cannot be must stop the
    // start before a later record's commit moves the journal position past it.
    const items = replay.map((r) => {
      try {
        const item = { entry: decodeEntry(r.payload) };
        return { seq: r.seq, item, prepared: prepare(item) };
      } catch (err) {
        throw new Error(`ingest journal record ${r.seq} in ${dir}: ${(err as Error).message}`);
      }
    });
    this.replaying = true;
    try {
      await Promise.all(
        items.map(({ item, seq, prepared }) => this.group.submit(item, { seq, prepared })),
      );
    } catch (err) {
      throw new Error(`replaying the ingest journal in ${dir} failed: ${(err as Error).message}`, {
        cause: err,
      });
    } finally {
      this.replaying = false;
    }
    journal.release(this.group.committedSeq);
    this.recovered = {
      batches: items.length,
      spans: items.reduce((n, { item }) => n + item.entry.rows, 0),
    };
  }

  /**
   * Reads wait for the spans acknowledged before they started to be in DuckDB (a waiting read
   * starts the commit at once). Not forever: while a commit keeps failing (disk full), reads
   * answer after READ_WAIT_MS with what DuckDB has.
   */
  private barrier(): Promise<void> | undefined {
    const wait = this.journal && this.group.whenCommitted(this.journal.lastSeq);
    if (!wait) return undefined;
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<void>((r) => {
      timer = setTimeout(r, READ_WAIT_MS);
    });
    return Promise.race([wait, late]).finally(() => clearTimeout(timer));
  }

  /** A fresh connection to the same database, for readers; the caller closes it. */
  async connect(): Promise<DuckDBConnection> {
    if (!this.instance) throw new Error('store is not open');
    await this.barrier();
    return this.instance.connect();
  }

  /**
   * Spans are acknowledged once their journal record is synced (or their commit is done, if
   * that comes first) and go to DuckDB in large groups behind it; log lines are acknowledged
   * at their commit, as their text is only checked by DuckDB's read_csv.
   */
  write(batch: WriteBatch): Promise<void> {
    if (this.closed) return Promise.reject(new Error('store is closed'));
    if (batchRecords(batch) === 0) return Promise.resolve();
    let entry: JournalEntry | undefined;
    try {
      entry = journalEntry(batch);
    } catch (err) {
      return Promise.reject(new UnstorableBatchError((err as Error).message, { cause: err }));
    }
    const writes: Promise<void>[] = [];
    if (entry) writes.push(this.writeSpans(entry));
    if (batch.logs.length > 0) writes.push(this.group.submit({ logs: batch.logs }));
    return writes.length === 1 ? writes[0]! : Promise.all(writes).then(() => {});
  }

  private async writeSpans(entry: JournalEntry): Promise<void> {
    while (this.uncommitted > 0 && this.uncommitted + entry.rows > MAX_UNCOMMITTED_ROWS) {
      await new Promise<void>((r) => this.roomWaiters.push(r));
    }
    if (this.closed) throw new Error('store is closed');
    const item = { entry };
    const prepared = prepare(item);
    const { seq, durable } = this.journal!.append(encodeEntry(entry));
    this.uncommitted += entry.rows;
    this.options.onUncommitted?.(this.uncommitted);
    const committed = this.group.submit(item, { seq, prepared }).finally(() => {
      this.uncommitted -= entry.rows;
      this.options.onUncommitted?.(this.uncommitted);
      for (const w of this.roomWaiters.splice(0)) w();
    });
    return firstSuccess(durable, committed);
  }

  /**
   * One transaction: spans and index rows through Appenders (their data chunks were filled in
   * prepare), log lines and new operations through staged text, the journal position, then
   * COMMIT (WAL fsync). Any failure rolls the whole group back; GroupCommit then retries its
   * batches one by one.
   */
  private async commit(group: Prepared[], lastSeq: number | undefined): Promise<void> {
    const conn = this.conn!;
    const spans = group.flatMap((p) => p.spans);
    const spanRows = group.reduce((n, p) => n + p.spanRows, 0);
    const logs = joinCsv(group.map((p) => p.logs));
    const index: IndexRows = {
      traces: group.flatMap((p) => p.index.traces),
      requests: group.flatMap((p) => p.index.requests),
      ...operationRows(
        group.flatMap((p) => p.index.operations),
        this.knownOperations,
      ),
    };
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
      const [l, o] = await Promise.all([stage(logs, 'logs'), stage(index.operations, 'ops')]);
      await conn.run('BEGIN TRANSACTION');
      await append(conn, 'spans', spans);
      await append(conn, TRACE_INDEX_RECENT, index.traces);
      await append(conn, 'request_index', index.requests);
      const staged = stagedSql({ logs: l, operations: o });
      if (staged) await conn.run(staged);
      if (lastSeq !== undefined) {
        await conn.run(`UPDATE ingest_journal SET applied_seq = ${lastSeq}`);
      }
      await conn.run('COMMIT');
    } catch (err) {
      await conn.run('ROLLBACK').catch(() => {});
      throw err;
    } finally {
      await Promise.all(files.map((f) => rm(f, { force: true })));
    }
    for (const op of index.newOperations) this.knownOperations.add(op);
    if (lastSeq !== undefined) this.releaseJournal(lastSeq);
    this.options.onCommit?.(spanRows, logs.rows);
    this.traceRows.recent += index.traces.reduce((n, c) => n + c.rowCount, 0);
    this.compactTraceIndexWhenDue();
  }

  /** Queues the trace index's compaction behind the commits in flight, once it is due. */
  private compactTraceIndexWhenDue(): void {
    const { recent, sorted } = this.traceRows;
    const min = this.options.traceIndexMinRecentRows;
    if (this.compacting || recent < this.compactAfter || !compactionDue(recent, sorted, min))
      return;
    this.compacting = true;
    void this.group
      .exclusive(async () => {
        this.traceRows = { sorted: await compactTraceIndex(this.conn!), recent: 0 };
        this.compactAfter = 0;
      })
      .catch((err: Error) => {
        // Both tables stay as they were (one transaction): lookups stay right, only slower.
        // Try again once as many rows again have come.
        this.compactAfter = 2 * recent;
        console.error(`hopscope: compacting the trace index failed (${err.message})`);
      })
      .finally(() => {
        this.compacting = false;
      });
  }

  /**
   * Deletes committed journal segments; a failure here is left for the next commit to retry.
   * The segment being written goes too once nothing was appended for a second: deleting it
   * after every commit cost a close, an unlink and an open per commit under load.
   */
  private releaseJournal(seq: number): void {
    try {
      this.journal?.release(seq);
    } catch {}
    clearTimeout(this.trimTimer);
    this.trimTimer = setTimeout(() => void this.trimJournal(), TRIM_IDLE_MS).unref();
  }

  private async trimJournal(): Promise<void> {
    await this.journal?.trim(this.group.committedSeq).catch(() => {});
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
    await this.barrier();
    const reader = await conn.runAndReadAll(
      `SELECT (SELECT count(*) FROM spans), (SELECT count(*) FROM logs), ${tracesEstimateSql()}`,
    );
    const [spans, logs, traces] = reader.getRows()[0]!;
    return {
      spansTotal: Number(spans),
      logsTotal: Number(logs),
      tracesTotal: Number(traces),
      bytesOnDisk:
        fileSize(this.path) + fileSize(`${this.path}.wal`) + (this.journal?.bytesOnDisk() ?? 0),
    };
  }

  /** Forces the WAL into the main file (used by the benchmark to measure bytes per span). */
  checkpoint(): Promise<void> {
    return this.group.exclusive(async () => {
      await this.conn!.run('CHECKPOINT');
      await this.trimJournal();
    });
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const w of this.roomWaiters.splice(0)) w();
    await this.group.whenIdle();
    this.group.stop();
    clearTimeout(this.trimTimer);
    await this.journal?.close();
    // Every record is in DuckDB now (one that kept failing stays for the next start).
    this.journal?.release(this.group.committedSeq);
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

/** An item's rows encoded for DuckDB: unpacked span chunks, or log lines as read_csv text. */
function prepare(item: Item): Prepared {
  if ('logs' in item) {
    return {
      spans: [],
      spanRows: 0,
      logs: logsCsv([item]),
      index: batchIndexRows({ spans: [], logs: item.logs }),
    };
  }
  const { entry } = item;
  const empty = { spans: [], logs: [] };
  const index = entry.index.map((packed) => batchIndexRows(empty, packed));
  return {
    spans: entry.chunks.map(unpackSpanChunk),
    spanRows: entry.rows,
    logs: NO_CSV,
    index: {
      traces: index.flatMap((i) => i.traces),
      requests: index.flatMap((i) => i.requests),
      operations: index.flatMap((i) => i.operations),
    },
  };
}

/** Resolves with the first of two that succeeds; rejects (with b's error) only if both fail. */
function firstSuccess(a: Promise<void>, b: Promise<void>): Promise<void> {
  return new Promise((resolve, reject) => {
    let failed = 0;
    const fail = (err: unknown) => {
      if (++failed === 2) reject(err);
    };
    a.then(resolve, fail);
    b.then(resolve, fail);
  });
}

function defaultRetryReport(err: Error, delayMs: number): void {
  console.error(
    `hopscope: an acknowledged batch failed to commit (${err.message}); retrying in ${delayMs} ms`,
  );
}

/** Appends the chunks in the connection's open transaction. */
async function append(
  conn: DuckDBConnection,
  table: string,
  chunks: readonly DuckDBDataChunk[],
): Promise<void> {
  if (chunks.length === 0) return;
  const appender = await conn.createAppender(table);
  try {
    for (let k = 0; k < chunks.length; k++) {
      appender.appendDataChunk(chunks[k]!);
      // Appending is synchronous: a 64k-span group would hold the event loop for its whole
      // length, and requests (and their acks) wait behind it. Let them in between slices.
      if ((k + 1) % APPEND_SLICE_CHUNKS === 0 && k + 1 < chunks.length) {
        appender.flushSync();
        await new Promise((r) => setImmediate(r));
      }
    }
    appender.flushSync();
  } finally {
    appender.closeSync();
  }
}

/** Data chunks (2,048 rows each) appended between yields to the event loop. */
const APPEND_SLICE_CHUNKS = 4;

/** The writer fills chunks by column position: refuse a table whose columns differ. */
async function checkColumnTypes(
  conn: DuckDBConnection,
  table: string,
  types: readonly { toString(): string }[],
): Promise<void> {
  const appender = await conn.createAppender(table);
  try {
    const actual = Array.from({ length: appender.columnCount }, (_, k) =>
      appender.columnType(k).toString(),
    );
    const expected = types.map((t) => t.toString());
    if (actual.join() !== expected.join()) {
      throw new Error(
        `table ${table} has columns (${actual.join(', ')}), the writer expects (${expected.join(', ')})`,
      );
    }
  } finally {
    appender.closeSync();
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
