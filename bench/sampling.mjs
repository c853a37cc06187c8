// `npm run bench -- sampling [--spans=N]`: what tail sampling costs and saves. Measured in one
// run, side by side: the TailSampler alone (hold + decide, no I/O) against DuckDbStore.write of
// the same spans; then the real server (HTTP protobuf → ack) with sampling off against sampling
// on (keep errors, then 10%), CPU counted until every kept span is committed (flush after the
// acks). Needs `npm run build`.
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { spanRecords, traceBatches } from './_gen.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const dist = join(here, '..', 'packages', 'server', 'dist');
const load = (p) => import(pathToFileURL(join(dist, p)).href);
const fmt = (n) => Math.round(n).toLocaleString('en-US');
const cpu = () => {
  const u = process.cpuUsage();
  return u.user + u.system;
};

function spansArg(argv, fallback) {
  const a = argv.find((x) => x.startsWith('--spans='));
  if (!a) return fallback;
  const n = Number(a.slice(8).replace(/_/g, ''));
  if (!Number.isInteger(n) || n <= 0) {
    console.error(`--spans: expected a positive integer, got ${a.slice(8)}`);
    process.exit(2);
  }
  return n;
}

const POLICIES = [
  { type: 'errors', name: 'errors' },
  { type: 'probabilistic', name: 'ten-percent', percent: 10 },
];

export default async function samplingBench(argv = []) {
  if (!existsSync(join(dist, 'pipeline', 'sampling', 'index.js'))) {
    console.error('bench sampling: packages/server/dist is missing; run `npm run build` first');
    process.exit(2);
  }
  const SPANS = spansArg(argv, 512 * 200);
  const PER_BATCH = 512;
  const SENDERS = 8;
  const { startServer, DuckDbStore } = await load('index.js');
  const { TailSampler, parseSamplingConfig } = await load('pipeline/sampling/index.js');
  const proto = await load('ingest/otlp/proto.js');
  const records = [...spanRecords({ spans: SPANS })];
  const batches = [];
  for (let i = 0; i < records.length; i += PER_BATCH) {
    batches.push({ spans: records.slice(i, i + PER_BATCH), logs: [] });
  }
  const bodies = traceBatches({ spans: SPANS, perBatch: PER_BATCH }).map((b) =>
    proto.ExportTraceServiceRequest.encode(b).finish(),
  );
  const spans = records.length;
  console.log(`${fmt(spans)} spans (8-span agent traces), batches of ${PER_BATCH}`);

  // 1. The sampler alone: hold every span, then decide every trace.
  const config = parseSamplingConfig({ policies: POLICIES });
  let t = performance.now();
  let c = cpu();
  const sampler = new TailSampler(config);
  let kept = 0;
  for (const b of batches) kept += sampler.offer(b, 0).spans.length;
  kept += sampler.due(Number.MAX_SAFE_INTEGER).spans.length;
  const samplerMs = performance.now() - t;
  const samplerCpu = cpu() - c;

  // 2. The store alone, every span (what sampling saves work from).
  const storeDir = mkdtempSync(join(tmpdir(), 'hopscope-bench-sampling-store-'));
  const store = new DuckDbStore({ dataDir: storeDir });
  await store.open();
  let k = 0;
  const writer = async () => {
    while (k < batches.length) await store.write(batches[k++]);
  };
  t = performance.now();
  c = cpu();
  await Promise.all(Array.from({ length: SENDERS }, writer));
  const storeMs = performance.now() - t;
  const storeCpu = cpu() - c;
  await store.close();
  rmSync(storeDir, { recursive: true, force: true });

  // 3. The server, sampling off and on: acks, then (on) flush so kept spans are committed.
  async function serverRun(sampling) {
    const dataDir = mkdtempSync(join(tmpdir(), 'hopscope-bench-sampling-server-'));
    const server = await startServer({ port: 0, grpcPort: false, dataDir, sampling });
    const url = `${server.url}/v1/traces`;
    let next = 0;
    let failed = 0;
    const sender = async () => {
      while (next < bodies.length) {
        const res = await fetch(url, {
          method: 'POST',
          headers: { 'content-type': 'application/x-protobuf' },
          body: bodies[next++],
        });
        await res.arrayBuffer();
        if (res.status !== 200) failed++;
      }
    };
    const t0 = performance.now();
    const c0 = cpu();
    await Promise.all(Array.from({ length: SENDERS }, sender));
    const ackMs = performance.now() - t0;
    await server.sampling?.flush();
    const doneMs = performance.now() - t0;
    const doneCpu = cpu() - c0;
    const stored = (await server.store.stats()).spansTotal;
    await server.close();
    rmSync(dataDir, { recursive: true, force: true });
    if (failed > 0) console.log(`!! ${failed} batches were not acknowledged with 200`);
    return { ackMs, doneMs, doneCpu, stored };
  }
  const off = await serverRun(undefined);
  const on = await serverRun({ policies: POLICIES });

  console.log(
    `\nsampler alone: ${fmt((spans / samplerMs) * 1000)} spans/s, ${(samplerCpu / spans).toFixed(2)} CPU µs/span, kept ${fmt(kept)} (${((kept / spans) * 100).toFixed(1)}%)`,
  );
  console.log(
    `store.write alone, every span: ${fmt((spans / storeMs) * 1000)} spans/s, ${(storeCpu / spans).toFixed(2)} CPU µs/span` +
      ` → the sampler costs ${((samplerCpu / storeCpu) * 100).toFixed(1)}% of storing (store ÷ sampler = ${(storeCpu / samplerCpu).toFixed(1)}x)`,
  );
  console.log(
    '\nserver (8 senders)          acks spans/s   all durable spans/s   CPU µs/span   stored',
  );
  for (const [name, r] of [
    ['sampling off', off],
    ['errors + 10%', on],
  ]) {
    console.log(
      `${name.padEnd(26)} ${fmt((spans / r.ackMs) * 1000).padStart(13)}   ${fmt((spans / r.doneMs) * 1000).padStart(19)}   ${(r.doneCpu / spans).toFixed(2).padStart(11)}   ${fmt(r.stored).padStart(7)}`,
    );
  }
  console.log(
    `sampling on ÷ off: CPU per span ${(on.doneCpu / off.doneCpu).toFixed(2)}x, ack rate ${(off.ackMs / on.ackMs).toFixed(2)}x, spans stored ${(on.stored / off.stored).toFixed(3)}x`,
  );
}
