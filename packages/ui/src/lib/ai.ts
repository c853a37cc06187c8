import type { AiSpanKind, DebugSpan, JsonAttributes, JsonValue } from '../api/types.js';

/** What an LLM call span says about itself: the server's normalised `ai` columns first. */
export interface LlmSummary {
  provider: string | null;
  model: string | null;
  operation: string | null;
  inputTokens: number | null;
  outputTokens: number | null;
  cost: number | null;
  /** Why cost is null when the server could not price the call (unknown model, no usage). */
  costSource: string | null;
}

/** An agent decision span (seed 001: decision.type, .confidence, .factors, .result, .alternatives). */
export interface DecisionSummary {
  type: string;
  result: string | null;
  confidence: number | null;
  factors: unknown;
  alternatives: unknown;
}

const str = (v: JsonValue | undefined) => (typeof v === 'string' && v ? v : null);
const num = (v: JsonValue | undefined) =>
  typeof v === 'number'
    ? v
    : typeof v === 'string' && v !== '' && !Number.isNaN(Number(v))
      ? Number(v)
      : null;

/** Attribute values that clients send as JSON text (decision.factors) become data again. */
function parsed(v: JsonValue | undefined): unknown {
  if (typeof v !== 'string') return v ?? null;
  try {
    return JSON.parse(v);
  } catch {
    return v;
  }
}

/**
 * The span's AI role. The server normalises GenAI, OpenInference, Vercel and Traceloop into
 * `span.ai.kind`; raw attributes are the fallback for servers or spans without it.
 */
export function aiKind(span: Pick<DebugSpan, 'ai' | 'attributes'>): AiSpanKind | null {
  if (span.ai?.kind) return span.ai.kind;
  const a = span.attributes;
  if (str(a['decision.type'])) return 'decision';
  const op = str(a['gen_ai.operation.name']);
  if (op === 'execute_tool') return 'tool';
  if (op === 'invoke_agent' || op === 'create_agent') return 'agent';
  if (llmFromAttrs(a)) return 'llm';
  return null;
}

export function llmSummary(span: Pick<DebugSpan, 'ai' | 'attributes'>): LlmSummary | null {
  const ai = span.ai;
  if (ai && (ai.kind === 'llm' || (ai.kind === null && (ai.model || ai.provider)))) {
    return {
      provider: ai.provider,
      model: ai.model,
      operation: ai.operation,
      inputTokens: ai.input_tokens,
      outputTokens: ai.output_tokens,
      cost: ai.cost_usd,
      costSource: ai.cost_source,
    };
  }
  if (ai?.kind) return null;
  return llmFromAttrs(span.attributes);
}

function llmFromAttrs(a: JsonAttributes): LlmSummary | null {
  const provider = str(a['gen_ai.provider.name']) ?? str(a['gen_ai.system']);
  const model = str(a['gen_ai.response.model']) ?? str(a['gen_ai.request.model']);
  if (!provider && !model) return null;
  return {
    provider,
    model,
    operation: str(a['gen_ai.operation.name']),
    inputTokens: num(a['gen_ai.usage.input_tokens']) ?? num(a['gen_ai.usage.prompt_tokens']),
    outputTokens: num(a['gen_ai.usage.output_tokens']) ?? num(a['gen_ai.usage.completion_tokens']),
    cost: num(a['gen_ai.usage.cost']) ?? num(a['llm.cost.total']),
    costSource: null,
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
    factors: parsed(a['decision.factors']),
    alternatives: parsed(a['decision.alternatives']),
  };
}

/** Tool and agent spans are named `execute_tool {name}` / `invoke_agent {name}` (GenAI spec). */
export function aiName(span: Pick<DebugSpan, 'name' | 'attributes'>): string {
  return (
    str(span.attributes['gen_ai.tool.name']) ??
    str(span.attributes['gen_ai.agent.name']) ??
    span.name.replace(/^(execute_tool|invoke_agent) /, '')
  );
}

export function tokensText(s: LlmSummary): string | null {
  if (s.inputTokens === null && s.outputTokens === null) return null;
  return `${s.inputTokens ?? '?'}→${s.outputTokens ?? '?'} tok`;
}

/** `$0.0123`, `$1.24`: enough digits for a single call's cost to be non-zero. */
export function fmtUsd(x: number | null | undefined): string {
  if (x === null || x === undefined || !Number.isFinite(x)) return '–';
  if (x === 0) return '$0';
  if (x < 0.01) return `$${x.toPrecision(2)}`;
  if (x < 100) return `$${x.toFixed(x < 1 ? 4 : 2)}`;
  return `$${Math.round(x).toLocaleString('en-US')}`;
}

export function fmtTokens(n: number | null | undefined): string {
  if (n === null || n === undefined) return '–';
  if (n < 10_000) return String(n);
  if (n < 1_000_000) return `${(n / 1000).toFixed(1)}k`;
  return `${(n / 1_000_000).toFixed(2)}M`;
}
