import type { PriceTable, Rates } from './prices.js';
import type { AiTokens, CostSource } from './types.js';

export interface CostResult {
  costUsd: number | null;
  source: CostSource;
}

/** Rates for a call of `inputTokens`: the highest tier the call exceeds, else the base rates. */
function ratesFor(
  entry: Rates & { tiers?: (Rates & { above_input_tokens: number })[] },
  inputTokens: number,
): Rates {
  let chosen: Rates = entry;
  let threshold = -1;
  for (const tier of entry.tiers ?? []) {
    if (inputTokens > tier.above_input_tokens && tier.above_input_tokens > threshold) {
      chosen = tier;
      threshold = tier.above_input_tokens;
    }
  }
  return chosen;
}

/**
 * Prices one call. Input tokens include cached ones (GenAI conventions, OpenInference, OpenAI,
 * Vercel); when cache reads + writes exceed the input count the sender counted uncached input
 * only (Anthropic's raw usage), and the cache counts are added instead of subtracted. Reasoning
 * tokens are part of output. The sum is rounded to whole picodollars so equal inputs always give
 * the same float.
 */
export function priceCall(
  table: PriceTable,
  models: (string | undefined)[],
  tokens: AiTokens,
): CostResult {
  if (tokens.input === undefined && tokens.output === undefined)
    return { costUsd: null, source: 'no_usage' };
  let entry: ReturnType<PriceTable['find']>;
  for (const model of models) {
    entry = model ? table.find(model) : undefined;
    if (entry) break;
  }
  if (!entry) return { costUsd: null, source: 'unknown_model' };
  const cacheRead = tokens.cacheRead ?? 0;
  const cacheCreation = tokens.cacheCreation ?? 0;
  const input = tokens.input ?? 0;
  const cached = cacheRead + cacheCreation;
  const inclusive = input >= cached;
  const uncached = inclusive ? input - cached : input;
  const promptTotal = inclusive ? input : input + cached;
  const r = ratesFor(entry, promptTotal);
  const micro =
    uncached * r.input +
    cacheRead * (r.cache_read ?? r.input) +
    cacheCreation * (r.cache_creation ?? r.input) +
    (tokens.output ?? 0) * r.output;
  return { costUsd: Math.round(micro * 1e6) / 1e12, source: 'table' };
}
