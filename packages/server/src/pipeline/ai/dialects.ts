import type { Attributes, AttributeValue } from '../../store/records.js';
import type { AiKind } from './types.js';

/**
 * Attribute names of each dialect, first found wins. Order: OpenTelemetry GenAI current names,
 * then legacy GenAI, OpenInference, Vercel AI SDK (`ai.*`, v4 and v5 names), Traceloop.
 */
export const KEYS = {
  provider: [
    'gen_ai.provider.name',
    'gen_ai.system',
    'llm.provider',
    'llm.system',
    'ai.model.provider',
  ],
  responseModel: ['gen_ai.response.model', 'ai.response.model', 'llm.response.model'],
  requestModel: ['gen_ai.request.model', 'llm.model_name', 'ai.model.id', 'llm.request.model'],
  operation: ['gen_ai.operation.name', 'llm.request.type'],
  input: [
    'gen_ai.usage.input_tokens',
    'gen_ai.usage.prompt_tokens',
    'llm.token_count.prompt',
    'ai.usage.inputTokens',
    'ai.usage.promptTokens',
    'llm.usage.prompt_tokens',
  ],
  output: [
    'gen_ai.usage.output_tokens',
    'gen_ai.usage.completion_tokens',
    'llm.token_count.completion',
    'ai.usage.outputTokens',
    'ai.usage.completionTokens',
    'llm.usage.completion_tokens',
  ],
  cacheRead: [
    'gen_ai.usage.cache_read.input_tokens',
    'gen_ai.usage.cache_read_input_tokens',
    'llm.token_count.prompt_details.cache_read',
    'ai.usage.cachedInputTokens',
    'ai.usage.inputTokenDetails.cacheReadTokens',
  ],
  cacheCreation: [
    'gen_ai.usage.cache_creation.input_tokens',
    'gen_ai.usage.cache_creation_input_tokens',
    'llm.token_count.prompt_details.cache_write',
    'ai.usage.inputTokenDetails.cacheWriteTokens',
  ],
  reasoning: [
    'gen_ai.usage.reasoning.output_tokens',
    'gen_ai.usage.reasoning_tokens',
    'llm.token_count.completion_details.reasoning',
    'ai.usage.reasoningTokens',
    'ai.usage.outputTokenDetails.reasoningTokens',
  ],
  cost: ['gen_ai.usage.cost', 'llm.cost.total'],
  session: [
    'gen_ai.conversation.id',
    'session.id',
    'ai.telemetry.metadata.sessionId',
    'traceloop.association.properties.session_id',
  ],
  user: [
    'user.id',
    'enduser.id',
    'ai.telemetry.metadata.userId',
    'traceloop.association.properties.user_id',
  ],
} as const;

export function pick(attrs: Attributes, keys: readonly string[]): AttributeValue | undefined {
  for (const k of keys) {
    const v = attrs[k];
    if (v !== undefined && v !== null && v !== '') return v;
  }
  return undefined;
}

export function pickString(attrs: Attributes, keys: readonly string[]): string | undefined {
  const v = pick(attrs, keys);
  if (typeof v === 'string') return v.slice(0, 256);
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  return undefined;
}

/** A non-negative finite number, also from a numeric string (int64 can arrive as text). */
export function pickNumber(attrs: Attributes, keys: readonly string[]): number | undefined {
  for (const k of keys) {
    const v = attrs[k];
    const n =
      typeof v === 'number' ? v : typeof v === 'string' && v.trim() !== '' ? Number(v) : Number.NaN;
    if (Number.isFinite(n) && n >= 0) return n;
  }
  return undefined;
}

const GENAI_OPERATION_KIND: Record<string, AiKind> = {
  invoke_agent: 'agent',
  create_agent: 'agent',
  execute_tool: 'tool',
  chat: 'llm',
  text_completion: 'llm',
  generate_content: 'llm',
  embeddings: 'llm',
  completion: 'llm',
  embedding: 'llm',
  rerank: 'retrieval',
};

const OPENINFERENCE_KIND: Record<string, AiKind> = {
  LLM: 'llm',
  EMBEDDING: 'llm',
  AGENT: 'agent',
  TOOL: 'tool',
  RETRIEVER: 'retrieval',
  RERANKER: 'retrieval',
  CHAIN: 'workflow',
};

const TRACELOOP_KIND: Record<string, AiKind> = {
  agent: 'agent',
  tool: 'tool',
  workflow: 'workflow',
  task: 'workflow',
};

/**
 * The kind of an AI span, or undefined for a span that is not about AI. Vercel's outer
 * `ai.generateText`/`ai.streamText` spans repeat their inner `doGenerate`/`doStream` usage, so
 * they are `workflow` and only the inner calls count as `llm` (no double counting).
 */
export function kindOf(name: string, attrs: Attributes): AiKind | undefined {
  if (attrs['decision.type'] !== undefined) return 'decision';
  const op = attrs['gen_ai.operation.name'];
  if (typeof op === 'string' && GENAI_OPERATION_KIND[op]) return GENAI_OPERATION_KIND[op];
  const oi = attrs['openinference.span.kind'];
  if (typeof oi === 'string' && OPENINFERENCE_KIND[oi.toUpperCase()]) {
    return OPENINFERENCE_KIND[oi.toUpperCase()];
  }
  const vercelOp = typeof attrs['ai.operationId'] === 'string' ? attrs['ai.operationId'] : name;
  if (vercelOp.startsWith('ai.')) {
    if (/\.do(Generate|Stream|Embed)$/.test(vercelOp)) return 'llm';
    if (vercelOp === 'ai.toolCall') return 'tool';
    if (attrs['ai.model.id'] !== undefined) return 'workflow';
  }
  const tl = attrs['traceloop.span.kind'];
  if (typeof tl === 'string' && TRACELOOP_KIND[tl]) return TRACELOOP_KIND[tl];
  if (attrs['llm.request.type'] !== undefined) return 'llm';
  if (
    pick(attrs, KEYS.requestModel) !== undefined ||
    pick(attrs, KEYS.responseModel) !== undefined ||
    pick(attrs, KEYS.input) !== undefined
  ) {
    return 'llm';
  }
  return undefined;
}

/** `openai.chat` / `openai.responses` (Vercel) → `openai`; names lowercased. */
export function normaliseProvider(raw: string | undefined): string | undefined {
  if (raw === undefined) return undefined;
  const p = raw.toLowerCase();
  const dot = p.indexOf('.');
  if (dot > 0 && /^(openai|anthropic|google|mistral|groq|xai|cohere|deepseek|azure)\./.test(p)) {
    return p.slice(0, dot);
  }
  return p;
}
