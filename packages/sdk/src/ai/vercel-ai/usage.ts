/** Usage and finish reasons of AI SDK model results, in the v3 (ai 6) and v2 (ai 5) shapes. */
import type { LlmUsage } from '../llm.js';

type Obj = Record<string, unknown>;

function obj(v: unknown): Obj | undefined {
  return typeof v === 'object' && v !== null ? (v as Obj) : undefined;
}

function num(v: unknown): number | undefined {
  return typeof v === 'number' ? v : undefined;
}

export function usageOf(raw: unknown): LlmUsage {
  const u = obj(raw);
  if (!u) return {};
  const input = obj(u.inputTokens);
  const output = obj(u.outputTokens);
  if (input || output) {
    // v3: { inputTokens: { total, noCache, cacheRead, cacheWrite }, outputTokens: { total, text, reasoning } }
    return {
      inputTokens: num(input?.total),
      outputTokens: num(output?.total),
      cacheReadTokens: num(input?.cacheRead),
      cacheCreationTokens: num(input?.cacheWrite),
      reasoningTokens: num(output?.reasoning),
    };
  }
  // v2: flat numbers
  return {
    inputTokens: num(u.inputTokens),
    outputTokens: num(u.outputTokens),
    cacheReadTokens: num(u.cachedInputTokens),
    reasoningTokens: num(u.reasoningTokens),
  };
}

export function finishReasonOf(raw: unknown): string[] {
  if (typeof raw === 'string') return [raw];
  const unified = obj(raw)?.unified;
  return typeof unified === 'string' ? [unified] : [];
}

/** `openai.chat`, `openai.responses` → `openai`: GenAI provider names have no API suffix. */
export function providerOf(model: { provider?: unknown }): string {
  const p = typeof model.provider === 'string' && model.provider ? model.provider : 'unknown';
  const dot = p.indexOf('.');
  return dot > 0 ? p.slice(0, dot) : p;
}
