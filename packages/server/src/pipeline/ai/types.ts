import type { SpanAiColumns } from '../../store/records.js';

/**
 * The one set of AI fields every dialect (OpenTelemetry GenAI current and legacy, OpenInference,
 * Vercel AI SDK, Traceloop) is normalised into at ingest, stored as `ai_*` columns on spans.
 */

/** What an AI span is. `llm` covers chat, completion, embeddings and other model calls. */
export type AiKind = 'llm' | 'agent' | 'tool' | 'decision' | 'retrieval' | 'workflow';

/**
 * Where the cost came from: the client sent it (`client`), the price table priced it (`table`),
 * the model is not in the table (`unknown_model`: cost is null, never a silent 0), or the call
 * reported no token usage to price (`no_usage`).
 */
export type CostSource = 'client' | 'table' | 'unknown_model' | 'no_usage';

export interface AiTokens {
  /** All input tokens, cached ones included (GenAI semantic conventions). */
  input?: number;
  /** All output tokens, reasoning ones included. */
  output?: number;
  cacheRead?: number;
  cacheCreation?: number;
  reasoning?: number;
}

export interface AiFields extends AiTokens, SpanAiColumns {
  /** Undefined on a span that only carries a session or user ID. */
  kind?: AiKind;
  provider?: string;
  /** The response model when known, else the requested one. */
  model?: string;
  operation?: string;
  /** USD; null when it could not be priced (see costSource). */
  costUsd?: number | null;
  costSource?: CostSource;
  /** Time to first token of a streamed call, milliseconds. */
  ttftMs?: number;
  /** gen_ai.conversation.id, session.id and their dialect names. */
  sessionId?: string;
  /** user.id and its dialect names. */
  userId?: string;
}
