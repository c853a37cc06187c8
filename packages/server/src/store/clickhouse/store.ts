/**
 * The scale-out store: spans and logs in ClickHouse over its HTTP interface (@clickhouse/client).
 * Collectors hold no state here, so several can write to one database.
 *
 * Writes are batched: ClickHouse wants few large inserts (each insert makes a part that later
 * merges), so concurrent write() calls are gathered until `batchRows` rows (default 5,000) or
 * `flushMs` pass, then written as one insert per table; every write() in the group resolves
 * once ClickHouse acknowledged all of them.
 */
import { type ClickHouseClient, createClient } from '@clickhouse/client';
import type { WriteBatch } from '../records.js';
import type { RetentionPolicy, Store, StoreStats } from '../store.js';
import { ClickHouseReader } from './reader.js';
import { indexRows, logRow, type Row, spanRow } from './rows.js';
import { dataTable, quoteIdent, type SchemaOptions, schemaStatements } from './schema.js';
import type { ClickHouseUrlOptions } from './url.js';

export interface ClickHouseStoreOptions extends ClickHouseUrlOptions {
  /** Rows that trigger an insert at once (default 5,000). */
  batchRows?: number;
  /** Longest a write waits for more rows before its group is inserted (default 200 ms). */
  flushMs?: number;
  /** Told after every insert how many rows landed (for self-metrics). */
  onCommit?: (spans: number, logs: number) => void;
}

interface Pending {
  batch: WriteBatch;
  resolve: () => void;
  reject: (err: Error) => void;
}

export class ClickHouseStore implements Store {
  readonly kind = 'clickhouse' as const;
  private client?: ClickHouseClient;
  private chReader?: ClickHouseReader;
  private pending: Pending[] = [];
  private pendingRows = 0;
  private timer?: NodeJS.Timeout;
  /** Inserts run one after another, so row_id order is insertion order. */
  private flushing: Promise<void> = Promise.resolve();
  private knownOperations = new Set<string>();
  /**
   * Log row ids: start time in ms × 2^20 plus a counter, increasing within a process and, across
   * collectors, ordered by start time; equal ids need equal timestamps to matter at all.
   */
  private nextRowId = BigInt(Date.now()) << 20n;
  private closed = false;
  private readonly schema: SchemaOptions;

  constructor(private readonly options: ClickHouseStoreOptions) {
    this.schema = {
      database: options.database,
      cluster: options.cluster,
      ttlDays: options.ttlDays,
    };
  }

  get reader(): ClickHouseReader {
    if (!this.chReader) throw new Error('store is not open');
    return this.chReader;
  }

  private connect(database: string): ClickHouseClient {
    return createClient({
      url: this.options.url,
      username: this.options.username,
      password: this.options.password,
      database,
      // 64-bit integers arrive as JSON strings (the default) so nanoseconds keep every digit.
      clickhouse_settings: { output_format_json_quote_64bit_integers: 1 },
    });
  }

  async open(): Promise<void> {
    const db = quoteIdent(this.options.database);
    const boot = this.connect('default');
    try {
      const ping = await boot.ping();
      if (!ping.success) {
        throw new Error(`clickhouse: ${this.options.url} does not answer: ${ping.error.message}`);
      }
      if (!this.options.cluster)
        await boot.command({ query: `CREATE DATABASE IF NOT EXISTS ${db}` });
      for (const ddl of schemaStatements(this.schema)) await boot.command({ query: ddl });
    } finally {
      await boot.close();
    }
    this.client = this.connect(db);
    this.chReader = new ClickHouseReader(this.client);
  }

  write(batch: WriteBatch): Promise<void> {
    if (this.closed) return Promise.reject(new Error('store is closed'));
    if (!this.client) return Promise.reject(new Error('store is not open'));
    if (batch.encoded) {
      return Promise.reject(new Error(`spans encoded for ${batch.encoded.store}, not ClickHouse`));
    }
    const rows = batch.spans.length + batch.logs.length;
    if (rows === 0) return Promise.resolve();
    return new Promise((resolve, reject) => {
      this.pending.push({ batch, resolve, reject });
      this.pendingRows += rows;
      if (this.pendingRows >= (this.options.batchRows ?? 5000)) this.flush();
      else this.timer ??= setTimeout(() => this.flush(), this.options.flushMs ?? 200);
    });
  }

  /** Starts inserting everything pending; resolves when that insert is done. */
  private flush(): Promise<void> {
    clearTimeout(this.timer);
    this.timer = undefined;
    const group = this.pending;
    this.pending = [];
    this.pendingRows = 0;
    if (group.length === 0) return this.flushing;
    this.flushing = this.flushing.then(async () => {
      try {
        await this.insert(group.map((p) => p.batch));
        for (const p of group) p.resolve();
      } catch (err) {
        for (const p of group) p.reject(err as Error);
      }
    });
    return this.flushing;
  }

  private async insert(batches: WriteBatch[]): Promise<void> {
    const client = this.client!;
    const spans: Row[] = [];
    const logs: Row[] = [];
    for (const b of batches) {
      for (const s of b.spans) spans.push(spanRow(s));
      for (const l of b.logs) logs.push(logRow(l, this.nextRowId++));
    }
    const index = indexRows(batches, this.knownOperations);
    const put = (table: string, values: Row[]) =>
      values.length === 0
        ? Promise.resolve()
        : client.insert({ table, values, format: 'JSONEachRow' });
    // Index rows only after the rows they point at: a reader never finds a window it cannot fill.
    await Promise.all([put('spans', spans), put('logs', logs)]);
    await Promise.all([
      put('trace_index', index.traces),
      put('request_index', index.requests),
      put('operations', index.operations),
    ]);
    for (const op of index.newOperations) this.knownOperations.add(op);
    this.options.onCommit?.(spans.length, logs.length);
  }

  async enforceRetention(
    policy: RetentionPolicy,
  ): Promise<{ spansDeleted: number; logsDeleted: number }> {
    let cutoff: bigint | undefined;
    if (policy.maxAgeMs !== undefined) cutoff = BigInt(Date.now() - policy.maxAgeMs) * 1_000_000n;
    if (policy.maxBytes !== undefined) {
      const bySize = await this.sizeCutoffNs(policy.maxBytes);
      if (bySize !== undefined && (cutoff === undefined || bySize > cutoff)) cutoff = bySize;
    }
    if (cutoff === undefined) return { spansDeleted: 0, logsDeleted: 0 };
    return this.deleteOlderThan(cutoff);
  }

  /**
   * Deletes rows older than the cutoff (lightweight DELETE: rows vanish from reads at once,
   * space returns as parts merge). Whole expired days go faster with ttl_days, which drops them
   * during merges without any statement.
   */
  private async deleteOlderThan(
    cutoffNs: bigint,
  ): Promise<{ spansDeleted: number; logsDeleted: number }> {
    const client = this.client!;
    const params = { c: cutoffNs };
    const count = async (sql: string) => {
      const rs = await client.query({ query: sql, query_params: params, format: 'JSONEachRow' });
      const [r] = await rs.json<{ n: string }>();
      return Number(r?.n ?? 0);
    };
    const spansDeleted = await count('SELECT count() AS n FROM spans WHERE start_ns < {c:Int64}');
    const logsDeleted = await count('SELECT count() AS n FROM logs WHERE timestamp_ns < {c:Int64}');
    const del = (table: 'spans' | 'logs' | 'trace_index' | 'request_index', column: string) =>
      client.command({
        query: `DELETE FROM ${dataTable(this.schema, table)} WHERE ${column} < {c:Int64}`,
        query_params: params,
      });
    if (spansDeleted > 0) {
      await del('spans', 'start_ns');
      await del('trace_index', 'end_ns');
    }
    if (logsDeleted > 0) await del('logs', 'timestamp_ns');
    if (spansDeleted + logsDeleted > 0) await del('request_index', 'end_ns');
    return { spansDeleted, logsDeleted };
  }

  /** The oldest day to keep so that the newer days fit in maxBytes (from system.parts). */
  private async sizeCutoffNs(maxBytes: number): Promise<bigint | undefined> {
    const rs = await this.client!.query({
      query: `SELECT partition, sum(bytes_on_disk) AS bytes FROM system.parts
               WHERE active AND database = {db:String} AND table IN ('spans', 'logs', 'spans_local', 'logs_local')
               GROUP BY partition ORDER BY partition DESC`,
      query_params: { db: this.options.database },
      format: 'JSONEachRow',
    });
    let total = 0;
    for (const r of await rs.json<{ partition: string; bytes: string }>()) {
      total += Number(r.bytes);
      if (total > maxBytes) {
        // Partitions are days ('2026-11-23'); keep the days after this one.
        const next = Date.parse(`${r.partition}T00:00:00Z`) + 86_400_000;
        return Number.isFinite(next) ? BigInt(next) * 1_000_000n : undefined;
      }
    }
    return undefined;
  }

  async stats(): Promise<StoreStats> {
    const client = this.client;
    if (!client) throw new Error('store is not open');
    const rs = await client.query({
      query: `SELECT (SELECT count() FROM spans) AS spans, (SELECT count() FROM logs) AS logs,
                     (SELECT uniqExact(trace_id) FROM trace_index) AS traces,
                     (SELECT sum(bytes_on_disk) FROM system.parts WHERE active AND database = {db:String}) AS bytes`,
      query_params: { db: this.options.database },
      format: 'JSONEachRow',
    });
    const [r] = await rs.json<Record<string, string>>();
    return {
      spansTotal: Number(r.spans),
      logsTotal: Number(r.logs),
      tracesTotal: Number(r.traces),
      bytesOnDisk: Number(r.bytes ?? 0),
    };
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.flush();
    await this.client?.close();
    this.client = undefined;
  }
}
