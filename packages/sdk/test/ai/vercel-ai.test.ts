/**
 * The Vercel AI SDK (`ai` + `@ai-sdk/openai`), wrapped, against the local OpenAI-compatible
 * provider: generateText with a tool loop and streamText over real SSE.
 */
import { createOpenAI } from '@ai-sdk/openai';
import { SpanStatusCode } from '@opentelemetry/api';
import * as ai from 'ai';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { wrapAiSdk } from '../../src/ai/vercel-ai/index.js';
import { withSpan } from '../../src/index.js';
import { captureSpans, durationMs } from './capture.js';
import { CHAT_USAGE, startProvider, type TestProvider, WORDS } from './provider.js';

const cap = captureSpans('vercel-ai-test');
let provider: TestProvider;
let openai: ReturnType<typeof createOpenAI>;
const { generateText, streamText, generateObject } = wrapAiSdk(ai);

beforeAll(async () => {
  cap.start();
  provider = await startProvider();
  openai = createOpenAI({ baseURL: `${provider.url}/v1`, apiKey: 'sk-test' });
});
afterAll(async () => {
  await provider?.close();
  await cap.stop();
});
beforeEach(() => cap.exporter.reset());

describe('generateText', () => {
  it('records the model call with usage, response model and finish reason', async () => {
    const result = await withSpan('handler', () =>
      generateText({ model: openai.chat('gpt-4o-mini'), prompt: 'hi', maxRetries: 0 }),
    );
    expect(result.text).toBe(WORDS.join(''));
    const span = cap.one('chat gpt-4o-mini');
    expect(span.parentSpanContext?.spanId).toBe(cap.one('handler').spanContext().spanId);
    expect(span.attributes).toMatchObject({
      'gen_ai.operation.name': 'chat',
      'gen_ai.provider.name': 'openai',
      'gen_ai.request.model': 'gpt-4o-mini',
      'gen_ai.response.model': 'gpt-4o-mini-2024-08-06',
      'gen_ai.usage.input_tokens': CHAT_USAGE.prompt_tokens,
      'gen_ai.usage.output_tokens': CHAT_USAGE.completion_tokens,
      'gen_ai.usage.cache_read.input_tokens': 4,
      'gen_ai.usage.reasoning.output_tokens': 2,
      'gen_ai.response.finish_reasons': ['stop'],
    });
  });

  it('records each step of a tool loop and the tool between them', async () => {
    const calls: unknown[] = [];
    const result = await generateText({
      model: openai.chat('gpt-4o-mini'),
      prompt: 'weather in Paris?',
      maxRetries: 0,
      stopWhen: ai.stepCountIs(3),
      tools: {
        weather: ai.tool({
          description: 'Current weather',
          inputSchema: ai.jsonSchema<{ city: string }>({
            type: 'object',
            properties: { city: { type: 'string' } },
            required: ['city'],
          }),
          execute: async (input: { city: string }) => {
            calls.push(input);
            return { city: input.city, celsius: 21 };
          },
        }),
      },
    });
    expect(calls).toEqual([{ city: 'Paris' }]);
    expect(result.text).toBe(WORDS.join(''));
    const llm = cap.spans().filter((s) => s.name === 'chat gpt-4o-mini');
    expect(llm.map((s) => s.attributes['gen_ai.response.finish_reasons'])).toEqual([
      ['tool-calls'],
      ['stop'],
    ]);
    const tool = cap.one('execute_tool weather');
    expect(tool.attributes).toMatchObject({
      'gen_ai.operation.name': 'execute_tool',
      'gen_ai.tool.name': 'weather',
      'gen_ai.tool.call.id': 'call_weather_1',
      'gen_ai.tool.type': 'function',
    });
    expect(tool.attributes['gen_ai.tool.call.arguments']).toBeUndefined(); // content capture off
  });

  it('records provider errors with the AI SDK error type and status', async () => {
    const err = await generateText({
      model: openai.chat('rate-limited'),
      prompt: 'hi',
      maxRetries: 0,
    }).catch((e: unknown) => e);
    expect(ai.APICallError.isInstance(err)).toBe(true);
    const span = cap.one('chat rate-limited');
    expect(span.status.code).toBe(SpanStatusCode.ERROR);
    expect(span.attributes).toMatchObject({
      'error.type': 'AI_APICallError',
      'http.response.status_code': 429,
    });
  });
});

describe('streamText', () => {
  it('records time to first token, usage and finish reason of a streamed call', async () => {
    const result = streamText({ model: openai.chat('gpt-4o-mini'), prompt: 'hi', maxRetries: 0 });
    let text = '';
    for await (const delta of result.textStream) text += delta;
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
});

describe('generateObject', () => {
  it('records the structured-output call like any other', async () => {
    const result = await generateObject({
      model: openai.chat('gpt-4o-mini'),
      prompt: 'verdict?',
      maxRetries: 0,
      schema: ai.jsonSchema<{ verdict: string }>({
        type: 'object',
        properties: { verdict: { type: 'string' } },
        required: ['verdict'],
        additionalProperties: false,
      }),
    });
    expect(result.object).toEqual({ verdict: 'ok' });
    expect(cap.one('chat gpt-4o-mini').attributes).toMatchObject({
      'gen_ai.usage.input_tokens': 12,
      'gen_ai.response.finish_reasons': ['stop'],
    });
  });
});
