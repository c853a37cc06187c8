import { context } from '@opentelemetry/api';
import pino, { type DestinationStream, type Logger as PinoLogger } from 'pino';
import pretty from 'pino-pretty';
import {
  getConfig,
  getConfigVersion,
  isLogLevel,
  type LogLevel,
  logLevelFromEnv,
  type ResolvedOptions,
  resolveOptions,
  serviceNameFromEnv,
} from '../config/index.js';
import { captureCallsite } from './callsite.js';
import { isLineKey, isLineOwnedKey } from './identity.js';
import { type LineLevel, PINO_LEVEL } from './levels.js';
import {
  BOUND_LINE_FIELDS,
  type BoundLineFields,
  handoff,
  lineOptions,
  pinoString,
} from './line.js';
import { getLogSink, type LogSink } from './sink.js';
import { stdoutWriter } from './stdout-writer.js';

export type LogFields = Record<string, unknown>;

/**
 * `info('request_completed', { duration_ms: 3 })` — event name and fields (message = event);
 * `info({ user_id }, 'Human message')` — pino's shape; `info(err, 'message')`; `info('event')`.
 */
export interface LogMethod {
  (event: string, fields?: LogFields): void;
  (event: string, message: string): void;
  (fields: LogFields, message?: string): void;
  (error: Error, message?: string): void;
}

export interface CreateLoggerOptions {
  /** `service` on every line; default: the configured service name, following `init()`. */
  service?: string;
  /** Minimum level; default: the configured level (HOPSCOPE_LOG_LEVEL / LOG_LEVEL / `info`). */
  level?: LogLevel;
  /**
   * Where lines go; default stdout, in batches at most `logFlushMs` apart (see
   * stdout-writer.ts) when stdout is not a TTY and lines are JSON.
   */
  destination?: DestinationStream;
  /** Human-readable lines; default only when writing to a TTY stdout. */
  pretty?: boolean;
  /** Add `filename` / `lineno` of the caller; default from config (off). */
  callsite?: boolean;
  /** Fields bound to every line. */
  fields?: LogFields;
  /** Also send records to the collector over OTLP once `init()` ran. Default true. */
  exportToCollector?: boolean;
}

const SNAKE_EVENT = /^[a-z][a-z0-9_.]*$/;
const NO_FIELDS: LogFields = Object.freeze({}) as LogFields;

const { lsCacheSym, timeSym, chindingsSym, endSym, streamSym, hooksSym, needsMetadataGsym } =
  pino.symbols;

let flatLines = true;

/** @internal Tests compare the lines (and OTLP records) of both paths. */
export function setFlatLines(enabled: boolean): void {
  flatLines = enabled;
}

// `,"key":` of each field name, or null for a name pino must write itself (a part of the line;
// err and socket, which go through its serialisers). Programs log a few names over and over: each
// is checked and quoted once, and a line gets one piece per field instead of four.
const KEY_PREFIX_CACHE_SIZE = 1024;
const keyPrefixes = new Map<string, string | null>();

function keyPrefix(key: string): string | null {
  let prefix = keyPrefixes.get(key);
  if (prefix === undefined) {
    prefix = isLineKey(key) || key === 'err' || key === 'socket' ? null : `,${pinoString(key)}:`;
    // names are the program's, but one logging computed names must not grow this
    if (keyPrefixes.size >= KEY_PREFIX_CACHE_SIZE) keyPrefixes.clear();
    keyPrefixes.set(key, prefix);
  }
  return prefix;
}

/**
 * The fields as pino's serialiser writes them (`,"key":value` each), or undefined when pino must
 * write the line: a value that is not a string, number, boolean, null or undefined (pino's
 * serialisers, toJSON, errors), or a key the line already has or that pino treats specially.
 */
function flatFieldsJson(fields: LogFields): string | undefined {
  let out = '';
  for (const key in fields) {
    if (!Object.hasOwn(fields, key)) continue;
    const prefix = keyPrefix(key);
    if (prefix === null) return undefined;
    const value = fields[key];
    switch (typeof value) {
      case 'undefined':
        continue;
      case 'string':
        out += prefix + pinoString(value);
        continue;
      case 'number':
        out += prefix + (Number.isFinite(value) ? value : 'null');
        continue;
      case 'boolean':
        out += prefix + value;
        continue;
      case 'object':
        if (value === null) {
          out += `${prefix}null`;
          continue;
        }
        return undefined;
      default:
        return undefined;
    }
  }
  return out;
}

/** Shared state of one logger tree: the root pino instance, rebuilt when the config changes. */
class LoggerCore {
  generation = 0;
  callsite = false;
  readonly exportToCollector: boolean;
  private root!: PinoLogger;
  private builtFor = -1;
  private levelOverride: LogLevel | undefined;
  private output: { target: unknown; pretty: boolean; stream: unknown } | undefined;

  constructor(private readonly options: CreateLoggerOptions) {
    this.exportToCollector = options.exportToCollector ?? true;
    this.levelOverride = options.level;
  }

  /** The root pino logger, rebuilt if `init()`/`shutdown()` changed the config since last use. */
  pino(): PinoLogger {
    if (this.builtFor !== getConfigVersion()) this.build();
    return this.root;
  }

  setLevel(level: LogLevel): void {
    this.levelOverride = level;
    this.pino().level = level;
    // bound loggers re-derive from the root, so none keeps the old level
    this.generation++;
  }

  private build(): void {
    const config = loggerConfig();
    this.builtFor = getConfigVersion();
    const service = this.options.service ?? config.service;
    const level = this.levelOverride ?? config.logLevel;
    this.callsite = this.options.callsite ?? config.logCallsite;
    const target = this.options.destination ?? (config.logDestination as DestinationStream);
    const toTty = target === undefined && process.stdout.isTTY === true;
    const wantPretty = this.options.pretty ?? config.prettyLogs ?? toTty;
    const options = lineOptions(service, level);
    // A rebuild (init() changed the service or level) keeps the same output stream, so lines
    // are never reordered across two buffers and no stream is left behind.
    if (
      this.output === undefined ||
      this.output.target !== target ||
      this.output.pretty !== wantPretty
    ) {
      const stream = wantPretty
        ? prettyStream(target, toTty)
        : (target ?? defaultStream(toTty, config.logFlushMs));
      this.root = stream === undefined ? pino(options) : pino(options, stream);
      this.output = {
        target,
        pretty: wantPretty,
        stream: (this.root as unknown as Record<symbol, unknown>)[pino.symbols.streamSym],
      };
    } else {
      this.root = pino(options, this.output.stream as DestinationStream);
      // init() may have changed logFlushMs
      if (target === undefined && !wantPretty) defaultStream(toTty, config.logFlushMs);
    }
    this.generation++;
  }
}

/**
 * The shared batching stdout writer, or undefined for pino's own default: a TTY (someone reads
 * along) or a process.stdout whose write() was replaced (pino then writes through it, and so do we).
 */
function defaultStream(toTty: boolean, flushMs: number): DestinationStream | undefined {
  if (toTty || process.stdout.write !== process.stdout.constructor.prototype.write) {
    return undefined;
  }
  return stdoutWriter(flushMs);
}

let warnedConfig = false;

/**
 * The config, or when the environment holds an invalid value (which `init()` reports by throwing)
 * the defaults with the environment's service and level: a log call must never throw.
 */
function loggerConfig(): ResolvedOptions {
  try {
    return getConfig();
  } catch (err) {
    if (!warnedConfig) {
      warnedConfig = true;
      process.emitWarning(
        `${(err as Error).message}; logging with the defaults until init()`,
        'HopscopeConfigWarning',
      );
    }
    return {
      ...resolveOptions({}, {}),
      service: serviceNameFromEnv(),
      logLevel: logLevelFromEnv(),
    };
  }
}

function prettyStream(target: DestinationStream | undefined, colorize: boolean) {
  return pretty({
    sync: true,
    destination: target ?? 1,
    messageKey: 'message',
    timestampKey: 'timestamp',
    colorize,
    ignore: 'event',
    messageFormat: (log, messageKey) => {
      const message = String(log[messageKey] ?? '');
      return log.event === undefined || log.event === message
        ? message
        : `${String(log.event)}: ${message}`;
    },
  });
}

/**
 * The Hopscope logger: pino underneath, every line in the DESIGN.md log format and correlated
 * with the active request (request_id, trace_id, span_id), bound fields via `bind()`.
 */
export class HopscopeLogger {
  readonly debug: LogMethod = (a: unknown, b?: unknown) => this.write('debug', a, b);
  readonly info: LogMethod = (a: unknown, b?: unknown) => this.write('info', a, b);
  readonly warn: LogMethod = (a: unknown, b?: unknown) => this.write('warn', a, b);
  readonly error: LogMethod = (a: unknown, b?: unknown) => this.write('error', a, b);
  readonly fatal: LogMethod = (a: unknown, b?: unknown) => this.write('fatal', a, b);

  private instance: PinoLogger | undefined;
  private generation = -1;
  /** Bound fields from the root down to this logger (for the OTLP records). */
  private readonly bindingChain: readonly LogFields[];
  /**
   * Whether a bound field is named like a part of the line (request_id, level, …): whether it
   * names the line or becomes `user.<key>` depends on each line's context, which pino's path
   * decides (line.ts), so such loggers skip the flat path.
   */
  private readonly bindsLineFields: boolean;

  /** @internal Use `createLogger()` or `logger.bind()`. */
  constructor(
    private readonly core: LoggerCore,
    private readonly parent: HopscopeLogger | undefined,
    private readonly fields: LogFields | undefined,
  ) {
    const above = parent?.bindingChain ?? [];
    this.bindingChain = fields === undefined ? above : [...above, fields];
    this.bindsLineFields =
      parent?.bindsLineFields === true ||
      (fields !== undefined && Object.keys(fields).some(isLineOwnedKey));
  }

  /** The underlying pino logger (same line format and correlation). */
  get pino(): PinoLogger {
    const core = this.core;
    const root = core.pino();
    if (this.generation !== core.generation || this.instance === undefined) {
      const above = this.parent === undefined ? root : this.parent.pino;
      this.instance = this.fields === undefined ? above : bindLineAware(above, this.fields);
      this.generation = core.generation;
    }
    return this.instance;
  }

  /**
   * A logger whose lines all carry `fields` (e.g. `{ agent: 'planner' }`). A bound `request_id`
   * (or valid `trace_id`/`span_id`) names the lines logged outside a request; inside one the
   * request's IDs win and the bound value is kept as `user.request_id` (see identity.ts), as are
   * bound `level`, `timestamp` and `service` always.
   */
  bind(fields: LogFields): HopscopeLogger {
    if (typeof fields !== 'object' || fields === null || Array.isArray(fields)) {
      throw new TypeError(
        `hopscope: logger.bind() takes an object of fields, got ${String(fields)}`,
      );
    }
    for (const key of ['event', 'message']) {
      if (key in fields) {
        throw new TypeError(
          `hopscope: logger.bind() cannot bind "${key}": it belongs to each line, pass it to the log call`,
        );
      }
    }
    return new HopscopeLogger(this.core, this, { ...fields });
  }

  /** pino's name for `bind()`. */
  child(fields: LogFields): HopscopeLogger {
    return this.bind(fields);
  }

  get level(): LogLevel {
    return this.pino.level as LogLevel;
  }

  /** Sets the level of this logger and every logger bound from the same root. */
  set level(level: LogLevel) {
    if (!isLogLevel(level)) {
      throw new TypeError(
        `hopscope: log level must be one of debug, info, warn, error, fatal, silent`,
      );
    }
    this.core.setLevel(level);
  }

  isLevelEnabled(level: LineLevel): boolean {
    return PINO_LEVEL[level] >= this.pino.levelVal;
  }

  /**
   * Hands buffered lines to the output now (stdout's pending batch; an asynchronous
   * destination's buffer) instead of at the next interval.
   */
  flush(): void {
    this.pino.flush();
  }

  private write(level: LineLevel, a: unknown, b: unknown): void {
    const p = this.pino;
    if (PINO_LEVEL[level] < p.levelVal) return;
    let event: string;
    let fields: LogFields = NO_FIELDS;
    let message: string | undefined;
    if (typeof a === 'string') {
      if (b !== null && typeof b === 'object') {
        event = a;
        fields = b as LogFields;
        if (typeof fields.message !== 'string') message = a;
      } else if (b === undefined || b === null) {
        // a lone string is the event when it looks like one, otherwise a message
        event = SNAKE_EVENT.test(a) ? a : 'log';
        message = a;
      } else {
        event = a;
        message = String(b);
      }
    } else if (a instanceof Error) {
      fields = { error: a };
      event = 'error';
      message = typeof b === 'string' ? b : a.message;
    } else if (a !== null && typeof a === 'object') {
      fields = a as LogFields;
      event = typeof fields.event === 'string' ? fields.event : 'log';
      if (typeof b === 'string') {
        message = b;
        if (fields.message !== undefined) {
          // both a message field and a message argument: the argument wins, no duplicate key
          const { message: _dropped, ...rest } = fields;
          fields = rest;
        }
      } else if (typeof fields.message !== 'string') {
        message = event;
      }
    } else {
      event = 'log';
      message = String(a);
    }

    const sink = this.core.exportToCollector ? getLogSink() : undefined;
    if (flatLines && message !== undefined && !this.core.callsite && !this.bindsLineFields) {
      let json: string | undefined;
      try {
        json = fields === NO_FIELDS ? '' : flatFieldsJson(fields);
      } catch {
        // a throwing getter or proxy: pino's path reads the fields again and keeps the app safe
      }
      if (json !== undefined && this.writeFlat(p, level, event, message, fields, json, sink)) {
        return;
      }
    }
    const wantsLine = sink?.emitLine !== undefined;
    handoff.event = event;
    handoff.capture = wantsLine;
    if (this.core.callsite) handoff.callsite = captureCallsite();
    try {
      p[level](fields, message);
    } catch {
      // a broken destination or a throwing toJSON must not reach the app
    } finally {
      handoff.event = undefined;
      handoff.callsite = undefined;
      handoff.capture = false;
    }
    if (sink === undefined) return;

    try {
      if (wantsLine) {
        const line = handoff.line;
        handoff.line = undefined;
        // no line when serialising threw: there is nothing to export either
        if (line !== undefined) sink.emitLine?.(line, handoff.timeMs, handoff.traceFlags);
      } else {
        sink.emit({
          level,
          event,
          message: message ?? String(fields.message),
          bindings: this.bindingChain,
          fields: fields === NO_FIELDS ? undefined : fields,
          context: context.active(),
        });
      }
    } catch {
      // export is best effort; the stdout line is already written
    }
  }
  /**
   * The line of a call with flat fields, written here exactly as pino would write it (same
   * level prefix, timestamp-and-correlation hook, bindings, field and message serialisation,
   * stream hook, stream): pino's generic path (argument formatting, mixin, merge, serialisers)
   * costs more than the line itself. Its OTLP record is handed over as values, not as a line
   * to parse again, when the logger binds no fields. `false` when pino must write it.
   */
  private writeFlat(
    p: PinoLogger,
    level: LineLevel,
    event: string,
    message: string,
    fields: LogFields,
    json: string,
    sink: LogSink | undefined,
  ): boolean {
    // pino's own parts of a line, as its write() uses them
    const internals = p as unknown as Record<symbol, unknown>;
    const stream = internals[streamSym] as DestinationStream & Record<symbol, unknown>;
    // a multistream wants pino's metadata on each write: leave those lines to pino
    if (stream[needsMetadataGsym] === true) return false;
    const asRecord = sink?.emitFlat !== undefined && this.bindingChain.length === 0;
    handoff.event = event;
    handoff.capture = !asRecord && sink?.emitLine !== undefined;
    let written = false;
    try {
      const prefix = (internals[lsCacheSym] as Record<number, string>)[PINO_LEVEL[level]];
      const time = (internals[timeSym] as (this: PinoLogger) => string).call(p);
      const line = `${prefix}${time}${internals[chindingsSym] as string}${json},"message":${pinoString(message)}${internals[endSym] as string}`;
      const streamWrite = (internals[hooksSym] as { streamWrite?: (s: string) => string })
        .streamWrite;
      stream.write(streamWrite === undefined ? line : streamWrite(line));
      written = true;
    } catch {
      // a broken destination must not reach the app
    } finally {
      handoff.event = undefined;
      handoff.capture = false;
    }
    if (sink === undefined || !written) return true;
    try {
      if (asRecord) {
        sink.emitFlat?.({
          timeMs: handoff.timeMs,
          traceFlags: handoff.traceFlags,
          level,
          message,
          event,
          requestId: handoff.requestId,
          traceId: handoff.traceId,
          spanId: handoff.spanId,
          fields,
        });
      } else if (handoff.line !== undefined) {
        const line = handoff.line;
        handoff.line = undefined;
        sink.emitLine?.(line, handoff.timeMs, handoff.traceFlags);
      } else {
        sink.emit({
          level,
          event,
          message,
          bindings: this.bindingChain,
          fields: fields === NO_FIELDS ? undefined : fields,
          context: context.active(),
        });
      }
    } catch {
      // export is best effort; the stdout line is already written
    }
    return true;
  }
}

type Marked = PinoLogger & { [BOUND_LINE_FIELDS]?: BoundLineFields };

/**
 * pino's child(), with bound fields named like a part of the line kept out of its bindings and
 * on the child instead (merged over the parent's; line.ts resolves them per line).
 */
function bindLineAware(parent: PinoLogger, fields: LogFields): PinoLogger {
  let rest = fields;
  let own: BoundLineFields | undefined;
  for (const key of Object.keys(fields)) {
    if (!isLineOwnedKey(key)) continue;
    if (own === undefined) {
      own = {};
      rest = { ...fields };
    }
    own[key] = fields[key];
    delete rest[key];
  }
  const child = parent.child(rest) as Marked;
  // a child without line fields of its own inherits the parent's (pino's child is
  // Object.create(parent))
  if (own !== undefined)
    child[BOUND_LINE_FIELDS] = { ...(parent as Marked)[BOUND_LINE_FIELDS], ...own };
  return child;
}

/** A logger with its own destination, level or service; see CreateLoggerOptions. */
export function createLogger(options: CreateLoggerOptions = {}): HopscopeLogger {
  if (typeof options !== 'object' || options === null) {
    throw new TypeError(`hopscope: createLogger() takes an options object, got ${String(options)}`);
  }
  if (options.level !== undefined && !isLogLevel(options.level)) {
    throw new TypeError(
      `hopscope: createLogger level must be one of debug, info, warn, error, fatal, silent; got ${String(options.level)}`,
    );
  }
  const root = new HopscopeLogger(new LoggerCore(options), undefined, undefined);
  return options.fields === undefined ? root : root.bind(options.fields);
}

/**
 * The ready logger: usable before `init()` (service from OTEL_SERVICE_NAME), and following
 * `init()`'s service name, level and output once it runs.
 */
export const logger: HopscopeLogger = createLogger();
