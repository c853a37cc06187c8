import type { AiTraceSummary } from '@hopscope/server';
import { describe, expect, it } from 'vitest';
import { formatUsd, renderAiSummary } from './ai-summary.js';
import { makeColors } from './color.js';

const tokens = {
  input_tokens: 2349,
  output_tokens: 771,
  cache_read_tokens: 600,
  cache_creation_tokens: 0,
  reasoning_tokens: 0,
};
const summary: AiTraceSummary = {
  calls: 3,
  errors: 1,
  agents: 1,
  tools: 2,
  cost_usd: 0.014975,
  unpriced_calls: 1,
  llm_duration_ms: 1700,
  ...tokens,
  models: [
    {
      model: 'gpt-4o-2024-08-06',
      provider: 'openai',
      calls: 2,
      errors: 0,
      cost_usd: 0.014975,
      unpriced_calls: 0,
      duration_ms: 1500,
      ...tokens,
    },
    {
      model: 'in-house-7b',
      provider: null,
      calls: 1,
      errors: 1,
      cost_usd: 0,
      unpriced_calls: 1,
      duration_ms: 200,
      ...tokens,
    },
  ],
  decisions: [
    {
      span_id: 'a',
      trace_id: 'b',
      service: 'agent',
      timestamp: '',
      type: 'code_analysis',
      confidence: 0.95,
      factors: {},
      result: 'use the sandbox',
      alternatives: [],
    },
  ],
  sessions: [],
  users: [],
};

describe('renderAiSummary', () => {
  it('prints calls, tokens, cost with unpriced calls, models and decisions', () => {
    expect(renderAiSummary(summary, makeColors(false))).toEqual([
      '  AI  3 LLM calls · 2,349 in / 771 out tokens (600 cached) · $0.015 + 1 unpriced call · 1.70 s in models · 1 failed call · 1 agent run · 2 tool calls',
      '      gpt-4o-2024-08-06 ×2 $0.015 · in-house-7b ×1 unpriced',
      '      decision code_analysis → use the sandbox (0.95)',
    ]);
  });

  it.each([
    [0, '$0'],
    [0.0000135, '$0.0000135'],
    [0.00088, '$0.00088'],
    [0.0123, '$0.0123'],
    [0.5, '$0.5'],
    [12.5, '$12.50'],
  ])('formatUsd(%s) = %s', (usd, text) => {
    expect(formatUsd(usd)).toBe(text);
  });
});
