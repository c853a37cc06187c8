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
