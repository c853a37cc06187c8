import {
  isDuckDbThreadCount,
  isIngestWorkerCount,
  MAX_DUCKDB_THREADS,
  MAX_INGEST_WORKERS,
  parseDuration,
  parseSize,
  type SamplingConfig,
  SamplingConfigError,
  type ServerHandle,
  samplingFromFlags,
  startServer,
} from '@hopscope/server';
import { type Command, InvalidArgumentError } from 'commander';
import type { CliContext } from '../context.js';
import { UsageError } from '../errors.js';
import { write } from '../io.js';

interface ServeFlags {
  host: string;
  port: number;
  grpcPort: number | false;
  data: string;
  store: string;
  retention: number;
  maxSize: number;
  ingestToken?: string;
  queryToken?: string;
  prices?: string;
  alerts?: string;
  sampling?: string;
  samplePercent?: number;
  sampleSlowerThan?: number;
  samplingWait?: number;
  peers?: string;
  self?: string;
  ingestWorkers?: number;
  duckdbThreads?: number;
}

/** What commander hands over: parsed values from flags, raw strings from env defaults. */
type RawFlags = {
  [K in keyof ServeFlags]: ServeFlags[K] | string;
};

/** A flag parser whose option may also hold its raw env default (a string). */
function orRaw<T>(parse: (v: string) => T): (v: string) => T | string {
  return (v) => parse(v);
}

/** Env defaults are not run through commander's parsers: parse them here, naming the variable. */
function resolveFlags(raw: RawFlags): ServeFlags {
  const fromEnv = <T>(value: T | string, name: string, parse: (v: string) => T): T => {
    if (typeof value !== 'string') return value;
    try {
      return parse(value);
    } catch (err) {
      throw new UsageError((err as Error).message.replace(/^--[\w-]+/, name));
    }
  };
  return {
    host: String(raw.host),
    port: fromEnv(raw.port, 'HOPSCOPE_PORT', port('--port', false)) as number,
    grpcPort: fromEnv(raw.grpcPort, 'HOPSCOPE_GRPC_PORT', port('--grpc-port', true)),
    data: String(raw.data),
    store: String(raw.store),
    retention: fromEnv(raw.retention, 'HOPSCOPE_RETENTION', parsed('--retention', parseDuration)),
    maxSize: fromEnv(raw.maxSize, 'HOPSCOPE_MAX_SIZE', parsed('--max-size', parseSize)),
    ingestToken: raw.ingestToken === undefined ? undefined : String(raw.ingestToken),
    queryToken: raw.queryToken === undefined ? undefined : String(raw.queryToken),
    prices: raw.prices === undefined ? undefined : String(raw.prices),
    alerts: raw.alerts === undefined ? undefined : String(raw.alerts),
    sampling: raw.sampling === undefined ? undefined : String(raw.sampling),
    // No env defaults: commander has already parsed these.
    samplePercent: raw.samplePercent as number | undefined,
    sampleSlowerThan: raw.sampleSlowerThan as number | undefined,
    samplingWait: raw.samplingWait as number | undefined,
    peers: raw.peers === undefined ? undefined : String(raw.peers),
    self: raw.self === undefined ? undefined : String(raw.self),
    ingestWorkers:
      raw.ingestWorkers === undefined
        ? undefined
        : fromEnv(raw.ingestWorkers, 'HOPSCOPE_INGEST_WORKERS', workerCount),
    duckdbThreads:
      raw.duckdbThreads === undefined
        ? undefined
        : fromEnv(raw.duckdbThreads, 'HOPSCOPE_DUCKDB_THREADS', duckdbThreadCount),
  };
}

/** A parser of a count flag: a whole number from `min` to `max`, as `valid` (the server's) says. */
function count(flag: string, min: number, max: number, valid: (n: number) => boolean) {
  return (v: string): number => {
    const n = Number(v);
    if (v.trim() === '' || !valid(n)) {
      throw new InvalidArgumentError(`${flag}: expected a whole number ${min}–${max}, got "${v}"`);
    }
    return n;
  };
}

const duckdbThreadCount = count('--duckdb-threads', 1, MAX_DUCKDB_THREADS, isDuckDbThreadCount);
const workerCount = count('--ingest-workers', 0, MAX_INGEST_WORKERS, isIngestWorkerCount);

function port(name: string, allowOff: boolean) {
  return (v: string): number | false => {
    if (allowOff && v === 'off') return false;
    const n = Number(v);
    if (!Number.isInteger(n) || n < 0 || n > 65535) {
      throw new InvalidArgumentError(
        `${name}: expected a port 0–65535${allowOff ? ' or off' : ''}`,
      );
    }
    return n;
  };
}

function parsed<T>(name: string, parse: (v: string) => T) {
  return (v: string): T => {
    try {
      return parse(v);
    } catch (err) {
      throw new InvalidArgumentError(`${name}: ${(err as Error).message}`);
    }
  };
}

export function registerServe(program: Command, ctx: CliContext): void {
  const env = ctx.io.env;
  program
    .command('serve')
    .description(
      'Run the Hopscope server: OTLP collector (HTTP + gRPC), log-line ingest, DuckDB store, query API and UI.',
    )
    .option('--host <host>', 'address to bind (HOPSCOPE_HOST)', env.HOPSCOPE_HOST ?? '127.0.0.1')
    .option(
      '--port <port>',
      'OTLP/HTTP, API and UI port (HOPSCOPE_PORT)',
      orRaw(port('--port', false)),
      env.HOPSCOPE_PORT ?? '4318',
    )
    .option(
      '--grpc-port <port>',
      'OTLP/gRPC port, or off (HOPSCOPE_GRPC_PORT)',
      orRaw(port('--grpc-port', true)),
      env.HOPSCOPE_GRPC_PORT ?? '4317',
    )
    .option(
      '--data <dir>',
      'folder of the DuckDB file (HOPSCOPE_DATA)',
      env.HOPSCOPE_DATA ?? './hopscope-data',
    )
    .option(
      '--store <url>',
      'duckdb (one file in --data) or clickhouse://user:pass@host:8123/db (HOPSCOPE_STORE)',
      env.HOPSCOPE_STORE ?? 'duckdb',
    )
    .option(
      '--retention <duration>',
      'drop data older than this, e.g. 12h, 7d (HOPSCOPE_RETENTION)',
      orRaw(parsed('--retention', parseDuration)),
      env.HOPSCOPE_RETENTION ?? '7d',
    )
    .option(
      '--max-size <size>',
      'drop the oldest data beyond this size, e.g. 500MB, 10GB (HOPSCOPE_MAX_SIZE)',
      orRaw(parsed('--max-size', parseSize)),
      env.HOPSCOPE_MAX_SIZE ?? '10GB',
    )
    .option(
      '--ingest-token <token>',
      'require Authorization: Bearer <token> on ingest (HOPSCOPE_INGEST_TOKEN)',
      env.HOPSCOPE_INGEST_TOKEN,
    )
    .option(
      '--query-token <token>',
      'require Authorization: Bearer <token> on the API and UI (HOPSCOPE_QUERY_TOKEN)',
      env.HOPSCOPE_QUERY_TOKEN,
    )
    .option(
      '--prices <file>',
      'JSON price table whose entries override the shipped LLM prices (HOPSCOPE_PRICES)',
      env.HOPSCOPE_PRICES,
    )
    .option(
      '--alerts <file>',
      'alert rules (YAML or JSON): error rate, latency, spikes, SLO burn, no data; webhooks (HOPSCOPE_ALERTS)',
      env.HOPSCOPE_ALERTS,
    )
    .option(
      '--sampling <file>',
      'tail sampling policies from a YAML or JSON file (HOPSCOPE_SAMPLING); see the server README',
      env.HOPSCOPE_SAMPLING,
    )
    .option(
      '--sample-percent <percent>',
      'tail sampling without a file: keep every error trace and this % of the rest',
      parsed('--sample-percent', percent),
    )
    .option(
      '--sample-slower-than <duration>',
      'with --sample-percent: also keep traces lasting at least this, e.g. 2s',
      parsed('--sample-slower-than', parseDuration),
    )
    .option(
      '--sampling-wait <duration>',
      'decide a trace this long after its last span (default 10s)',
      parsed('--sampling-wait', parseDuration),
    )
    .option(
      '--peers <urls>',
      'every collector of the cluster, comma-separated (the same list on each): spans go to the collector owning their trace, for tail sampling behind a load balancer (HOPSCOPE_PEERS)',
      env.HOPSCOPE_PEERS,
    )
    .option(
      '--self <url>',
      "this collector's URL as --peers spells it (default http://<host>:<port>) (HOPSCOPE_SELF)",
      env.HOPSCOPE_SELF,
    )
    .option(
      '--ingest-workers <n>',
      'threads decoding OTLP trace exports beside the main thread; 0 = none (default: 1 on four or more cores) (HOPSCOPE_INGEST_WORKERS)',
      orRaw(workerCount),
      env.HOPSCOPE_INGEST_WORKERS,
    )
    .option(
      '--duckdb-threads <n>',
      "threads of the embedded store's queries and commits (default: the cores less one for the main thread and one per ingest worker, at least 1) (HOPSCOPE_DUCKDB_THREADS)",
      orRaw(duckdbThreadCount),
      env.HOPSCOPE_DUCKDB_THREADS,
    )
    .addHelpText(
      'after',
      '\nExample: hopscope serve --data ./hopscope-data --retention 3d\n' +
        'Then: OTEL_EXPORTER_OTLP_ENDPOINT=http://127.0.0.1:4318 node your-service.js',
    )
    .action(async (raw: RawFlags) => {
      const flags = resolveFlags(raw);
      const sampling = samplingConfig(flags);
      const server = await startServer({
        pricesFile: flags.prices || undefined,
        alertsFile: flags.alerts || undefined,
        host: flags.host,
        port: flags.port,
        grpcPort: flags.grpcPort,
        dataDir: flags.data,
        storeUrl: flags.store,
        retention: { maxAgeMs: flags.retention, maxBytes: flags.maxSize },
        ingestToken: flags.ingestToken || undefined,
        queryToken: flags.queryToken || undefined,
        sampling,
        ingestWorkers: flags.ingestWorkers,
        duckdbThreads: flags.duckdbThreads,
        ...peerOptions(flags),
      }).catch((err: Error) => {
        if (/^peer |^this collector /.test(err.message)) {
          throw new UsageError(
            `${flags.self && /^this/.test(err.message) ? '--self' : '--peers'}: ${err.message}`,
          );
        }
        // a bad --prices file is the user's to fix, named with the problem
        if (/^alert rules /.test(err.message)) throw new UsageError(`--alerts: ${err.message}`);
        if (/^price file /.test(err.message)) throw new UsageError(`--prices: ${err.message}`);
        throw /^--store: /.test(err.message) ? new UsageError(err.message) : err;
      });
      await write(
        ctx.io.stdout,
        banner(server, flags) + samplingBanner(sampling) + alertsBanner(server),
      );
      await untilSignal();
      await write(ctx.io.stderr, 'hopscope: flushing and closing…\n');
      await server.close();
      await write(ctx.io.stderr, 'hopscope: closed cleanly\n');
    });
}

function peerOptions(flags: ServeFlags): { peers?: string[]; self?: string } {
  if (!flags.peers) {
    if (flags.self) throw new UsageError('--self: only meaningful with --peers');
    return {};
  }
  const peers = flags.peers
    .split(',')
    .map((p) => p.trim())
    .filter((p) => p !== '');
  if (peers.length === 0)
    throw new UsageError('--peers: expected http://host:port,http://host:port');
  return { peers, self: flags.self || undefined };
}

function percent(v: string): number {
  const n = Number(v);
  if (v.trim() === '' || !Number.isFinite(n) || n < 0 || n > 100) {
    throw new Error(`expected a percentage 0–100; got "${v}"`);
  }
  return n;
}

/** Sampling problems are usage errors: exit 2 with the message naming the field or flag. */
function samplingConfig(flags: ServeFlags): SamplingConfig | undefined {
  try {
    return samplingFromFlags({
      file: flags.sampling || undefined,
      percent: flags.samplePercent,
      slowerThanMs: flags.sampleSlowerThan,
      waitMs: flags.samplingWait,
    });
  } catch (err) {
    if (err instanceof SamplingConfigError) throw new UsageError(err.message);
    throw err;
  }
}

function samplingBanner(config: SamplingConfig | undefined): string {
  if (!config) return '';
  const names = config.policies.map((p) => p.name).join(', ');
  return (
    `Tail sampling on: ${names}; decided ${formatMs(config.decision_wait)} after a trace's last span.\n` +
    '  Spans are acknowledged when accepted for sampling; Ctrl-C decides and writes every pending trace.\n'
  );
}

function banner(server: ServerHandle, flags: ServeFlags): string {
  const grpc = server.grpcPort === undefined ? 'off' : `${server.host}:${server.grpcPort}`;
  const auth = flags.ingestToken
    ? '\n  export OTEL_EXPORTER_OTLP_HEADERS="Authorization=Bearer <ingest-token>"'
    : '';
  return (
    `Hopscope listening\n` +
    `  UI and API   ${server.url}/\n` +
    `  OTLP/HTTP    ${server.url}/v1/traces  ${server.url}/v1/logs\n` +
    `  OTLP/gRPC    ${grpc}\n` +
    `  log lines    POST ${server.url}/api/ingest/logs?service=NAME (NDJSON)\n` +
    `  data         ${flags.store === 'duckdb' ? flags.data : redactUrl(flags.store)} (retention ${formatMs(flags.retention)}, max ${formatBytes(flags.maxSize)})\n` +
    recoveredLine(server) +
    `Send data:\n` +
    `  export OTEL_EXPORTER_OTLP_ENDPOINT=${server.url}${auth}\n` +
    `  your-app | curl --data-binary @- '${server.url}/api/ingest/logs?service=my-app'\n` +
    `Ctrl-C flushes and stops.\n`
  );
}

/** After a crash: the spans acknowledged before it that the store committed from its journal. */
function recoveredLine(server: ServerHandle): string {
  const r = server.store.recovered;
  if (!r || r.batches === 0) return '';
  return `  recovered    ${r.spans} spans in ${r.batches} batches acknowledged before the last stop (ingest journal)\n`;
}

function formatMs(ms: number): string {
  const units: [string, number][] = [
    ['d', 86_400_000],
    ['h', 3_600_000],
    ['m', 60_000],
    ['s', 1000],
  ];
  for (const [u, size] of units) if (ms >= size && ms % size === 0) return `${ms / size}${u}`;
  return `${ms}ms`;
}

function formatBytes(n: number): string {
  for (const [u, size] of [
    ['TB', 1e12],
    ['GB', 1e9],
    ['MB', 1e6],
    ['KB', 1e3],
  ] as const) {
    if (n >= size) return `${+(n / size).toFixed(1)}${u}`;
  }
  return `${n}B`;
}

/** Resolves on the first SIGINT or SIGTERM; a second one exits at once. */
function untilSignal(): Promise<void> {
  return new Promise((resolve) => {
    const onSignal = () => {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
      const force = () => process.exit(130);
      process.once('SIGINT', force);
      process.once('SIGTERM', force);
      resolve();
    };
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
  });
}

/** A store URL as printed: the password never reaches the terminal. */
function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return url;
  }
}

function alertsBanner(server: ServerHandle): string {
  const a = server.alerts?.config;
  if (!a) return '';
  return (
    `Alerts on: ${a.rules.length} rules every ${formatMs(a.evaluation_interval)}, ${a.webhooks.length} webhooks; ` +
    `hopscope alerts or ${server.url}/api/alerts\n`
  );
}
