import type { JsonAttributes, JsonValue } from '../api/types.js';

/** What an LLM call span says about itself (OpenTelemetry GenAI semantic conventions). */
export interface LlmSummary {
  provider: string | null;
  model: string | null;
  operation: string | null;
  inputTokens: number | null;
  outputTokens: number | null;
  cost: number | null;
}

/** An agent decision span (DESIGN.md: decision.type, .confidence, .result, .alternatives). */
export interface DecisionSummary {
  type: string;
  result: string | null;
  confidence: number | null;
}

const str = (v: JsonValue | undefined) => (typeof v === 'string' && v ? v : null);
const num = (v: JsonValue | undefined) =>
  typeof v === 'number'
    ? v
    : typeof v === 'string' && v !== '' && !Number.isNaN(Number(v))
      ? Number(v)
      : null;

export function llmSummary(a: JsonAttributes): LlmSummary | null {
  const provider = str(a['gen_ai.provider.name']) ?? str(a['gen_ai.system']);
  const model = str(a['gen_ai.response.model']) ?? str(a['gen_ai.request.model']);
  if (!provider && !model) return null;
  return {
    provider,
    model,
    operation: str(a['gen_ai.operation.name']),
    inputTokens: num(a['gen_ai.usage.input_tokens']) ?? num(a['gen_ai.usage.prompt_tokens']),
    outputTokens: num(a['gen_ai.usage.output_tokens']) ?? num(a['gen_ai.usage.completion_tokens']),
    cost: num(a['gen_ai.usage.cost']) ?? num(a['gen_ai.usage.cost_usd']) ?? num(a['llm.cost_usd']),
  };
}

export function decisionSummary(a: JsonAttributes): DecisionSummary | null {
  const type = str(a['decision.type']);
  if (!type) return null;
  const result = a['decision.result'];
  return {
    type,
    result:
      result === undefined || result === null
        ? null
        : typeof result === 'string'
          ? result
          : JSON.stringify(result),
    confidence: num(a['decision.confidence']),
  };
}

export function tokensText(s: LlmSummary): string | null {
  if (s.inputTokens === null && s.outputTokens === null) return null;
  return `${s.inputTokens ?? '?'}→${s.outputTokens ?? '?'} tok`;
}
