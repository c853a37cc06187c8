/**
 * The llm-gateway: one door to the LLM provider for every service. Each call is an SDK
 * `llmCall`/`llmStream` span (`chat <model>`, gen_ai.* attributes, time to first token, token
 * usage read from the stream as it is relayed);
 * a 429 is retried after the provider's Retry-After, so rate limits show up as failed attempts
 * inside a request that still succeeds.
 */
import { serve } from '@hono/node-server';
import { Hono } from 'hono';
import { logger, TracedError } from 'hopscope';
import { llmCall, llmStream } from 'hopscope/ai';
import { tracedFetch } from 'hopscope/fetch';
import { hopscope } from 'hopscope/hono';
import { portSetting, serviceReady, setting, sleep, startTelemetry } from '../lib/service.js';
import { SseSummary, toWebStream } from '../lib/sse.js';

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

const app = new Hono();
app.use(hopscope());
app.get('/healthz', (c) => c.json({ ok: true }));

app.post('/v1/chat/completions', async (c) => {
  const body = (await c.req.json()) as Record<string, unknown>;
  const model = typeof body.model === 'string' ? body.model : 'gpt-4o-mini';
  const options = {
    provider: 'openai',
    model,
    attributes: { 'gen_ai.request.stream': body.stream === true },
  };
  try {
    if (body.stream !== true) {
      const json = await llmCall(options, async (call) => {
        const answer = (await (
          await ok(await callProvider('/v1/chat/completions', body))
        ).json()) as {
          id?: string;
          model?: string;
          choices?: { finish_reason?: string }[];
          usage?: { prompt_tokens?: number; completion_tokens?: number };
        };
        call.usage({
          inputTokens: answer.usage?.prompt_tokens,
          outputTokens: answer.usage?.completion_tokens,
        });
        call.response({
          model: answer.model,
          id: answer.id,
          finishReasons: finishReasons(answer.choices),
        });
        return answer;
      });
      return c.json(json);
    }
    // the span stays open until the relayed stream has been read to its end
    const sse = new SseSummary();
    const chunks = await llmStream(
      options,
      async () => {
        const response = await ok(
          await callProvider('/v1/chat/completions', {
            ...body,
            stream_options: { include_usage: true },
          }),
        );
        return response.body as unknown as AsyncIterable<Uint8Array>;
      },
      {
        onChunk: (bytes) => sse.push(bytes),
        onEnd: (call) => {
          const s = sse.end();
          call.usage({ inputTokens: s.inputTokens, outputTokens: s.outputTokens });
          call.response({
            model: s.model,
            finishReasons: s.finishReason ? [s.finishReason] : undefined,
          });
          logger.info('llm_stream_completed', {
            model: s.model ?? model,
            input_tokens: s.inputTokens,
            output_tokens: s.outputTokens,
          });
        },
      },
    );
    return new Response(toWebStream(chunks), { headers: { 'content-type': 'text/event-stream' } });
  } catch (error) {
    logger.error('llm_call_failed', { error });
    return c.json({ error: { message: (error as Error).message } }, 502);
  }
});

function finishReasons(choices: { finish_reason?: string }[] | undefined): string[] | undefined {
  const reasons = (choices ?? [])
    .map((c) => c.finish_reason)
    .filter((r): r is string => typeof r === 'string');
  return reasons.length > 0 ? reasons : undefined;
}

/** A provider answer that is not 2xx becomes the error of the LLM span, with its message. */
async function ok(response: Response): Promise<Response> {
  if (response.ok && response.body !== null) return response;
  const detail = (await response.json().catch(() => ({}))) as { error?: { message?: string } };
  const message = detail.error?.message ?? `provider answered ${response.status}`;
  throw new TracedError(`LLM provider failed: ${message}`, {
    cause: new Error(`HTTP ${response.status}: ${message}`),
  });
}

app.post('/v1/embeddings', async (c) => {
  const body = (await c.req.json()) as Record<string, unknown>;
  const model = typeof body.model === 'string' ? body.model : 'text-embedding-3-small';
  try {
    const json = await llmCall(
      { provider: 'openai', model, operation: 'embeddings' },
      async (call) => {
        const answer = (await (await ok(await callProvider('/v1/embeddings', body))).json()) as {
          usage?: { prompt_tokens?: number };
        };
        call.usage({ inputTokens: answer.usage?.prompt_tokens });
        return answer;
      },
    );
    return c.json(json);
  } catch (error) {
    logger.error('llm_call_failed', { error });
    return c.json({ error: { message: (error as Error).message } }, 502);
  }
});

const server = serve({ fetch: app.fetch, port: portSetting('DEMO_PORT'), hostname: '127.0.0.1' });
await new Promise<void>((resolve) => server.once('listening', () => resolve()));
serviceReady(telemetry, () => new Promise<void>((resolve) => server.close(() => resolve())));
