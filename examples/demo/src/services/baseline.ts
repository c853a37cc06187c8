/**
 * baseline, the agent runtime: decides between the fast path (one streamed LLM call) and the
 * agent path (a sandbox run in sandy), recording the choice with the SDK's `decision` (a span) with its
 * confidence, factors and alternatives. sandy is called with a plain fetch and NO trace
 * headers: the request ID and traceparent travel only in the JSON body's `metadata`
 * (seed 000 FR-4). Every conversation is then published to NATS JetStream for ingestion.
 */
import { serve } from '@hono/node-server';
import { jetstream } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import { context } from '@opentelemetry/api';
import { Hono } from 'hono';
import { logger } from 'hopscope';
import { decision } from 'hopscope/ai';
import { tracedFetch } from 'hopscope/fetch';
import { hopscope } from 'hopscope/hono';
import { jetStreamPublish } from 'hopscope/nats';
import { withTraceMetadata } from 'hopscope/payload';
import { portSetting, serviceReady, setting, startTelemetry } from '../lib/service.js';
import { observeSse } from '../lib/sse.js';
import { answerAsSse } from '../lib/sse-out.js';

const telemetry = startTelemetry('baseline');
const llmGateway = setting('DEMO_LLM_GATEWAY_URL');
const sandy = setting('DEMO_SANDY_URL');
const nc = await connect({ servers: setting('DEMO_NATS_URL'), name: 'baseline' });
const js = jetstream(nc);

type Path = 'fast_path' | 'agent_path';

function decide(complexity: unknown, messages: unknown[]): Path {
  const factors = { complexity: String(complexity), message_count: messages.length };
  const result: Path = complexity === 'complex' ? 'agent_path' : 'fast_path';
  const confidence = complexity === 'complex' || complexity === 'simple' ? 0.87 : 0.5;
  decision({
    type: 'route_selection',
    confidence,
    factors,
    result,
    alternatives: [result === 'agent_path' ? 'fast_path' : 'agent_path'],
  });
  logger.info(result === 'agent_path' ? 'agent_path_selected' : 'fast_path_selected', {
    confidence,
    ...factors,
  });
  return result;
}

/** Seed 002's Loom path: the conversation record goes to JetStream for the ingestion consumer. */
function recordConversation(path: Path, status: 'ok' | 'error', detail: Record<string, unknown>) {
  jetStreamPublish(js, `loom.conversations.${status}`, { path, status, ...detail }).catch(
    (error: unknown) => logger.warn('conversation_publish_failed', { error }),
  );
}

const app = new Hono();
app.use(hopscope());
app.get('/healthz', (c) => c.json({ ok: true }));

app.post('/v1/chat/completions', async (c) => {
  const body = (await c.req.json()) as Record<string, unknown>;
  const messages = Array.isArray(body.messages) ? body.messages : [];
  const model = typeof body.model === 'string' ? body.model : 'gpt-4o-mini';
  const path = decide(body.complexity, messages);

  if (path === 'fast_path') {
    const response = await tracedFetch(`${llmGateway}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model, messages, stream: true }),
    });
    if (!response.ok || response.body === null) {
      const detail = (await response.json().catch(() => ({}))) as { error?: { message?: string } };
      const message = detail.error?.message ?? `llm-gateway answered ${response.status}`;
      logger.error('fast_path_failed', { error: message, error_type: 'LlmError' });
      recordConversation(path, 'error', { error: message });
      return c.json({ error: { message } }, 502);
    }
    const requestContext = context.active();
    const relayed = observeSse(response.body, (s) =>
      context.with(requestContext, () =>
        recordConversation(path, 'ok', { output_chars: s.text.length }),
      ),
    );
    return new Response(relayed, { headers: { 'content-type': 'text/event-stream' } });
  }

  // No tracedFetch and no trace headers on purpose: sandy gets the context from the payload.
  const run = await fetch(`${sandy}/v1/sandboxes/run`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(withTraceMetadata({ task: 'agent_run', model, messages })),
  });
  const result = (await run.json().catch(() => ({}))) as {
    answer?: string;
    error?: { message?: string; error_type?: string };
  };
  if (!run.ok || typeof result.answer !== 'string') {
    const message = result.error?.message ?? `sandy answered ${run.status}`;
    logger.error('agent_path_failed', {
      error: message,
      error_type: result.error?.error_type ?? 'SandboxError',
      status_code: run.status,
    });
    recordConversation(path, 'error', { error: message });
    return c.json({ error: { message } }, run.status === 504 ? 504 : 502);
  }
  recordConversation(path, 'ok', { output_chars: result.answer.length });
  return new Response(answerAsSse(result.answer, model), {
    headers: { 'content-type': 'text/event-stream' },
  });
});

const server = serve({ fetch: app.fetch, port: portSetting('DEMO_PORT'), hostname: '127.0.0.1' });
await new Promise<void>((resolve) => server.once('listening', () => resolve()));
serviceReady(telemetry, async () => {
  await new Promise<void>((resolve) => server.close(() => resolve()));
  await nc.drain();
});
