import { afterEach, describe, expect, it } from 'vitest';
import { createApi } from '../../src/api/index.js';
import type { DebugTraceResponse } from '../../src/api/types.js';
import { requestKey, traceKey } from '../../src/store/duckdb/ids.js';
import { TICK_NS } from '../../src/store/duckdb/index-windows.js';
import { MIGRATIONS } from '../../src/store/duckdb/schema.js';
import { DuckDbStore } from '../../src/store/duckdb/store.js';
import type { LogRecord, SpanRecord } from '../../src/store/records.js';
import { hex, spanRecord, tempDir } from './helpers.js';

/**
 * Schema v12's index tables: 32-bit keys (ids.ts) and windows in ticks (index-windows.ts). Lookups
 * must stay exact: a shared key or a window widened to whole ticks may only widen the spans and
 * logs scans, never lose or mix rows.
 */

const T = TICK_NS;
/** A tick boundary an hour ago. */
const BASE = ((BigInt(Date.now()) * 1_000_000n - 3_600_000_000_000n) / T) * T;

function log(over: Partial<LogRecord>): LogRecord {
  return {
    timestampNs: BASE,
    severityNumber: 9,
    level: 'info',
    service: 'svc',
    body: 'line',
    attributes: {},
    resource: {},
    source: 'ndjson',
    ...over,
  };
}

/** Two request IDs whose keys are equal (found by search; asserted below). */
const SAME_KEY_REQUESTS = ['req_ph0', 'req_1tkt'] as const;

/**
 * Traces and log lines at the edges: times 1 ns either side of a tick boundary, zero-length spans
 * at a window's very end, two traces sharing a key an hour apart, two requests sharing a key, a
 * trace with a log line stamped 1970 (an open window), log lines of no trace.
 */
function dataset() {
  const low = hex(4);
  const collide = [`${hex(12)}${low}`, `${hex(12)}${low}`];
  const edge = hex(16);
  const open = hex(16);
  const plain = Array.from({ length: 6 }, () => hex(16));
  const [ra, rb] = SAME_KEY_REQUESTS;
  const spans: SpanRecord[] = [
    // edge: starts 1 ns before a boundary; a span ends and another starts and ends 1 ns after one.
    spanRecord({
      traceId: edge,
      startNs: BASE + 10n * T - 1n,
      durationNs: 2n,
      requestId: 'req_edge',
    }),
    spanRecord({ traceId: edge, startNs: BASE + 10n * T + 1n, durationNs: 5n * T }),
    spanRecord({ traceId: edge, startNs: BASE + 15n * T + 1n, durationNs: 0n }),
    // Two traces with one key, an hour of spans apart (the second in the future).
    spanRecord({ traceId: collide[0], startNs: BASE + 20n * T, durationNs: T, requestId: ra }),
    spanRecord({ traceId: collide[0], startNs: BASE + 21n * T, durationNs: 1n }),
    spanRecord({
      traceId: collide[1],
      startNs: BASE + 4000n * T + 1n,
      durationNs: 1n,
      requestId: rb,
    }),
    spanRecord({ traceId: open, startNs: BASE + 30n * T, durationNs: 1n }),
    ...plain.map((traceId, i) =>
      spanRecord({
        traceId,
        startNs: BASE + BigInt(50 + i) * T + 7n,
        durationNs: 3n,
        requestId: 'req_p',
      }),
    ),
  ];
  const logs: LogRecord[] = [
    log({
      traceId: edge,
      timestampNs: BASE + 15n * T + 1n,
      body: 'edge end',
      requestId: 'req_edge',
    }),
    log({
      traceId: collide[0],
      timestampNs: BASE + 21n * T + 1n,
      body: 'collide 0',
      requestId: ra,
    }),
    log({
      traceId: collide[1],
      timestampNs: BASE + 4000n * T + 2n,
      body: 'collide 1',
      requestId: rb,
    }),
    log({ traceId: open, timestampNs: 1_000n, body: 'stamped 1970' }),
    log({ requestId: 'req_edge', timestampNs: BASE + 16n * T - 1n, body: 'edge, no trace' }),
    log({ requestId: rb, timestampNs: BASE + 4001n * T, body: 'rb, no trace' }),
  ];
  return {
    spans,
    logs,
    traces: [edge, ...collide, open, ...plain],
    collide,
    requests: ['req_edge', ra, rb, 'req_p'],
  };
}

/** What a lookup returns, as comparable text. */
async function lookup(store: DuckDbStore, q: { traceIds?: string[]; requestIds?: string[] }) {
  const r = await store.reader.lookup({
    traceIds: q.traceIds ?? [],
    requestIds: q.requestIds ?? [],
  });
  return {
    spans: r.spans.map((s) => `${s.traceId}/${s.spanId}@${s.startNs}`),
    logs: r.logs.map((l) => `${l.body}@${l.timestampNs}`),
  };
}

/** The answers to every lookup a user can make of the dataset. */
async function answers(store: DuckDbStore, d: ReturnType<typeof dataset>) {
  const app = createApi({ reader: store.reader });
  const out: Record<string, unknown> = {};
  for (const t of d.traces) {
    out[t] = await lookup(store, { traceIds: [t] });
    const res = await app.request(`/api/debug/trace/00-${t}-${hex(8)}-01`);
    const body = (await res.json()) as DebugTraceResponse;
    out[`traceparent ${t}`] = [body.query.kind, body.spans.map((s) => s.span_id), body.logs.length];
  }
  for (const r of d.requests) {
    out[r] = await lookup(store, { requestIds: [r] });
    const page = await store.reader.searchLogs({ requestId: r, limit: 100 });
    out[`logs ${r}`] = page.logs.map((l) => l.body);
  }
  return out;
}

function expectedOf(d: ReturnType<typeof dataset>, traceId: string) {
  return {
    spans: d.spans
      .filter((s) => s.traceId === traceId)
      .map((s) => `${s.traceId}/${s.spanId}@${s.startNs}`)
      .sort(),
    logs: d.logs
      .filter((l) => l.traceId === traceId)
      .map((l) => `${l.body}@${l.timestampNs}`)
      .sort(),
  };
}

describe('32-bit index keys and windows in ticks', () => {
  const cleanups: (() => Promise<void> | void)[] = [];
  afterEach(async () => {
    for (const c of cleanups.splice(0).reverse()) await c();
  });

  async function openStore(dir: string) {
    // Compactions after every commit: rows of both tables, and keys folded in the sorted one.
    const store = new DuckDbStore({ dataDir: dir, traceIndexMinRecentRows: 2 });
    await store.open();
    cleanups.push(() => store.close());
    return store;
  }

  async function written(d: ReturnType<typeof dataset>, dir: string) {
    const store = await openStore(dir);
    // In two commits, so the trace index has sorted and recent rows.
    await store.write({ spans: d.spans.slice(0, 7), logs: d.logs.slice(0, 3) });
    await store.checkpoint();
    await store.write({ spans: d.spans.slice(7), logs: d.logs.slice(3) });
    await store.stats();
    return store;
  }

  it('finds every span and log line of a trace or request 1 ns past a tick boundary', async () => {
    const { dir, cleanup } = tempDir();
    cleanups.push(cleanup);
    const d = dataset();
    const store = await written(d, dir);
    for (const t of d.traces) {
      const got = await lookup(store, { traceIds: [t] });
      expect({ spans: got.spans.sort(), logs: got.logs.sort() }).toEqual(expectedOf(d, t));
    }
    const edge = await lookup(store, { requestIds: ['req_edge'] });
    expect(edge.spans).toHaveLength(3);
    expect(edge.logs.map((l) => l.split('@')[0])).toEqual(['edge end', 'edge, no trace']);
    const page = await store.reader.searchLogs({ requestId: 'req_edge', limit: 10 });
    expect(page.logs.map((l) => l.body).sort()).toEqual(['edge end', 'edge, no trace']);
    // The 1970 log line and today's span: a window too long for a tick count, open-ended.
    const open = await lookup(store, { traceIds: [d.traces[3]!] });
    expect(open.logs.map((l) => l.split('@')[0])).toEqual(['stamped 1970']);
    expect(open.spans).toHaveLength(1);
  });

  it('keeps traces and requests that share a key apart: each lookup returns its own rows', async () => {
    const { dir, cleanup } = tempDir();
    cleanups.push(cleanup);
    const d = dataset();
    const [c0, c1] = d.collide as [string, string];
    const [ra, rb] = SAME_KEY_REQUESTS;
    expect(traceKey(c0)).toBe(traceKey(c1));
    expect(requestKey(ra)).toBe(requestKey(rb));
    const store = await written(d, dir);
    await store.checkpoint();
    const conn = await store.connect();
    const sorted = await conn.runAndReadAll(
      'SELECT count(*) FROM trace_index WHERE trace_key = $k',
      { k: traceKey(c0)! },
    );
    conn.closeSync();
    // Both traces' windows are one row of the sorted table: one window spanning an hour.
    expect(sorted.getRows()).toEqual([[1n]]);
    for (const t of [c0, c1]) {
      const got = await lookup(store, { traceIds: [t] });
      expect({ spans: got.spans.sort(), logs: got.logs.sort() }).toEqual(expectedOf(d, t));
    }
    const a = await lookup(store, { requestIds: [ra] });
    expect(a.spans.every((s) => s.startsWith(c0))).toBe(true);
    expect(a.spans).toHaveLength(2);
    expect(a.logs.map((l) => l.split('@')[0])).toEqual(['collide 0']);
    const b = await lookup(store, { requestIds: [rb] });
    expect(b.spans.map((s) => s.split('/')[0])).toEqual([c1]);
    expect(b.logs.map((l) => l.split('@')[0])).toEqual(['collide 1', 'rb, no trace']);
    const logsA = await store.reader.searchLogs({ requestId: ra, limit: 10 });
    expect(logsA.logs.map((l) => l.body)).toEqual(['collide 0']);
  });

  it('migrates a store of 64-bit keys and nanosecond windows: the same lookups answer the same', async () => {
    const { dir, cleanup } = tempDir();
    cleanups.push(cleanup);
    const d = dataset();
    let store = await written(d, dir);
    const before = await answers(store, d);
    // The index tables as schema v10/v11 kept them, built from the same spans and log lines the
    // way that write path did: one row per trace (sorted) for most, a few recent ones, one row
    // per request and trace.
    const conn = await store.connect();
    const version = MIGRATIONS.length;
    await conn.run(`
      CREATE TEMP TABLE w AS
        SELECT trace_id AS t, request_id AS r, start_ns AS s, start_ns + duration_ns AS e FROM spans
        UNION ALL
        SELECT CASE WHEN trace_id IS NULL THEN NULL ELSE
                 ((('0x' || substr(trace_id, 1, 16))::UBIGINT::UHUGEINT << 64) |
                 ('0x' || substr(trace_id, 17, 16))::UBIGINT::UHUGEINT) END,
               request_id, timestamp_ns, timestamp_ns FROM logs;
      DROP TABLE trace_index; DROP TABLE trace_index_recent; DROP TABLE request_index;
      CREATE TABLE trace_index (trace_key UBIGINT NOT NULL, start_ns BIGINT NOT NULL, end_ns BIGINT NOT NULL);
      CREATE TABLE trace_index_recent (trace_key UBIGINT NOT NULL, start_ns BIGINT NOT NULL, end_ns BIGINT NOT NULL);
      CREATE TABLE request_index (request_key UBIGINT NOT NULL, start_ns BIGINT NOT NULL, end_ns BIGINT NOT NULL);
      INSERT INTO trace_index SELECT (t & 18446744073709551615::UHUGEINT)::UBIGINT AS k, min(s), max(e)
        FROM w WHERE t IS NOT NULL GROUP BY k HAVING min(s) < ${BASE + 40n * T} ORDER BY k;
      INSERT INTO trace_index_recent SELECT (t & 18446744073709551615::UHUGEINT)::UBIGINT AS k, min(s), max(e)
        FROM w WHERE t IS NOT NULL GROUP BY k HAVING min(s) >= ${BASE + 40n * T};
      INSERT INTO request_index SELECT md5_number_upper(r), min(s), max(e)
        FROM w WHERE r IS NOT NULL GROUP BY r, t;
      DELETE FROM schema_version WHERE version = ${version};`);
    const recent = await conn.runAndReadAll('SELECT count(*) FROM trace_index_recent');
    expect(Number(recent.getRows()[0]![0])).toBeGreaterThan(1);
    conn.closeSync();
    await store.close();

    store = await openStore(dir);
    const after = await store.connect();
    const types = await after.runAndReadAll(
      `SELECT table_name, column_name, data_type FROM information_schema.columns
        WHERE table_name IN ('trace_index', 'trace_index_recent', 'request_index') ORDER BY 1, ordinal_position`,
    );
    const v = await after.runAndReadAll('SELECT max(version) FROM schema_version');
    after.closeSync();
    expect(v.getRows()).toEqual([[version]]);
    expect(types.getRows()).toEqual(
      ['request_index', 'trace_index', 'trace_index_recent'].flatMap((t) => [
        [t, t === 'request_index' ? 'request_key' : 'trace_key', 'UINTEGER'],
        [t, 'start_tick', 'BIGINT'],
        [t, 'length_ticks', 'UINTEGER'],
      ]),
    );
    expect(await answers(store, d)).toEqual(before);
  });
});
