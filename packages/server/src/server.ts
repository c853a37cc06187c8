import { readFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { availableParallelism } from 'node:os';
import { serve } from '@hono/node-server';
import { Hono } from 'hono';
import {
  AlertEvaluator,
  AlertMetrics,
  type AlertRulesInput,
  loadAlertRules,
  parseAlertRules,
} from './alerts/index.js';
import { createApi } from './api/index.js';
import {
  DEFAULT_LIMITS,
  DEFAULT_QUEUE,
  DEFAULT_REDACTION,
  type IngestLimits,
  type QueueOptions,
  type RedactionOptions,
} from './config.js';
import { type GrpcHandle, startGrpc } from './ingest/grpc.js';
import { createIngestApp } from './ingest/http.js';
import { Sanitizer } from './ingest/sanitize.js';
import { IngestWorkers } from './ingest/workers/pool.js';
import { loadPriceTable, withAiNormalisation } from './pipeline/ai/index.js';
import { IngestQueue } from './pipeline/ingest-queue.js';
import {
  arrivedFromPeer,
  FORWARDED_HEADER,
  type ForwarderOptions,
  normalisePeerUrl,
  PeerForwarder,
  PeerRouting,
  registerPeerMetrics,
  withPeerRouting,
} from './pipeline/peers/index.js';
import {
  loadSamplingConfig,
  parseSamplingConfig,
  registerSamplingMetrics,
  type SamplingConfig,
  type SamplingConfigInput,
  SamplingStage,
  withTailSampling,
} from './pipeline/sampling/index.js';
import { SelfMetrics } from './self-metrics.js';
import { DuckDbStore, isOlderFormat } from './store/duckdb/store.js';
import { createStore } from './store/open-store.js';
import type { RetentionPolicy, Store } from './store/store.js';
import { createUiApp } from './ui/index.js';

/** This package's version, reported by /api/health (src/ and dist/ both sit one level down). */
const SERVER_VERSION: string = JSON.parse(
  readFileSync(new URL('../package.json', import.meta.url), 'utf8'),
).version;

export interface ServerOptions {
  /** Default 127.0.0.1: nothing is exposed beyond the machine unless asked. */
  host?: string;
  /** OTLP/HTTP, API and UI; default 4318, 0 picks a free port. */
  port?: number;
  /** OTLP/gRPC; default 4317, 0 picks a free port, false turns it off. */
  grpcPort?: number | false;
  /** Folder of the DuckDB file; default ./hopscope-data. Ignored when `store` is given. */
  dataDir?: string;
  /** A store already constructed (not yet opened). */
  store?: Store;
  /** `duckdb` (default) or `clickhouse://…` (src/store/open-store.ts); ignored when `store` is given. */
  storeUrl?: string;
  retention?: RetentionPolicy;
  /** How often retention runs; default one minute. */
  retentionIntervalMs?: number;
  ingestToken?: string;
  queryToken?: string;
  limits?: Partial<IngestLimits>;
  redaction?: Partial<RedactionOptions>;
  queue?: Partial<QueueOptions>;
  /** A JSON price file whose entries override the shipped AI price table (src/pipeline/ai). */
  pricesFile?: string;
  /** Tail sampling (src/pipeline/sampling); off when neither this nor `samplingFile` is given. */
  sampling?: SamplingConfigInput;
  /** A YAML or JSON file holding the tail-sampling configuration. */
  samplingFile?: string;
  /** Alert rules (src/alerts); off when neither this nor `alertsFile` is given. */
  alerts?: AlertRulesInput;
  /** A YAML or JSON alert rules file (`hopscope serve --alerts FILE`). */
  alertsFile?: string;
  /**
   * Trace-ID affinity (src/pipeline/peers): every collector's URL, the same list on each. Spans
   * and trace-bound log records are forwarded to the collector owning their trace. An empty
   * list turns the stage on with no peers (membership set later with `peers.setPeers`).
   */
  peers?: string[];
  /** This collector's URL as `peers` spells it; default `http://host:port` once listening. */
  self?: string;
  /** Retries, timeouts and the bound of the forwarder. */
  peerForwarding?: Omit<ForwarderOptions, 'ingestToken'>;
  /**
   * Threads that decode OTLP trace exports and encode them for the DuckDB store (src/ingest/
   * workers); 0 decodes on the main thread. Default: env HOPSCOPE_INGEST_WORKERS, else 1 on a
   * machine of four or more cores (on two, the thread competes with DuckDB's for the second
   * core: bench/RESULTS.md). Used only with the DuckDB store, with neither tail sampling
   * nor peers (those stages need the decoded spans on the main thread).
   */
  ingestWorkers?: number;
  /**
   * Threads DuckDB runs its queries and commits on. Default: env HOPSCOPE_DUCKDB_THREADS, else
   * the machine's cores less one for the main thread and one per ingest worker, at least 1.
   * DuckDB's own default (every core) competes with those threads: on a 2-core VM, 1 thread
   * took 1.5–2 µs of CPU off each ingested span, with or without a worker, while lookups,
   * searches and stats at 10M spans kept their times (bench/RESULTS.md, 2026-11-24 03:45).
   */
  duckdbThreads?: number;
}

export interface ServerHandle {
  host: string;
  port: number;
  /** Undefined when gRPC is off. */
  grpcPort?: number;
  /** `http://host:port`. */
  url: string;
  store: Store;
  metrics: SelfMetrics;
  queue: IngestQueue;
  /** The tail-sampling stage when sampling is on. */
  sampling?: SamplingStage;
  /** The alert evaluator when alert rules were given. */
  alerts?: AlertEvaluator;
  /** Trace-ID affinity routing, when `peers` was given. */
  peers?: PeerRouting;
  /** Stops accepting, lets admitted requests commit, flushes the store and closes it. */
  close(): Promise<void>;
}

/** Starts the collector: OTLP/HTTP + NDJSON ingest + API on `port`, OTLP/gRPC on `grpcPort`. */
export async function startServer(options: ServerOptions = {}): Promise<ServerHandle> {
  const host = options.host ?? '127.0.0.1';
  const limits: IngestLimits = { ...DEFAULT_LIMITS, ...options.limits };
  const redaction: RedactionOptions = { ...DEFAULT_REDACTION, ...options.redaction };
  const prices = loadPriceTable(options.pricesFile); // a bad file fails before the store opens
  const samplingConfig = resolveSampling(options); // likewise
  const alertRules = resolveAlerts(options); // likewise
  const ingestWorkers = ingestThreads(options); // likewise
  const peerUrls = options.peers?.map(normalisePeerUrl); // likewise
  // Tail sampling and peer routing need decoded SpanRecords on the main thread; otherwise trace
  // exports go straight into the DuckDB store's columns, on the ingest workers if any.
  const recordsNeeded = samplingConfig !== undefined || peerUrls !== undefined;
  const duckdbThreads = duckdbThreadCount(options, recordsNeeded ? 0 : ingestWorkers); // likewise
  const dataDir = options.dataDir ?? './hopscope-data';
  if (options.self !== undefined) normalisePeerUrl(options.self);
  const metrics = new SelfMetrics();
  const store =
    options.store ??
    createStore({
      store: options.storeUrl,
      dataDir,
      duckdbThreads,
      onCommit: () => metrics.commits.inc(),
      onUncommitted: (n) => metrics.uncommitted.set(n),
    });
  await store.open();
  if (store instanceof DuckDbStore && isOlderFormat(store.format)) {
    console.error(
      `hopscope: ${dataDir} holds a DuckDB file in the older storage format ${store.format}, ~13% larger than a new data dir's; with the server stopped, \`hopscope compact --data ${dataDir}\` rewrites it once`,
    );
  }
  const queueOptions: QueueOptions = { ...DEFAULT_QUEUE, ...options.queue };
  const sink = withAiNormalisation(store, prices);
  const sampling = samplingConfig && new SamplingStage(sink, samplingConfig);
  if (sampling) registerSamplingMetrics(metrics.registry, sampling);
  const sampled = sampling ? withTailSampling(sink, sampling) : sink;
  const routing =
    peerUrls &&
    new PeerRouting(
      new PeerForwarder({ ...options.peerForwarding, ingestToken: options.ingestToken }),
    );
  if (routing) registerPeerMetrics(metrics.registry, routing);
  const queue = new IngestQueue(
    routing ? withPeerRouting(sampled, routing) : sampled,
    queueOptions,
    (d) => metrics.queueDepth.set(d),
  );
  const direct = store.kind === 'duckdb' && !recordsNeeded;
  const threads = direct ? ingestWorkers : 0;
  const workers =
    threads > 0
      ? new IngestWorkers(threads, { limits, redaction, prices: prices.files })
      : undefined;
  const ctx = {
    queue,
    metrics,
    limits,
    newSanitizer: () => new Sanitizer(limits, redaction),
    workers,
    // Without workers, protobuf trace exports still skip SpanRecords when no stage needs them.
    directRows: direct ? prices : undefined,
  };

  let publicUrl = ''; // known once listening; alert links use it unless the rules set public_url
  let alerts: AlertEvaluator | undefined;
  try {
    alerts = alertRules && newAlertEvaluator(alertRules, store, metrics, () => publicUrl);
  } catch (err) {
    await workers?.close();
    await store.close();
    throw err;
  }

  const app = new Hono();
  if (routing) {
    // Records a peer forwarded stay here: never forwarded twice, even if the rings disagree.
    app.use('/v1/*', (c, next) =>
      c.req.header(FORWARDED_HEADER) ? arrivedFromPeer.run(true, next) : next(),
    );
  }
  app.route(
    '/',
    createIngestApp(ctx, {
      maxBodyBytes: limits.maxBodyBytes,
      maxInflightBodyBytes: limits.maxInflightBodyBytes,
      retryAfterSeconds: queueOptions.retryAfterSeconds,
      ingestToken: options.ingestToken,
    }),
  );
  app.route('/', createUiApp()); // before the API so its auth does not guard the UI's own assets
  app.route(
    '/',
    createApi({
      reader: store.reader,
      queryToken: options.queryToken,
      storeKind: store.kind,
      version: SERVER_VERSION,
      metricsText: () => metrics.registry.metrics(),
      alerts,
      ingestStatus: async () => {
        const dropped = await droppedCounts(metrics);
        return {
          queueDepth: queue.depth,
          queueCapacity: queueOptions.maxPendingRecords,
          droppedSpans: dropped.spans,
          droppedLogs: dropped.logs,
          storeBytes: (await store.stats()).bytesOnDisk,
          ...(sampling && { sampling: sampling.status() }),
          ...(routing && { peers: routing.status() }),
        };
      },
    }),
  );

  let grpcHandle: GrpcHandle | undefined;
  const http = await new Promise<ReturnType<typeof serve>>((resolve, reject) => {
    const server = serve({ fetch: app.fetch, port: options.port ?? 4318, hostname: host }, () =>
      resolve(server),
    );
    server.once('error', reject);
  });
  const port = (http.address() as AddressInfo).port;
  if (routing && peerUrls) {
    try {
      const self = `http://${host.includes(':') ? `[${host}]` : host}:${port}`;
      routing.setPeers(peerUrls, options.self ?? self);
    } catch (err) {
      http.close();
      await store.close();
      throw err;
    }
  }
  try {
    if (options.grpcPort !== false) {
      grpcHandle = await startGrpc(ctx, {
        host,
        port: options.grpcPort ?? 4317,
        maxBodyBytes: limits.maxBodyBytes,
        ingestToken: options.ingestToken,
      });
    }
  } catch (err) {
    http.close();
    await sampling?.flush();
    await workers?.close();
    await store.close();
    throw err;
  }

  const retention = options.retention;
  let retentionTimer: NodeJS.Timeout | undefined;
  if (retention && (retention.maxAgeMs !== undefined || retention.maxBytes !== undefined)) {
    const run = () => {
      store.enforceRetention(retention).then(
        (r) => {
          if (r.spansDeleted) metrics.retentionDeleted.inc({ signal: 'spans' }, r.spansDeleted);
          if (r.logsDeleted) metrics.retentionDeleted.inc({ signal: 'logs' }, r.logsDeleted);
        },
        (err: unknown) => process.emitWarning(`hopscope retention failed: ${String(err)}`),
      );
    };
    retentionTimer = setInterval(run, options.retentionIntervalMs ?? 60_000);
    retentionTimer.unref();
    setImmediate(run);
  }

  let closing: Promise<void> | undefined;
  const urlHost = host.includes(':') ? `[${host}]` : host;
  publicUrl = `http://${urlHost}:${port}`;
  alerts?.start();
  return {
    host,
    port,
    grpcPort: grpcHandle?.port,
    url: `http://${urlHost}:${port}`,
    store,
    metrics,
    queue,
    sampling,
    alerts,
    peers: routing,
    close() {
      closing ??= (async () => {
        if (retentionTimer) clearInterval(retentionTimer);
        await alerts?.stop();
        const httpClosed = new Promise<void>((resolve) => http.close(() => resolve()));
        if ('closeIdleConnections' in http) http.closeIdleConnections();
        await Promise.all([httpClosed, grpcHandle?.close()]);
        queue.close();
        await sampling?.flush(); // decides every pending trace and writes the kept ones
        await workers?.close();
        await store.close();
      })();
      return closing;
    },
  };
}

/** Ingest worker threads a server takes at most. */
export const MAX_INGEST_WORKERS = 64;

/** Whether `n` is an ingest worker count a server takes (0 = decode on the main thread). */
export function isIngestWorkerCount(n: number): boolean {
  return Number.isInteger(n) && n >= 0 && n <= MAX_INGEST_WORKERS;
}

function ingestThreads(options: ServerOptions): number {
  return countOption({
    what: 'ingest workers',
    given: options.ingestWorkers,
    option: 'ingestWorkers',
    env: 'HOPSCOPE_INGEST_WORKERS',
    fallback: () => (availableParallelism() >= 4 ? 1 : 0),
    min: 0,
    max: MAX_INGEST_WORKERS,
    valid: isIngestWorkerCount,
  });
}

/** A thread count: the option, else its environment variable, else the fallback. */
interface CountOption {
  what: string;
  given: number | undefined;
  option: string;
  env: string;
  fallback: () => number;
  min: number;
  max: number;
  valid: (n: number) => boolean;
}

/** Resolves a CountOption, refusing a value `valid` rejects with its range and both sources. */
function countOption(c: CountOption): number {
  const env = process.env[c.env];
  const n = c.given ?? (env !== undefined && env !== '' ? Number(env) : c.fallback());
  if (!c.valid(n)) {
    throw new Error(
      `${c.what}: a whole number from ${c.min} to ${c.max} (${c.env} or ${c.option}), got ${c.given ?? JSON.stringify(env)}`,
    );
  }
  return n;
}

/** DuckDB threads a server takes at most. */
export const MAX_DUCKDB_THREADS = 256;

export function isDuckDbThreadCount(n: number): boolean {
  return Number.isInteger(n) && n >= 1 && n <= MAX_DUCKDB_THREADS;
}

function duckdbThreadCount(options: ServerOptions, ingestWorkers: number): number {
  return countOption({
    what: 'DuckDB threads',
    given: options.duckdbThreads,
    option: 'duckdbThreads',
    env: 'HOPSCOPE_DUCKDB_THREADS',
    fallback: () => Math.max(1, availableParallelism() - 1 - ingestWorkers),
    min: 1,
    max: MAX_DUCKDB_THREADS,
    valid: isDuckDbThreadCount,
  });
}

function resolveSampling(options: ServerOptions): SamplingConfig | undefined {
  if (options.sampling && options.samplingFile) {
    throw new Error('give sampling or samplingFile, not both');
  }
  if (options.samplingFile) return loadSamplingConfig(options.samplingFile);
  if (options.sampling) return parseSamplingConfig(options.sampling);
  return undefined;
}

function resolveAlerts(options: ServerOptions) {
  if (options.alerts && options.alertsFile) throw new Error('give alerts or alertsFile, not both');
  if (options.alertsFile) return loadAlertRules(options.alertsFile);
  if (options.alerts) return parseAlertRules(options.alerts);
  return undefined;
}

function newAlertEvaluator(
  rules: ReturnType<typeof parseAlertRules>,
  store: Store,
  metrics: SelfMetrics,
  publicUrl: () => string,
): AlertEvaluator {
  const r = store.reader;
  if (!r.alertWindowStats || !r.alertExamples || !r.lastSeenNs) {
    throw new Error(`alert rules: the ${store.kind} store cannot evaluate alerts`);
  }
  const reader = {
    alertWindowStats: r.alertWindowStats.bind(r),
    alertExamples: r.alertExamples.bind(r),
    lastSeenNs: r.lastSeenNs.bind(r),
  };
  return new AlertEvaluator(rules, reader, {
    publicUrl,
    metrics: new AlertMetrics(metrics.registry),
  });
}

/** Spans and log records refused for any reason since start, from the rejected counter. */
async function droppedCounts(metrics: SelfMetrics): Promise<{ spans: number; logs: number }> {
  const out = { spans: 0, logs: 0 };
  for (const v of (await metrics.rejected.get()).values) {
    if (v.labels.signal === 'traces') out.spans += v.value;
    else if (v.labels.signal === 'logs') out.logs += v.value;
  }
  return out;
}
