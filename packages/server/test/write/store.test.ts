import { existsSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { UINTEGER } from '@duckdb/node-api';
import { afterEach, describe, expect, it } from 'vitest';
import { requestKey, traceKey } from '../../src/store/duckdb/ids.js';
import { TICK_NS, WINDOW_NS_SQL } from '../../src/store/duckdb/index-windows.js';
import { MIGRATIONS } from '../../src/store/duckdb/schema.js';
import { DuckDbStore } from '../../src/store/duckdb/store.js';
import { TRACE_INDEX } from '../../src/store/duckdb/trace-index.js';
import type { LogRecord } from '../../src/store/records.js';
import { UnstorableBatchError } from '../../src/store/store.js';
import { hex, spanRecord, tempDir } from './helpers.js';

const span = spanRecord;

/** Both index tables' windows in nanoseconds. */
const TRACE_WINDOWS = `(SELECT trace_key, ${WINDOW_NS_SQL} FROM ${TRACE_INDEX})`;
const REQUEST_WINDOWS = `(SELECT request_key, ${WINDOW_NS_SQL} FROM request_index)`;

/** `n` ticks of the index windows (index-windows.ts) in nanoseconds. */
const ticks = (n: bigint) => n * TICK_NS;

function log(over: Partial<LogRecord> = {}): LogRecord {
  return {
    timestampNs: BigInt(Date.now()) * 1_000_000n,
    severityNumber: 9,
    level: 'info',
    service: 'svc',
    body: 'hello',
    attributes: {},
    resource: {},
    source: 'ndjson',
    ...over,
  };
}

describe('DuckDbStore', () => {
  const cleanups: (() => Promise<void> | void)[] = [];
  afterEach(async () => {
    for (const c of cleanups.splice(0).reverse()) await c();
  });

  async function openStore(onCommit?: (s: number, l: number) => void) {
    const { dir, cleanup } = tempDir();
    const store = new DuckDbStore({ dataDir: dir, onCommit });
    await store.open();
    cleanups.push(cleanup, () => store.close());
    return { store, dir };
  }

  it('round-trips awkward text exactly: control characters, newlines, delimiters, quotes, unicode, empty', async () => {
    const { store } = await openStore();
    const nasty = 'a\x1fb\x02c"d\'e\nf\r\ng\th\u0000i 🚀 ünï';
    const s = span({
      name: nasty,
      statusMessage: 'line1\nline2',
      traceState: 'k=v',
      attributes: { text: nasty, n: 1.5, list: [1, 'two', null], nested: { deep: true } },
      events: [{ timeNs: 5n, name: 'ev\n', attributes: { a: 1 } }],
      links: [{ traceId: hex(16), spanId: hex(8), attributes: {} }],
      scopeName: 'scope',
      scopeVersion: '',
    });
    const empty = span({ name: '', traceId: s.traceId });
    const l = log({
      body: nasty,
      event: 'evt',
      requestId: 'req_x',
      traceId: s.traceId,
      spanId: s.spanId,
    });
    await store.write({ spans: [s, empty], logs: [l, log({ body: '' })] });

    const found = await store.reader.lookup({ traceIds: [s.traceId], requestIds: [] });
    const back = found.spans.find((x) => x.spanId === s.spanId)!;
    const expectedName = nasty.replace('\u0000', '\uFFFD');
    expect(back.name).toBe(expectedName);
    expect(back.statusMessage).toBe('line1\nline2');
    expect(back.attributes).toEqual(s.attributes);
    expect(back.events[0]?.name).toBe('ev\n');
    expect(found.spans.find((x) => x.spanId === empty.spanId)!.name).toBe('');
    expect(found.logs.map((x) => x.body)).toContain(expectedName);
    // A lone carriage return first in a staged file once derailed DuckDB's newline detection.
    const cr = span({ name: '\rfirst', service: 'cr\rsvc' });
    await store.write({ spans: [cr], logs: [] });
    const crBack = await store.reader.lookup({ traceIds: [cr.traceId], requestIds: [] });
    expect(crBack.spans[0]?.name).toBe('\rfirst');
    const stats = await store.stats();
    expect(stats).toMatchObject({ spansTotal: 3, logsTotal: 2, tracesTotal: 2 });
    expect(stats.bytesOnDisk).toBeGreaterThan(0);
  });

  it('stores IDs as integers and gives back the same hex, at both ends of the range', async () => {
    const { store } = await openStore();
    const spans = [
      span({ traceId: 'f'.repeat(32), spanId: 'f'.repeat(16), parentSpanId: '8'.repeat(16) }),
      span({ traceId: `${'0'.repeat(31)}1`, spanId: `${'0'.repeat(15)}1` }),
      span({ traceId: 'ABCDEF0123456789abcdef0123456789', spanId: '00ff00ff00ff00ff' }),
    ];
    await store.write({ spans, logs: [] });
    for (const s of spans) {
      const [back] = (await store.reader.lookup({ traceIds: [s.traceId], requestIds: [] })).spans;
      expect([back?.traceId, back?.spanId, back?.parentSpanId]).toEqual([
        s.traceId.toLowerCase(),
        s.spanId,
        s.parentSpanId,
      ]);
    }
    // A malformed ID fails its batch (and only it) instead of being stored as something else.
    for (const traceId of ['xyz', 'g'.repeat(32), `${'a'.repeat(31)}\u0660`]) {
      await expect(store.write({ spans: [span({ traceId })], logs: [] })).rejects.toThrow(
        /invalid trace ID/,
      );
    }
    await expect(
      store.write({ spans: [span({ parentSpanId: `${'0'.repeat(15)}-` })], logs: [] }),
    ).rejects.toThrow(/invalid span ID/);
    await expect(
      store.write({ spans: [span({ durationNs: 2n ** 63n })], logs: [] }),
    ).rejects.toThrow(/outside BIGINT/);
    expect((await store.stats()).spansTotal).toBe(3);
  });

  it('keeps request.id out of the stored attribute arrays and puts it back where it was', async () => {
    const { store } = await openStore();
    const moved = span({
      requestId: 'req_1',
      attributes: { a: 1, 'request.id': 'req_1', b: 'two' },
    });
    const last = span({ requestId: 'req_2', attributes: { x: true, 'request.id': 'req_2' } });
    const only = span({ requestId: 'req_3', attributes: { 'request.id': 'req_3' } });
    // From an alias: request.id says something else and stays in the JSON.
    const other = span({ requestId: 'req_4', attributes: { 'request.id': 'not-it', c: 3 } });
    // A nested map with a request.id of its own keeps it.
    const nested = span({
      requestId: 'req_5',
      attributes: {
        n: { 'request.id': 'req_5' },
        'request.id': 'req_5',
        z: '"request.id":"req_5"',
      },
    });
    const all = [moved, last, only, other, nested];
    await store.write({ spans: all, logs: [] });
    for (const s of all) {
      const [back] = (await store.reader.lookup({ traceIds: [s.traceId], requestIds: [] })).spans;
      expect(Object.entries(back!.attributes)).toEqual(Object.entries(s.attributes));
    }
    const conn = await store.connect();
    const stored = (
      await conn.runAndReadAll(
        'SELECT request_id, attr_keys, attr_values, request_id_at FROM spans ORDER BY request_id',
      )
    ).getRows();
    conn.closeSync();
    // Keys and values as two arrays in the same order (schema v7).
    expect(stored).toEqual([
      ['req_1', '["a","b"]', '[1,"two"]', 1],
      ['req_2', '["x"]', '[true]', 1],
      ['req_3', null, null, 0],
      ['req_4', '["request.id","c"]', '["not-it",3]', null],
      ['req_5', '["n","z"]', '[{"request.id":"req_5"},"\\"request.id\\":\\"req_5\\""]', 1],
    ]);
  });

  it('finds a tag by its whole value wherever the key stands among the attribute arrays', async () => {
    const { store } = await openStore();
    const t0 = BigInt(Date.now()) * 1_000_000n;
    const traces = {
      only: span({ attributes: { n: 37 } }),
      first: span({ attributes: { n: 37, z: 0 } }),
      last: span({ attributes: { a: '37', n: 37 } }),
      middle: span({ attributes: { a: 1, n: 37, b: true } }),
      longer: span({ attributes: { n: 137 } }),
      prefix: span({ attributes: { n: 370 } }),
      otherKey: span({ attributes: { m: 37, n: 1 } }),
      text: span({ attributes: { n: '37' } }),
      flag: span({ attributes: { ok: true, n: 2 } }),
    };
    await store.write({ spans: Object.values(traces), logs: [] });
    const search = async (key: string, value: string) =>
      (
        await store.reader.searchTraces({
          startNs: t0 - 60_000_000_000n,
          endNs: t0 + 60_000_000_000n,
          tags: [{ key, value }],
          limit: 20,
        })
      ).sort();
    const ids = (...names: (keyof typeof traces)[]) => names.map((n) => traces[n].traceId).sort();
    // As json_extract_string renders values: the number 37 and the string "37" both read 37.
    expect(await search('n', '37')).toEqual(ids('only', 'first', 'last', 'middle', 'text'));
    expect(await search('ok', 'true')).toEqual(ids('flag'));
    expect(await search('a', '37')).toEqual(ids('last'));
  });

  it('coalesces concurrent writes into fewer transactions, and reads see every acknowledged write', async () => {
    let commits = 0;
    let rows = 0;
    const { store } = await openStore((s) => {
      commits++;
      rows += s;
    });
    const writes = Array.from({ length: 40 }, () =>
      store.write({ spans: Array.from({ length: 20 }, () => span()), logs: [] }),
    );
    await Promise.all(writes);
    // Acknowledged once journaled: the commits may still be running, reads wait for them.
    expect((await store.stats()).spansTotal).toBe(800);
    expect(rows).toBe(800);
    expect(commits).toBeLessThan(40);
  });

  it('a failing batch fails alone; its neighbours commit', async () => {
    const { store } = await openStore();
    const [good, bad, good2] = await Promise.allSettled([
      store.write({ spans: [span()], logs: [] }),
      store.write({ spans: [span({ kind: 300 as never })], logs: [] }),
      store.write({ spans: [span()], logs: [] }),
    ]);
    expect(good.status).toBe('fulfilled');
    expect(bad).toMatchObject({ status: 'rejected', reason: { message: /300 does not fit/ } });
    // Ingest answers this 400 (the data's fault), as a worker thread that encodes it does.
    expect((bad as PromiseRejectedResult).reason).toBeInstanceOf(UnstorableBatchError);
    expect(good2.status).toBe('fulfilled');
    expect((await store.stats()).spansTotal).toBe(2);
  });

  it('keeps trace_index and request_index windows as the min start and max end across batches', async () => {
    const { store } = await openStore();
    const traceId = hex(16);
    await store.write({
      spans: [span({ traceId, startNs: ticks(1000n), durationNs: ticks(10n), requestId: 'req_w' })],
      logs: [],
    });
    await store.write({
      spans: [span({ traceId, startNs: ticks(500n), durationNs: ticks(2000n) })],
      logs: [],
    });
    // The same (request, trace) again in a later commit: one more row, folded by readers.
    await store.write({
      spans: [
        span({ traceId, startNs: ticks(700n), durationNs: ticks(3000n), requestId: 'req_w' }),
      ],
      logs: [],
    });
    await store.write({
      spans: [],
      logs: [log({ requestId: 'req_w', timestampNs: ticks(9000n) })],
    });
    const conn = await store.connect();
    const t = (
      await conn.runAndReadAll(
        `SELECT min(start_ns), max(end_ns) FROM ${TRACE_WINDOWS} GROUP BY trace_key`,
      )
    ).getRows();
    const r = (
      await conn.runAndReadAll(
        `SELECT start_ns, end_ns FROM ${REQUEST_WINDOWS} WHERE request_key = $k ORDER BY 1`,
        { k: requestKey('req_w') },
        { k: UINTEGER },
      )
    ).getRows();
    const ops = (await conn.runAndReadAll('SELECT count(*) FROM operations')).getRows();
    conn.closeSync();
    expect(t).toEqual([[ticks(500n), ticks(3700n)]]);
    // A request row covers the trace's spans in each commit where the request ID appeared (the
    // span at 500 came in a commit without it), and its log line of no trace; trace_index has
    // the whole trace.
    expect(r).toEqual([
      [ticks(700n), ticks(3700n)],
      [ticks(1000n), ticks(1010n)],
      [ticks(9000n), ticks(9000n)],
    ]);
    expect(ops).toEqual([[1n]]);
  });

  it('retention by age removes old spans, logs and index rows, and keeps recent ones', async () => {
    const { store } = await openStore();
    const now = BigInt(Date.now()) * 1_000_000n;
    const day = 86_400_000_000_000n;
    const old = span({ startNs: now - 3n * day, requestId: 'req_old' });
    const recent = span({ startNs: now });
    await store.write({
      spans: [old, recent],
      logs: [log({ timestampNs: now - 3n * day }), log()],
    });
    const r = await store.enforceRetention({ maxAgeMs: 86_400_000 });
    expect(r).toEqual({ spansDeleted: 1, logsDeleted: 1 });
    const stats = await store.stats();
    expect(stats).toMatchObject({ spansTotal: 1, logsTotal: 1, tracesTotal: 1 });
    expect((await store.reader.lookup({ traceIds: [], requestIds: ['req_old'] })).spans).toEqual(
      [],
    );
  });

  it('retention by size drops the oldest data until the store is under the cap', async () => {
    const { store } = await openStore();
    const base = BigInt(Date.now()) * 1_000_000n;
    for (let b = 0; b < 10; b++) {
      await store.write({
        spans: Array.from({ length: 2000 }, (_, i) =>
          span({ startNs: base + BigInt(b * 2000 + i), attributes: { pad: hex(64) } }),
        ),
        logs: [],
      });
    }
    await store.checkpoint();
    const conn = await store.connect();
    const used = Number(
      (
        await conn.runAndReadAll('SELECT used_blocks * block_size FROM pragma_database_size()')
      ).getRows()[0]![0],
    );
    conn.closeSync();
    const r = await store.enforceRetention({ maxBytes: Math.floor(used / 2) });
    expect(r.spansDeleted).toBeGreaterThan(0);
    expect(r.spansDeleted).toBeLessThan(20_000);
    const conn2 = await store.connect();
    const [minStart] = (await conn2.runAndReadAll('SELECT min(start_ns) FROM spans')).getRows()[0]!;
    conn2.closeSync();
    // What is left is the newest part.
    expect(minStart as bigint).toBeGreaterThan(base);
  });

  it('removes staging files a crashed process left behind, and only those', async () => {
    const { dir, cleanup } = tempDir();
    cleanups.push(cleanup);
    const probe = new DuckDbStore({ dataDir: dir });
    // A PID above the kernel's pid_max belongs to no process.
    const dead = join(probe.stageDir, 'hopscope-4194305-7-spans.csv');
    const mine = join(probe.stageDir, `hopscope-${process.pid}-999999-logs.csv`);
    writeFileSync(dead, 'x');
    writeFileSync(mine, 'x');
    cleanups.push(() => {
      for (const f of [dead, mine]) rmSync(f, { force: true });
    });
    await probe.open();
    cleanups.push(() => probe.close());
    expect(existsSync(dead)).toBe(false);
    expect(existsSync(mine)).toBe(true);
  });

  it('reopens an existing file without re-running migrations', async () => {
    const { dir, cleanup } = tempDir();
    cleanups.push(cleanup);
    const a = new DuckDbStore({ dataDir: dir });
    await a.open();
    await a.write({ spans: [span()], logs: [] });
    await a.close();
    const b = new DuckDbStore({ dataDir: dir });
    await b.open();
    expect((await b.stats()).spansTotal).toBe(1);
    const conn = await b.connect();
    expect((await conn.runAndReadAll('SELECT count(*) FROM schema_version')).getRows()).toEqual([
      [BigInt(MIGRATIONS.length)],
    ]);
    conn.closeSync();
    await b.close();
  });
  it('checkpoints after 64 MB of WAL by default, and keeps every row when checkpoints run between commits', async () => {
    const { store: byDefault } = await openStore();
    const c = await byDefault.connect();
    const setting = (
      await c.runAndReadAll("SELECT current_setting('checkpoint_threshold')")
    ).getRows()[0]![0];
    c.closeSync();
    expect(setting).toBe('61.0 MiB'); // 64 MB in DuckDB's binary units

    // A threshold far below one commit's WAL: DuckDB checkpoints after every group.
    const { dir, cleanup } = tempDir();
    cleanups.push(cleanup);
    const store = new DuckDbStore({ dataDir: dir, checkpointThreshold: '1KB' });
    await store.open();
    cleanups.push(() => store.close());
    const batches = Array.from({ length: 12 }, (_, i) => ({
      spans: Array.from({ length: 200 }, () => span({ requestId: `req_${i}` })),
      logs: [log({ requestId: `req_${i}` })],
    }));
    await Promise.all(batches.map((b) => store.write(b)));
    await store.close();
    const reopened = new DuckDbStore({ dataDir: dir });
    await reopened.open();
    cleanups.push(() => reopened.close());
    const stats = await reopened.stats();
    expect([stats.spansTotal, stats.logsTotal, stats.tracesTotal]).toEqual([2400, 12, 2400]);
    const conn = await reopened.connect();
    const requests = (
      await conn.runAndReadAll('SELECT count(DISTINCT request_key) FROM request_index')
    ).getRows()[0]![0];
    conn.closeSync();
    expect(requests).toBe(12n);
  });
  it('extends trace and request windows written before a restart (keys the new process has not seen)', async () => {
    const { dir, cleanup } = tempDir();
    cleanups.push(cleanup);
    const traceId = hex(16);
    // Off a tick boundary: windows widen to whole ticks (index-windows.ts).
    const t0 = ticks(1_000_000n) + 3n;
    const a = new DuckDbStore({ dataDir: dir });
    await a.open();
    await a.write({
      spans: [span({ traceId, requestId: 'req_a', startNs: t0, durationNs: ticks(10n) })],
      logs: [],
    });
    await a.close();
    const b = new DuckDbStore({ dataDir: dir });
    await b.open();
    cleanups.push(() => b.close());
    // Same trace and request again, plus a new trace in the same group: the group must commit.
    await Promise.all([
      b.write({
        spans: [
          span({ traceId, requestId: 'req_a', startNs: t0 - ticks(5n), durationNs: ticks(100n) }),
        ],
        logs: [],
      }),
      b.write({
        spans: [span({ requestId: 'req_b', startNs: t0, durationNs: ticks(1n) })],
        logs: [],
      }),
    ]);
    // And once more in this process, now a key it has written itself.
    await b.write({
      spans: [
        span({ traceId, requestId: 'req_a', startNs: t0 + ticks(200n), durationNs: ticks(1n) }),
      ],
      logs: [],
    });
    const conn = await b.connect();
    const trace = (
      await conn.runAndReadAll(
        `SELECT min(start_ns), max(end_ns) FROM ${TRACE_WINDOWS} WHERE trace_key = $k`,
        { k: traceKey(traceId)! },
        { k: UINTEGER },
      )
    ).getRows();
    const req = [];
    for (const id of ['req_a', 'req_b']) {
      const w = await conn.runAndReadAll(
        `SELECT min(start_ns), max(end_ns) FROM ${REQUEST_WINDOWS} WHERE request_key = $k`,
        { k: requestKey(id) },
        { k: UINTEGER },
      );
      req.push([id, ...w.getRows()[0]!]);
    }
    const spans = (await conn.runAndReadAll('SELECT count(*) FROM spans')).getRows()[0]![0];
    conn.closeSync();
    // t0 - 5 ticks floored, t0 + 201 ticks ceiled.
    expect(trace).toEqual([[ticks(1_000_000n - 5n), ticks(1_000_000n + 202n)]]);
    expect(req).toEqual([
      ['req_a', ticks(1_000_000n - 5n), ticks(1_000_000n + 202n)],
      ['req_b', ticks(1_000_000n), ticks(1_000_000n + 2n)],
    ]);
    expect(spans).toBe(4n);
  });
});
