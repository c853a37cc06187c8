/**
 * The alert rules file (YAML or JSON), as a zod schema. Objects are strict so a misspelt key is
 * named on load instead of silently ignored. Durations are kept as ms after parsing.
 */
import { z } from 'zod';
import { DURATION_HINT, parseRuleDuration } from './duration.js';

const duration = (min = 0) =>
  z.string({ error: `expected ${DURATION_HINT}` }).transform((text, ctx) => {
    const ms = parseRuleDuration(text);
    if (ms === null) {
      ctx.addIssue({ code: 'custom', message: `expected ${DURATION_HINT}, got "${text}"` });
      return z.NEVER;
    }
    if (ms < min) {
      ctx.addIssue({ code: 'custom', message: `expected at least ${min} ms, got "${text}"` });
      return z.NEVER;
    }
    return ms;
  });

const NAME = /^[A-Za-z][A-Za-z0-9_.:-]{0,127}$/;
const name = z.string().regex(NAME, 'expected 1–128 of [A-Za-z0-9_.:-], starting with a letter');
const ratio = z.number().gt(0).lt(1);

/** Attribute conditions, all of which must hold on a span: `{ "gen_ai.request.model": "gpt-4o" }`. */
const where = z
  .record(z.string().min(1).max(256), z.union([z.string(), z.number(), z.boolean()]))
  .optional()
  .transform((w) => Object.entries(w ?? {}).map(([key, value]) => ({ key, value: String(value) })));

const common = {
  name,
  description: z.string().max(1000).optional(),
  service: z.string().min(1).max(256).optional(),
  /** A span name; absent: the service's entry spans. */
  operation: z.string().min(1).max(512).optional(),
  where,
  /** How long the condition must hold before pending becomes firing. */
  for: duration().default(0),
  /**
   * Hysteresis: a firing alert resolves only once the value falls below
   * threshold × (1 − hysteresis), so a value hovering at the threshold does not flap.
   */
  hysteresis: z.number().min(0).lt(1).default(0.1),
  severity: z.enum(['critical', 'page', 'warning', 'ticket', 'info']).default('warning'),
  /** Names of webhooks to notify; default all of them. */
  notify: z.array(name).optional(),
  labels: z.record(z.string().regex(/^[a-zA-Z_][a-zA-Z0-9_]*$/), z.string()).optional(),
};

const errorRate = z.strictObject({
  ...common,
  kind: z.literal('error_rate'),
  /** Error spans / spans, 0–1. */
  threshold: ratio,
  window: duration(1000).default(5 * 60_000),
  /** Fewer requests than this in the window: not enough to judge, the state is kept. */
  min_requests: z.number().int().min(1).default(1),
});

const latency = z.strictObject({
  ...common,
  kind: z.literal('latency'),
  percentile: z.enum(['p95', 'p99']).default('p95'),
  threshold_ms: z.number().positive(),
  window: duration(1000).default(5 * 60_000),
  min_requests: z.number().int().min(1).default(1),
});

const errorSpike = z.strictObject({
  ...common,
  kind: z.literal('error_spike'),
  /** Fires when the error rate is at least `factor` × the previous window's. */
  factor: z.number().gt(1),
  /** …and at least this rate, so 0.1% → 0.3% is no spike. */
  min_error_rate: ratio.default(0.01),
  window: duration(1000).default(5 * 60_000),
  min_requests: z.number().int().min(1).default(1),
});

const burnPair = z.strictObject({
  long: duration(1000),
  short: duration(1000),
  factor: z.number().positive(),
});

/** The multi-window, multi-burn-rate pairs of the Google SRE workbook (page-worthy ones). */
export const DEFAULT_BURN_WINDOWS = [
  { long: 3_600_000, short: 300_000, factor: 14.4 },
  { long: 21_600_000, short: 1_800_000, factor: 6 },
];

const burnRate = z.strictObject({
  ...common,
  kind: z.literal('burn_rate'),
  /** The SLO: the share of requests that must succeed, e.g. 0.999. */
  objective: ratio,
  windows: z.array(burnPair).min(1).max(4).default(DEFAULT_BURN_WINDOWS),
  min_requests: z.number().int().min(1).default(1),
});

const noData = z.strictObject({
  ...common,
  kind: z.literal('no_data'),
  service: z.string().min(1).max(256),
  /** Nothing from the service for this long… */
  window: duration(1000).default(10 * 60_000),
  /** …although it sent something within this long. */
  lookback: duration(1000).default(24 * 3_600_000),
});

export const ruleSchema = z.discriminatedUnion(
  'kind',
  [errorRate, latency, errorSpike, burnRate, noData],
  {
    error: (issue) =>
      issue.code === 'invalid_union'
        ? 'kind: expected one of error_rate, latency, error_spike, burn_rate, no_data'
        : undefined,
  },
);

const webhookSchema = z.strictObject({
  name,
  url: z.url({ protocol: /^https?$/, error: 'expected an http(s) URL' }),
  /** `json`: the generic payload; `slack`: a Slack incoming-webhook message. */
  format: z.enum(['json', 'slack']).default('json'),
  headers: z.record(z.string(), z.string()).optional(),
  /** Attempts in all (first try + retries). */
  max_attempts: z.number().int().min(1).max(20).default(6),
  /** First retry waits this long, each next one twice as long (capped at 1 min). */
  initial_backoff: duration(1).default(500),
  timeout: duration(100).default(10_000),
});

export const rulesFileSchema = z.strictObject({
  /** Base of the links in notifications, e.g. https://hopscope.example.com; default the server's URL. */
  public_url: z.url({ protocol: /^https?$/, error: 'expected an http(s) URL' }).optional(),
  evaluation_interval: duration(100).default(30_000),
  /** Firing/resolved transitions kept for /api/alerts. */
  history_limit: z.number().int().min(1).max(10_000).default(200),
  webhooks: z.array(webhookSchema).default([]),
  rules: z.array(ruleSchema),
});

export type AlertRule = z.output<typeof ruleSchema>;
export type AlertRuleKind = AlertRule['kind'];
export type WebhookConfig = z.output<typeof webhookSchema>;
export type AlertRulesFile = z.output<typeof rulesFileSchema>;
/** What a caller may pass to startServer({ alerts }) instead of a file. */
export type AlertRulesInput = z.input<typeof rulesFileSchema>;
