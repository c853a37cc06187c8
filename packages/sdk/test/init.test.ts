import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { context, type ProxyTracerProvider, propagation, trace } from '@opentelemetry/api';
import { BasicTracerProvider } from '@opentelemetry/sdk-trace-base';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import {
  getDroppedCounts,
  type HopscopeHandle,
  init,
  logger,
  runWithRequestId,
  withSpan,
} from '../src/index.js';
import { LineSink } from './line-sink.js';
import { OtlpReceiver } from './otlp-receiver.js';

const receiver = new OtlpReceiver();
let endpoint: string;
let handle: HopscopeHandle | undefined;

beforeAll(async () => {
  endpoint = await receiver.start();
});
afterEach(async () => {
  await handle?.shutdown();
  handle = undefined;
  receiver.requests.length = 0;
});
afterAll(() => receiver.stop());

describe('init', () => {
  it('exports spans and log lines as gzip OTLP protobuf to the endpoint', async () => {
    const lines = new LineSink();
    handle = init({
      // gzip is the default only for endpoints off this machine
      compression: 'gzip',
      service: 'svc-a',
      version: '1.2.3',
      environment: 'test',
      endpoint,
      exportDelayMs: 50,
      logDestination: lines,
      resourceAttributes: { team: 'core' },
    });
    runWithRequestId('req_aaaaaaaaaaaa', () =>
      withSpan('work', { 'work.kind': 'unit' }, () => {
        logger.info('did_work', { n: 1, nested: { a: 'b' } });
      }),
    );
    // no flush: the batch delay alone delivers them
    await vi.waitFor(
      () => {
        expect(receiver.spans().length).toBe(1);
        expect(receiver.logs().length).toBe(1);
      },
      { timeout: 10_000, interval: 20 },
    );

    const traceReq = receiver.requests.find((r) => r.path === '/v1/traces');
    expect(traceReq?.headers['content-type']).toBe('application/x-protobuf');
    expect(traceReq?.headers['content-encoding']).toBe('gzip');
    const logReq = receiver.requests.find((r) => r.path === '/v1/logs');
    expect(logReq?.headers['content-type']).toBe('application/x-protobuf');
    expect(logReq?.headers['content-encoding']).toBe('gzip');

    const [span] = receiver.spans();
    expect(span.name).toBe('work');
    expect(span.attributes).toMatchObject({
      'request.id': 'req_aaaaaaaaaaaa',
      'work.kind': 'unit',
    });
    expect(span.resource).toMatchObject({
      'service.name': 'svc-a',
      'service.version': '1.2.3',
      'deployment.environment.name': 'test',
      team: 'core',
    });

    const [log] = receiver.logs();
    expect(log.body).toBe('did_work');
    expect(log.eventName).toBe('did_work');
    expect(log.severityText).toBe('info');
    expect(log.severityNumber).toBe(9);
    expect(log.traceId).toBe(span.traceId);
    expect(log.spanId).toBe(span.spanId);
    expect(log.attributes).toMatchObject({
      event: 'did_work',
      'request.id': 'req_aaaaaaaaaaaa',
      n: 1,
      nested: { a: 'b' },
    });
    expect(log.resource['service.name']).toBe('svc-a');

    // the same line on stdout, with the configured service
    const line = lines.find('did_work');
    expect(line).toMatchObject({
      service: 'svc-a',
      request_id: 'req_aaaaaaaaaaaa',
      trace_id: span.traceId,
      span_id: span.spanId,
    });
  });

  it('refuses a second init() clearly, and allows one after shutdown()', async () => {
    handle = init({ service: 'first', endpoint, logDestination: new LineSink() });
    expect(() => init({ service: 'second', endpoint })).toThrow(
      /init\(\) was already called \(service "first"\)/,
    );
    await handle.shutdown();
    await handle.shutdown(); // idempotent
    handle = init({ service: 'second', endpoint, logDestination: new LineSink() });
    expect(handle.options.service).toBe('second');
  });

  it('rejects invalid options before touching any global', () => {
    expect(() => init({ endpoint: 'not a url' })).toThrow(/option endpoint/);
    expect(trace.getTracerProvider().getTracer('x').startSpan('y').isRecording()).toBe(false);
  });

  it('flushes pending spans and log lines on shutdown()', async () => {
    handle = init({
      service: 'svc-flush',
      endpoint,
      exportDelayMs: 60_000,
      logDestination: new LineSink(),
    });
    for (let i = 0; i < 25; i++) {
      withSpan(`op_${i}`, () => logger.info('op_done', { i }));
    }
    expect(receiver.spans()).toHaveLength(0);
    await handle.shutdown();
    expect(receiver.spans()).toHaveLength(25);
    expect(receiver.logs()).toHaveLength(25);
    // after shutdown nothing is exported and nothing throws
    withSpan('after', () => logger.info('after_shutdown'));
    expect(trace.getSpan(context.active())).toBeUndefined();
  });

  it('registers a propagator that carries the request ID and trace context', async () => {
    handle = init({ service: 'svc-prop', endpoint, logDestination: new LineSink() });
    const headers: Record<string, string> = {};
    runWithRequestId('req_bbbbbbbbbbbb', () =>
      withSpan('outgoing', (span) => {
        propagation.inject(context.active(), headers);
        expect(headers.traceparent).toContain(span.spanContext().traceId);
      }),
    );
    expect(headers['x-request-id']).toBe('req_bbbbbbbbbbbb');
    expect(headers['x-upstream-service']).toBe('svc-prop');
  });

  it('leaves a tracer provider registered by someone else alone, and says so', async () => {
    const theirs = new BasicTracerProvider();
    expect(trace.setGlobalTracerProvider(theirs)).toBe(true);
    try {
      const lines = new LineSink();
      handle = init({ service: 'late', endpoint, logDestination: lines });
      expect(lines.find('otel_globals_taken').message).toMatch(/tracer provider was registered/);
      await handle.shutdown();
      handle = undefined;
      expect((trace.getTracerProvider() as ProxyTracerProvider).getDelegate()).toBe(theirs);
    } finally {
      trace.disable();
    }
  });

  it('honours OTEL_SERVICE_NAME and OTEL_EXPORTER_OTLP_ENDPOINT', async () => {
    vi.stubEnv('OTEL_SERVICE_NAME', 'from-env');
    vi.stubEnv('OTEL_EXPORTER_OTLP_ENDPOINT', endpoint);
    try {
      handle = init({ logDestination: new LineSink() });
      withSpan('env_span', () => {});
      await handle.forceFlush();
      expect(receiver.spans()[0].resource['service.name']).toBe('from-env');
    } finally {
      vi.unstubAllEnvs();
    }
  });
});

describe('a process that ends on its own', () => {
  it('delivers its last spans and log lines without calling shutdown()', async () => {
    const dist = fileURLToPath(new URL('../dist/index.js', import.meta.url));
    if (!existsSync(dist)) {
      throw new Error(`${dist} is missing: run \`npm run build\` (npm test does) first`);
    }
    const script = [
      `import { init, logger, withSpan } from ${JSON.stringify(pathToFileURL(dist).href)};`,
      `init({ service: 'script', endpoint: ${JSON.stringify(endpoint)}, exportDelayMs: 60000,`,
      '  logDestination: { write() {} } });',
      "withSpan('script_work', () => logger.info('script_line'));",
    ].join('\n');
    const child = spawn(process.execPath, ['--input-type=module', '-e', script], {
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (c) => {
      stderr += c;
    });
    const code = await new Promise((r) => child.on('exit', r));
    expect(stderr).toBe('');
    expect(code).toBe(0);
    expect(receiver.spans().map((s) => s.name)).toEqual(['script_work']);
    expect(receiver.logs().map((l) => l.eventName)).toEqual(['script_line']);
  });
});

describe('when the collector is down or slow', () => {
  const rejections: unknown[] = [];
  const onRejection = (reason: unknown) => rejections.push(reason);
  beforeAll(() => process.on('unhandledRejection', onRejection));
  afterAll(() => process.off('unhandledRejection', onRejection));

  it('drops and counts spans and log lines to a closed port, with a warn line, never throwing', async () => {
    const closed = new OtlpReceiver();
    const deadEndpoint = await closed.start();
    await closed.stop();
    const lines = new LineSink();
    const before = getDroppedCounts();
    handle = init({
      service: 'svc-down',
      endpoint: deadEndpoint,
      exportDelayMs: 10,
      maxQueueSize: 10,
      exportTimeoutMs: 2000,
      dropWarnIntervalMs: 50,
      logDestination: lines,
    });
    for (let i = 0; i < 60; i++) {
      const value = runWithRequestId(`req_${i}`, () =>
        withSpan('doomed', () => {
          logger.info('doomed_line', { i });
          return i;
        }),
      );
      expect(value).toBe(i); // returned synchronously: export is off the request path
    }
    await vi.waitFor(
      () => {
        const now = getDroppedCounts();
        expect(now.spans - before.spans).toBe(60);
        expect(now.logs - before.logs).toBeGreaterThanOrEqual(60);
      },
      { timeout: 15_000, interval: 25 },
    );
    await vi.waitFor(() => expect(lines.find('telemetry_dropped').level).toBe('warn'), {
      timeout: 5_000,
    });
    expect(lines.find('telemetry_dropped').spans_dropped).toBeGreaterThan(0);
    await handle.shutdown();
    handle = undefined;
    expect(rejections).toEqual([]);
  });

  it('abandons exports to a slow collector after the timeout and counts the drops', async () => {
    receiver.delayMs = 5_000;
    try {
      const before = getDroppedCounts();
      handle = init({
        service: 'svc-slow',
        endpoint,
        exportDelayMs: 10,
        maxQueueSize: 5,
        maxExportBatchSize: 5,
        exportTimeoutMs: 300,
        exportLogs: false,
        logDestination: new LineSink(),
      });
      for (let i = 0; i < 40; i++) withSpan('slow', () => i);
      await vi.waitFor(
        () => expect(getDroppedCounts().spans - before.spans).toBeGreaterThanOrEqual(35),
        { timeout: 15_000, interval: 25 },
      );
      await handle.shutdown();
      handle = undefined;
      expect(rejections).toEqual([]);
    } finally {
      receiver.delayMs = 0;
    }
  });
});
