// `npm run bench -- server [--spans=N] [--scale-spans=N] [--baseline=DIR]`: OTLP ingest
// throughput, acknowledged and durable. 512-span protobuf batches go over HTTP to a real server (in-process, loopback)
// from 8 concurrent senders; each answer is awaited (an answer means the batch is in the ingest
// journal, fsynced), and the clock stops when a read sees every span (committed to DuckDB).
// Beside it, the raw limits measured in the same run: protobuf decode alone, decode + conversion,
// and DuckDB Appender alone. Also bytes on disk per span after a checkpoint. The server runs
// decoding on its main thread and with `--workers=N` ingest worker threads (default 1), and
// the main thread's own CPU per span is printed (Linux). The capacity rows then send from 8, 16
// and 32 concurrent senders in another process to the server as configured by default. Last,
// bytes per span once the server holds --scale-spans spans (default 4x --spans). Needs
// `npm run build`.
//
// --baseline=DIR: another build's packages/server/dist (e.g. a `git worktree` of an older commit,
// built): its DuckDbStore and server run alternately with this build's in the same process, so
// a store change is measured as a before/after under the same machine load.
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { intArg as arg } from './_args.mjs';
import { spanRecords, traceBatches } from './_gen.mjs';
import { sendAll } from './server-senders.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const dist = join(here, '..', 'packages', 'server', 'dist');

const load = (p) => import(pathToFileURL(join(dist, p)).href);
const rate = (n, ms) => Math.round((n / ms) * 1000);
const fmt = (n) => n.toLocaleString('en-US');
/** CPU time of this process (JS thread + DuckDB's threads), microseconds. */
const cpu = () => {
  const u = process.cpuUsage();
  return u.user + u.system;
};
/**
 * CPU time of the main thread alone, microseconds (Linux: /proc, 10 ms ticks). It bounds
 * throughput on a machine with cores to spare: everything else can run beside it.
 */
const mainThreadCpu = () => {
  try {
    const stat = readFileSync(`/proc/self/task/${process.pid}/stat`, 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(f[11]) + Number(f[12])) * 10_000;
  } catch {
    return Number.NaN;
  }
};

/** A full GC now, outside every measured run (V8's gc(), reached without a CLI flag). */
function collectGarbage() {
  setFlagsFromString('--expose-gc');
  runInNewContext('gc')();
}

export default async function serverBench(argv = []) {
  if (!existsSync(join(dist, 'server.js'))) {
    console.error('bench server: packages/server/dist is missing; run `npm run build` first');
    process.exit(2);
  }
  const SPANS = arg(argv, 'spans', 512 * 600);
  // Read with the other arguments: a malformed value stops the run before its long phases.
  const SCALE_SPANS = arg(argv, 'scale-spans', 4 * SPANS);
  const baselineArg = argv.find((a) => a.startsWith('--baseline='))?.slice('--baseline='.length);
  const baseline = baselineArg ? resolve(baselineArg) : undefined;
  if (baseline && !existsSync(join(baseline, 'store', 'duckdb', 'store.js'))) {
    console.error(
      `--baseline: ${baseline} is not a packages/server/dist (no store/duckdb/store.js)`,
    );
    process.exit(2);
  }
  const loadFrom = (root, p) => import(pathToFileURL(join(root, p)).href);
  const PER_BATCH = 512;
  const SENDERS = 8;
  const proto = await load('ingest/otlp/proto.js');
  const { convertTraces } = await load('ingest/otlp/convert.js');
  const { decodeTraceRequest } = await load('ingest/otlp/decode-proto.js');
  const { Sanitizer } = await load('ingest/sanitize.js');
  const { DEFAULT_LIMITS, DEFAULT_REDACTION } = await load('config.js');
  const { MIGRATIONS } = await load('store/duckdb/schema.js');
  const { appendSpan } = await load('store/duckdb/append.js');
  const { DuckDBInstance } = await import('@duckdb/node-api');

  const T = proto.ExportTraceServiceRequest;
  const bodies = traceBatches({ spans: SPANS, perBatch: PER_BATCH }).map((b) =>
    T.encode(b).finish(),
  );
  const spans = bodies.length * PER_BATCH;
  const avgBody = Math.round(bodies.reduce((a, b) => a + b.length, 0) / bodies.length);
  console.log(
    `${fmt(spans)} spans in ${bodies.length} protobuf batches of ${PER_BATCH} (avg ${fmt(avgBody)} B/batch), ${SENDERS} concurrent senders`,
  );

  // 1. protobuf decode alone (protobufjs, the library the server uses).
  let t = performance.now();
  let c = cpu();
  for (const b of bodies) T.decode(b);
  const decodeMs = performance.now() - t;
  const decodeCpu = cpu() - c;

  // 2. protobufjs + generic conversion to SpanRecords (validation, redaction, caps).
  t = performance.now();
  c = cpu();
  for (const b of bodies) {
    convertTraces(T.decode(b), 'proto', new Sanitizer(DEFAULT_LIMITS, DEFAULT_REDACTION));
  }
  const convertMs = performance.now() - t;
  const convertCpu = cpu() - c;

  // 2b. the hand-written decoder the server uses: bytes straight to SpanRecords, same rules.
  t = performance.now();
  c = cpu();
  for (const b of bodies) {
    decodeTraceRequest(Buffer.from(b), new Sanitizer(DEFAULT_LIMITS, DEFAULT_REDACTION));
  }
  const fastMs = performance.now() - t;
  const fastCpu = cpu() - c;

  // 2c. what the server does since (no tail sampling, DuckDB): bytes straight into the store's
  // columns and the journal record, with AI fields (decode-rows.ts, encodeSpanRows).
  const { decodeRowsExport } = await load('ingest/otlp/decode-rows.js');
  const { encodeSpanRows } = await load('store/duckdb/span-chunks.js');
  const { loadPriceTable } = await load('pipeline/ai/prices.js');
  const prices = loadPriceTable();
  t = performance.now();
  c = cpu();
  for (const b of bodies) {
    const d = decodeRowsExport(b, new Sanitizer(DEFAULT_LIMITS, DEFAULT_REDACTION), prices);
    encodeSpanRows(d.rows, d.operations);
  }
  const rowsMs = performance.now() - t;
  const rowsCpu = cpu() - c;

  // 3. DuckDB Appender alone: pre-built rows into the same schema, one commit per 8 batches.
  let records = [...spanRecords({ spans })];
  const rawDir = mkdtempSync(join(tmpdir(), 'hopscope-bench-raw-'));
  let appendMs;
  let appendCpu;
  {
    const db = await DuckDBInstance.create(join(rawDir, 'raw.duckdb'));
    const conn = await db.connect();
    for (const m of MIGRATIONS) await conn.run(m);
    t = performance.now();
    c = cpu();
    for (let i = 0; i < records.length; i += PER_BATCH * 8) {
      await conn.run('BEGIN');
      const app = await conn.createAppender('spans');
      for (const r of records.slice(i, i + PER_BATCH * 8)) appendSpan(app, r);
      app.closeSync();
      await conn.run('COMMIT');
    }
    appendMs = performance.now() - t;
    appendCpu = cpu() - c;
    conn.closeSync();
    db.closeSync();
  }
  rmSync(rawDir, { recursive: true, force: true });

  // 4. The store alone: DuckDbStore.write of pre-built records, 8 writers, group commit, then a
  // checkpoint (its compression is part of what storing costs). With --baseline, the baseline
  // build's store and this build's alternate, 2 runs each, best by CPU.
  const builds = [];
  if (baseline) builds.push({ name: 'baseline', root: baseline });
  builds.push({ name: 'now', root: dist });
  for (const b of builds) {
    b.store = await loadFrom(b.root, 'store/duckdb/store.js');
    b.server = await loadFrom(b.root, 'index.js');
    b.storeRuns = [];
    b.serverRuns = [];
  }
  const storeRun = async ({ store: { DuckDbStore } }) => {
    const storeDir = mkdtempSync(join(tmpdir(), 'hopscope-bench-store-'));
    const store = new DuckDbStore({ dataDir: storeDir });
    await store.open();
    let k = 0;
    const writer = async () => {
      while (k < records.length) {
        const slice = records.slice(k, k + PER_BATCH);
        k += PER_BATCH;
        await store.write({ spans: slice, logs: [] });
      }
    };
    const t0 = performance.now();
    const c0 = cpu();
    await Promise.all(Array.from({ length: SENDERS }, writer));
    // Acked is durable (journaled); the clock stops when reads see every span (committed).
    await store.stats();
    const ms = performance.now() - t0;
    await store.checkpoint();
    const used = cpu() - c0;
    const { bytesOnDisk } = await store.stats();
    await store.close();
    rmSync(storeDir, { recursive: true, force: true });
    return { ms, cpu: used, bytes: bytesOnDisk };
  };
  const best = (runs) => runs.reduce((a, b) => (b.cpu < a.cpu ? b : a));
  for (let round = 0; round < 2; round++) {
    for (const b of builds) b.storeRuns.push(await storeRun(b));
  }
  for (const b of builds) b.storeBest = best(b.storeRuns);
  // The servers below share this process: the 307k SpanRecords (hundreds of MB of small
  // objects) would make every full GC of theirs mark the bench's data too.
  records = undefined;
  collectGarbage();

  // 5. The server: HTTP + decode + convert + group commit, every batch acknowledged = durable.
  // The senders run in this process (as in earlier entries), or with `apart` in a child
  // process, so the server's CPU and main thread are its own, as in a deployment.
  const bodiesFile = join(mkdtempSync(join(tmpdir(), 'hopscope-bench-bodies-')), 'bodies.bin');
  writeFileSync(
    bodiesFile,
    Buffer.concat(
      bodies.flatMap((b) => {
        const n = Buffer.alloc(4);
        n.writeUInt32LE(b.length);
        return [n, Buffer.from(b)];
      }),
    ),
  );
  /**
   * Wall time, process CPU and main-thread CPU of `send` (which resolves with sendAll's result)
   * up to when a read sees every span: acks come once batches are journaled, commits follow.
   */
  const measured = async (send, store) => {
    const t0 = performance.now();
    const c0 = cpu();
    const m0 = mainThreadCpu();
    const { failed, p50, p99 } = await send();
    await store.stats();
    const ms = performance.now() - t0;
    return { ms, used: cpu() - c0, main: mainThreadCpu() - m0, failed, p50, p99 };
  };
  const sendApart = async (url, store, senders = SENDERS) => {
    const child = spawn(
      process.execPath,
      [join(here, 'server-senders.mjs'), url, bodiesFile, String(senders)],
      {
        stdio: ['pipe', 'pipe', 'inherit'],
      },
    );
    const lines = createInterface({ input: child.stdout });
    const next = () => new Promise((r) => lines.once('line', r));
    await next(); // ready
    return measured(async () => {
      child.stdin.write('go\n');
      return JSON.parse(await next());
    }, store);
  };
  const sendHere = (url, store) => measured(() => sendAll(url, bodies, SENDERS), store);
  /** `ingestWorkers` undefined: the server's default for this machine. */
  const serverRun = async (
    { server: { startServer } },
    ingestWorkers,
    apart = false,
    senders = SENDERS,
  ) => {
    const dataDir = mkdtempSync(join(tmpdir(), 'hopscope-bench-server-'));
    const server = await startServer({ port: 0, grpcPort: false, dataDir, ingestWorkers });
    const url = `${server.url}/v1/traces`;
    const { ms, used, main, failed, p50, p99 } = apart
      ? await sendApart(url, server.store, senders)
      : await sendHere(url, server.store);
    const commits = (await server.metrics.commits.get()).values[0]?.value ?? 0;
    const { stats, usedBytes } = await closeAndMeasure(server, dataDir);
    if (failed > 0) console.log(`!! ${failed} batches were not acknowledged with 200`);
    return { ms, cpu: used, main, commits, stats, usedBytes, p50, p99 };
  };
  // This build runs twice: decoding on the main thread, and with WORKERS ingest worker threads.
  const WORKERS = arg(argv, 'workers', 1);
  const now = builds[builds.length - 1];
  now.threadedRuns = [];
  now.apartRuns = [];
  for (const b of builds) b.apartThreadedRuns = [];
  for (let round = 0; round < 2; round++) {
    for (const b of builds) b.serverRuns.push(await serverRun(b, 0));
    now.threadedRuns.push(await serverRun(now, WORKERS));
    now.apartRuns.push(await serverRun(now, 0, true));
    // The deployment's shape (senders apart, ingest workers) for every build, alternating.
    for (const b of builds) b.apartThreadedRuns.push(await serverRun(b, WORKERS, true));
  }
  // 6. Capacity: the deployment's shape (senders apart, the server's default ingest workers for
  // this machine) with more exporters sending at once. Each sender waits for its ack, so at 8
  // the rate is bound by ack latency (journal fsync, queueing on the main thread) as much as by
  // the server's CPU (RESULTS.md, 2026-11-24 04:30); a collector's capacity is the rate where
  // more concurrent exporters stop adding to it. The fastest of two runs per count.
  const CAPACITY_SENDERS = [8, 16, 32];
  const capacity = CAPACITY_SENDERS.map(() => []);
  for (let round = 0; round < 2; round++) {
    for (const [k, n] of CAPACITY_SENDERS.entries()) {
      capacity[k].push(await serverRun(now, undefined, true, n));
    }
  }
  // 7. Bytes at scale: 307k spans make a 15 MB file, where partly filled 256 KB blocks and the
  // small tables are several bytes per span by themselves; a store's cost per span is what it
  // approaches as it grows. The server as deployed takes SCALE_SPANS spans (distinct traces,
  // one segment of the bench's traffic after another) and reports blocks in use per span.
  const scale = await bytesAtScale(now, proto, SCALE_SPANS, PER_BATCH, SENDERS);
  const fastestOf = (runs) => runs.reduce((a, b) => (b.ms < a.ms ? b : a));
  rmSync(dirname(bodiesFile), { recursive: true, force: true });
  for (const b of builds) b.serverBest = best(b.serverRuns);
  const threaded = best(now.threadedRuns);
  const apart = best(now.apartRuns);
  for (const b of builds) b.apartThreadedBest = best(b.apartThreadedRuns);
  const apartThreaded = now.apartThreadedBest;
  const { ms: ingestMs, cpu: ingestCpu, commits, stats, usedBytes } = now.serverBest;

  const ingest = rate(spans, ingestMs);
  const rows = [
    ['protobuf decode alone (protobufjs)', rate(spans, decodeMs), decodeCpu],
    ['protobufjs decode + convert to records', rate(spans, convertMs), convertCpu],
    ['hand-written decode to records', rate(spans, fastMs), fastCpu],
    ['decode to columns + record (server)', rate(spans, rowsMs), rowsCpu],
    ['DuckDB Appender alone (same schema)', rate(spans, appendMs), appendCpu],
  ];
  for (const b of builds) {
    rows.push([`store.write alone (${b.name})`, rate(spans, b.storeBest.ms), b.storeBest.cpu]);
  }
  for (const b of builds) {
    rows.push([
      `server: HTTP → durable ack (${b.name})`,
      rate(spans, b.serverBest.ms),
      b.serverBest.cpu,
    ]);
  }
  const w = `${WORKERS} ingest worker${WORKERS === 1 ? '' : 's'}`;
  rows.push([`server, ${w} (now)`, rate(spans, threaded.ms), threaded.cpu]);
  rows.push(['server, senders in another process (now)', rate(spans, apart.ms), apart.cpu]);
  for (const b of builds) {
    const r = b.apartThreadedBest;
    rows.push([`  same, ${w} (${b.name})`, rate(spans, r.ms), r.cpu]);
  }
  const capacityRows = CAPACITY_SENDERS.map((n, k) => ({ n, r: fastestOf(capacity[k]) }));
  for (const { n, r } of capacityRows) {
    rows.push([`capacity: apart, server defaults, ${n} senders`, rate(spans, r.ms), r.cpu]);
  }
  // CPU time is what a loaded machine distorts least: wall-clock rates swing with other load.
  console.log(
    '\n                                        spans/s (wall)  server is   CPU µs/span  server is',
  );
  for (const [name, r, c] of rows) {
    console.log(
      `${name.padEnd(42)} ${fmt(r).padStart(10)}   ${(ingest / r).toFixed(2).padStart(6)}x   ${(c / spans).toFixed(2).padStart(9)}   ${(ingestCpu / c).toFixed(2).padStart(6)}x`,
    );
  }
  console.log(
    `senders in another process: server main thread ${(apart.main / spans).toFixed(1)} µs/span, ` +
      `${(apartThreaded.main / spans).toFixed(1)} with ${w}` +
      (baseline ? ` (baseline ${(builds[0].apartThreadedBest.main / spans).toFixed(1)})` : ''),
  );
  console.log(
    `main thread CPU per span: ${(now.serverBest.main / spans).toFixed(1)} µs decoding there, ` +
      `${(threaded.main / spans).toFixed(1)} µs with ${WORKERS} ingest worker${WORKERS === 1 ? '' : 's'} ` +
      `(the ceiling on a machine with cores to spare: ${fmt(Math.round(1e6 / (threaded.main / spans)))} spans/s)`,
  );
  console.log(
    `server CPU per span ${(ingestCpu / spans).toFixed(1)} µs (process total, in-process HTTP clients included): ` +
      `${fmt(Math.round(1e6 / (ingestCpu / spans)))} spans per CPU-second`,
  );
  for (const b of builds) {
    const s = b.serverBest;
    console.log(
      `${b.name}: store alone ${(b.storeBest.bytes / spans).toFixed(1)} B/span (file, after checkpoint); ` +
        `server ${(s.stats.bytesOnDisk / s.stats.spansTotal).toFixed(1)} B/span file, ` +
        `${(s.usedBytes / s.stats.spansTotal).toFixed(1)} B/span in blocks in use; ` +
        `${s.commits} commits for ${bodies.length} requests; ack latency p50 ${s.p50.toFixed(1)} ms, p99 ${s.p99.toFixed(1)} ms`,
    );
  }
  console.log(
    `\nbytes on disk (now): file ${fmt(stats.bytesOnDisk)} for ${fmt(stats.spansTotal)} spans = ${(stats.bytesOnDisk / stats.spansTotal).toFixed(1)} B/span; ` +
      `blocks in use ${fmt(usedBytes)} = ${(usedBytes / stats.spansTotal).toFixed(1)} B/span (goal ≤ 40; includes trace/request indexes); ` +
      `${commits} commits (${(bodies.length / Math.max(commits, 1)).toFixed(1)} requests per commit)`,
  );
  console.log(
    `bytes on disk at ${fmt(scale.spans)} spans (server defaults): blocks in use ${(scale.usedBytes / scale.spans).toFixed(1)} B/span ` +
      `(goal ≤ 40; the ${fmt(spans)}-span rows above add this size's fixed overhead), file ${(scale.fileBytes / scale.spans).toFixed(1)} B/span`,
  );
  console.log(
    `capacity (senders apart, server defaults): ${capacityRows
      .map(({ n, r }) => `${n} senders ack p50 ${r.p50.toFixed(0)} ms, p99 ${r.p99.toFixed(0)} ms`)
      .join('; ')}`,
  );
  console.log(
    `machine load average during the run: ${loadavg()
      .map((l) => l.toFixed(1))
      .join(' ')} on ${cpus().length} cores`,
  );
  const fastest = Math.max(
    ...[now.serverBest, threaded, apart, apartThreaded, ...capacityRows.map((c) => c.r)].map((r) =>
      rate(spans, r.ms),
    ),
  );
  console.log(
    `goal ≥ 100,000 spans/s acknowledged: ${fastest >= 100_000 ? 'met' : 'NOT met'} (${fmt(fastest)})`,
  );
}

/**
 * Blocks in use and file bytes per span once a server with its defaults holds `total` spans:
 * segments of the bench's traffic, each an hour of distinct traces after the one before,
 * generated and sent one at a time to keep memory bounded.
 */
async function bytesAtScale({ server: { startServer } }, proto, total, perBatch, senders) {
  const dataDir = mkdtempSync(join(tmpdir(), 'hopscope-bench-scale-'));
  const server = await startServer({ port: 0, grpcPort: false, dataDir });
  const segment = 512 * 600;
  const hourMs = 3_600_000;
  let sent = 0;
  for (let k = 0; sent < total; k++) {
    const n = Math.min(segment, total - sent);
    const endMs = Date.now() - (Math.ceil(total / segment) - 1 - k) * hourMs;
    const bodies = traceBatches({ spans: n, perBatch, seed: 1000 + k, endMs, seconds: 3600 }).map(
      (b) => proto.ExportTraceServiceRequest.encode(b).finish(),
    );
    const { failed } = await sendAll(`${server.url}/v1/traces`, bodies, senders);
    if (failed > 0) console.log(`!! ${failed} batches were not acknowledged with 200`);
    sent += n;
  }
  const { stats, usedBytes } = await closeAndMeasure(server, dataDir);
  return { spans: stats.spansTotal, usedBytes, fileBytes: stats.bytesOnDisk };
}

/**
 * A bench server's store after a checkpoint (stats, and bytes in blocks in use), then the server
 * closed and its data dir removed.
 */
async function closeAndMeasure(server, dataDir) {
  await server.store.checkpoint();
  const stats = await server.store.stats();
  const conn = await server.store.connect();
  const [usedBytes] = (
    await conn.runAndReadAll('SELECT used_blocks * block_size FROM pragma_database_size()')
  ).getRows()[0];
  conn.closeSync();
  await server.close();
  rmSync(dataDir, { recursive: true, force: true });
  return { stats, usedBytes: Number(usedBytes) };
}

if (import.meta.url === pathToFileURL(process.argv[1]).href) {
  await serverBench(process.argv.slice(2));
}
