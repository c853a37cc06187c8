/**
 * A local OpenAI-compatible provider (stand-in for api.openai.com): chat completions, streamed
 * or not, with token usage, and embeddings. Faults come from markers in the prompt
 * (`[fault:rate_limit]` answers 429 once per request, `[fault:provider_error]` a 500, `[slow]`
 * drips tokens) and, in steady traffic (DEMO_RANDOM_FAULTS=1), at random.
 */
import { createServer } from 'node:http';
import { getRequestId, logger, withSpan } from 'hopscope';
import { withHopscope } from 'hopscope/http';
import { closeServer, HttpError, listen, readJson, sendJson } from '../lib/http.js';
import { faultsIn, lastUserText } from '../lib/scenarios.js';
import { portSetting, serviceReady, sleep, startTelemetry } from '../lib/service.js';

const telemetry = startTelemetry('llm-provider');
const randomFaults = process.env.DEMO_RANDOM_FAULTS === '1';
/** Requests already rate limited once: the retry goes through, as with a real provider. */
const limited = new Set<string>();

class ProviderError extends Error {
  override name = 'InternalServerError';
}

const countTokens = (text: string) => Math.max(1, Math.ceil(text.split(/\s+/).length * 1.3));

function answerFor(prompt: string): string {
  if (/capital of france/i.test(prompt)) return 'The capital of France is Paris.';
  if (/joke/i.test(prompt))
    return 'A queue walks into a bar. It waits its turn to tell you the rest.';
  if (/tool results/i.test(prompt)) {
    return 'Based on the tool results, here is the plan: fetch the data, run the script in the sandbox, and chart the output.';
  }
  return `Here is a concise answer to: ${prompt.slice(0, 60)}`;
}

async function chat(body: Record<string, unknown>, res: import('node:http').ServerResponse) {
  const prompt = lastUserText(body.messages);
  const faults = faultsIn(prompt);
  const requestId = getRequestId() ?? '';
  const roll = randomFaults ? Math.random() : 1;
  if ((faults.has('rate_limit') && !limited.has(requestId)) || roll < 0.04) {
    limited.add(requestId);
    if (limited.size > 10_000) limited.clear();
    logger.warn('rate_limited', { retry_after_s: 0.2 });
    res.writeHead(429, { 'content-type': 'application/json', 'retry-after': '0.2' });
    res.end(
      JSON.stringify({
        error: { type: 'rate_limit_exceeded', message: 'Rate limit reached for requests' },
      }),
    );
    return;
  }
  if (faults.has('provider_error')) {
    // a real exception inside the model call, recorded on its span, answered as OpenAI does
    try {
      withSpan('model.generate', () => {
        throw new ProviderError('The server had an error while processing your request');
      });
    } catch (error) {
      logger.error('completion_failed', { error });
      sendJson(res, 500, { error: { type: 'server_error', message: (error as Error).message } });
    }
    return;
  }
  const model = typeof body.model === 'string' ? body.model : 'gpt-4o-mini';
  const text = answerFor(prompt);
  const words = text.split(' ');
  const usage = {
    prompt_tokens: countTokens(JSON.stringify(body.messages ?? '')),
    completion_tokens: countTokens(text),
    total_tokens: 0,
  };
  usage.total_tokens = usage.prompt_tokens + usage.completion_tokens;
  const delay = faults.has('slow') || roll < 0.08 ? 120 : 8;
  const id = `chatcmpl-${requestId}`;
  if (body.stream !== true) {
    await sleep(delay * 4);
    sendJson(res, 200, {
      id,
      object: 'chat.completion',
      model,
      choices: [{ index: 0, message: { role: 'assistant', content: text }, finish_reason: 'stop' }],
      usage,
    });
    return;
  }
  res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
  for (const [i, word] of words.entries()) {
    await sleep(delay);
    const delta = { content: i === 0 ? word : ` ${word}` };
    res.write(
      `data: ${JSON.stringify({ id, object: 'chat.completion.chunk', model, choices: [{ index: 0, delta }] })}\n\n`,
    );
  }
  res.write(
    `data: ${JSON.stringify({ id, object: 'chat.completion.chunk', model, choices: [{ index: 0, delta: {}, finish_reason: 'stop' }], usage })}\n\n`,
  );
  res.end('data: [DONE]\n\n');
  logger.info('completion_streamed', { model, output_tokens: usage.completion_tokens });
}

function embeddings(body: Record<string, unknown>) {
  const inputs = Array.isArray(body.input) ? body.input.map(String) : [String(body.input ?? '')];
  return {
    object: 'list',
    model: typeof body.model === 'string' ? body.model : 'text-embedding-3-small',
    data: inputs.map((text, index) => ({
      object: 'embedding',
      index,
      embedding: Array.from(
        { length: 8 },
        (_, i) => ((text.charCodeAt(i % text.length || 0) || 0) % 17) / 17,
      ),
    })),
    usage: { prompt_tokens: inputs.reduce((n, t) => n + countTokens(t), 0), total_tokens: 0 },
  };
}

const server = createServer(
  withHopscope(
    async (req, res) => {
      try {
        if (req.method === 'GET' && req.url === '/healthz') return sendJson(res, 200, { ok: true });
        if (req.method !== 'POST') throw new HttpError(405, 'POST only');
        const body = await readJson(req);
        if (req.url === '/v1/chat/completions') return await chat(body, res);
        if (req.url === '/v1/embeddings') return sendJson(res, 200, embeddings(body));
        throw new HttpError(404, `no route ${req.url}`);
      } catch (error) {
        if (!(error instanceof HttpError)) throw error;
        sendJson(res, error.status, { error: { message: error.message } });
      }
    },
    { route: (req) => req.url?.split('?')[0] },
  ),
);
await listen(server, portSetting('DEMO_PORT'));
serviceReady(telemetry, () => closeServer(server));
