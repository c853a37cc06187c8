/**
 * AI roll-up routes: tokens and cost grouped by model, provider, service, request, trace,
 * session, user or day; latency and time to first token per model; single LLM calls.
 */
import type { Context, Hono } from 'hono';
import { toAiCall, toModelLatency, toSeries, toUsageGroup } from '../query/ai.js';
import { nsToIso } from '../query/format.js';
import { AI_GROUP_KEYS, AI_SERIES_KEYS, type AiWindowQuery } from '../store/ai-reader.js';
import type { StoreReader } from '../store/reader.js';
import {
  ageOrTime,
  duration,
  int,
  oneOf,
  type ParamProblem,
  parseQuery,
  resolveTime,
  text,
} from './params.js';
import type {
  AiCallsResponse,
  AiModelsResponse,
  AiSeriesResponse,
  AiUsageResponse,
  ApiErrorBody,
} from './types.js';

const DAY_NS = 86_400_000_000_000n;
const CALL_ORDERS = ['slowest', 'costliest', 'recent'] as const;
const HOUR_NS = 3_600_000_000_000n;
/** Buckets one series may have; a finer step over a longer window is a 400. */
const MAX_BUCKETS = 2000n;

function badRequest(c: Context, p: ParamProblem) {
  const body: ApiErrorBody = {
    error: {
      status: 400,
      code: 'bad_request',
      message: p.message,
      param: p.param,
      expected: p.expected,
    },
  };
  return c.json(body, 400);
}

function noRollups(c: Context) {
  const body: ApiErrorBody = {
    error: {
      status: 404,
      code: 'not_found',
      message: 'this store keeps no AI roll-ups',
    },
  };
  return c.json(body, 404);
}

const WINDOW = {
  since: ageOrTime().optional(),
  until: ageOrTime().optional(),
  service: text().optional(),
  model: text().optional(),
};

type WindowValue = {
  since?: Parameters<typeof resolveTime>[0];
  until?: Parameters<typeof resolveTime>[0];
  service?: string;
  model?: string;
};

/** `since` defaults to 24h ago, `until` to now. */
function window(v: WindowValue, nowNs: bigint): AiWindowQuery | ParamProblem {
  const startNs = v.since ? resolveTime(v.since, nowNs) : nowNs - DAY_NS;
  const endNs = v.until ? resolveTime(v.until, nowNs) : nowNs;
  if (startNs > endNs) {
    return {
      param: 'since',
      message: 'since: must be before until',
      expected: 'a time before until',
    };
  }
  return { startNs, endNs, service: v.service, model: v.model };
}

function isProblem(w: AiWindowQuery | ParamProblem): w is ParamProblem {
  return 'param' in w;
}

export function registerAiRoutes(app: Hono, reader: StoreReader, now: () => number): void {
  const nowNs = () => BigInt(now()) * 1_000_000n;

  app.get('/api/ai/usage', async (c) => {
    const q = parseQuery(
      { ...WINDOW, group_by: oneOf(AI_GROUP_KEYS).optional(), limit: int(1, 10_000).optional() },
      c.req.query(),
    );
    if (!q.ok) return badRequest(c, q.problem);
    const w = window(q.value, nowNs());
    if (isProblem(w)) return badRequest(c, w);
    if (!reader.aiUsage) return noRollups(c);
    const groupBy = q.value.group_by ?? 'model';
    const { totals, groups } = await reader.aiUsage({ ...w, groupBy, limit: q.value.limit ?? 100 });
    const { key: _key, ...totalsOut } = toUsageGroup(totals);
    const body: AiUsageResponse = {
      group_by: groupBy,
      start: nsToIso(w.startNs),
      end: nsToIso(w.endNs),
      filters_applied: { service: w.service ?? null, model: w.model ?? null },
      totals: totalsOut,
      groups: groups.map(toUsageGroup),
    };
    return c.json(body);
  });

  app.get('/api/ai/models', async (c) => {
    const q = parseQuery(WINDOW, c.req.query());
    if (!q.ok) return badRequest(c, q.problem);
    const w = window(q.value, nowNs());
    if (isProblem(w)) return badRequest(c, w);
    if (!reader.aiModelLatency) return noRollups(c);
    const body: AiModelsResponse = {
      start: nsToIso(w.startNs),
      end: nsToIso(w.endNs),
      models: (await reader.aiModelLatency(w)).map(toModelLatency),
    };
    return c.json(body);
  });

  app.get('/api/ai/series', async (c) => {
    const q = parseQuery(
      { ...WINDOW, by: oneOf(AI_SERIES_KEYS).optional(), step: duration().optional() },
      c.req.query(),
    );
    if (!q.ok) return badRequest(c, q.problem);
    const w = window(q.value, nowNs());
    if (isProblem(w)) return badRequest(c, w);
    const stepNs = q.value.step ?? HOUR_NS;
    if (stepNs < 1_000_000_000n || (w.endNs - w.startNs) / stepNs > MAX_BUCKETS) {
      const expected = `a step of at least 1s and at most ${MAX_BUCKETS} buckets in the window`;
      return badRequest(c, { param: 'step', message: `step: expected ${expected}`, expected });
    }
    if (!reader.aiSeries) return noRollups(c);
    const by = q.value.by ?? 'model';
    const body: AiSeriesResponse = {
      by,
      step_ms: Number(stepNs / 1_000_000n),
      start: nsToIso(w.startNs),
      end: nsToIso(w.endNs),
      series: toSeries(await reader.aiSeries({ ...w, by, stepNs })),
    };
    return c.json(body);
  });

  app.get('/api/ai/calls', async (c) => {
    const q = parseQuery(
      { ...WINDOW, order: oneOf(CALL_ORDERS).optional(), limit: int(1, 1000).optional() },
      c.req.query(),
    );
    if (!q.ok) return badRequest(c, q.problem);
    const w = window(q.value, nowNs());
    if (isProblem(w)) return badRequest(c, w);
    if (!reader.aiCalls) return noRollups(c);
    const order = q.value.order ?? 'slowest';
    const body: AiCallsResponse = {
      order,
      start: nsToIso(w.startNs),
      end: nsToIso(w.endNs),
      calls: (await reader.aiCalls({ ...w, order, limit: q.value.limit ?? 20 })).map(toAiCall),
    };
    return c.json(body);
  });
}
