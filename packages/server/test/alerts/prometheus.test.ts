/**
 * The rules as Prometheus alerting rules must load in Debian's promtool (package `prometheus`)
 * and use the metric names /metrics really exposes.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseAlertRulesText, prometheusRules } from '../../src/alerts/index.js';
import { type ServerHandle, startServer } from '../../src/server.js';

const RULES = `rules:
  - { name: gateway-errors, kind: error_rate, service: gateway, threshold: 0.05, window: 5m, for: 2m, severity: page }
  - { name: gateway-errors-15m, kind: error_rate, service: gateway, threshold: 0.05, window: 15m }
  - { name: agent-p99, kind: latency, service: agent, percentile: p99, threshold_ms: 8000, labels: { team: ai } }
  - { name: agent-spike, kind: error_spike, service: agent, factor: 3, window: 10m }
  - { name: checkout-slo, kind: burn_rate, service: gateway, objective: 0.999, for: 2m }
  - { name: sandbox-silent, kind: no_data, service: sandbox, window: 10m, description: 'The "sandbox" stopped sending' }
  - { name: chat-op, kind: error_rate, service: agent, operation: chat, threshold: 0.1 }
  - { name: gpt-errors, kind: error_rate, service: agent, where: { model: gpt-4o }, threshold: 0.1 }
`;

const promtool = spawnSync('promtool', ['--version']).status === 0;
const dir = mkdtempSync(join(tmpdir(), 'hopscope-prom-'));
let server: ServerHandle;

beforeAll(async () => {
  server = await startServer({
    port: 0,
    grpcPort: false,
    dataDir: join(dir, 'data'),
    alertsFile: writeRules(),
  });
});
afterAll(async () => {
  await server?.close();
  rmSync(dir, { recursive: true, force: true });
});

function writeRules(): string {
  const file = join(dir, 'rules.yaml');
  writeFileSync(file, RULES);
  return file;
}

describe('GET /api/alerts/prometheus-rules', () => {
  it('answers a rule file whose expressions use the metrics /metrics exposes', async () => {
    const res = await fetch(`${server.url}/api/alerts/prometheus-rules`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^application\/yaml/);
    const text = await res.text();
    expect(text).toContain('# skipped chat-op: scoped to an operation');
    expect(text).toContain('# skipped gpt-errors: filtered by attributes');
    // /metrics always declares the RED gauges (HELP/TYPE), with samples once services send.
    const metricsText = await (await fetch(`${server.url}/metrics`)).text();
    const metrics = new Set(text.match(/hopscope_service_[a-z_]+/g));
    expect([...metrics].sort()).toEqual([
      'hopscope_service_error_ratio',
      'hopscope_service_latency_ms',
      'hopscope_service_requests_per_second',
    ]);
    for (const name of metrics) expect(metricsText).toContain(`# TYPE ${name} gauge`);
  });

  it('passes promtool check rules', async (ctx) => {
    if (!promtool) {
      if (process.env.CI) throw new Error('promtool not found: apt-get install -y prometheus');
      ctx.skip();
    }
    const text = prometheusRules(parseAlertRulesText(RULES)).yaml;
    const file = join(dir, 'prom-rules.yaml');
    writeFileSync(file, text);
    const out = execFileSync('promtool', ['check', 'rules', file], { encoding: 'utf8' });
    expect(out).toMatch(/SUCCESS: 6 rules found/);
    expect(text).toContain('expr: hopscope_service_error_ratio{service="gateway"} > 0.05');
    expect(text).toContain(
      'expr: (avg_over_time(hopscope_service_error_ratio{service="gateway"}[1h]) > 0.0144 and hopscope_service_error_ratio{service="gateway"} > 0.0144) or (avg_over_time(hopscope_service_error_ratio{service="gateway"}[6h]) > 0.006 and avg_over_time(hopscope_service_error_ratio{service="gateway"}[30m]) > 0.006)',
    );
  });
});
