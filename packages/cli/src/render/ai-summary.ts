import type { AiTraceSummary } from '@hopscope/server';
import type { Colors } from './color.js';
import { formatDuration } from './format.js';

const n = (v: number) => v.toLocaleString('en-US');

/** Cents from $1 up (`$12.50`), three significant digits below (`$0.015`, `$0.0000135`). */
export function formatUsd(usd: number): string {
  if (usd === 0) return '$0';
  if (usd >= 1) return `$${usd.toFixed(2)}`;
  return `$${usd.toPrecision(3).replace(/0+$/, '')}`;
}

function plural(count: number, word: string): string {
  return `${n(count)} ${word}${count === 1 ? '' : 's'}`;
}

/**
 * The request's AI in two or three header lines: calls, tokens, cost (a lower bound when some
 * calls could not be priced), the models by cost, and each decision with its outcome.
 */
export function renderAiSummary(ai: AiTraceSummary, colors: Colors): string[] {
  const cached = ai.cache_read_tokens > 0 ? ` (${n(ai.cache_read_tokens)} cached)` : '';
  const unpriced =
    ai.unpriced_calls > 0 ? colors.yellow(` + ${plural(ai.unpriced_calls, 'unpriced call')}`) : '';
  const parts = [
    plural(ai.calls, 'LLM call'),
    `${n(ai.input_tokens)} in / ${n(ai.output_tokens)} out tokens${cached}`,
    `${formatUsd(ai.cost_usd)}${unpriced}`,
    `${formatDuration(ai.llm_duration_ms)} in models`,
  ];
  if (ai.errors > 0) parts.push(colors.red(plural(ai.errors, 'failed call')));
  if (ai.agents > 0) parts.push(plural(ai.agents, 'agent run'));
  if (ai.tools > 0) parts.push(plural(ai.tools, 'tool call'));
  const lines = [`  ${colors.magenta('AI')}  ${parts.join(' · ')}`];
  if (ai.models.length > 0) {
    const models = ai.models.map((m) => {
      const cost = m.unpriced_calls === m.calls ? colors.yellow('unpriced') : formatUsd(m.cost_usd);
      return `${m.model ?? '?'} ×${m.calls} ${cost}`;
    });
    lines.push(colors.dim(`      ${models.join(' · ')}`));
  }
  for (const d of ai.decisions) {
    const confidence = d.confidence === null ? '' : ` (${d.confidence})`;
    lines.push(`      decision ${d.type}${d.result === null ? '' : ` → ${d.result}`}${confidence}`);
  }
  return lines;
}
