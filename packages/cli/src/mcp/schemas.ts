import { z } from 'zod';
import { CliError } from '../errors.js';
import { level, requestKey, sinceValue } from '../validate.js';

/** Runs one of the CLI's validators inside zod, so bad arguments read as they do on the CLI. */
function checkedBy<T>(check: (value: string) => T) {
  return (value: string, ctx: z.RefinementCtx) => {
    try {
      check(value);
    } catch (err) {
      ctx.addIssue({
        code: 'custom',
        message: err instanceof CliError ? err.message : String(err),
      });
    }
  };
}

export const requestIdInput = z
  .string()
  .describe(
    'A request ID (req_3f9a1c2b4d5e, or any 1–128 of A-Z a-z 0-9 . _ : -), a 32-hex trace ID, ' +
      'or a pasted traceparent header (00-<32 hex>-<16 hex>-<2 hex>).',
  )
  .superRefine(checkedBy(requestKey));

export const spanIdInput = z
  .string()
  .regex(/^[0-9a-fA-F]{16}$/, 'expected a span ID of 16 hex characters, as in get_trace_summary')
  .describe('A span ID (16 hex) from get_trace_summary, get_critical_path or find_request.');

export const traceIdInput = z
  .string()
  .regex(/^[0-9a-fA-F]{32}$/, 'expected a trace ID of 32 hex characters')
  .describe('A trace ID (32 hex).');

export const serviceInput = z
  .string()
  .regex(/^[\w.:/@-]{1,128}$/, 'expected a service name of 1–128 letters, digits or _ . : / @ -')
  .describe('A service name, as listed by get_service_map or find_request.');

export const durationInput = z
  .string()
  .regex(
    /^(\d+(\.\d+)?(ns|us|µs|ms|s|m|h|d))+$/,
    'expected a duration like 250ms, 1.5s, 30m, 1h or 7d',
  );

export const sinceInput = z
  .string()
  .superRefine(checkedBy((v) => sinceValue('since', v)))
  .describe('How far back: an age like 15m, 1h, 7d, or an ISO time like 2026-01-25T12:00:00Z.');

export const levelInput = z
  .string()
  .superRefine(checkedBy((v) => level('level', v)))
  .transform((v) => level('level', v))
  .describe('Minimum level: debug, info, warn, error or fatal (warn returns warn, error, fatal).');

export function limitInput(defaultValue: number, max: number) {
  return z
    .number()
    .int('expected a whole number')
    .min(1, 'expected at least 1')
    .max(max, `expected at most ${max}`)
    .default(defaultValue);
}

export const offsetInput = z
  .number()
  .int('expected a whole number')
  .min(0, 'expected 0 or more')
  .default(0)
  .describe('Skip this many rows (paging: pass the next_offset of the previous answer).');
