/**
 * `hopscope alerts` against a real server with rules and real traffic from the official OTLP
 * exporter; `hopscope serve --alerts` refuses a bad file as a usage error naming line and problem.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type AlertsResponse, type ServerHandle, startServer } from '@hopscope/server';
import { SpanKind, SpanStatusCode } from '@opentelemetry/api';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BasicTracerProvider, BatchSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from './helpers.js';

let dir: string;
let server: ServerHandle;
const failed: string[] = [];

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'hopscope-cli-alerts-'));
  server = await startServer({
    port: 0,
    grpcPort: false,
    dataDir: join(dir, 'data'),
    alerts: {
      evaluation_interval: '100ms',
      rules: [
        { name: 'api-errors', kind: 'error_rate', service: 'cli-alerts', threshold: 0.1 },
        { name: 'api-slo', kind: 'burn_rate', service: 'cli-alerts', objective: 0.999 },
        { name: 'worker-silent', kind: 'no_data', service: 'cli-worker', window: '10m' },
      ],
    },
  });
  const provider = new BasicTracerProvider({
    resource: resourceFromAttributes({ 'service.name': 'cli-alerts' }),
    spanProcessors: [
      // One export: the rules fire on all four spans at once, not on the first one.
      new BatchSpanProcessor(new OTLPTraceExporter({ url: `${server.url}/v1/traces` }), {
        scheduledDelayMillis: 60_000,
      }),
    ],
  });
  const tracer = provider.getTracer('cli-alerts');
  for (let i = 0; i < 4; i++) {
    const id = `req_${randomBytes(6).toString('hex')}`;
    const span = tracer.startSpan('GET /items', {
      kind: SpanKind.SERVER,
      attributes: { 'request.id': id },
    });
    if (i < 2) {
      failed.push(id);
      span.setStatus({ code: SpanStatusCode.ERROR });
    }
    span.end();
  }
  await provider.shutdown();
  for (let i = 0; i < 200; i++) {
    const a = (await (await fetch(`${server.url}/api/alerts`)).json()) as AlertsResponse;
    if (a.states.filter((s) => s.state === 'firing').length === 2) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error('the alerts did not fire');
});

afterAll(async () => {
  await server?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('hopscope alerts', () => {
  it('draws rules, states and the firing alerts’ example requests; exit 1 while firing', async () => {
    const { code, stdout } = await runCli(['alerts', '--server', server.url]);
    expect(code).toBe(1);
    const lines = stdout.split('\n');
    expect(lines[0]).toMatch(/^3 rules, evaluated every 100ms, last at /);
    expect(lines[1]).toMatch(/^RULE\s+KIND\s+TARGET\s+STATE\s+VALUE\s+THRESHOLD\s+WINDOW\s+SINCE$/);
    expect(lines.find((l) => l.startsWith('api-errors'))).toMatch(
      /^api-errors\s+error_rate\s+cli-alerts\s+firing\s+50\.0%\s+10\.0%\s+5m\s+\d{4}-/,
    );
    expect(lines.find((l) => l.startsWith('api-slo'))).toMatch(
      /burn_rate\s+cli-alerts\s+firing\s+500\.0×\s+14\.4×\s+1h & 5m/,
    );
    expect(lines.find((l) => l.startsWith('worker-silent'))).toMatch(
      /no_data\s+cli-worker\s+inactive/,
    );
    const examples = lines.filter((l) => l.includes('↳')).map((l) => l.trim().split(/\s+/)[1]);
    expect(examples.length).toBe(4); // two per firing rule
    for (const id of examples) expect(failed).toContain(id);
    expect(stdout).toContain(`${server.url}/trace/${examples[0]}`);
    expect(stdout).toContain('RECENT CHANGES (newest first)');
    expect(stdout).toMatch(/api-errors {2}inactive → firing/);
  });

  it('--json is the API response; --history 0 hides the changes', async () => {
    const { stdout } = await runCli(['alerts', '--server', server.url, '--json']);
    const body = JSON.parse(stdout) as AlertsResponse;
    expect(body.rules.map((r) => r.name)).toEqual(['api-errors', 'api-slo', 'worker-silent']);
    expect(body.states[0].examples.map((e) => e.request_id).sort()).toEqual([...failed].sort());
    const quiet = await runCli(['alerts', '--server', server.url, '--history', '0']);
    expect(quiet.stdout).not.toContain('RECENT CHANGES');
  });

  it('--prometheus prints the rule file', async () => {
    const { code, stdout } = await runCli(['alerts', '--server', server.url, '--prometheus']);
    expect(code).toBe(0);
    expect(stdout).toContain('- alert: HopscopeApiErrors');
    expect(stdout).toContain('expr: hopscope_service_error_ratio{service="cli-alerts"} > 0.1');
  });

  it('says so when the server runs without rules', async () => {
    const plain = await startServer({ port: 0, grpcPort: false, dataDir: join(dir, 'plain') });
    try {
      const { code, stderr } = await runCli(['alerts', '--server', plain.url]);
      expect(code).toBe(0);
      expect(stderr).toContain('No alert rules at');
      const prom = await runCli(['alerts', '--server', plain.url, '--prometheus']);
      expect(prom.code).toBe(3);
      expect(prom.stderr).toContain('start the server with --alerts FILE');
    } finally {
      await plain.close();
    }
  });
});

describe('hopscope serve --alerts', () => {
  it('a bad rule file is a usage error naming the line and the problem', async () => {
    const file = join(dir, 'bad.yaml');
    writeFileSync(
      file,
      'rules:\n  - name: api\n    kind: latency\n    service: api\n    threshold_ms: -5\n',
    );
    const { code, stderr } = await runCli([
      'serve',
      '--port',
      '0',
      '--grpc-port',
      'off',
      '--data',
      join(dir, 'serve-data'),
      '--alerts',
      file,
    ]);
    expect(code).toBe(2);
    expect(stderr).toBe(
      `hopscope: --alerts: alert rules ${file}:5:19: rules[0].threshold_ms: Too small: expected number to be >0\n`,
    );
  });
});
