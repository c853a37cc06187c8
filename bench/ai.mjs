// `npm run bench -- ai [--spans=N] [--rounds=R]`: what AI normalisation and pricing add to ingest.
// The same 512-span protobuf batches of synthetic agent traffic (bench/_gen.mjs: HTTP, DB and
// GenAI spans) are decoded into SpanRecords by the server's decoder; the AI stage
// (normaliseBatch: dialect detection, tokens, price-table lookup) then runs over those records.
// Printed as the AI stage's time against decoding alone, measured in the same run, rounds
// alternating. Needs `npm run build`.
import { existsSync } from 'node:fs';
import { loadavg } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { intArg as arg } from './_args.mjs';
import { traceBatches } from './_gen.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const dist = join(here, '..', 'packages', 'server', 'dist');
const load = (p) => import(pathToFileURL(join(dist, p)).href);

export default async function aiBench(argv = []) {
  if (!existsSync(join(dist, 'pipeline', 'ai', 'index.js'))) {
    console.error('bench ai: packages/server/dist is missing; run `npm run build` first');
    process.exit(2);
  }
  const SPANS = arg(argv, 'spans', 512 * 200);
  const ROUNDS = arg(argv, 'rounds', 5);
  const proto = await load('ingest/otlp/proto.js');
  const { decodeTraceRequest } = await load('ingest/otlp/decode-proto.js');
  const { Sanitizer } = await load('ingest/sanitize.js');
  const { DEFAULT_LIMITS, DEFAULT_REDACTION } = await load('config.js');
  const { loadPriceTable, normaliseBatch } = await load('pipeline/ai/index.js');
  const prices = loadPriceTable();

  const T = proto.ExportTraceServiceRequest;
  const bodies = traceBatches({ spans: SPANS, perBatch: 512 }).map((b) =>
    Buffer.from(T.encode(b).finish()),
  );
  const decode = () =>
    bodies.map((b) => decodeTraceRequest(b, new Sanitizer(DEFAULT_LIMITS, DEFAULT_REDACTION)));
  const spansOf = (converted) => converted.records;
  const first = decode();
  const total = first.reduce((n, b) => n + spansOf(b).length, 0);
  const llm = first.reduce((n, b) => {
    normaliseBatch({ spans: spansOf(b), logs: [] }, prices);
    return n + spansOf(b).filter((s) => s.ai?.kind === 'llm').length;
  }, 0);

  let bestDecode = Number.POSITIVE_INFINITY;
  let bestAi = Number.POSITIVE_INFINITY;
  for (let r = 0; r < ROUNDS; r++) {
    let t = performance.now();
    const decoded = decode();
    bestDecode = Math.min(bestDecode, performance.now() - t);
    t = performance.now();
    for (const b of decoded) normaliseBatch({ spans: spansOf(b), logs: [] }, prices);
    bestAi = Math.min(bestAi, performance.now() - t);
  }
  const us = (ms) => ((ms * 1000) / total).toFixed(2);
  console.log(
    `spans: ${total.toLocaleString('en-US')} (${llm.toLocaleString('en-US')} LLM calls priced), best of ${ROUNDS} rounds, load ${loadavg()[0].toFixed(1)}`,
  );
  console.log(`protobuf decode → SpanRecords   ${us(bestDecode)} µs/span`);
  console.log(
    `AI normalisation + pricing      ${us(bestAi)} µs/span  (${(bestAi / bestDecode).toFixed(2)}× decode)`,
  );
}
