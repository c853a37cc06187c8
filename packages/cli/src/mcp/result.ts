import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { CliError } from '../errors.js';

/** Above this many characters an answer is cut, with a note saying how to ask for less. */
export const MAX_ANSWER_CHARS = 24_000;

/**
 * A tool's answer: JSON text an agent reads, with `note` leading the object when there is more
 * to get (so it is seen even when the client cuts long answers).
 */
export function answer(body: Record<string, unknown>): CallToolResult {
  const text = layout(body, '');
  if (text.length <= MAX_ANSWER_CHARS) return { content: [{ type: 'text', text }] };
  return {
    content: [
      {
        type: 'text',
        text:
          `${text.slice(0, MAX_ANSWER_CHARS)}\n… answer cut at ${MAX_ANSWER_CHARS} of ${text.length} characters. ` +
          'Ask for less: a smaller limit, a service or errors_only filter, or one span with get_span.',
      },
    ],
  };
}

export function fitsAnswer(body: Record<string, unknown>): boolean {
  return layout(body, '').length <= MAX_ANSWER_CHARS;
}

/** Adds the size-cap sentence to a body that shows `shown` of `total` rows. */
function capped(body: Record<string, unknown>, shown: number, total: number) {
  const { note, ...rest } = body;
  const cap = `Only ${shown} of ${total} rows fit the answer size cap.`;
  return { note: note ? `${cap} ${note}` : cap, ...rest };
}

/** The most rows, up to `total`, whose answer `build(n)` fits the size cap (with its note). */
export function rowsThatFit(
  total: number,
  build: (shown: number) => Record<string, unknown>,
): number {
  const fits = (n: number) =>
    layout(n === total ? build(n) : capped(build(n), n, total), '').length <= MAX_ANSWER_CHARS;
  if (total === 0 || fits(total)) return total;
  let lo = 0;
  let hi = total - 1;
  while (lo < hi) {
    const mid = Math.ceil((lo + hi) / 2);
    if (fits(mid)) lo = mid;
    else hi = mid - 1;
  }
  return lo;
}

/**
 * An answer listing rows: `build(n)` lays out the first n of `total`. When they do not all fit
 * the size cap, the most that do are shown and the note says so; `build` tells how to get the
 * rest (next_offset, next_cursor) because it sees fewer rows than there are.
 */
export function answerRows(
  total: number,
  build: (shown: number) => Record<string, unknown>,
  cappedFrom?: number,
): CallToolResult {
  const n = rowsThatFit(total, build);
  const from = n < total ? total : cappedFrom;
  return answer(from !== undefined && from > n ? capped(build(n), n, from) : build(n));
}

const LINE = 110;
/** A row (an object inside a list: a span, a log line) stays on one line up to this length. */
const ROW = 400;

/**
 * JSON laid out for reading and for tokens: rows of a list and values that fit stay on one line,
 * larger ones open up one entry per line. Still valid JSON.
 */
export function layout(value: unknown, indent: string, row = false): string {
  const flat = JSON.stringify(value) ?? 'null';
  if (value === null || typeof value !== 'object') return flat;
  if (flat.length + indent.length <= (row && !Array.isArray(value) ? ROW : LINE)) return flat;
  const inner = `${indent} `;
  if (Array.isArray(value)) {
    return `[\n${value.map((v) => inner + layout(v, inner, true)).join(',\n')}\n${indent}]`;
  }
  const entries = Object.entries(value).filter(([, v]) => v !== undefined);
  const lines = entries.map(([k, v]) => `${inner}${JSON.stringify(k)}: ${layout(v, inner)}`);
  return `{\n${lines.join(',\n')}\n${indent}}`;
}

/** An answer the agent should read as a failure: a wrong ID, an unreachable server, a 401. */
export function toolError(message: string): CallToolResult {
  return { content: [{ type: 'text', text: message }], isError: true };
}

/**
 * Runs a tool body so that nothing it throws reaches the MCP server as a crash: the CLI's
 * errors (which already say which URL, which token, which parameter) become tool errors.
 */
export function guarded<A>(
  body: (args: A) => Promise<CallToolResult>,
): (args: A) => Promise<CallToolResult> {
  return async (args) => {
    try {
      return await body(args);
    } catch (err) {
      if (err instanceof CliError) return toolError(err.message);
      const message = err instanceof Error ? err.message : String(err);
      return toolError(`internal error in hopscope mcp: ${message}`);
    }
  };
}
