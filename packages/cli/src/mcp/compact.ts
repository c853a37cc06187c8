import type { JsonAttributes, JsonValue } from '@hopscope/server';

/** Long strings (prompts, stack traces, payloads) are cut so one span cannot fill the answer. */
export function clip(text: string, max = 400): string {
  return text.length <= max ? text : `${text.slice(0, max)}… (+${text.length - max} chars)`;
}

/** Milliseconds rounded to µs, which is what the store keeps. */
export function ms(value: number | null): number | null {
  return value === null ? null : Math.round(value * 1000) / 1000;
}

function clipValue(value: JsonValue, max: number): JsonValue {
  if (typeof value === 'string') return clip(value, max);
  if (value === null || typeof value !== 'object') return value;
  const text = JSON.stringify(value);
  return text.length <= max ? value : clip(text, max);
}

/** At most `maxKeys` attributes, each value cut to `maxChars`; says how many were left out. */
export function clipAttributes(
  attributes: JsonAttributes,
  maxKeys = 60,
  maxChars = 400,
): JsonAttributes {
  const entries = Object.entries(attributes);
  const out: JsonAttributes = {};
  for (const [key, value] of entries.slice(0, maxKeys)) out[key] = clipValue(value, maxChars);
  if (entries.length > maxKeys) {
    out['…'] = `${entries.length - maxKeys} more attributes not shown`;
  }
  return out;
}

/** Drops null/undefined/empty fields so summaries stay short. */
export function dense<T extends Record<string, unknown>>(record: T): Partial<T> {
  const out: Partial<T> = {};
  for (const [key, value] of Object.entries(record)) {
    if (value === null || value === undefined) continue;
    if (Array.isArray(value) && value.length === 0) continue;
    if (typeof value === 'object' && !Array.isArray(value) && Object.keys(value).length === 0) {
      continue;
    }
    (out as Record<string, unknown>)[key] = value;
  }
  return out;
}
