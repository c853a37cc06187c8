/**
 * The "done means": one request born in a real browser (Debian's Chromium) crosses
 * browser → HTTP → NATS → gRPC → WebSocket, and one request ID and one trace reach the end with
 * the services-encountered chain complete and in order. Every hop is a real transport on
 * loopback (nats-server, grpc-js over HTTP/2, ws) instrumented with the SDK's helpers, and the
 * page shows (and copies) the same request ID the servers logged and put on their spans.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { extname, join, normalize } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as grpc from '@grpc/grpc-js';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { context, trace } from '@opentelemetry/api';
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  SimpleSpanProcessor,
} from '@opentelemetry/sdk-trace-base';
import { createLogger, createPropagator, getRequestId, getServicesEncountered } from 'hopscope';
import { clientTarget, grpcClientInterceptor, tracedService } from 'hopscope/grpc';
import { withHopscope } from 'hopscope/http';
import { request, subscribe } from 'hopscope/nats';
import { enrichJson } from 'hopscope/payload';
import { connectTraced, sendTraced, traceConnection } from 'hopscope/ws';
import { type Browser, chromium } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebSocketServer } from 'ws';
import { type Broker, requireBinary, skipWithout, startNats } from '../../sdk/test/hops/brokers.js';
import { listen, loadEcho, type Pong } from '../../sdk/test/hops/grpc-echo.js';

const CHROMIUM = '/usr/bin/chromium';
const skipBrowser = (!existsSync(CHROMIUM) || skipWithout('nats-server')) && !process.env.CI;
const fixture = fileURLToPath(new URL('./fixture/', import.meta.url));

/** Builds the fixture page with Vite (React's production build) into a temp dir. */
async function buildFixture(): Promise<string> {
  const outDir = mkdtempSync(join(tmpdir(), 'hopscope-browser-'));
  const { build } = await import('vite');
  const nodeEnv = process.env.NODE_ENV;
  process.env.NODE_ENV = 'production';
  try {
    await build({
      configFile: false,
      root: fixture,
      logLevel: 'warn',
      mode: 'production',
      oxc: { jsx: { runtime: 'automatic' } },
      build: { outDir, emptyOutDir: true, target: 'es2022', sourcemap: false },
    });
  } finally {
    process.env.NODE_ENV = nodeEnv;
  }
  return outDir;
}

const lines: Record<string, unknown>[] = [];
const logger = createLogger({
  service: 'chain',
  level: 'debug',
  pretty: false,
  exportToCollector: false,
  destination: { write: (l: string) => void lines.push(JSON.parse(l)) },
});
const exporter = new InMemorySpanExporter();
const tracer = new BasicTracerProvider({
  spanProcessors: [new SimpleSpanProcessor(exporter)],
}).getTracer('chain');
const hop = (service: string) => ({ service, tracer, logger, servicesEncountered: true });

interface Arrival {
  requestId?: string;
  chain: readonly string[];
  traceId?: string;
}

describe.skipIf(skipBrowser)('browser → HTTP → NATS → gRPC → WebSocket', () => {
  let dist: string;
  let broker: Broker;
  let nc: NatsConnection;
  let wss: WebSocketServer;
  let grpcServer: grpc.Server;
  // biome-ignore lint/suspicious/noExplicitAny: generated client methods are untyped
  let grpcClient: any;
  let gateway: Server;
  let browser: Browser;
  let base: string;
  const arrivals: Arrival[] = [];

  beforeAll(async () => {
    if (!existsSync(CHROMIUM))
      throw new Error(`Chromium not found at ${CHROMIUM} (apt-get install chromium)`);
    requireBinary('nats-server', 'nats-server');
    dist = await buildFixture();
    broker = await startNats();
    nc = await connect({ servers: broker.url });

    // notifier: a WebSocket service, the last hop
    wss = new WebSocketServer({ port: 0, host: '127.0.0.1' });
    await new Promise((r) => wss.once('listening', r));
    const notifierUrl = `ws://127.0.0.1:${(wss.address() as AddressInfo).port}/notify`;
    wss.on('connection', (ws, req) => {
      const conn = traceConnection(ws, req, hop('notifier'));
      conn.onMessage(() => {
        const arrival = {
          requestId: getRequestId(),
          chain: getServicesEncountered(),
          traceId: trace.getActiveSpan()?.spanContext().traceId,
        };
        arrivals.push(arrival);
        conn.send({ ack: true, chain: arrival.chain });
      });
    });

    // model-svc: a gRPC service that notifies over a WebSocket before answering
    const Echo = loadEcho();
    grpcServer = new grpc.Server();
    grpcServer.addService(
      Echo.service,
      tracedService(
        Echo.service,
        {
          Say(call: grpc.ServerUnaryCall<{ text: string }, Pong>, cb: grpc.sendUnaryData<Pong>) {
            const ctx = context.active();
            const ws = connectTraced(notifierUrl, hop('model-svc'));
            ws.once('error', (e) => cb(e as grpc.ServiceError));
            ws.once('open', () =>
              context.with(ctx, () =>
                sendTraced(ws, { text: call.request.text }, hop('model-svc')),
              ),
            );
            ws.once('message', (data) => {
              const ack = JSON.parse(String(data)) as { chain: string[] };
              ws.close();
              context.with(ctx, () =>
                cb(null, {
                  text: `echo: ${call.request.text}`,
                  request_id: getRequestId() ?? '',
                  chain: ack.chain,
                  trace_id: trace.getActiveSpan()?.spanContext().traceId ?? '',
                }),
              );
            });
          },
        },
        hop('model-svc'),
      ),
    );
    const target = `127.0.0.1:${await listen(grpcServer)}`;
    grpcClient = new Echo(target, grpc.credentials.createInsecure(), {
      interceptors: [grpcClientInterceptor({ ...hop('worker'), target })],
    });
    expect(clientTarget(grpcClient)).toContain(target.split(':')[1]);

    // worker: takes chat requests from NATS and asks model-svc over gRPC
    subscribe(
      nc,
      'chat.requests',
      (msg) =>
        new Promise<void>((resolve, reject) =>
          grpcClient.Say(
            { text: msg.json<{ prompt: string }>().prompt },
            (err: unknown, pong: Pong) => {
              if (err) return reject(err);
              msg.respond(JSON.stringify(pong));
              resolve();
            },
          ),
        ),
      {},
      hop('worker'),
    );
    await nc.flush();

    // gateway: the HTTP service the page talks to
    const propagator = createPropagator({ service: 'gateway', servicesEncountered: true });
    gateway = createServer(
      withHopscope(
        async (req, res) => {
          if (req.method === 'POST' && req.url === '/api/chat') {
            let body = '';
            for await (const chunk of req) body += chunk;
            const reply = await request(
              nc,
              'chat.requests',
              body,
              { timeout: 15_000 },
              hop('gateway'),
            );
            const pong = reply.json<Pong>();
            res.setHeader('content-type', 'application/json');
            res.end(
              JSON.stringify(
                enrichJson({ answer: pong.text, model: 'tiny-llm', chain: pong.chain }, undefined, {
                  service: 'gateway',
                }),
              ),
            );
            return;
          }
          const path = normalize(req.url === '/' ? '/index.html' : (req.url ?? '/')).replace(
            /^(\.\.[/\\])+/,
            '',
          );
          const file = join(dist, path);
          if (!file.startsWith(dist) || !existsSync(file)) {
            res.statusCode = 404;
            res.end();
            return;
          }
          const types: Record<string, string> = {
            '.html': 'text/html',
            '.js': 'text/javascript',
            '.css': 'text/css',
          };
          res.setHeader('content-type', types[extname(file)] ?? 'application/octet-stream');
          res.end(readFileSync(file));
        },
        { tracer, logger, propagator },
      ),
    );
    await new Promise<void>((r) => gateway.listen(0, '127.0.0.1', r));
    base = `http://127.0.0.1:${(gateway.address() as AddressInfo).port}`;
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      headless: true,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run'],
    });
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    gateway?.close();
    grpcClient?.close();
    grpcServer?.forceShutdown();
    wss?.close();
    await nc?.close();
    await broker?.stop();
    if (dist) rmSync(dist, { recursive: true, force: true });
  });

  it('one request ID and one trace reach the end; the chain is complete and in order', async () => {
    const ctx = await browser.newContext({ permissions: ['clipboard-read', 'clipboard-write'] });
    const page = await ctx.newPage();
    const pageErrors: string[] = [];
    page.on('pageerror', (e) => pageErrors.push(e.message));
    await page.goto(base);
    await page.getByRole('button', { name: 'Ask' }).click();
    await page.locator('#answer').waitFor();

    // the footer: model and duration, the ID hidden until Debug is pressed
    const badge = page.locator('[data-hopscope-badge]');
    await expect(badge.locator('[data-hopscope-meta]').textContent()).resolves.toMatch(
      /^tiny-llm · \d+ ms|^tiny-llm · [\d.]+ s/,
    );
    expect(await page.locator('[data-hopscope-request-id]').count()).toBe(0);
    await page.getByRole('button', { name: 'Show request ID' }).click();
    const shown = (await page.locator('[data-hopscope-request-id]').textContent()) ?? '';
    expect(shown).toMatch(/^req_[0-9a-f]{12}$/);
    await page.getByRole('button', { name: 'Copy request ID' }).click();
    await page.getByText('Copied').waitFor();
    expect(await page.evaluate(() => navigator.clipboard.readText())).toBe(shown);
    const traceId = await page.locator('#answer').getAttribute('data-trace-id');
    expect(traceId).toMatch(/^[0-9a-f]{32}$/);
    expect(await page.locator('#chain').textContent()).toBe(
      'web-ui → gateway → worker → model-svc → notifier',
    );

    // the last hop got the browser's ID, its trace, and the whole chain in order
    expect(arrivals).toEqual([
      {
        requestId: shown,
        traceId,
        chain: ['web-ui', 'gateway', 'worker', 'model-svc', 'notifier'],
      },
    ]);

    // every span of the request is in the browser's trace and carries its request ID
    // (the page load's own GETs, /, /assets/… and /favicon.ico, are requests of their own)
    const isPageLoad = (path: unknown) => path !== '/notify' && path !== '/api/chat';
    const spans = exporter
      .getFinishedSpans()
      .filter((s) => s.name !== 'GET' || !isPageLoad(s.attributes['url.path']));
    const names = spans.map((s) => s.name);
    for (const expected of [
      'POST',
      'send chat.requests',
      'process chat.requests',
      'hopscope.test.Echo/Say',
      'WS connect /notify',
      'WS send',
      'WS /notify',
    ]) {
      expect(names).toContain(expected);
    }
    for (const span of spans) {
      expect(span.spanContext().traceId, span.name).toBe(traceId);
      expect(span.attributes['request.id'], span.name).toBe(shown);
    }
    // the gateway's server span is a child of the browser's traceparent
    const post = spans.find((s) => s.name === 'POST')!;
    expect(post.parentSpanContext?.traceId).toBe(traceId);
    expect(post.attributes['upstream.service']).toBe('web-ui');

    // and the servers' log lines carry the ID the page showed
    const completed = lines.filter((l) => l.request_id === shown).map((l) => l.event);
    expect(completed).toEqual(
      expect.arrayContaining(['request_completed', 'rpc_completed', 'websocket_message_completed']),
    );
    const requests = await page.evaluate(
      () =>
        (
          globalThis as unknown as {
            hopscopeRequests: { requestId: string; sentRequestId: string }[];
          }
        ).hopscopeRequests,
    );
    expect(requests).toEqual([expect.objectContaining({ requestId: shown, sentRequestId: shown })]);
    expect(pageErrors).toEqual([]);
    await ctx.close();
  });
});
