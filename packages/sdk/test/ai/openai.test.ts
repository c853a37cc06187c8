/**
 * The official `openai` SDK, instrumented, against the local OpenAI-compatible provider over real
 * HTTP and SSE: chat completions and responses, streamed and not, and a provider error.
 */
import { SpanKind, SpanStatusCode } from '@opentelemetry/api';
import OpenAI from 'openai';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { configureAi } from '../../src/ai/index.js';
import { instrumentOpenAI } from '../../src/ai/openai/index.js';
import { withSpan } from '../../src/index.js';
import { captureSpans, durationMs } from './capture.js';
import { startProvider, type TestProvider, WORDS } from './provider.js';

const cap = captureSpans('openai-test');
let provider: TestProvider;
let client: OpenAI;

beforeAll(async () => {
  cap.start();
  provider = await startProvider();
  client = instrumentOpenAI(
    new OpenAI({ baseURL: `${provider.url}/v1`, apiKey: 'sk-test', maxRetries: 0 }),
  );
});
afterAll(async () => {
  await provider?.close();
  await cap.stop();
});
beforeEach(() => {
  cap.exporter.reset();
  configureAi({ captureContent: false });
});

describe('chat completions', () => {
  it('records a non-streamed call with GenAI attributes, usage and the response model', async () => {
    const completion = await withSpan('handler', () =>
      client.chat.completions.create({
        model: 'gpt-4o-mini',
        messages: [{ role: 'user', content: 'hi' }],
        temperature: 0.2,
      }),
    );
    expect(completion.choices[0]!.message.content).toBe(WORDS.join(''));
    const span = cap.one('chat gpt-4o-mini');
    expect(span.kind).toBe(SpanKind.CLIENT);
    expect(span.parentSpanContext?.spanId).toBe(cap.one('handler').spanContext().spanId);
    expect(span.attributes).toMatchObject({
      'gen_ai.operation.name': 'chat',
      'gen_ai.provider.name': 'openai',
      'gen_ai.request.model': 'gpt-4o-mini',
      'gen_ai.response.model': 'gpt-4o-mini-2024-08-06',
      'gen_ai.response.id': 'chatcmpl-test1',
      'gen_ai.request.temperature': 0.2,
      'gen_ai.usage.input_tokens': 12,
      'gen_ai.usage.output_tokens': 5,
      'gen_ai.usage.cache_read.input_tokens': 4,
      'gen_ai.usage.reasoning.output_tokens': 2,
      'gen_ai.response.finish_reasons': ['stop'],
    });
    // content capture is off by default
    expect(span.attributes['gen_ai.input.messages']).toBeUndefined();
    expect(span.attributes['gen_ai.output.messages']).toBeUndefined();
  });

  it('keeps the SDK return value: withResponse() still works', async () => {
    const { data, response } = await client.chat.completions
      .create({ model: 'gpt-4o', messages: [{ role: 'user', content: 'hi' }] })
      .withResponse();
    expect(response.status).toBe(200);
    expect(data.model).toBe('gpt-4o-2024-08-06');
    expect(cap.one('chat gpt-4o').attributes['gen_ai.usage.output_tokens']).toBe(5);
  });

  it('records a streamed call: time to first token, usage from the last chunk, tokens per second', async () => {
    const stream = await client.chat.completions.create({
      model: 'gpt-4o-mini',
      messages: [{ role: 'user', content: 'hi' }],
      stream: true,
      stream_options: { include_usage: true },
    });
    expect(cap.spans()).toHaveLength(0); // open while the stream is consumed
    let text = '';
    for await (const chunk of stream) text += chunk.choices[0]?.delta?.content ?? '';
    expect(text).toBe(WORDS.join(''));
    const span = cap.one('chat gpt-4o-mini');
    expect(span.attributes).toMatchObject({
      'gen_ai.request.stream': true,
      'gen_ai.response.model': 'gpt-4o-mini-2024-08-06',
      'gen_ai.usage.input_tokens': 12,
      'gen_ai.usage.output_tokens': 5,
      'gen_ai.response.finish_reasons': ['stop'],
    });
    const ttft = span.attributes['gen_ai.response.time_to_first_chunk'] as number;
    expect(ttft).toBeGreaterThan(0);
    expect(ttft * 1000).toBeLessThanOrEqual(durationMs(span));
    expect(span.attributes['hopscope.gen_ai.output_tokens_per_second']).toBeGreaterThan(0);
  });

  it('ends the span when the caller stops reading early', async () => {
    const stream = await client.chat.completions.create({
      model: 'gpt-4o-mini',
      messages: [],
      stream: true,
    });
    for await (const _chunk of stream) break;
    expect(cap.one('chat gpt-4o-mini').status.code).not.toBe(SpanStatusCode.ERROR);
  });

  it('records provider errors with their type, status and code, and rethrows them unchanged', async () => {
    const err = await client.chat.completions
      .create({ model: 'rate-limited', messages: [{ role: 'user', content: 'hi' }] })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OpenAI.RateLimitError);
    const span = cap.one('chat rate-limited');
    expect(span.status.code).toBe(SpanStatusCode.ERROR);
    expect(span.attributes).toMatchObject({
      'error.type': 'RateLimitError',
      'http.response.status_code': 429,
      'hopscope.gen_ai.error.code': 'rate_limit_exceeded',
    });
  });

  it('captures content when asked, with secrets redacted and long text truncated', async () => {
    configureAi({ captureContent: true, maxContentLength: 64 });
    try {
      await client.chat.completions.create({
        model: 'gpt-4o-mini',
        messages: [
          {
            role: 'user',
            content: `my key is sk-proj-abcdefghijklmnopqrstuvwx ${'x'.repeat(200)}`,
          },
        ],
      });
    } finally {
      configureAi({ captureContent: false, maxContentLength: 4096 });
    }
    const span = cap.one('chat gpt-4o-mini');
    const input = span.attributes['gen_ai.input.messages'] as string;
    expect(input).toContain('[REDACTED]');
    expect(input).not.toContain('sk-proj-abcdefghijklmnopqrstuvwx');
    expect(input).toMatch(/…\[truncated \d+ chars\]$/);
    expect(span.attributes['gen_ai.output.messages']).toContain(WORDS.join(''));
  });
});

describe('responses', () => {
  it('records a non-streamed call', async () => {
    const response = await client.responses.create({ model: 'gpt-4.1', input: 'hi' });
    expect(response.output_text).toBe(WORDS.join(''));
    expect(cap.one('chat gpt-4.1').attributes).toMatchObject({
      'gen_ai.response.model': 'gpt-4.1-2024-08-06',
      'gen_ai.response.id': 'resp_test1',
      'gen_ai.usage.input_tokens': 20,
      'gen_ai.usage.output_tokens': 6,
      'gen_ai.usage.cache_read.input_tokens': 8,
      'gen_ai.usage.reasoning.output_tokens': 3,
      'gen_ai.response.finish_reasons': ['stop'],
    });
  });

  it('records a streamed call from its events', async () => {
    const stream = await client.responses.create({ model: 'gpt-4.1', input: 'hi', stream: true });
    let text = '';
    for await (const event of stream)
      if (event.type === 'response.output_text.delta') text += event.delta;
    expect(text).toBe(WORDS.join(''));
    const span = cap.one('chat gpt-4.1');
    expect(span.attributes).toMatchObject({
      'gen_ai.request.stream': true,
      'gen_ai.response.model': 'gpt-4.1-2024-08-06',
      'gen_ai.usage.input_tokens': 20,
      'gen_ai.usage.output_tokens': 6,
      'gen_ai.response.finish_reasons': ['stop'],
    });
    expect(span.attributes['gen_ai.response.time_to_first_chunk']).toBeGreaterThan(0);
  });
});

it('records embeddings with their input tokens', async () => {
  const result = await client.embeddings.create({
    model: 'text-embedding-3-small',
    input: 'hello',
  });
  expect(result.data[0]!.embedding).toEqual([0.25, -0.5, 0.75]);
  expect(cap.one('embeddings text-embedding-3-small').attributes).toMatchObject({
    'gen_ai.operation.name': 'embeddings',
    'gen_ai.response.model': 'text-embedding-3-small',
    'gen_ai.usage.input_tokens': 8,
  });
});

it('instrumenting twice records each call once', async () => {
  instrumentOpenAI(client);
  await client.chat.completions.create({ model: 'gpt-4o-mini', messages: [] });
  expect(cap.spans().filter((s) => s.name === 'chat gpt-4o-mini')).toHaveLength(1);
});
