/**
 * Alerts end to end: a real server (DuckDB in a temp dir, port 0, a 200 ms evaluation interval)
 * receives spans from the official OTLP/protobuf exporter; a webhook receiver on 127.0.0.1 fails
 * its first two deliveries. The error-rate rule must fire on the first evaluation after the
 * errors are stored, name failed requests that /api/debug/trace resolves, notify exactly once
 * per state change, and resolve once healthy traffic dilutes the errors.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SpanKind, SpanStatusCode } from '@opentelemetry/api';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BasicTracerProvider, BatchSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AlertNotification, AlertsResponse, DebugTraceResponse } from '../../src/api/types.js';
import { type ServerHandle, startServer } from '../../src/server.js';

const SERVICE = 'alerts-gateway';

interface Received {
  path: string;
  delivery: string;
  answered: number;
  body: Record<string, unknown>;
}

/** Answers 500 to the first `failFirst` requests on /hook, 200 to everything else. */
function receiver(failFirst: number) {
  const got: Received[] = [];
  let hookCalls = 0;
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const path = req.url ?? '';
      const answered = path === '/hook' && hookCalls++ < failFirst ? 500 : 200;
      got.push({
        path,
        delivery: String(req.headers['x-hopscope-delivery']),
        answered,
        body: JSON.parse(Buffer.concat(chunks).toString('utf8')),
      });
      res.writeHead(answered).end();
    });
  });
  return { server, got };
}

const hook = receiver(2);
const dir = mkdtempSync(join(tmpdir(), 'hopscope-alerts-e2e-'));
let server: ServerHandle;
let provider: BasicTracerProvider;
const failedIds: string[] = [];

/** Delivery failures are logged as process warnings. */
const warnings: string[] = [];
const onWarning = (w: Error) => {
  if (w.name === 'HopscopeAlertWarning') warnings.push(w.message);
};
process.on('warning', onWarning);

const reqId = () => `req_${randomBytes(6).toString('hex')}`;

async function send(ok: number, failed: number): Promise<void> {
  const tracer = provider.getTracer('alerts-e2e');
  for (let i = 0; i < ok + failed; i++) {
    const id = reqId();
    const span = tracer.startSpan('POST /chat', {
      kind: SpanKind.SERVER,
      attributes: { 'request.id': id, 'http.request.method': 'POST' },
    });
    if (i < failed) {
      failedIds.push(id);
      span.setStatus({ code: SpanStatusCode.ERROR, message: 'upstream timeout' });
    }
    span.end();
  }
  // The collector acknowledges only committed spans: after this, an evaluation sees them.
  await provider.forceFlush();
}

async function alerts(): Promise<AlertsResponse> {
  return (await (await fetch(`${server.url}/api/alerts`)).json()) as AlertsResponse;
}

async function until<T>(what: string, probe: () => Promise<T | undefined>): Promise<T> {
  for (let i = 0; i < 300; i++) {
    const v = await probe();
    if (v !== undefined) return v;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`gave up waiting for ${what}`);
}

const rule = async (name: string) => (await alerts()).states.find((s) => s.rule === name);

beforeAll(async () => {
  await new Promise<void>((r) => hook.server.listen(0, '127.0.0.1', r));
  const port = (hook.server.address() as AddressInfo).port;
  const file = join(dir, 'alerts.yaml');
  writeFileSync(
    file,
    `evaluation_interval: 200ms
webhooks:
  - name: receiver
    url: http://127.0.0.1:${port}/hook
    initial_backoff: 20ms
  - name: chat
    url: http://127.0.0.1:${port}/slack
    format: slack
    initial_backoff: 20ms
rules:
  - name: gateway-errors
    kind: error_rate
    service: ${SERVICE}
    threshold: 0.2
    window: 5m
    severity: page
  - name: gateway-p99
    kind: latency
    service: ${SERVICE}
    percentile: p99
    threshold_ms: 60000
    notify: [receiver]
`,
  );
  server = await startServer({
    port: 0,
    grpcPort: false,
    dataDir: join(dir, 'data'),
    alertsFile: file,
  });
  provider = new BasicTracerProvider({
    resource: resourceFromAttributes({ 'service.name': SERVICE }),
    spanProcessors: [
      new BatchSpanProcessor(new OTLPTraceExporter({ url: `${server.url}/v1/traces` }), {
        scheduledDelayMillis: 20,
      }),
    ],
  });
});

afterAll(async () => {
  process.off('warning', onWarning);
  await provider?.shutdown();
  await server?.close();
  await new Promise((r) => hook.server.close(r));
  rmSync(dir, { recursive: true, force: true });
});

describe('alerts on real traffic', () => {
  it('starts inactive with the rules listed', async () => {
    const a = await until('a first evaluation', async () => {
      const v = await alerts();
      return v.evaluations > 0 ? v : undefined;
    });
    expect(a.enabled).toBe(true);
    expect(a.rules.map((r) => r.name)).toEqual(['gateway-errors', 'gateway-p99']);
    expect(a.states.map((s) => s.state)).toEqual(['inactive', 'inactive']);
    expect(a.webhooks).toEqual([
      { name: 'receiver', format: 'json', host: expect.stringMatching(/^127\.0\.0\.1:\d+$/) },
      { name: 'chat', format: 'slack', host: expect.stringMatching(/^127\.0\.0\.1:\d+$/) },
    ]);
  });

  it('fires within one evaluation interval, naming failed requests', async () => {
    await send(10, 10); // 50% errors against a 20% threshold
    const startedBefore = (await alerts()).evaluations;
    const firing = await until('firing', async () => {
      const s = await rule('gateway-errors');
      return s?.state === 'firing' ? s : undefined;
    });
    const a = await alerts();
    const entry = a.history.find((h) => h.rule === 'gateway-errors' && h.to === 'firing');
    // The round numbered startedBefore may have begun before the spans were committed; the
    // next one started after, so it must be the one that fired.
    expect(entry?.evaluation).toBeLessThanOrEqual(startedBefore + 1);
    expect(entry?.from).toBe('inactive');
    expect(firing.value).toBe(0.5);
    expect(firing.window).toBe('5m');
    expect(firing.examples.length).toBe(5);
    for (const ex of firing.examples) {
      expect(failedIds).toContain(ex.request_id);
      expect(ex.url).toBe(`${server.url}/trace/${ex.request_id}`);
      const res = await fetch(`${server.url}/api/debug/trace/${ex.request_id}`);
      expect(res.status).toBe(200);
      const t = (await res.json()) as DebugTraceResponse;
      expect(t.request_id).toBe(ex.request_id);
      expect(t.error_count).toBe(1);
      expect(t.spans[0].status).toBe('error');
    }
    expect((await rule('gateway-p99'))?.state).toBe('inactive');
  });

  it('delivers the firing notification once, after two failed attempts', async () => {
    await server.alerts?.deliveriesIdle();
    const hooks = hook.got.filter((g) => g.path === '/hook');
    expect(hooks.map((g) => g.answered)).toEqual([500, 500, 200]);
    expect(new Set(hooks.map((g) => g.delivery)).size).toBe(1); // one notification, retried
    const n = hooks[2].body as unknown as AlertNotification;
    expect(n.status).toBe('firing');
    expect(n.rule).toMatchObject({
      name: 'gateway-errors',
      kind: 'error_rate',
      severity: 'page',
      service: SERVICE,
    });
    expect(n.value).toBe(0.5);
    expect(n.threshold).toBe(0.2);
    expect(n.window).toBe('5m');
    expect(n.examples).toHaveLength(5);
    for (const ex of n.examples) expect(failedIds).toContain(ex.request_id);

    const slack = hook.got.filter((g) => g.path === '/slack');
    expect(slack).toHaveLength(1);
    expect(String(slack[0].body.text)).toMatch(/^:rotating_light: \[FIRING\] gateway-errors/);
    expect(JSON.stringify(slack[0].body.blocks)).toContain(
      `${server.url}/trace/${n.examples[0].request_id}|`,
    );

    expect(warnings).toEqual([
      'alert webhook "receiver": firing notification for rule "gateway-errors" attempt 1/6 failed: HTTP 500; retrying in 20 ms',
      'alert webhook "receiver": firing notification for rule "gateway-errors" attempt 2/6 failed: HTTP 500; retrying in 40 ms',
    ]);
    const metrics = await (await fetch(`${server.url}/metrics`)).text();
    expect(metrics).toContain(
      'hopscope_alert_delivery_failures_total{webhook="receiver",reason="500"} 2',
    );
    expect(metrics).toContain(
      'hopscope_alert_notifications_total{webhook="receiver",result="delivered"} 1',
    );
    expect(metrics).toContain('hopscope_alert_firing{rule="gateway-errors"} 1');
  });

  it('stays firing without re-notifying while the errors remain', async () => {
    const now = (await alerts()).evaluations;
    await until('three more evaluations', async () =>
      (await alerts()).evaluations >= now + 3 ? true : undefined,
    );
    await server.alerts?.deliveriesIdle();
    expect((await rule('gateway-errors'))?.state).toBe('firing');
    expect(hook.got.filter((g) => g.path === '/hook')).toHaveLength(3);
  });

  it('resolves once healthy traffic brings the rate below the hysteresis band, notifying once', async () => {
    await send(90, 0); // 10 of 110 = 9.1%, below 20% × 0.9
    const resolved = await until('resolved', async () => {
      const s = await rule('gateway-errors');
      return s?.state === 'resolved' ? s : undefined;
    });
    expect(resolved.value).toBeCloseTo(10 / 110, 6);
    const now = (await alerts()).evaluations;
    await until('three more evaluations', async () =>
      (await alerts()).evaluations >= now + 3 ? true : undefined,
    );
    await server.alerts?.deliveriesIdle();
    const hooks = hook.got.filter((g) => g.path === '/hook' && g.answered === 200);
    expect(hooks.map((g) => (g.body as unknown as AlertNotification).status)).toEqual([
      'firing',
      'resolved',
    ]);
    const r = hooks[1].body as unknown as AlertNotification;
    expect(r.resolved_at).not.toBeNull();
    expect(r.examples).toEqual([]);
    expect(
      hook.got.filter((g) => g.path === '/slack').map((g) => String(g.body.text).slice(0, 30)),
    ).toEqual([':rotating_light: [FIRING] gate', ':white_check_mark: [RESOLVED] ']);
    const a = await alerts();
    expect(
      a.history.filter((h) => h.rule === 'gateway-errors').map((h) => `${h.from}→${h.to}`),
    ).toEqual(['firing→resolved', 'inactive→firing']);
    expect(await (await fetch(`${server.url}/metrics`)).text()).toContain(
      'hopscope_alert_firing{rule="gateway-errors"} 0',
    );
  });
});
