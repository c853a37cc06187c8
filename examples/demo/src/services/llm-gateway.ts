/**
 * The llm-gateway: one door to the LLM provider for every service. Each call is a GenAI client
 * span (`chat <model>`, gen_ai.* attributes, token usage read from the stream as it is relayed);
 * a 429 is retried after the provider's Retry-After, so rate limits show up as failed attempts
 * inside a request that still succeeds.
 */
import { serve } from '@hono/node-server';
import { type Span, SpanKind } from '@opentelemetry/api';
import { Hono } from 'hono';
import { logger, TracedError, withSpan } from 'hopscope';
import { tracedFetch } from 'hopscope/fetch';
import { hopscope } from 'hopscope/hono';
import { portSetting, serviceReady, setting, sleep, startTelemetry } from '../lib/service.js';
import { observeSse } from '../lib/sse.js';

const telemetry = startTelemetry('llm-gateway');
const provider = setting('DEMO_PROVIDER_URL');
const MAX_ATTEMPTS = 3;

async function callProvider(path: string, body: Record<string, unknown>): Promise<Response> {
  for (let attempt = 1; ; attempt++) {
    const response = await tracedFetch(`${provider}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    if (response.status !== 429 || attempt === MAX_ATTEMPTS) return response;
    await response.body?.cancel();
    const waitS = Number(response.headers.get('retry-after') ?? '0.2');
    logger.warn('provider_rate_limited', { attempt, retry_after_s: waitS });
    await sleep(Math.min(2000, Math.max(50, waitS * 1000)));
  }
}

function setUsage(span: Span, model: string | undefined, input?: number, output?: number) {
  if (model) span.setAttribute('gen_ai.response.model', model);
  if (input !== undefined) span.setAttribute('gen_ai.usage.input_tokens', input);
  if (output !== undefined) span.setAttribute('gen_ai.usage.output_tokens', output);
}

const app = new Hono();
app.use(hopscope());
app.get('/healthz', (c) => c.json({ ok: true }));

app.post('/v1/chat/completions', async (c) => {
  const body = (await c.req.json()) as Record<string, unknown>;
  const model = typeof body.model === 'string' ? body.model : 'gpt-4o-mini';
  const stream = body.stream === true;
  const attributes = {
    'gen_ai.operation.name': 'chat',
    'gen_ai.provider.name': 'openai',
    'gen_ai.system': 'openai',
    'gen_ai.request.model': model,
    'gen_ai.request.stream': stream,
  };
  const out = stream ? { ...body, stream_options: { include_usage: true } } : body;
  const answer = await withSpan(
    `chat ${model}`,
    { kind: SpanKind.CLIENT, attributes },
    async (span) => {
      const response = await callProvider('/v1/chat/completions', out);
      if (!response.ok) {
        const detail = (await response.json().catch(() => ({}))) as {
          error?: { message?: string };
        };
        const message = detail.error?.message ?? `provider answered ${response.status}`;
        span.setAttribute('error.type', String(response.status));
        throw new TracedError(`LLM provider failed: ${message}`, {
          cause: new Error(`HTTP ${response.status}: ${message}`),
        });
      }
      if (!stream || response.body === null) {
        const json = (await response.json()) as {
          model?: string;
          usage?: { prompt_tokens?: number; completion_tokens?: number };
        };
        setUsage(span, json.model, json.usage?.prompt_tokens, json.usage?.completion_tokens);
        return { json };
      }
      // the span stays open until the relayed stream has been read to its end
      return observeSse(response.body, (s) => {
        setUsage(span, s.model, s.inputTokens, s.outputTokens);
        logger.info('llm_stream_completed', {
          model: s.model ?? model,
          input_tokens: s.inputTokens,
          output_tokens: s.outputTokens,
        });
      });
    },
  ).catch((error: unknown) => error as Error);
  if (answer instanceof Error) {
    logger.error('llm_call_failed', { error: answer });
    return c.json({ error: { message: answer.message } }, 502);
  }
  if (answer instanceof ReadableStream) {
    return new Response(answer, { headers: { 'content-type': 'text/event-stream' } });
  }
  return c.json(answer.json);
});

app.post('/v1/embeddings', async (c) => {
  const body = (await c.req.json()) as Record<string, unknown>;
  const model = typeof body.model === 'string' ? body.model : 'text-embedding-3-small';
  return withSpan(
    `embeddings ${model}`,
    {
      kind: SpanKind.CLIENT,
      attributes: {
        'gen_ai.operation.name': 'embeddings',
        'gen_ai.provider.name': 'openai',
        'gen_ai.request.model': model,
      },
    },
    async (span) => {
      const response = await callProvider('/v1/embeddings', body);
      const json = (await response.json()) as { usage?: { prompt_tokens?: number } };
      setUsage(span, model, json.usage?.prompt_tokens);
      return c.json(json, response.ok ? 200 : 502);
    },
  );
});

const server = serve({ fetch: app.fetch, port: portSetting('DEMO_PORT'), hostname: '127.0.0.1' });
await new Promise<void>((resolve) => server.once('listening', () => resolve()));
serviceReady(telemetry, () => new Promise<void>((resolve) => server.close(() => resolve())));
