import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { parseDuration } from '../../config.js';

/**
 * The tail-sampling configuration: what `--sampling FILE` (YAML or JSON) holds, and what
 * `startServer({ sampling })` accepts. Keys are snake_case like the OpenTelemetry Collector's.
 * Durations are a number of milliseconds or a string such as `10s`, `1.5s`, `250ms`, `5m`.
 */

const durationMs = z
  .union([z.number(), z.string()], {
    error: 'expected a duration such as 10s or 250ms, or a number of milliseconds',
  })
  .transform((v, ctx) => {
    if (typeof v === 'number') {
      if (Number.isFinite(v) && v > 0) return v;
      ctx.addIssue({
        code: 'custom',
        message: `expected a positive number of milliseconds; got ${v}`,
      });
      return z.NEVER;
    }
    try {
      return parseDuration(v);
    } catch (err) {
      ctx.addIssue({ code: 'custom', message: (err as Error).message });
      return z.NEVER;
    }
  });

const name = z
  .string()
  .regex(/^[A-Za-z0-9_.:-]{1,64}$/, 'expected 1–64 characters of A-Z a-z 0-9 _ . : -');

const scalar = z.union([z.string(), z.number(), z.boolean()]);

const errorsPolicy = z.strictObject({ type: z.literal('errors'), name: name.optional() });

const latencyPolicy = z.strictObject({
  type: z.literal('latency'),
  name: name.optional(),
  /** Keep when the trace (or, with service/operation, one matching span) lasts at least this. */
  threshold: durationMs,
  service: z.string().min(1).optional(),
  operation: z.string().min(1).optional(),
});

const attributePolicy = z
  .strictObject({
    type: z.literal('attribute'),
    name: name.optional(),
    key: z.string().min(1, 'expected an attribute key'),
    /** Keep when the attribute equals this (compared as text); absent: when the key exists. */
    value: scalar.optional(),
    /** Keep when the attribute equals any of these. */
    values: z.array(scalar).min(1, 'expected at least one value').optional(),
  })
  .refine((p) => p.value === undefined || p.values === undefined, {
    message: 'give value or values, not both',
    path: ['values'],
  });

const rateLimitPolicy = z.strictObject({
  type: z.literal('rate_limit'),
  name: name.optional(),
  traces_per_second: z.number().positive('expected a number of traces per second above 0'),
});

const probabilisticPolicy = z.strictObject({
  type: z.literal('probabilistic'),
  name: name.optional(),
  percent: z.number().min(0, 'expected 0–100').max(100, 'expected 0–100'),
});

const policy = z.discriminatedUnion('type', [
  errorsPolicy,
  latencyPolicy,
  attributePolicy,
  rateLimitPolicy,
  probabilisticPolicy,
]);

export const samplingConfigSchema = z
  .strictObject({
    /** Time after the last record of a trace arrives before the trace is decided. */
    decision_wait: durationMs.default(10_000),
    /** Spans and trace-bound log records held at once; past it the stalest traces are decided early. */
    max_buffered_records: z.number().int().positive().default(200_000),
    /** Traces held at once; past it the stalest traces are decided early. */
    max_buffered_traces: z.number().int().positive().default(50_000),
    /** Decisions remembered so late spans follow their trace: how many, and for how long. */
    decision_cache_size: z.number().int().positive().default(200_000),
    decision_cache_ttl: durationMs.default(300_000),
    /** Kept records being written in the background before ingest waits for them (backpressure). */
    max_pending_writes: z.number().int().positive().default(100_000),
    /** Evaluated in order; the first that keeps a trace decides it; none keeping drops it. */
    policies: z.array(policy).min(1, 'expected at least one policy'),
  })
  .transform((c) => ({
    ...c,
    policies: c.policies.map((p, i) => ({ ...p, name: p.name ?? `${p.type}-${i}` })),
  }))
  .superRefine((c, ctx) => {
    const seen = new Set<string>();
    c.policies.forEach((p, i) => {
      if (seen.has(p.name)) {
        ctx.addIssue({
          code: 'custom',
          message: `duplicate policy name "${p.name}"`,
          path: ['policies', i, 'name'],
        });
      }
      seen.add(p.name);
    });
  });

/** What a file or caller writes (defaults optional). */
export type SamplingConfigInput = z.input<typeof samplingConfigSchema>;
/** Validated, defaults filled, every policy named. */
export type SamplingConfig = z.output<typeof samplingConfigSchema>;
export type PolicyConfig = SamplingConfig['policies'][number];

/** Thrown for a configuration that does not validate; the message names each field and problem. */
export class SamplingConfigError extends Error {
  override name = 'SamplingConfigError';
}

/** Validates a configuration object; `source` (a file name) prefixes the message. */
export function parseSamplingConfig(input: unknown, source = 'sampling'): SamplingConfig {
  const result = samplingConfigSchema.safeParse(input);
  if (result.success) return result.data;
  const problems = result.error.issues.map((issue) => {
    const path = formatPath(issue.path);
    return `${path || '(root)'}: ${issue.message}`;
  });
  throw new SamplingConfigError(
    `${source}: invalid sampling configuration\n  ${problems.join('\n  ')}`,
  );
}

/** Reads a YAML or JSON file (JSON is YAML, so one parser reads both) and validates it. */
export function loadSamplingConfig(file: string): SamplingConfig {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new SamplingConfigError(`${file}: cannot read: ${(err as Error).message}`);
  }
  let data: unknown;
  try {
    data = parseYaml(text, { prettyErrors: true });
  } catch (err) {
    throw new SamplingConfigError(`${file}: not valid YAML or JSON: ${(err as Error).message}`);
  }
  return parseSamplingConfig(data, file);
}

function formatPath(path: PropertyKey[]): string {
  let out = '';
  for (const part of path) {
    if (typeof part === 'number') out += `[${part}]`;
    else out += out ? `.${String(part)}` : String(part);
  }
  return out;
}
