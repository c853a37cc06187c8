import type { Attributes, AttributeValue, SpanAiColumns } from '../records.js';

/**
 * Token counts kept once (schema v11). An LLM span's usage attributes (`gen_ai.usage.input_tokens`
 * and its kin) are also its ai_* columns; as attr_values they were the one value that made most
 * LLM spans' value lists unique, so DuckDB's dictionary stored each in full: 4.3 → 1.7 B per span
 * for attr_values on the bench's data. Where such an attribute holds exactly its column's number,
 * the writer puts a 0 in its place among attr_values and sets its bit in `attr_ai`; readers put
 * the column's value back (restoreAiAttributes, aiAttrSql). Other values (a float, a string, a
 * number the column does not hold) stay as they are.
 */
type TokenField = 'input' | 'output' | 'cacheRead' | 'cacheCreation' | 'reasoning';

/** Bit i of attr_ai stands for MOVED[i]: keys of the dialects in normalize.ts, columns of v2. */
const MOVED: ReadonlyArray<readonly [key: string, field: TokenField, column: string]> = [
  ['gen_ai.usage.input_tokens', 'input', 'ai_input_tokens'],
  ['gen_ai.usage.output_tokens', 'output', 'ai_output_tokens'],
  ['gen_ai.usage.prompt_tokens', 'input', 'ai_input_tokens'],
  ['gen_ai.usage.completion_tokens', 'output', 'ai_output_tokens'],
  ['llm.token_count.prompt', 'input', 'ai_input_tokens'],
  ['llm.token_count.completion', 'output', 'ai_output_tokens'],
  ['ai.usage.inputTokens', 'input', 'ai_input_tokens'],
  ['ai.usage.outputTokens', 'output', 'ai_output_tokens'],
  ['ai.usage.promptTokens', 'input', 'ai_input_tokens'],
  ['ai.usage.completionTokens', 'output', 'ai_output_tokens'],
  ['llm.usage.prompt_tokens', 'input', 'ai_input_tokens'],
  ['llm.usage.completion_tokens', 'output', 'ai_output_tokens'],
  ['gen_ai.usage.cache_read.input_tokens', 'cacheRead', 'ai_cache_read_tokens'],
  ['gen_ai.usage.cache_creation.input_tokens', 'cacheCreation', 'ai_cache_creation_tokens'],
  ['gen_ai.usage.reasoning.output_tokens', 'reasoning', 'ai_reasoning_tokens'],
];

const BIT = new Map(MOVED.map(([key], i) => [key, i]));

/**
 * A token count as its INTEGER column holds it (schema v11): rounded, NULL (undefined) when it
 * is no finite number or past int32, which no real call reaches.
 */
export function tokenColumnValue(n: number | undefined): number | undefined {
  if (n === undefined || !Number.isFinite(n)) return undefined;
  const v = Math.round(n);
  return v >= -0x8000_0000 && v <= 0x7fff_ffff ? v : undefined;
}

/** What stands in attr_values for a moved value. */
export const MOVED_PLACEHOLDER = 0;

/**
 * The attr_ai bit of `key` when its value `v` is exactly what the span's ai_* column holds
 * (span-chunks.ts writes Math.round of the field), else 0.
 */
export function movedBit(key: string, v: AttributeValue, ai: SpanAiColumns | undefined): number {
  if (ai === undefined || typeof v !== 'number' || !Number.isSafeInteger(v)) return 0;
  const i = BIT.get(key);
  if (i === undefined) return 0;
  return tokenColumnValue(ai[MOVED[i]![1]]) === v ? 1 << i : 0;
}

/** Whether any key may have its value moved (a key list without one needs no checks). */
export function mayMove(key: string): boolean {
  return BIT.has(key);
}

/** Puts the moved values back into `attributes` from the row's ai_* column values. */
export function restoreAiAttributes(
  attributes: Attributes,
  bits: number,
  column: (name: string) => unknown,
): void {
  for (let i = 0; i < MOVED.length; i++) {
    if ((bits & (1 << i)) === 0) continue;
    const [key, , name] = MOVED[i]!;
    const v = column(name);
    if (key in attributes && v !== null && v !== undefined) attributes[key] = Number(v);
  }
}

/**
 * SQL for a moved value as text (as json_extract_string renders a number), NULL when the span's
 * value for `key` (SQL for the key's name) was not moved.
 */
export function aiAttrSql(key: string): string {
  const cases = MOVED.map(
    ([k, , column], i) =>
      `WHEN '${k}' THEN CASE WHEN (attr_ai & ${1 << i}) <> 0 THEN ${column}::VARCHAR END`,
  );
  return `CASE WHEN attr_ai IS NOT NULL THEN CASE ${key} ${cases.join(' ')} END END`;
}
