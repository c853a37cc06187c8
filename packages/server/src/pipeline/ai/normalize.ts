import type { Attributes, WriteBatch } from '../../store/records.js';
import { priceCall } from './cost.js';
import { KEYS, kindOf, normaliseProvider, pickNumber, pickString } from './dialects.js';
import type { PriceTable } from './prices.js';
import type { AiFields } from './types.js';

/** TTFT in ms: GenAI's `gen_ai.response.time_to_first_chunk` is seconds, Vercel's is ms. */
function ttftMs(attrs: Attributes): number | undefined {
  const s = pickNumber(attrs, ['gen_ai.response.time_to_first_chunk']);
  if (s !== undefined) return s * 1000;
  return pickNumber(attrs, ['ai.response.msToFirstChunk', 'ai.stream.msToFirstChunk']);
}

/**
 * Every attribute key a dialect reads (dialects.ts, ttftMs above) matches this; normalize.test.ts
 * checks that against the sources, so a new dialect key cannot be missed here.
 */
export const AI_KEY =
  /^(?:gen_ai\.|llm\.|ai\.|openinference\.|traceloop\.|decision\.type$|session\.id$|user\.id$|enduser\.id$)/;

/**
 * False when no attribute key could feed an AI field and the name is no Vercel `ai.*` name:
 * most spans of a service are plain HTTP or database spans, and one pass over their keys is
 * cheaper than the ~30 lookups of every dialect's keys.
 */
function mayHaveAi(name: string, attrs: Attributes): boolean {
  if (name.startsWith('ai.')) return true;
  for (const k in attrs) if (AI_KEY.test(k)) return true;
  return false;
}

/**
 * The AI fields of one span in any dialect, or undefined when the span is neither about AI nor
 * carries a session or user (those are kept on every span so roll-ups can reach them from the
 * request's root). Tokens and cost are kept on `llm` spans only: agent and workflow spans of
 * several dialects repeat their children's totals, and counting both would double them.
 */
export function extractAi(
  name: string,
  attrs: Attributes,
  table: PriceTable,
): AiFields | undefined {
  if (!mayHaveAi(name, attrs)) return undefined;
  const kind = kindOf(name, attrs);
  const sessionId = pickString(attrs, KEYS.session);
  const userId = pickString(attrs, KEYS.user);
  if (kind === undefined) {
    if (sessionId === undefined && userId === undefined) return undefined;
    return { sessionId, userId };
  }
  const requestModel = pickString(attrs, KEYS.requestModel);
  const responseModel = pickString(attrs, KEYS.responseModel);
  const out: AiFields = {
    kind,
    provider: normaliseProvider(pickString(attrs, KEYS.provider)),
    model: responseModel ?? requestModel,
    operation: pickString(attrs, KEYS.operation),
    sessionId,
    userId,
  };
  const clientCost = pickNumber(attrs, KEYS.cost);
  if (kind === 'llm') {
    out.input = pickNumber(attrs, KEYS.input);
    out.output = pickNumber(attrs, KEYS.output);
    out.cacheRead = pickNumber(attrs, KEYS.cacheRead);
    out.cacheCreation = pickNumber(attrs, KEYS.cacheCreation);
    out.reasoning = pickNumber(attrs, KEYS.reasoning);
    out.ttftMs = ttftMs(attrs);
    if (clientCost !== undefined) {
      out.costUsd = clientCost;
      out.costSource = 'client';
    } else {
      const priced = priceCall(table, [responseModel, requestModel], out);
      out.costUsd = priced.costUsd;
      out.costSource = priced.source;
    }
  } else if (clientCost !== undefined) {
    // a client that prices its agent/tool spans itself (tool APIs billed per call)
    out.costUsd = clientCost;
    out.costSource = 'client';
  }
  return out;
}

/** Sets `span.ai` on every span of the batch that has AI fields. Never throws. */
export function normaliseBatch(batch: WriteBatch, table: PriceTable): void {
  for (const span of batch.spans) {
    try {
      const ai = extractAi(span.name, span.attributes, table);
      if (ai) span.ai = ai;
    } catch {
      // a span that cannot be normalised is still stored, without AI columns
    }
  }
}
