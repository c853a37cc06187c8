import { propagation, trace } from '@opentelemetry/api';
import type { LoggerProvider } from '@opentelemetry/sdk-logs';
import { NodeTracerProvider } from '@opentelemetry/sdk-trace-node';
import {
  getServiceName,
  HopscopeConfigError,
  type HopscopeOptions,
  type ResolvedOptions,
  resolveOptions,
  setActiveConfig,
} from './config/index.js';
import { ensureContextManager } from './context/index.js';
import { logger, setLogSink } from './log/index.js';
import { createLineLogExporter, type LineLogExporter } from './log/otlp/index.js';
import { createPropagator } from './propagation/index.js';
import { getDroppedCounts } from './trace/drops.js';
import { createLoggerProvider, createSpanExportProcessor } from './trace/export.js';
import { RequestIdSpanProcessor } from './trace/request-id-processor.js';
import { buildResource } from './trace/resource.js';
import { buildSampler } from './trace/sampling.js';
import { SDK_VERSION } from './trace/tracer.js';

export interface HopscopeHandle {
  /** The options in force, after defaults and environment variables. */
  readonly options: ResolvedOptions;
  readonly tracerProvider: NodeTracerProvider;
  /**
   * An OpenTelemetry LoggerProvider exporting to the same endpoint, for code that logs through
   * the OpenTelemetry logs API; built on first use (Hopscope's own logger exports its lines
   * without it). `undefined` when log export is off.
   */
  readonly loggerProvider: LoggerProvider | undefined;
  /** Writes pending log lines to stdout and exports everything finished so far. Never rejects. */
  forceFlush(): Promise<void>;
  /** Flushes, then stops exporting; `init()` may be called again afterwards. Never rejects. */
  shutdown(): Promise<void>;
}

let current: HopscopeHandle | undefined;

/**
 * Sets up tracing and logging for this service in one call: tracer provider with the service's
 * resource, sampler, AsyncLocalStorage context, Hopscope's propagator (W3C trace context and
 * baggage, request ID and service headers), OTLP export of spans and log lines, and `request.id`
 * on every span. Call it once, first thing at startup.
 */
export function init(options: HopscopeOptions = {}): HopscopeHandle {
  if (current !== undefined) {
    throw new HopscopeConfigError(
      `hopscope: init() was already called (service "${current.options.service}"); call it once ` +
        'at startup, or await the previous handle.shutdown() before calling it again',
    );
  }
  const resolved = resolveOptions(options);
  ensureContextManager();
  const resource = buildResource(resolved);

  const tracerProvider = new NodeTracerProvider({
    resource,
    sampler: buildSampler(resolved.sampler),
    spanProcessors: [
      new RequestIdSpanProcessor(),
      ...(resolved.exportTraces ? [createSpanExportProcessor(resolved)] : []),
      ...resolved.spanProcessors,
    ],
  });
  const propagator = createPropagator({
    service: getServiceName,
    requestIdAliases: resolved.requestIdAliases,
    servicesEncountered: resolved.trackServicesEncountered,
  });
  const lineExporter: LineLogExporter | undefined = resolved.exportLogs
    ? createLineLogExporter(resolved, resource, SDK_VERSION)
    : undefined;
  let loggerProvider: LoggerProvider | undefined;

  // Everything is built; from here on nothing throws. Globals are registered by hand to learn
  // whether they are ours, so shutdown() removes only ours. (ensureContextManager() already
  // registered AsyncLocalStorage, or kept a working manager.)
  const ownsTracing = trace.setGlobalTracerProvider(tracerProvider);
  const ownsPropagation = propagation.setGlobalPropagator(propagator);
  setLogSink(lineExporter);
  setActiveConfig(resolved);

  const stopDropReports = reportDrops(resolved);
  if (!ownsTracing || !ownsPropagation) {
    logger.warn('otel_globals_taken', {
      message:
        `Another OpenTelemetry ${ownsTracing ? 'propagator' : 'tracer provider'} was registered ` +
        'before hopscope.init(); the global API keeps using it, not Hopscope',
    });
  }

  let shutdownPromise: Promise<void> | undefined;
  const handle: HopscopeHandle = {
    options: resolved,
    tracerProvider,
    get loggerProvider() {
      if (loggerProvider === undefined && resolved.exportLogs && shutdownPromise === undefined) {
        loggerProvider = createLoggerProvider(resolved, resource);
      }
      return loggerProvider;
    },
    async forceFlush() {
      flushLines();
      await Promise.allSettled([
        tracerProvider.forceFlush(),
        lineExporter?.forceFlush(),
        loggerProvider?.forceFlush(),
      ]);
    },
    shutdown() {
      shutdownPromise ??= (async () => {
        process.off('beforeExit', flushOnExit);
        stopDropReports();
        flushLines();
        await Promise.allSettled([
          tracerProvider.shutdown(),
          lineExporter?.shutdown(),
          loggerProvider?.shutdown(),
        ]);
        setLogSink(undefined);
        if (ownsTracing) trace.disable();
        if (ownsPropagation) propagation.disable();
        setActiveConfig(resolved, false);
        current = undefined;
      })();
      return shutdownPromise;
    },
  };
  // A process that ends on its own (a script, a job) still delivers its last spans and lines;
  // `beforeExit` does not fire on process.exit() or signals, where shutdown() is the app's job.
  const flushOnExit = () => void handle.shutdown();
  process.once('beforeExit', flushOnExit);
  current = handle;
  return handle;
}

/** Writes the logger's pending stdout batch now (see log/stdout-writer.ts); never throws. */
function flushLines(): void {
  try {
    logger.flush();
  } catch {
    // a broken destination must not fail a flush or a shutdown
  }
}

/** The handle of the running `init()`, if any. */
export function getHandle(): HopscopeHandle | undefined {
  return current;
}

/** Every `dropWarnIntervalMs`, one warn line when spans or log records were dropped since the last. */
function reportDrops(options: ResolvedOptions): () => void {
  let reported = getDroppedCounts();
  const timer = setInterval(() => {
    const now = getDroppedCounts();
    const spans = now.spans - reported.spans;
    const logs = now.logs - reported.logs;
    if (spans === 0 && logs === 0) return;
    reported = now;
    logger.warn('telemetry_dropped', {
      message: `Dropped ${spans} spans and ${logs} log records: the collector is down, slow or the queue is full`,
      spans_dropped: spans,
      logs_dropped: logs,
      spans_dropped_total: now.spans,
      logs_dropped_total: now.logs,
      endpoint: options.tracesEndpoint,
    });
  }, options.dropWarnIntervalMs);
  timer.unref();
  return () => clearInterval(timer);
}
