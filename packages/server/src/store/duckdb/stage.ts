import type { DuckDBConnection } from '@duckdb/node-api';
import type { WriteBatch } from '../records.js';

/**
 * Keeps trace_index, request_index and operations up to date inside the write transaction.
 * Each group's index rows are aggregated in JS (one row per key), appended into temp staging
 * tables, then merged with one INSERT … ON CONFLICT per table.
 */
export class IndexStager {
  /** Operations known to be in the table, so each is inserted once per process. */
  private knownOps = new Set<string>();
  private newOps: string[] = [];

  private constructor(private readonly conn: DuckDBConnection) {}

  static async create(conn: DuckDBConnection): Promise<IndexStager> {
    await conn.run(`
      CREATE TEMP TABLE IF NOT EXISTS stage_trace (trace_id VARCHAR, start_ns BIGINT, end_ns BIGINT);
      CREATE TEMP TABLE IF NOT EXISTS stage_request (request_id VARCHAR, trace_id VARCHAR, start_ns BIGINT, end_ns BIGINT);
      CREATE TEMP TABLE IF NOT EXISTS stage_op (service VARCHAR, name VARCHAR, kind UTINYINT);
    `);
    const stager = new IndexStager(conn);
    const ops = await conn.runAndReadAll('SELECT service, name, kind FROM operations');
    for (const [service, name, kind] of ops.getRows()) {
      stager.knownOps.add(`${service}\u0000${name}\u0000${kind}`);
    }
    return stager;
  }

  async upsert(batches: WriteBatch[]): Promise<void> {
    const traces = new Map<string, [bigint, bigint]>();
    const requests = new Map<string, [string, string, bigint, bigint]>();
    const ops: [string, string, number][] = [];
    const seenOps = new Set<string>();
    for (const b of batches) {
      for (const s of b.spans) {
        const end = s.startNs + s.durationNs;
        const t = traces.get(s.traceId);
        if (!t) traces.set(s.traceId, [s.startNs, end]);
        else {
          if (s.startNs < t[0]) t[0] = s.startNs;
          if (end > t[1]) t[1] = end;
        }
        if (s.requestId) widen(requests, s.requestId, s.traceId, s.startNs, end);
        const opKey = `${s.service}\u0000${s.name}\u0000${s.kind}`;
        if (!this.knownOps.has(opKey) && !seenOps.has(opKey)) {
          seenOps.add(opKey);
          ops.push([s.service, s.name, s.kind]);
        }
      }
      for (const l of b.logs) {
        if (l.requestId)
          widen(requests, l.requestId, l.traceId ?? '', l.timestampNs, l.timestampNs);
      }
    }
    // A request's window covers its whole traces, not only the spans that carry the request ID:
    // children start and end outside their parent's window when clocks are coarse or work is async.
    for (const r of requests.values()) {
      const t = r[1] ? traces.get(r[1]) : undefined;
      if (t) {
        if (t[0] < r[2]) r[2] = t[0];
        if (t[1] > r[3]) r[3] = t[1];
      }
    }
    const conn = this.conn;
    if (traces.size > 0) {
      const app = await conn.createAppender('stage_trace', 'main', 'temp');
      for (const [id, [start, end]] of traces) {
        app.appendVarchar(id);
        app.appendBigInt(start);
        app.appendBigInt(end);
        app.endRow();
      }
      app.closeSync();
      await conn.run(`
        INSERT INTO trace_index SELECT trace_id, start_ns, end_ns FROM stage_trace
        ON CONFLICT (trace_id) DO UPDATE SET
          start_ns = least(trace_index.start_ns, excluded.start_ns),
          end_ns = greatest(trace_index.end_ns, excluded.end_ns);
        DELETE FROM stage_trace;`);
    }
    if (requests.size > 0) {
      const app = await conn.createAppender('stage_request', 'main', 'temp');
      for (const [requestId, traceId, start, end] of requests.values()) {
        app.appendVarchar(requestId);
        app.appendVarchar(traceId);
        app.appendBigInt(start);
        app.appendBigInt(end);
        app.endRow();
      }
      app.closeSync();
      await conn.run(`
        INSERT INTO request_index SELECT request_id, trace_id, start_ns, end_ns FROM stage_request
        ON CONFLICT (request_id, trace_id) DO UPDATE SET
          start_ns = least(request_index.start_ns, excluded.start_ns),
          end_ns = greatest(request_index.end_ns, excluded.end_ns);
        DELETE FROM stage_request;`);
    }
    if (ops.length > 0) {
      const app = await conn.createAppender('stage_op', 'main', 'temp');
      for (const [service, name, kind] of ops) {
        app.appendVarchar(service);
        app.appendVarchar(name);
        app.appendUTinyInt(kind);
        app.endRow();
      }
      app.closeSync();
      await conn.run(`
        INSERT INTO operations SELECT service, name, kind FROM stage_op ON CONFLICT DO NOTHING;
        DELETE FROM stage_op;`);
      this.newOps = [...seenOps];
    }
  }

  /** The transaction committed: the staged operations are now in the table. */
  committed(): void {
    for (const k of this.newOps) this.knownOps.add(k);
    this.newOps = [];
  }

  forgetUncommitted(): void {
    this.newOps = [];
  }

  reset(): void {
    this.knownOps.clear();
    this.newOps = [];
  }
}

function widen(
  map: Map<string, [string, string, bigint, bigint]>,
  requestId: string,
  traceId: string,
  start: bigint,
  end: bigint,
): void {
  const key = `${requestId}\u0000${traceId}`;
  const r = map.get(key);
  if (!r) map.set(key, [requestId, traceId, start, end]);
  else {
    if (start < r[2]) r[2] = start;
    if (end > r[3]) r[3] = end;
  }
}
