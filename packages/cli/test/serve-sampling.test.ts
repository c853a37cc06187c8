/**
 * `hopscope serve` sampling flags: bad configurations are usage errors naming the field, and a
 * real `hopscope serve --sample-percent` process holds traces until SIGTERM, then decides and
 * writes every pending one before it exits.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type HealthResponse, type JaegerTracesResponse, startServer } from '@hopscope/server';
import { SpanStatusCode } from '@opentelemetry/api';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BasicTracerProvider, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BIN } from './child.js';
import { runCli } from './helpers.js';

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'hopscope-cli-sampling-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const serve = (extra: string[]) =>
  runCli(['serve', '--port', '0', '--grpc-port', 'off', '--data', join(dir, 'data'), ...extra]);

describe('serve sampling flags: usage errors (exit 2)', () => {
  it('a file that does not validate names the field and the problem', async () => {
    const file = join(dir, 'bad.yaml');
    writeFileSync(file, 'policies:\n  - type: errors\n  - type: probabilistic\n    percent: 150\n');
    const { code, stderr } = await serve(['--sampling', file]);
    expect(code).toBe(2);
    expect(stderr).toContain(`${file}: invalid sampling configuration`);
    expect(stderr).toContain('policies[1].percent: expected 0–100');
  });

  it('a file that is not YAML, and a missing file', async () => {
    const file = join(dir, 'broken.yaml');
    writeFileSync(file, 'policies: [\n');
    const broken = await serve(['--sampling', file]);
    expect(broken.code).toBe(2);
    expect(broken.stderr).toContain('not valid YAML or JSON');
    const missing = await serve(['--sampling', join(dir, 'nope.yaml')]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('cannot read');
  });

  it('flags that exclude or need each other', async () => {
    const file = join(dir, 'ok.json');
    writeFileSync(file, JSON.stringify({ policies: [{ type: 'errors' }] }));
    expect((await serve(['--sampling', file, '--sample-percent', '5'])).stderr).toContain(
      '--sampling FILE cannot be combined with --sample-percent',
    );
    expect((await serve(['--sample-slower-than', '2s'])).stderr).toContain(
      '--sample-slower-than needs --sample-percent',
    );
    expect((await serve(['--sampling-wait', '2s'])).stderr).toContain(
      '--sampling-wait needs --sampling FILE or --sample-percent',
    );
    const bad = await serve(['--sample-percent', 'lots']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('--sample-percent: expected a percentage 0–100; got "lots"');
  });
});

describe('hopscope serve --sample-percent as a process', () => {
  it('acknowledges spans into the buffer and writes the kept ones on SIGTERM', async () => {
    if (!existsSync(BIN)) throw new Error(`${BIN} is missing: run \`npx tsc -b\` first`);
    const data = join(dir, 'proc-data');
    const child = spawn(
      process.execPath,
      [
        BIN,
        'serve',
        '--port',
        '0',
        '--grpc-port',
        'off',
        '--data',
        data,
        '--sample-percent',
        '0',
        '--sampling-wait',
        '10m',
      ],
      { env: { PATH: process.env.PATH ?? '' }, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => {
      stdout += d;
    });
    child.stderr.on('data', (d) => {
      stderr += d;
    });
    const exited = new Promise<number | null>((r) => child.on('close', r));
    const url = await new Promise<string>((resolve, reject) => {
      const check = () => {
        const m = /UI and API\s+(http:\/\/[^\s/]+)/.exec(stdout);
        if (m && stdout.includes('Tail sampling on')) resolve(m[1]!);
      };
      child.stdout.on('data', check);
      child.on('close', () => reject(new Error(`serve exited early: ${stderr}`)));
    });
    expect(stdout).toContain('Tail sampling on: errors, percent; decided 10m');

    const provider = new BasicTracerProvider({
      resource: resourceFromAttributes({ 'service.name': 'cli-sampling' }),
      spanProcessors: [new SimpleSpanProcessor(new OTLPTraceExporter({ url: `${url}/v1/traces` }))],
    });
    const tracer = provider.getTracer('t');
    const errors: string[] = [];
    for (let i = 0; i < 6; i++) {
      const span = tracer.startSpan(`job ${i}`);
      if (i % 2 === 0) {
        span.setStatus({ code: SpanStatusCode.ERROR });
        errors.push(span.spanContext().traceId);
      }
      span.end();
    }
    await provider.forceFlush();
    await provider.shutdown();
    const health = (await (await fetch(`${url}/api/health`)).json()) as HealthResponse;
    expect(health.sampling?.buffered_traces).toBe(6);

    child.kill('SIGTERM');
    expect(await exited).toBe(0);
    expect(stderr).toContain('closed cleanly');

    const server = await startServer({ port: 0, grpcPort: false, dataDir: data });
    try {
      const res = await fetch(
        `${server.url}/api/traces?service=cli-sampling&lookback=1h&limit=100`,
      );
      const body = (await res.json()) as JaegerTracesResponse;
      expect((body.data ?? []).map((t) => t.traceID).sort()).toEqual(errors.sort());
    } finally {
      await server.close();
    }
  }, 60_000);
});
