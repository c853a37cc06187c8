// `npm run bench -- hops [--messages=N] [--rounds=N]`: what Hopscope's NATS helpers cost per
// message, publish → subscribe through a real nats-server (Debian's, started here on a free
// loopback port), against (a) bare nats.js with no tracing and (b) what a user would write by hand
// with OpenTelemetry: the official W3C propagator into NATS headers, a PRODUCER and a CONSUMER
// span from the same tracer. All three run in one process with the same tracer provider (a batch
// processor whose exporter drops spans), alternating, best of N rounds. Reports messages/s,
// ratios, and header bytes per message. Needs a build (`npm run build`): imports packages/sdk/dist.
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer, connect as tcp } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { intArg as arg } from './_args.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const dist = join(here, '..', 'packages', 'sdk', 'dist');

const freePort = () =>
  new Promise((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });

async function startNats() {
  const bin = ['/usr/sbin/nats-server', '/usr/bin/nats-server'].find(existsSync);
  if (!bin) throw new Error('nats-server not found: apt-get install -y nats-server');
  const dir = mkdtempSync(join(tmpdir(), 'hopscope-bench-nats-'));
  const port = await freePort();
  const proc = spawn(bin, ['-a', '127.0.0.1', '-p', String(port), '-sd', dir], { stdio: 'ignore' });
  for (let i = 0; i < 100; i++) {
    const ok = await new Promise((r) => {
      const s = tcp({ host: '127.0.0.1', port }, () => r(s.end() && true)).on('error', () =>
        r(false),
      );
    });
    if (ok) break;
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    url: `127.0.0.1:${port}`,
    stop: () => {
      proc.kill('SIGTERM');
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export default async function run(argv = []) {
  if (!existsSync(join(dist, 'messaging', 'nats', 'index.js'))) {
    console.error('bench hops: build first (npm run build)');
    process.exit(2);
  }
  const messages = arg(argv, 'messages', 20_000);
  const rounds = arg(argv, 'rounds', 3);
  const api = await import('@opentelemetry/api');
  const { W3CTraceContextPropagator } = await import('@opentelemetry/core');
  const { BasicTracerProvider, BatchSpanProcessor } = await import('@opentelemetry/sdk-trace-base');
  const { connect, headers: natsHeaders } = await import('@nats-io/transport-node');
  const hopscope = await import(pathToFileURL(join(dist, 'index.js')).href);
  const hopNats = await import(pathToFileURL(join(dist, 'messaging', 'nats', 'index.js')).href);

  let exported = 0;
  const provider = new BasicTracerProvider({
    spanProcessors: [
      new BatchSpanProcessor(
        {
          export: (spans, done) => {
            exported += spans.length;
            done({ code: 0 });
          },
          shutdown: async () => {},
        },
        { maxQueueSize: 100_000, maxExportBatchSize: 2048, scheduledDelayMillis: 100 },
      ),
    ],
  });
  const tracer = provider.getTracer('bench');
  hopscope.ensureContextManager();
  const w3c = new W3CTraceContextPropagator();
  const setter = { set: (h, k, v) => h.set(k, v) };
  const getter = { get: (h, k) => h?.get(k) || undefined, keys: (h) => h?.keys() ?? [] };

  const broker = await startNats();
  const nc = await connect({ servers: broker.url });
  const body = JSON.stringify({ device_id: 'dev-1', latitude: 40.7128, longitude: -74.006 });
  const headerBytes = {};

  const modes = {
    'nats.js, no tracing': {
      subscribe: (subject, onMsg) => nc.subscribe(subject, { callback: (_e, m) => onMsg(m) }),
      publish: (subject) => nc.publish(subject, body),
    },
    'hand-written OpenTelemetry (W3C propagator + 2 spans)': {
      subscribe: (subject, onMsg) =>
        nc.subscribe(subject, {
          callback: (_e, m) => {
            const parent = w3c.extract(api.ROOT_CONTEXT, m.headers, getter);
            const span = tracer.startSpan(
              `process ${subject}`,
              { kind: api.SpanKind.CONSUMER },
              parent,
            );
            api.context.with(api.trace.setSpan(parent, span), () => onMsg(m));
            span.end();
          },
        }),
      publish: (subject) => {
        const span = tracer.startSpan(`send ${subject}`, { kind: api.SpanKind.PRODUCER });
        const h = natsHeaders();
        w3c.inject(api.trace.setSpan(api.context.active(), span), h, setter);
        nc.publish(subject, body, { headers: h });
        span.end();
      },
    },
    'Hopscope hopscope/nats (request ID, chain, producer_service, semconv attributes)': {
      subscribe: (subject, onMsg) =>
        hopNats.subscribe(nc, subject, (m) => onMsg(m), {}, { service: 'worker', tracer }),
      publish: (subject) => hopNats.publish(nc, subject, body, {}, { service: 'gateway', tracer }),
    },
  };

  const best = {};
  let seq = 0;
  for (let round = 0; round < rounds; round++) {
    for (const [name, mode] of Object.entries(modes)) {
      const subject = `bench.${seq++}`;
      let received = 0;
      let size = 0;
      let resolve;
      const all = new Promise((r) => (resolve = r));
      const sub = mode.subscribe(subject, (m) => {
        if (received === 0 && m.headers) {
          for (const k of m.headers.keys()) size += k.length + m.headers.get(k).length + 4;
        }
        if (++received === messages) resolve();
      });
      await nc.flush();
      const start = process.hrtime.bigint();
      await api.context.with(
        hopscope.setRequestId(api.ROOT_CONTEXT, 'req_0123456789ab'),
        async () => {
          for (let i = 0; i < messages; i++) {
            mode.publish(subject);
            if (i % 1000 === 999) await nc.flush();
          }
          await nc.flush();
        },
      );
      await all;
      const secs = Number(process.hrtime.bigint() - start) / 1e9;
      sub.unsubscribe();
      best[name] = Math.max(best[name] ?? 0, messages / secs);
      headerBytes[name] = size;
      await provider.forceFlush();
    }
  }
  await nc.close();
  broker.stop();
  await provider.shutdown();

  const hop = best[Object.keys(modes)[2]];
  console.log(
    `${messages} messages × ${rounds} rounds (best), ${exported} spans exported and dropped`,
  );
  console.log('| mode | msgs/s | Hopscope is | header bytes/msg |');
  console.log('| --- | --- | --- | --- |');
  for (const name of Object.keys(modes)) {
    console.log(
      `| ${name} | ${Math.round(best[name]).toLocaleString('en')} | ${(hop / best[name]).toFixed(2)}× | ${headerBytes[name]} |`,
    );
  }
}

if (import.meta.url === pathToFileURL(process.argv[1]).href) await run(process.argv.slice(2));
