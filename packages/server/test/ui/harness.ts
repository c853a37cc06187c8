/**
 * What the browser tests stand on: the UI built with Vite into a temp folder, a real server on
 * port 0 with its own DuckDB file, the official OpenTelemetry SDK and OTLP exporters as senders,
 * and Debian's Chromium driven by playwright-core.
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  type Context,
  context,
  type Span,
  SpanKind,
  SpanStatusCode,
  trace,
} from '@opentelemetry/api';
import { OTLPLogExporter } from '@opentelemetry/exporter-logs-otlp-http';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { LoggerProvider, SimpleLogRecordProcessor } from '@opentelemetry/sdk-logs';
import { BasicTracerProvider, BatchSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { type Browser, chromium, type Page } from 'playwright-core';
import { expect } from 'vitest';
import { type ServerHandle, type ServerOptions, startServer } from '../../src/server.js';

export const CHROMIUM = '/usr/bin/chromium';
export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
];
export const hasChromium = existsSync(CHROMIUM);
/** Locally a missing Chromium skips the browser tests; in CI it fails them with this message. */
export const skipBrowser = !hasChromium && !process.env.CI;
export function requireChromium(): void {
  if (!hasChromium) {
    throw new Error(
      `Chromium not found at ${CHROMIUM}: the UI tests drive Debian's chromium (apt-get install chromium)`,
    );
  }
}

const uiDir = fileURLToPath(new URL('../../../ui/', import.meta.url));

/** Builds the UI from source into a temp folder, so the test sees the code as it is now. */
export async function buildUi(): Promise<{ dir: string; cleanup: () => void }> {
  const dir = mkdtempSync(join(tmpdir(), 'hopscope-ui-'));
  const { build } = await import('vite');
  // Vitest sets NODE_ENV=test, which would bundle React's development build.
  const nodeEnv = process.env.NODE_ENV;
  process.env.HOPSCOPE_UI_OUT = dir;
  process.env.NODE_ENV = 'production';
  try {
    await build({
      configFile: join(uiDir, 'vite.config.ts'),
      mode: 'production',
      logLevel: 'warn',
    });
  } finally {
    delete process.env.HOPSCOPE_UI_OUT;
    process.env.NODE_ENV = nodeEnv;
  }
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

export async function uiServer(
  uiDist: string,
  options: ServerOptions = {},
): Promise<ServerHandle & { stop: () => Promise<void> }> {
  const data = mkdtempSync(join(tmpdir(), 'hopscope-ui-data-'));
  process.env.HOPSCOPE_UI_DIR = uiDist;
  const server = await startServer({ port: 0, grpcPort: false, dataDir: data, ...options });
  delete process.env.HOPSCOPE_UI_DIR;
  return {
    ...server,
    stop: async () => {
      await server.close();
      rmSync(data, { recursive: true, force: true });
    },
  };
}

/** `expect.poll` with room for a loaded machine (its default gives up after one second). */
export function poll<T>(fn: () => T | Promise<T>) {
  return expect.poll(fn, { timeout: 20_000, interval: 100 });
}

export async function launchBrowser(): Promise<Browser> {
  requireChromium();
  return chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS, headless: true });
}

export async function newPage(browser: Browser, token?: string): Promise<Page> {
  const ctx = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  if (token) {
    await ctx.addInitScript((t) => {
      const g = globalThis as unknown as { localStorage: { setItem(k: string, v: string): void } };
      g.localStorage.setItem('hopscope.queryToken', t);
    }, token);
  }
  const page = await ctx.newPage();
  page.setDefaultTimeout(10_000);
  page.on('pageerror', (err) => {
    throw new Error(`page error: ${err.message}`);
  });
  return page;
}

/** A service sending spans with the official SDK and the OTLP/protobuf exporter. */
export class OtelService {
  readonly provider: BasicTracerProvider;
  readonly tracer;
  readonly logs: LoggerProvider;
  private logger;

  constructor(
    readonly name: string,
    serverUrl: string,
    headers: Record<string, string> = {},
  ) {
    const resource = resourceFromAttributes({ 'service.name': name, 'service.version': '1.0.0' });
    this.provider = new BasicTracerProvider({
      resource,
      spanProcessors: [
        new BatchSpanProcessor(new OTLPTraceExporter({ url: `${serverUrl}/v1/traces`, headers }), {
          maxQueueSize: 100_000,
          maxExportBatchSize: 2000,
          scheduledDelayMillis: 50,
        }),
      ],
    });
    this.tracer = this.provider.getTracer('hopscope-ui-test');
    this.logs = new LoggerProvider({
      resource,
      processors: [
        new SimpleLogRecordProcessor({
          exporter: new OTLPLogExporter({ url: `${serverUrl}/v1/logs`, headers }),
        }),
      ],
    });
    this.logger = this.logs.getLogger('hopscope-ui-test');
  }

  /** A finished span `offsetMs`…`offsetMs + durationMs` after `t0` (epoch ms). */
  span(opts: {
    name: string;
    t0: number;
    offsetMs: number;
    durationMs: number;
    parent?: Span;
    kind?: SpanKind;
    attributes?: Record<string, string | number | boolean>;
    error?: Error;
    requestId?: string;
    links?: Span[];
    events?: Array<{
      name: string;
      offsetMs: number;
      attributes?: Record<string, string | number>;
    }>;
  }): Span {
    const ctx: Context = opts.parent
      ? trace.setSpan(context.active(), opts.parent)
      : context.active();
    const span = this.tracer.startSpan(
      opts.name,
      {
        kind: opts.kind ?? SpanKind.INTERNAL,
        startTime: opts.t0 + opts.offsetMs,
        attributes: {
          ...(opts.requestId ? { 'request.id': opts.requestId } : {}),
          ...opts.attributes,
        },
        links: opts.links?.map((l) => ({
          context: l.spanContext(),
          attributes: { 'link.reason': 'enqueued by' },
        })),
      },
      ctx,
    );
    for (const e of opts.events ?? []) span.addEvent(e.name, e.attributes, opts.t0 + e.offsetMs);
    if (opts.error) {
      span.recordException(opts.error, opts.t0 + opts.offsetMs + opts.durationMs);
      span.setStatus({ code: SpanStatusCode.ERROR, message: opts.error.message });
    }
    span.end(opts.t0 + opts.offsetMs + opts.durationMs);
    return span;
  }

  log(opts: {
    message: string;
    event?: string;
    level?: 'debug' | 'info' | 'warn' | 'error';
    span?: Span;
    requestId?: string;
    at: number;
    attributes?: Record<string, string | number | boolean>;
  }): void {
    const level = opts.level ?? 'info';
    // OTLP SeverityNumber values (the api-logs enum, without importing it).
    const severity = { debug: 5, info: 9, warn: 13, error: 17 }[level];
    this.logger.emit({
      body: opts.message,
      severityNumber: severity,
      severityText: level.toUpperCase(),
      timestamp: opts.at,
      context: opts.span ? trace.setSpan(context.active(), opts.span) : undefined,
      attributes: {
        ...(opts.event ? { event: opts.event } : {}),
        ...(opts.requestId ? { 'request.id': opts.requestId } : {}),
        ...opts.attributes,
      },
    });
  }

  /** Resolves once the server acknowledged everything (acknowledged means stored). */
  async flush(): Promise<void> {
    await this.provider.forceFlush();
    await this.logs.forceFlush();
  }

  async shutdown(): Promise<void> {
    await this.provider.shutdown();
    await this.logs.shutdown();
  }
}

export { SpanKind };
