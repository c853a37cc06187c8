/** llmCall / llmStream / invokeAgent / toolCall / decision on a real tracer provider. */
import { SpanKind, SpanStatusCode } from '@opentelemetry/api';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  agentStep,
  configureAi,
  decision,
  invokeAgent,
  llmCall,
  llmStream,
  redactSecrets,
  toolCall,
} from '../../src/ai/index.js';
import { captureSpans } from './capture.js';

const cap = captureSpans('ai-spans-test');
beforeAll(() => cap.start());
afterAll(() => cap.stop());
beforeEach(() => {
  cap.exporter.reset();
  configureAi({ captureContent: false, maxContentLength: 4096 });
});

class ProviderRateLimit extends Error {
  status = 429;
  code = 'rate_limit_exceeded';
}

async function* chunks(words: string[]) {
  for (const w of words) {
    await new Promise((r) => setTimeout(r, 2));
    yield w;
  }
}

describe('llmCall', () => {
  it('names the span {operation} {model} and records what fn reports', async () => {
    const out = await llmCall(
      { provider: 'anthropic', model: 'claude-sonnet-4', operation: 'chat', maxTokens: 100 },
      async (call) => {
        call.response({
          model: 'claude-sonnet-4-20250514',
          id: 'msg_1',
          finishReasons: ['end_turn'],
        });
        call.usage({
          inputTokens: 1000,
          outputTokens: 50,
          cacheReadTokens: 600,
          cacheCreationTokens: 100,
          reasoningTokens: 10,
          costUsd: 0.004,
        });
        return 'answer';
      },
    );
    expect(out).toBe('answer');
    const span = cap.one('chat claude-sonnet-4');
    expect(span.kind).toBe(SpanKind.CLIENT);
    expect(span.attributes).toEqual(
      expect.objectContaining({
        'gen_ai.operation.name': 'chat',
        'gen_ai.provider.name': 'anthropic',
        'gen_ai.request.model': 'claude-sonnet-4',
        'gen_ai.request.max_tokens': 100,
        'gen_ai.response.model': 'claude-sonnet-4-20250514',
        'gen_ai.response.id': 'msg_1',
        'gen_ai.response.finish_reasons': ['end_turn'],
        'gen_ai.usage.input_tokens': 1000,
        'gen_ai.usage.output_tokens': 50,
        'gen_ai.usage.cache_read.input_tokens': 600,
        'gen_ai.usage.cache_creation.input_tokens': 100,
        'gen_ai.usage.reasoning.output_tokens': 10,
        'gen_ai.usage.cost': 0.004,
      }),
    );
    expect(span.attributes['gen_ai.request.stream']).toBeUndefined();
  });

  it('drops invalid token counts rather than recording them', async () => {
    await llmCall({ provider: 'openai', model: 'm' }, (call) =>
      call.usage({ inputTokens: -1, outputTokens: Number.NaN }),
    );
    const span = cap.one('chat m');
    expect(span.attributes['gen_ai.usage.input_tokens']).toBeUndefined();
    expect(span.attributes['gen_ai.usage.output_tokens']).toBeUndefined();
  });

  it('records a provider error with its type, status and code, and rethrows it', async () => {
    const err = new ProviderRateLimit('slow down');
    await expect(
      llmCall({ provider: 'openai', model: 'gpt-4o' }, () => Promise.reject(err)),
    ).rejects.toBe(err);
    const span = cap.one('chat gpt-4o');
    expect(span.status.code).toBe(SpanStatusCode.ERROR);
    expect(span.attributes).toMatchObject({
      'error.type': 'ProviderRateLimit',
      'http.response.status_code': 429,
      'hopscope.gen_ai.error.code': 'rate_limit_exceeded',
    });
  });

  it('rejects bad options with a message naming them', async () => {
    await expect(llmCall({ provider: 'openai', model: '' }, () => 1)).rejects.toThrow(
      /options\.model as a non-empty string, got ""/,
    );
    // @ts-expect-error no function
    await expect(llmCall({ provider: 'openai', model: 'x' })).rejects.toThrow(/needs a function/);
  });
});

describe('llmStream', () => {
  it('stays open while consumed, records time to first token and tokens per second', async () => {
    const stream = await llmStream(
      { provider: 'openai', model: 'gpt-4o-mini' },
      () => chunks(['a', 'b', 'c']),
      { onChunk: (_c, call) => call.usage({ outputTokens: 3 }) },
    );
    expect(cap.spans()).toHaveLength(0);
    const seen: string[] = [];
    for await (const c of stream) seen.push(c);
    expect(seen).toEqual(['a', 'b', 'c']);
    const span = cap.one('chat gpt-4o-mini');
    expect(span.attributes['gen_ai.request.stream']).toBe(true);
    expect(span.attributes['gen_ai.response.time_to_first_chunk']).toBeGreaterThan(0);
    expect(span.attributes['hopscope.gen_ai.output_tokens_per_second']).toBeGreaterThan(0);
  });

  it('ends with an error when the stream fails midway', async () => {
    async function* failing() {
      yield 'a';
      throw new ProviderRateLimit('cut off');
    }
    const stream = await llmStream({ provider: 'openai', model: 'gpt-4o-mini' }, () => failing());
    await expect(async () => {
      for await (const _ of stream) {
        // consume
      }
    }).rejects.toThrow('cut off');
    expect(cap.one('chat gpt-4o-mini').attributes['error.type']).toBe('ProviderRateLimit');
  });
});

describe('agents, tools, decisions', () => {
  it('nests model calls, tools and decisions under invoke_agent', async () => {
    await invokeAgent({ name: 'code-analyst', conversationId: 'conv_1' }, async () => {
      await llmCall({ provider: 'gcp.gemini', model: 'gemini-pro' }, () => 'ok');
      await toolCall(
        { name: 'run_tests', callId: 'call_1', arguments: { path: 'src' } },
        async () => ({ passed: 3 }),
      );
      decision({
        type: 'code_analysis',
        confidence: 0.95,
        factors: { complexity: 'high' },
        result: 'refactor',
        alternatives: ['leave as is'],
      });
    });
    const agent = cap.one('invoke_agent code-analyst');
    expect(agent.attributes).toMatchObject({
      'gen_ai.operation.name': 'invoke_agent',
      'gen_ai.agent.name': 'code-analyst',
      'gen_ai.conversation.id': 'conv_1',
    });
    const agentId = agent.spanContext().spanId;
    for (const name of ['chat gemini-pro', 'execute_tool run_tests', 'decision code_analysis']) {
      expect(cap.one(name).parentSpanContext?.spanId).toBe(agentId);
    }
    const tool = cap.one('execute_tool run_tests');
    expect(tool.attributes).toMatchObject({
      'gen_ai.tool.name': 'run_tests',
      'gen_ai.tool.call.id': 'call_1',
    });
    expect(tool.attributes['gen_ai.tool.call.arguments']).toBeUndefined();
    const expected = {
      'decision.type': 'code_analysis',
      'decision.confidence': 0.95,
      'decision.factors': '{"complexity":"high"}',
      'decision.result': 'refactor',
      'decision.alternatives': '["leave as is"]',
    };
    expect(cap.one('decision code_analysis').attributes).toMatchObject(expected);
    const event = agent.events.find((e) => e.name === 'decision');
    expect(event?.attributes).toEqual(expected);
  });

  it('agentStep records like invokeAgent; tool content is captured when asked', async () => {
    configureAi({ captureContent: true });
    await agentStep('plan', () =>
      toolCall({ name: 'search', arguments: { q: 'password=hunter22 ok' } }, () => 'found'),
    );
    expect(cap.one('invoke_agent plan').attributes['gen_ai.agent.name']).toBe('plan');
    const tool = cap.one('execute_tool search');
    expect(tool.attributes['gen_ai.tool.call.arguments']).toBe('{"q":"password=[REDACTED] ok"}');
    expect(tool.attributes['gen_ai.tool.call.result']).toBe('found');
  });

  it('decision never throws: a bad type is a warning, confidence is clamped', () => {
    expect(decision({ type: '' })).toBeUndefined();
    const ids = decision({ type: 'route', confidence: 7 });
    expect(ids?.spanId).toMatch(/^[0-9a-f]{16}$/);
    expect(cap.one('decision route').attributes['decision.confidence']).toBe(1);
  });
});

describe('redaction', () => {
  it.each([
    ['sk-proj-AbCdEfGhIjKlMnOpQrStUv', '[REDACTED]'],
    ['Authorization: Bearer abc.def.ghi123', 'Authorization: Bearer [REDACTED]'],
    ['AKIAABCDEFGHIJKLMNOP', '[REDACTED]'],
    ['{"api_key": "12345678"}', '{"api_key": "[REDACTED]"}'],
    ['eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.abcdefghijk', '[REDACTED]'],
    ['just words about tokens and keys', 'just words about tokens and keys'],
  ])('%s', (input, expected) => {
    expect(redactSecrets(input)).toBe(expected);
  });
});

describe('configureAi', () => {
  it('redacts every match of user patterns, global or not, and validates its options', () => {
    configureAi({ redactPatterns: [/cust_\d{6}/] });
    try {
      expect(redactSecrets('cust_123456 and cust_654321')).toBe('[REDACTED] and [REDACTED]');
    } finally {
      configureAi({ redactPatterns: [] });
    }
    expect(() => configureAi({ maxContentLength: 3 })).toThrow(
      /maxContentLength must be an integer ≥ 16, got 3/,
    );
    // @ts-expect-error not a RegExp
    expect(() => configureAi({ redactPatterns: ['secret'] })).toThrow(
      /array of RegExp \(item 0 is not\)/,
    );
  });
});
