// `npm run bench -- logger [--lines=N] [--rounds=N]`: log lines per second of the Hopscope
// logger with full context (request_id, trace_id, span_id from an active span, a bound field,
// event, ISO timestamp) against bare pino writing the same fields minus the context, both to
// /dev/null through pino.destination({ sync: false }). Two more rows add OTLP log export to a
// local receiver, so its cost shows separately: Hopscope's line export (what `init()` installs:
// the finished line into a ring, records built, serialised, gzipped and sent per batch) and,
// for comparison, the official OpenTelemetry logs SDK path it replaced (a LogRecord per line
// through LoggerProvider + BatchLogRecordProcessor + OTLPLogExporter proto, same endpoint,
// delay, queue and gzip). Each shows lines/s on the logging call itself, and CPU per line
// including the export work that runs later off the call path. Lines are written in chunks of
// 10,000 with a flush between chunks (not timed), so the export queue never overflows. Needs a
// build (`npm run build`): it imports packages/sdk/dist.
import { existsSync } from 'node:fs';
import { createServer } from 'node:http';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { intArg as arg } from './_args.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const dist = join(here, '..', 'packages', 'sdk', 'dist');

const CHUNK = 10_000;

/**
 * Lines per second of `log(i)` over `lines` calls, timing only the calls, and CPU µs per line
 * including the flushes between chunks (where OTLP export work lands).
 */
async function measure(lines, log, flush, inRequest) {
  let ns = 0;
  const cpu = process.cpuUsage();
  for (let done = 0; done < lines; done += CHUNK) {
    const n = Math.min(CHUNK, lines - done);
    ns += inRequest(() => {
      const start = process.hrtime.bigint();
      for (let i = 0; i < n; i++) log(i);
      return Number(process.hrtime.bigint() - start);
    });
    await flush();
  }
  const used = process.cpuUsage(cpu);
  return { perSecond: lines / (ns / 1e9), cpuUsPerLine: (used.user + used.system) / lines };
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

export default async function bench(argv = process.argv.slice(2)) {
  if (!existsSync(join(dist, 'index.js'))) {
    console.error('bench logger: packages/sdk/dist is missing; run `npm run build` first');
    process.exit(2);
  }
  const lines = arg(argv, 'lines', 200_000);
  const rounds = arg(argv, 'rounds', 7);
  const sdk = await import(pathToFileURL(join(dist, 'index.js')).href);
  const { default: pino } = await import('pino');

  // a receiver for the OTLP row: accepts and discards, like a healthy collector
  const receiver = createServer((req, res) => {
    req.resume();
    req.on('end', () => res.end());
  });
  await new Promise((r) => receiver.listen(0, '127.0.0.1', r));
  const endpoint = `http://127.0.0.1:${receiver.address().port}`;

  const sink = () => pino.destination({ dest: '/dev/null', sync: false, minLength: 4096 });
  const bare = pino(
    { base: { service: 'bench' }, timestamp: pino.stdTimeFunctions.isoTime },
    sink(),
  ).child({ agent: 'planner' });
  const oursOtlp = sdk
    .createLogger({ service: 'bench', destination: sink() })
    .bind({ agent: 'planner' });

  const handle = sdk.init({
    service: 'bench',
    endpoint,
    exportDelayMs: 200,
    maxQueueSize: 65_536,
    logDestination: sink(),
  });
  // the sink init() installed (Hopscope's line export), and the official logs-SDK path
  const lineExport = sdk.getLogSink();
  // the lazily built official pipeline of the handle: the LoggerProvider + batch processor +
  // OTLPLogExporter (proto, gzip) with init()'s resource, endpoint and batching, as init() used
  // to feed it
  const officialProvider = handle.loggerProvider;
  const officialSink = sdk.createOtlpLogSink(officialProvider, '0.1.0', 65_536 + 512);
  // the plain Hopscope row writes no OTLP records: only the export rows do
  const plain = sdk.createLogger({
    service: 'bench',
    destination: sink(),
    exportToCollector: false,
  });
  const oursNoExport = plain.bind({ agent: 'planner' });

  const inRequest = (fn) =>
    sdk.runWithRequestId('req_0123456789ab', () => sdk.withSpan('bench_request', () => fn()));

  const contenders = {
    'bare pino': (i) =>
      bare.info(
        { event: 'request_completed', duration_ms: i, status_code: 200 },
        'request_completed',
      ),
    'hopscope (full context)': (i) =>
      oursNoExport.info('request_completed', { duration_ms: i, status_code: 200 }),
    'hopscope + OTLP (logs SDK)': (i) =>
      oursOtlp.info('request_completed', { duration_ms: i, status_code: 200 }),
    'hopscope + OTLP line export': (i) =>
      oursOtlp.info('request_completed', { duration_ms: i, status_code: 200 }),
  };
  // which log sink each row runs with (the logger has one global sink)
  const sinkOf = (name) => (name === 'hopscope + OTLP (logs SDK)' ? officialSink : lineExport);
  const results = Object.fromEntries(Object.keys(contenders).map((k) => [k, []]));
  const flush = () => handle.forceFlush();
  // warm up every path, then alternate contenders each round so drift hits all alike
  for (const [name, log] of Object.entries(contenders)) {
    sdk.setLogSink(sinkOf(name));
    await measure(20_000, log, flush, inRequest);
  }
  for (let r = 0; r < rounds; r++) {
    for (const [name, log] of Object.entries(contenders)) {
      sdk.setLogSink(sinkOf(name));
      results[name].push(await measure(lines, log, flush, inRequest));
    }
  }
  sdk.setLogSink(lineExport);
  await handle.shutdown();
  receiver.close();

  const base = median(results['bare pino'].map((x) => x.perSecond));
  const baseCpu = median(results['bare pino'].map((x) => x.cpuUsPerLine));
  console.log(
    `${lines} lines x ${rounds} rounds, medians, to /dev/null (pino.destination sync:false)`,
  );
  for (const [name, xs] of Object.entries(results)) {
    const m = median(xs.map((x) => x.perSecond));
    const cpu = median(xs.map((x) => x.cpuUsPerLine));
    console.log(
      `${name.padEnd(30)} ${Math.round(m).toLocaleString('en-US').padStart(10)} lines/s ${((m / base) * 100).toFixed(1).padStart(6)}% of bare pino | CPU ${cpu.toFixed(2)} µs/line incl. export (${(cpu / baseCpu).toFixed(2)}x)`,
    );
  }
  const { logs: dropped } = sdk.getDroppedCounts();
  const { logs: exported } = sdk.getExportedCounts();
  console.log(`OTLP log records exported (both paths): ${exported}, dropped: ${dropped}`);
  const cpu = (name) => median(results[name].map((x) => x.cpuUsPerLine));
  const rate = (name) => median(results[name].map((x) => x.perSecond));
  const official = 'hopscope + OTLP (logs SDK)';
  const ours = 'hopscope + OTLP line export';
  console.log(
    `line export vs logs SDK: ${(rate(ours) / rate(official)).toFixed(2)}x the lines/s, ${(cpu(ours) / cpu(official)).toFixed(2)}x the CPU per line; export CPU per line over the plain logger: ${(cpu(ours) - cpu('hopscope (full context)')).toFixed(2)} µs vs ${(cpu(official) - cpu('hopscope (full context)')).toFixed(2)} µs`,
  );
  return results;
}

if (import.meta.url === pathToFileURL(process.argv[1]).href) await bench();
