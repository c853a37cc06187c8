/** Webhook delivery against real receivers on 127.0.0.1: what is retried, what is given up. */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Registry } from 'prom-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AlertMetrics, type WebhookConfig, WebhookNotifier } from '../../src/alerts/index.js';
import type { AlertNotification } from '../../src/api/types.js';

let server: Server;
let base: string;
const seen: string[] = [];

beforeAll(async () => {
  server = createServer((req, res) => {
    seen.push(`${req.url} ${req.headers['x-hopscope-delivery']}`);
    req.resume();
    req.on('end', () => res.writeHead(req.url === '/bad' ? 400 : 503).end());
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise((r) => server.close(r)));

const hook = (name: string, url: string): WebhookConfig => ({
  name,
  url,
  format: 'json',
  max_attempts: 3,
  initial_backoff: 10,
  timeout: 2000,
});

const note = (id: string): AlertNotification => ({
  version: 1,
  source: 'hopscope',
  delivery_id: id,
  status: 'firing',
  rule: {
    name: 'r',
    kind: 'error_rate',
    severity: 'page',
    description: null,
    service: 's',
    operation: null,
    where: [],
    labels: {},
  },
  value: 0.5,
  threshold: 0.1,
  unit: 'ratio',
  window: '5m',
  summary: 'error rate 50%',
  started_at: null,
  fired_at: null,
  resolved_at: null,
  examples: [],
  alerts_url: 'http://x/api/alerts',
});

describe('webhook delivery', () => {
  it('gives up at once on a 4xx, retries 5xx up to max_attempts, and counts both', async () => {
    const registry = new Registry();
    const logs: string[] = [];
    const n = new WebhookNotifier(new AlertMetrics(registry), (m) => logs.push(m));
    n.send(hook('bad', `${base}/bad`), note('d1'));
    n.send(hook('down', `${base}/down`), note('d2'));
    await n.idle();
    expect(seen.sort()).toEqual(['/bad d1', '/down d2', '/down d2', '/down d2']);
    expect(logs.filter((l) => l.endsWith('giving up'))).toHaveLength(2);
    const text = await registry.metrics();
    expect(text).toContain('hopscope_alert_notifications_total{webhook="bad",result="failed"} 1');
    expect(text).toContain('hopscope_alert_notifications_total{webhook="down",result="failed"} 1');
    expect(text).toContain('hopscope_alert_delivery_failures_total{webhook="down",reason="503"} 3');
    expect(text).toContain('hopscope_alert_delivery_failures_total{webhook="bad",reason="400"} 1');
  });

  it('counts an unreachable receiver as a network failure', async () => {
    const closed = createServer();
    await new Promise<void>((r) => closed.listen(0, '127.0.0.1', r));
    const port = (closed.address() as AddressInfo).port;
    await new Promise((r) => closed.close(r));
    const registry = new Registry();
    const n = new WebhookNotifier(new AlertMetrics(registry), () => {});
    n.send(hook('gone', `http://127.0.0.1:${port}/`), note('d3'));
    await n.idle();
    expect(await registry.metrics()).toContain(
      'hopscope_alert_delivery_failures_total{webhook="gone",reason="network"} 3',
    );
  });
});
