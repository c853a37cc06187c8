/**
 * Editing the rules file over the API: a real server (DuckDB in a temp dir, port 0, query token)
 * started with a temp rules file, with real failing traffic from the official OTLP exporter. A
 * refused text names its line and leaves file and rules alone; a good one replaces the file
 * (previous kept as .bak), keeps the state of unchanged rules and is evaluated at once.
 */
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SpanKind, SpanStatusCode } from '@opentelemetry/api';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BasicTracerProvider, BatchSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type {
  AlertRulesErrorBody,
  AlertRulesSourceResponse,
  AlertsResponse,
} from '../../src/api/types.js';
import { type ServerHandle, startServer } from '../../src/server.js';

const SERVICE = 'rules-edit-gateway';
const TOKEN = 'rules-edit-token';
const auth = { Authorization: `Bearer ${TOKEN}` };

const dir = mkdtempSync(join(tmpdir(), 'hopscope-rules-edit-'));
const file = join(dir, 'alerts.yaml');
const ORIGINAL = `evaluation_interval: 200ms
rules:
  - name: gateway-errors
    kind: error_rate
    service: ${SERVICE}
    threshold: 0.2
    window: 5m
`;
const WITH_NEW_RULE = `${ORIGINAL}  - name: gateway-errors-strict
    kind: error_rate
    service: ${SERVICE}
    threshold: 0.05
    window: 10m
`;

let server: ServerHandle;
let provider: BasicTracerProvider;

async function api(path: string, init: RequestInit = {}) {
  const res = await fetch(`${server.url}${path}`, {
    ...init,
    headers: { ...auth, ...(init.headers as Record<string, string>) },
  });
  return { status: res.status, body: (await res.json()) as unknown };
}

const put = (text: string, type = 'application/yaml') =>
  api('/api/alerts/rules', { method: 'PUT', body: text, headers: { 'Content-Type': type } });

const alerts = async () => (await api('/api/alerts')).body as AlertsResponse;

async function until<T>(what: string, probe: () => Promise<T | undefined>): Promise<T> {
  for (let i = 0; i < 300; i++) {
    const v = await probe();
    if (v !== undefined) return v;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`gave up waiting for ${what}`);
}

beforeAll(async () => {
  writeFileSync(file, ORIGINAL);
  server = await startServer({
    port: 0,
    grpcPort: false,
    dataDir: join(dir, 'data'),
    alertsFile: file,
    queryToken: TOKEN,
  });
  provider = new BasicTracerProvider({
    resource: resourceFromAttributes({ 'service.name': SERVICE }),
    spanProcessors: [
      new BatchSpanProcessor(new OTLPTraceExporter({ url: `${server.url}/v1/traces` }), {
        scheduledDelayMillis: 20,
      }),
    ],
  });
  const tracer = provider.getTracer('rules-edit');
  for (let i = 0; i < 10; i++) {
    const span = tracer.startSpan('POST /chat', {
      kind: SpanKind.SERVER,
      attributes: { 'request.id': `req_${randomBytes(6).toString('hex')}` },
    });
    if (i < 5) span.setStatus({ code: SpanStatusCode.ERROR, message: 'upstream timeout' });
    span.end();
  }
  await provider.forceFlush();
  await until('gateway-errors to fire', async () =>
    (await alerts()).states.find((s) => s.rule === 'gateway-errors' && s.state === 'firing'),
  );
});

afterAll(async () => {
  await provider?.shutdown();
  await server?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('GET/PUT /api/alerts/rules', () => {
  it('needs the query token, and changes nothing without it', async () => {
    const get = await fetch(`${server.url}/api/alerts/rules`);
    expect(get.status).toBe(401);
    const res = await fetch(`${server.url}/api/alerts/rules`, {
      method: 'PUT',
      body: WITH_NEW_RULE,
      headers: { 'Content-Type': 'application/yaml' },
    });
    expect(res.status).toBe(401);
    expect(readFileSync(file, 'utf8')).toBe(ORIGINAL);
  });

  it('returns the file text and its format', async () => {
    const { status, body } = await api('/api/alerts/rules');
    expect(status).toBe(200);
    expect(body).toEqual({
      file,
      format: 'yaml',
      text: ORIGINAL,
    } satisfies AlertRulesSourceResponse);
  });

  it('refuses a bad rule with the line it is on, and leaves file and rules alone', async () => {
    const bad = ORIGINAL.replace('threshold: 0.2', 'threshold: 0.2\n    treshold_ms: 80');
    const { status, body } = await put(bad);
    expect(status).toBe(400);
    const e = (body as AlertRulesErrorBody).error;
    expect(e.code).toBe('bad_request');
    expect(e.message).toContain(`${file}:7:5: rules[0].treshold_ms: unknown key "treshold_ms"`);
    expect(e.problems?.[0]).toEqual({
      line: 7,
      column: 5,
      message: 'rules[0].treshold_ms: unknown key "treshold_ms"',
    });
    expect(readFileSync(file, 'utf8')).toBe(ORIGINAL);
    expect(existsSync(`${file}.bak`)).toBe(false);
    expect((await alerts()).rules.map((r) => r.name)).toEqual(['gateway-errors']);
  });

  it('refuses text that is not YAML with the line of the syntax error', async () => {
    const { status, body } = await put(`${ORIGINAL}  - name: [unclosed\n`);
    expect(status).toBe(400);
    const p = (body as AlertRulesErrorBody).error.problems?.[0];
    expect(p?.line).toBeGreaterThanOrEqual(8);
    expect(readFileSync(file, 'utf8')).toBe(ORIGINAL);
  });

  it('saves a good text: file replaced, .bak kept, unchanged rule keeps its state, new rule evaluated', async () => {
    const before = (await alerts()).states.find((s) => s.rule === 'gateway-errors');
    expect(before?.state).toBe('firing');
    const { status, body } = await put(WITH_NEW_RULE);
    expect(status).toBe(200);
    expect(readFileSync(file, 'utf8')).toBe(WITH_NEW_RULE);
    expect(readFileSync(`${file}.bak`, 'utf8')).toBe(ORIGINAL);
    const a = body as AlertsResponse;
    expect(a.rules.map((r) => r.name)).toEqual(['gateway-errors', 'gateway-errors-strict']);
    const kept = a.states.find((s) => s.rule === 'gateway-errors');
    expect(kept?.state).toBe('firing');
    expect(kept?.fired_at).toBe(before?.fired_at);
    const added = a.states.find((s) => s.rule === 'gateway-errors-strict');
    expect(added?.last_evaluated).not.toBeNull();
    expect(added?.state).toBe('firing');
    expect(added?.value).toBeCloseTo(0.5);
    expect(a.history.filter((h) => h.rule === 'gateway-errors' && h.to === 'firing')).toHaveLength(
      1,
    );
  });

  it('accepts JSON { text } bodies, and a changed rule starts over', async () => {
    const changed = WITH_NEW_RULE.replace('threshold: 0.2', 'threshold: 0.9');
    const { status, body } = await put(JSON.stringify({ text: changed }), 'application/json');
    expect(status).toBe(200);
    const a = body as AlertsResponse;
    // Its definition changed: it is judged afresh (0.5 is under 0.9), not carried over as firing.
    expect(a.states.find((s) => s.rule === 'gateway-errors')?.state).toBe('inactive');
    expect(a.states.find((s) => s.rule === 'gateway-errors-strict')?.state).toBe('firing');
    expect(readFileSync(file, 'utf8')).toBe(changed);
    expect(readFileSync(`${file}.bak`, 'utf8')).toBe(WITH_NEW_RULE);
  });

  it('refuses a JSON body without text', async () => {
    const { status, body } = await put('{"rules": []}', 'application/json');
    expect(status).toBe(400);
    expect((body as AlertRulesErrorBody).error.message).toMatch(/expected \{ "text"/);
  });
});

describe('GET/PUT /api/alerts/rules without a rules file', () => {
  for (const [what, options, words] of [
    ['without --alerts', {}, /start it with `hopscope serve --alerts FILE`/],
    [
      'with rules given in code',
      { alerts: { rules: [{ name: 'x', kind: 'error_rate', threshold: 0.1 }] } },
      /given in code/,
    ],
  ] as const) {
    it(`answers 409 ${what}, saying how to enable editing`, async () => {
      const s = await startServer({
        port: 0,
        grpcPort: false,
        dataDir: join(dir, `data-${what.length}`),
        ...options,
      });
      try {
        for (const method of ['GET', 'PUT']) {
          const res = await fetch(`${s.url}/api/alerts/rules`, {
            method,
            body: method === 'PUT' ? 'rules: []\n' : undefined,
          });
          expect(res.status).toBe(409);
          const e = ((await res.json()) as AlertRulesErrorBody).error;
          expect(e.code).toBe('conflict');
          expect(e.message).toMatch(words);
        }
      } finally {
        await s.close();
      }
    });
  }
});

describe('a JSON rules file', () => {
  it('answers format json, takes JSON, and refuses YAML that would make the file unreadable as JSON', async () => {
    const json = join(dir, 'alerts.json');
    const first = `${JSON.stringify({ rules: [{ name: 'a', kind: 'error_rate', threshold: 0.1 }] }, null, 2)}\n`;
    writeFileSync(json, first);
    const s = await startServer({
      port: 0,
      grpcPort: false,
      dataDir: join(dir, 'data-json'),
      alertsFile: json,
    });
    try {
      const url = `${s.url}/api/alerts/rules`;
      const got = (await (await fetch(url)).json()) as AlertRulesSourceResponse;
      expect(got).toEqual({ file: json, format: 'json', text: first });
      const yaml = 'rules:\n  - name: b\n    kind: error_rate\n    threshold: 0.1\n';
      const refused = await fetch(url, { method: 'PUT', body: yaml });
      expect(refused.status).toBe(400);
      const e = ((await refused.json()) as AlertRulesErrorBody).error;
      expect(e.message).toMatch(/expected JSON, as the file name says/);
      expect(readFileSync(json, 'utf8')).toBe(first);
      const next = JSON.stringify({ rules: [{ name: 'b', kind: 'error_rate', threshold: 0.1 }] });
      const saved = await fetch(url, { method: 'PUT', body: next });
      expect(saved.status).toBe(200);
      expect(((await saved.json()) as AlertsResponse).rules.map((r) => r.name)).toEqual(['b']);
      expect(readFileSync(json, 'utf8')).toBe(next);
      expect(readFileSync(`${json}.bak`, 'utf8')).toBe(first);
    } finally {
      await s.close();
    }
  });
});
