import type { Attributes } from '@opentelemetry/api';
import type { Sampler, SpanProcessor } from '@opentelemetry/sdk-trace-base';
import {
  type Env,
  envBoolean,
  envNumber,
  envString,
  parseHeaders,
  parseResourceAttributes,
} from './env.js';

export const LOG_LEVELS = ['debug', 'info', 'warn', 'error', 'fatal', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

/**
 * How traces are sampled. Strings follow OTEL_TRACES_SAMPLER's names; objects carry a parameter.
 * `rate_limited` admits at most `perSecond` new traces per second (token bucket); children follow
 * their parent's decision, so a sampled trace is kept whole.
 */
export type SamplerOption =
  | 'always_on'
  | 'always_off'
  | 'parentbased_always_on'
  | 'parentbased_always_off'
  | { type: 'ratio'; ratio: number }
  | { type: 'parent_based'; ratio: number }
  | { type: 'rate_limited'; perSecond: number }
  | Sampler;

/** Anything with pino's `write(line)`: a file stream, `pino.destination()`, a Writable. */
export interface LogDestination {
  write(line: string): unknown;
}

export interface HopscopeOptions {
  /** Service name (resource `service.name`); falls back to OTEL_SERVICE_NAME. */
  service?: string;
  /** `service.version` on the resource. */
  version?: string;
  /** `deployment.environment.name` on the resource. */
  environment?: string;
  /** OTLP/HTTP base URL; `/v1/traces` and `/v1/logs` are appended. Default http://127.0.0.1:4318. */
  endpoint?: string;
  /** Extra headers on every export request (e.g. an ingest bearer token). */
  headers?: Record<string, string>;
  /** Default `parentbased_always_on`, or OTEL_TRACES_SAMPLER / OTEL_TRACES_SAMPLER_ARG. */
  sampler?: SamplerOption;
  /** Longest a finished span or log record waits before export. Default 500 ms; 50 ms is fine. */
  exportDelayMs?: number;
  /** Spans (and, separately, log records) held for export; beyond this they are dropped and counted. */
  maxQueueSize?: number;
  /** Most records per export request. Default 512. */
  maxExportBatchSize?: number;
  /** An export request taking longer is abandoned (and its records counted as dropped). Default 10 s. */
  exportTimeoutMs?: number;
  /**
   * Export body compression. Default: none when every export endpoint is on this machine
   * (localhost, 127.0.0.0/8, ::1: a sidecar or local collector, where gzip only costs CPU),
   * gzip otherwise. OTEL_EXPORTER_OTLP_COMPRESSION sets it too.
   */
  compression?: 'gzip' | 'none';
  /** Set false to keep spans in-process only (no OTLP trace export). */
  exportTraces?: boolean;
  /** Set false to keep log lines on stdout only (no OTLP log export). */
  exportLogs?: boolean;
  /** Minimum log level. Default HOPSCOPE_LOG_LEVEL, LOG_LEVEL, else `info`. */
  logLevel?: LogLevel;
  /** Add `filename` and `lineno` of the logging call to each line (costs a stack capture). */
  logCallsite?: boolean;
  /** Force pretty (true) or JSON (false) log output; default pretty only when stdout is a TTY. */
  prettyLogs?: boolean;
  /** Where the default logger writes lines (a pino destination); default stdout. */
  logDestination?: LogDestination;
  /**
   * Lines for stdout are written in batches at most this many ms apart (one write instead of one
   * per line); 0 writes each line at once. Default 20, or HOPSCOPE_LOG_FLUSH_MS.
   */
  logFlushMs?: number;
  /** Extra resource attributes. */
  resourceAttributes?: Attributes;
  /** Incoming headers also read as the request ID, after `x-request-id`. */
  requestIdAliases?: string[];
  /** Opt in to the `x-services-encountered` header (seed 002). */
  trackServicesEncountered?: boolean;
  /** How often a warn line reports newly dropped spans and log records. Default 10 s. */
  dropWarnIntervalMs?: number;
  /** More span processors (your own exporters), run after Hopscope's. */
  spanProcessors?: SpanProcessor[];
}

export interface ResolvedOptions {
  service: string;
  version: string | undefined;
  environment: string | undefined;
  tracesEndpoint: string;
  logsEndpoint: string;
  headers: Record<string, string>;
  sampler: SamplerOption;
  exportDelayMs: number;
  maxQueueSize: number;
  maxExportBatchSize: number;
  exportTimeoutMs: number;
  compression: 'gzip' | 'none';
  exportTraces: boolean;
  exportLogs: boolean;
  logLevel: LogLevel;
  logCallsite: boolean;
  prettyLogs: boolean | undefined;
  logDestination: LogDestination | undefined;
  logFlushMs: number;
  resourceAttributes: Attributes;
  requestIdAliases: string[];
  trackServicesEncountered: boolean;
  dropWarnIntervalMs: number;
  spanProcessors: SpanProcessor[];
}

export const DEFAULT_ENDPOINT = 'http://127.0.0.1:4318';
export const DEFAULT_SERVICE_NAME = 'unknown_service:node';
/** Default and largest `logFlushMs`. */
export const DEFAULT_LOG_FLUSH_MS = 20;
export const MAX_LOG_FLUSH_MS = 1000;

export const DEFAULT_REQUEST_ID_ALIASES: readonly string[] = ['x-correlation-id', 'x-trace-id'];

/** Thrown for an invalid option; the message names the option, the value and what is expected. */
export class HopscopeConfigError extends Error {
  override name = 'HopscopeConfigError';
}

const KNOWN_OPTIONS = new Set<string>([
  'service',
  'version',
  'environment',
  'endpoint',
  'headers',
  'sampler',
  'exportDelayMs',
  'maxQueueSize',
  'maxExportBatchSize',
  'exportTimeoutMs',
  'compression',
  'exportTraces',
  'exportLogs',
  'logLevel',
  'logCallsite',
  'prettyLogs',
  'logDestination',
  'logFlushMs',
  'resourceAttributes',
  'requestIdAliases',
  'trackServicesEncountered',
  'dropWarnIntervalMs',
  'spanProcessors',
]);

function fail(option: string, value: unknown, expected: string): never {
  let shown: string;
  try {
    shown = typeof value === 'string' ? JSON.stringify(value) : String(value);
  } catch {
    shown = typeof value;
  }
  if (shown.length > 80) shown = `${shown.slice(0, 77)}...`;
  throw new HopscopeConfigError(`hopscope: option ${option} must be ${expected}, got ${shown}`);
}

function optionalString(option: string, value: unknown): string | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'string' || value.trim() === '' || value.length > 256) {
    fail(option, value, 'a non-empty string of at most 256 characters');
  }
  return value.trim();
}

function numberIn(option: string, value: unknown, min: number, max: number, integer: boolean) {
  if (
    typeof value !== 'number' ||
    !Number.isFinite(value) ||
    value < min ||
    value > max ||
    (integer && !Number.isInteger(value))
  ) {
    fail(option, value, `${integer ? 'an integer' : 'a number'} from ${min} to ${max}`);
  }
  return value;
}

function optionalBoolean(option: string, value: unknown): boolean | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'boolean') fail(option, value, 'true or false');
  return value;
}

function endpointUrl(option: string, value: string): string {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return fail(option, value, 'an http:// or https:// URL');
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    fail(option, value, 'an http:// or https:// URL');
  }
  return value.replace(/\/+$/, '');
}

/**
 * `logFlushMs`, else HOPSCOPE_LOG_FLUSH_MS, else the default. Unlike the OTEL_* numbers (ignored
 * when malformed, as the specification asks) a malformed value of this variable is an error
 * naming it: it is Hopscope's own and a typo would silently change how logs are written.
 */
function logFlushMs(option: unknown, env: Env): number {
  const expected = `a number of milliseconds from 0 to ${MAX_LOG_FLUSH_MS}`;
  if (option !== undefined) {
    if (typeof option !== 'number' || !(option >= 0 && option <= MAX_LOG_FLUSH_MS)) {
      fail('logFlushMs', option, expected);
    }
    return option;
  }
  const raw = envString(env, 'HOPSCOPE_LOG_FLUSH_MS');
  if (raw === undefined) return DEFAULT_LOG_FLUSH_MS;
  const value = Number(raw);
  if (!Number.isFinite(value) || value < 0 || value > MAX_LOG_FLUSH_MS) {
    fail('logFlushMs (from HOPSCOPE_LOG_FLUSH_MS)', raw, expected);
  }
  return value;
}

export function isLogLevel(value: unknown): value is LogLevel {
  return typeof value === 'string' && (LOG_LEVELS as readonly string[]).includes(value);
}

function validateSampler(value: unknown): SamplerOption {
  if (typeof value === 'string') {
    if (
      ['always_on', 'always_off', 'parentbased_always_on', 'parentbased_always_off'].includes(value)
    ) {
      return value as SamplerOption;
    }
    return fail(
      'sampler',
      value,
      "'always_on', 'always_off', 'parentbased_always_on', 'parentbased_always_off', " +
        "{ type: 'ratio' | 'parent_based', ratio } or { type: 'rate_limited', perSecond }",
    );
  }
  if (typeof value === 'object' && value !== null) {
    if (typeof (value as Sampler).shouldSample === 'function') return value as Sampler;
    const spec = value as { type?: unknown; ratio?: unknown; perSecond?: unknown };
    if (spec.type === 'ratio' || spec.type === 'parent_based') {
      numberIn('sampler.ratio', spec.ratio, 0, 1, false);
      return { type: spec.type, ratio: spec.ratio as number };
    }
    if (spec.type === 'rate_limited') {
      numberIn('sampler.perSecond', spec.perSecond, 0, 1_000_000, false);
      return { type: 'rate_limited', perSecond: spec.perSecond as number };
    }
  }
  return fail(
    'sampler',
    value,
    "a sampler name, { type: 'ratio' | 'parent_based', ratio }, { type: 'rate_limited', perSecond } or a Sampler",
  );
}

/** OTEL_TRACES_SAMPLER / _ARG as a SamplerOption; unknown names fall back to the default. */
function samplerFromEnv(env: Env): SamplerOption | undefined {
  const name = envString(env, 'OTEL_TRACES_SAMPLER')?.toLowerCase();
  if (name === undefined) return undefined;
  const arg = envNumber(env, 'OTEL_TRACES_SAMPLER_ARG');
  const ratio = arg !== undefined && arg >= 0 && arg <= 1 ? arg : 1;
  switch (name) {
    case 'always_on':
    case 'always_off':
    case 'parentbased_always_on':
    case 'parentbased_always_off':
      return name;
    case 'traceidratio':
      return { type: 'ratio', ratio };
    case 'parentbased_traceidratio':
      return { type: 'parent_based', ratio };
    case 'rate_limited':
    case 'ratelimited':
      return { type: 'rate_limited', perSecond: arg !== undefined && arg >= 0 ? arg : 100 };
    default:
      return undefined;
  }
}

/** Service name from the environment alone (OTEL_SERVICE_NAME, then OTEL_RESOURCE_ATTRIBUTES). */
export function serviceNameFromEnv(env: Env = process.env): string {
  return (
    envString(env, 'OTEL_SERVICE_NAME') ??
    parseResourceAttributes(envString(env, 'OTEL_RESOURCE_ATTRIBUTES'))['service.name'] ??
    DEFAULT_SERVICE_NAME
  );
}

export function logLevelFromEnv(env: Env = process.env): LogLevel {
  const raw = (envString(env, 'HOPSCOPE_LOG_LEVEL') ?? envString(env, 'LOG_LEVEL'))?.toLowerCase();
  if (raw === 'warning') return 'warn';
  if (raw === 'trace') return 'debug';
  return isLogLevel(raw) ? raw : 'info';
}

/** True for a URL whose host is this machine's loopback interface. */
function isLoopback(url: string): boolean {
  const host = new URL(url).hostname;
  return host === 'localhost' || host === '[::1]' || /^127\.\d+\.\d+\.\d+$/.test(host);
}

function signalEndpoint(env: Env, signal: 'traces' | 'logs', base: string | undefined): string {
  const specific = envString(env, `OTEL_EXPORTER_OTLP_${signal.toUpperCase()}_ENDPOINT`);
  if (base === undefined && specific !== undefined) {
    return endpointUrl(`OTEL_EXPORTER_OTLP_${signal.toUpperCase()}_ENDPOINT`, specific);
  }
  const root = base ?? envString(env, 'OTEL_EXPORTER_OTLP_ENDPOINT') ?? DEFAULT_ENDPOINT;
  return `${endpointUrl(base === undefined ? 'OTEL_EXPORTER_OTLP_ENDPOINT' : 'endpoint', root)}/v1/${signal}`;
}

/**
 * Validates `init()` options and fills each gap from the standard environment variables, then
 * from defaults. Explicit options win over the environment, as in the OpenTelemetry SDKs.
 */
export function resolveOptions(
  options: HopscopeOptions = {},
  env: Env = process.env,
): ResolvedOptions {
  if (typeof options !== 'object' || options === null || Array.isArray(options)) {
    throw new HopscopeConfigError(
      `hopscope: init() takes an options object such as { service: 'gateway' }, got ${String(options)}`,
    );
  }
  for (const key of Object.keys(options)) {
    if (!KNOWN_OPTIONS.has(key)) {
      throw new HopscopeConfigError(
        `hopscope: unknown option ${JSON.stringify(key)}; known options: ${[...KNOWN_OPTIONS].join(', ')}`,
      );
    }
  }
  const fromEnvAttrs = parseResourceAttributes(envString(env, 'OTEL_RESOURCE_ATTRIBUTES'));
  const service = optionalString('service', options.service) ?? serviceNameFromEnv(env);
  const version = optionalString('version', options.version) ?? fromEnvAttrs['service.version'];
  const environment =
    optionalString('environment', options.environment) ??
    fromEnvAttrs['deployment.environment.name'] ??
    fromEnvAttrs['deployment.environment'];

  if (options.endpoint !== undefined && typeof options.endpoint !== 'string') {
    fail('endpoint', options.endpoint, 'an http:// or https:// URL');
  }
  const base =
    options.endpoint === undefined ? undefined : endpointUrl('endpoint', options.endpoint);

  if (options.headers !== undefined) {
    if (typeof options.headers !== 'object' || options.headers === null) {
      fail('headers', options.headers, 'an object of header names to string values');
    }
    for (const [k, v] of Object.entries(options.headers)) {
      if (typeof v !== 'string') fail(`headers.${k}`, v, 'a string');
    }
  }
  const headers = {
    ...parseHeaders(envString(env, 'OTEL_EXPORTER_OTLP_HEADERS')),
    ...(options.headers ?? {}),
  };

  const exportDelayMs = numberIn(
    'exportDelayMs',
    options.exportDelayMs ?? envNumber(env, 'OTEL_BSP_SCHEDULE_DELAY') ?? 500,
    1,
    60_000,
    false,
  );
  const maxQueueSize = numberIn(
    'maxQueueSize',
    options.maxQueueSize ?? envNumber(env, 'OTEL_BSP_MAX_QUEUE_SIZE') ?? 2048,
    1,
    1_000_000,
    true,
  );
  const maxExportBatchSize = Math.min(
    maxQueueSize,
    numberIn(
      'maxExportBatchSize',
      options.maxExportBatchSize ?? envNumber(env, 'OTEL_BSP_MAX_EXPORT_BATCH_SIZE') ?? 512,
      1,
      1_000_000,
      true,
    ),
  );
  const exportTimeoutMs = numberIn(
    'exportTimeoutMs',
    options.exportTimeoutMs ?? envNumber(env, 'OTEL_EXPORTER_OTLP_TIMEOUT') ?? 10_000,
    1,
    600_000,
    false,
  );
  const tracesEndpoint = signalEndpoint(env, 'traces', base);
  const logsEndpoint = signalEndpoint(env, 'logs', base);
  const envCompression = envString(env, 'OTEL_EXPORTER_OTLP_COMPRESSION');
  const compression =
    options.compression ??
    (envCompression === 'none' || envCompression === 'gzip' ? envCompression : undefined) ??
    (isLoopback(tracesEndpoint) && isLoopback(logsEndpoint) ? 'none' : 'gzip');
  if (compression !== 'gzip' && compression !== 'none') {
    fail('compression', compression, "'gzip' or 'none'");
  }
  if (options.logLevel !== undefined && !isLogLevel(options.logLevel)) {
    fail('logLevel', options.logLevel, LOG_LEVELS.map((l) => `'${l}'`).join(', '));
  }
  if (options.requestIdAliases !== undefined) {
    if (
      !Array.isArray(options.requestIdAliases) ||
      options.requestIdAliases.some((h) => typeof h !== 'string' || !/^[A-Za-z0-9-]{1,64}$/.test(h))
    ) {
      fail('requestIdAliases', options.requestIdAliases, 'an array of header names');
    }
  }
  if (
    options.resourceAttributes !== undefined &&
    (typeof options.resourceAttributes !== 'object' || options.resourceAttributes === null)
  ) {
    fail('resourceAttributes', options.resourceAttributes, 'an object of attributes');
  }
  if (
    options.spanProcessors !== undefined &&
    (!Array.isArray(options.spanProcessors) ||
      options.spanProcessors.some(
        (p) => typeof p?.onStart !== 'function' || typeof p?.onEnd !== 'function',
      ))
  ) {
    fail('spanProcessors', options.spanProcessors, 'an array of SpanProcessor objects');
  }
  if (
    options.logDestination !== undefined &&
    typeof (options.logDestination as LogDestination | null)?.write !== 'function'
  ) {
    fail('logDestination', options.logDestination, 'a stream with a write(line) method');
  }
  const disabled = envBoolean(env, 'OTEL_SDK_DISABLED') === true;
  const exportTraces =
    optionalBoolean('exportTraces', options.exportTraces) ??
    (!disabled && envString(env, 'OTEL_TRACES_EXPORTER') !== 'none');
  const exportLogs =
    optionalBoolean('exportLogs', options.exportLogs) ??
    (!disabled && envString(env, 'OTEL_LOGS_EXPORTER') !== 'none');

  return {
    service,
    version,
    environment,
    tracesEndpoint,
    logsEndpoint,
    headers,
    sampler:
      options.sampler !== undefined
        ? validateSampler(options.sampler)
        : (samplerFromEnv(env) ?? 'parentbased_always_on'),
    exportDelayMs,
    maxQueueSize,
    maxExportBatchSize,
    exportTimeoutMs,
    compression,
    exportTraces,
    exportLogs,
    logLevel: options.logLevel ?? logLevelFromEnv(env),
    logCallsite:
      optionalBoolean('logCallsite', options.logCallsite) ??
      envBoolean(env, 'HOPSCOPE_LOG_CALLSITE') ??
      false,
    prettyLogs:
      optionalBoolean('prettyLogs', options.prettyLogs) ?? envBoolean(env, 'HOPSCOPE_LOG_PRETTY'),
    logDestination: options.logDestination,
    logFlushMs: logFlushMs(options.logFlushMs, env),
    resourceAttributes: { ...(options.resourceAttributes ?? {}) },
    requestIdAliases: [...(options.requestIdAliases ?? DEFAULT_REQUEST_ID_ALIASES)].map((h) =>
      h.toLowerCase(),
    ),
    trackServicesEncountered:
      optionalBoolean('trackServicesEncountered', options.trackServicesEncountered) ??
      envBoolean(env, 'HOPSCOPE_SERVICES_ENCOUNTERED') ??
      false,
    dropWarnIntervalMs: numberIn(
      'dropWarnIntervalMs',
      options.dropWarnIntervalMs ?? 10_000,
      10,
      3_600_000,
      false,
    ),
    spanProcessors: [...(options.spanProcessors ?? [])],
  };
}
