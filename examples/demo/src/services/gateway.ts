/**
 * The gateway (Hono): serves the chat page and `/v1/chat/completions`. It asks the
 * python-worker how complex the request is (`complexity_detected`), then forwards it to the
 * baseline agent runtime and relays the streamed answer as it arrives (`forwarding_to_baseline`).
 */
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { serve } from '@hono/node-server';
import { Hono } from 'hono';
import { logger } from 'hopscope';
import { tracedFetch } from 'hopscope/fetch';
import { hopscope } from 'hopscope/hono';
import { lastUserText } from '../lib/scenarios.js';
import { portSetting, serviceReady, setting, startTelemetry } from '../lib/service.js';
import { chatPage } from './ui-page.js';

const telemetry = startTelemetry('gateway');
const baseline = setting('DEMO_BASELINE_URL');
const pythonWorker = setting('DEMO_PYTHON_URL');
const hopscopeUrl = setting('HOPSCOPE_URL');
const browserDist = dirname(createRequire(import.meta.url).resolve('@hopscope/browser'));

const app = new Hono();
app.use(hopscope());
app.get('/healthz', (c) => c.json({ ok: true }));
app.get('/', (c) => c.html(chatPage(hopscopeUrl)));
app.get('/sdk/:file{[a-z-]+\\.js}', async (c) => {
  const source = await readFile(join(browserDist, c.req.param('file')), 'utf8').catch(() => null);
  if (source === null) return c.notFound();
  return c.body(source, 200, { 'content-type': 'text/javascript' });
});

app.post('/v1/chat/completions', async (c) => {
  const body = (await c.req.json().catch(() => null)) as Record<string, unknown> | null;
  const prompt = lastUserText(body?.messages);
  if (body === null || prompt === '') {
    return c.json({ error: { message: 'body must be a chat request with a user message' } }, 400);
  }
  const scored = await tracedFetch(`${pythonWorker}/classify`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ text: prompt }),
  });
  if (!scored.ok) {
    logger.error('complexity_detection_failed', { status_code: scored.status });
    return c.json({ error: { message: `complexity detection failed (${scored.status})` } }, 502);
  }
  const { complexity, score } = (await scored.json()) as { complexity: string; score: number };
  logger.info('complexity_detected', { complexity, score });

  logger.info('forwarding_to_baseline', { complexity, stream: true });
  const upstream = await tracedFetch(`${baseline}/v1/chat/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ ...body, stream: true, complexity }),
  });
  if (!upstream.ok) logger.error('baseline_failed', { status_code: upstream.status });
  return new Response(upstream.body, {
    status: upstream.status,
    headers: { 'content-type': upstream.headers.get('content-type') ?? 'application/json' },
  });
});

const server = serve({ fetch: app.fetch, port: portSetting('DEMO_PORT'), hostname: '127.0.0.1' });
await new Promise<void>((resolve) => server.once('listening', () => resolve()));
serviceReady(telemetry, () => new Promise<void>((resolve) => server.close(() => resolve())));
