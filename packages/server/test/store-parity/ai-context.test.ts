/**
 * The AI roll-ups take a call's request, session and user from the call itself or, when it has
 * none, from the earliest span of its trace inside the window that carries one. Both stores
 * build that trace context only for traces with AI calls (a semi-join on the calls' trace IDs); these traces are made so that a
 * wrong one attributes calls to the wrong key or to none: the request only on a non-AI root, the
 * session and the user each only on another non-AI span, a call with a request of its own, a
 * trace with no request at all, a trace outside the window, calls of other services and models,
 * a trace without AI calls, and a trace with two requests and two sessions.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AiReader, AiUsageRow, AiWindowQuery } from '../../src/store/ai-reader.js';
import { ClickHouseStore } from '../../src/store/clickhouse/store.js';
import { DuckDbStore } from '../../src/store/duckdb/store.js';
import type { SpanAiColumns, SpanRecord } from '../../src/store/records.js';
import { type ChdbHttp, startChdbHttp } from './chdb-http.js';

const MS = 1_000_000n;
const T0 = BigInt(Date.now()) * MS - 3_600_000n * MS;
const WINDOW: AiWindowQuery = { startNs: T0, endNs: T0 + 600_000n * MS };

const trace = (n: number) => n.toString(16).padStart(32, 'a');
const spanId = (t: number, i: number) => (t * 100 + i).toString(16).padStart(16, 'b');

function span(
  t: number,
  i: number,
  service: string,
  at: bigint,
  extra: { requestId?: string; ai?: SpanAiColumns; durationMs?: number } = {},
): SpanRecord {
  return {
    traceId: trace(t),
    spanId: spanId(t, i),
    parentSpanId: i === 0 ? undefined : spanId(t, 0),
    name: extra.ai?.kind ? `${extra.ai.kind} ${i}` : `op ${i}`,
    kind: i === 0 ? 2 : 1,
    service,
    startNs: at + BigInt(i) * MS,
    durationNs: BigInt(extra.durationMs ?? 5) * MS,
    statusCode: 0,
    requestId: extra.requestId,
    attributes: {},
    resource: { 'service.name': service },
    events: [],
    links: [],
    ai: extra.ai,
  };
}

const llm = (model: string, input: number, costUsd: number): SpanAiColumns => ({
  kind: 'llm',
  provider: model.startsWith('gpt') ? 'openai' : 'meta',
  model,
  input,
  output: input / 10,
  costUsd,
  costSource: 'table',
});

const at = (minutes: number) => T0 + BigInt(minutes) * 60_000n * MS;
const SPANS: SpanRecord[] = [
  // A: the request only on the non-AI root (another service), the session only on one non-AI
  // span, the user only on another; two calls without them and a decision.
  span(1, 0, 'gateway', at(1), { requestId: 'req_a' }),
  span(1, 1, 'agent', at(1), { ai: { sessionId: 'sess_a' } }),
  span(1, 2, 'agent', at(1), { ai: { userId: 'user_a' } }),
  span(1, 3, 'llm-proxy', at(1), { ai: llm('gpt-4o', 100, 0.001), durationMs: 900 }),
  span(1, 4, 'agent', at(1), { ai: llm('llama-3', 200, 0.002), durationMs: 50 }),
  span(1, 5, 'agent', at(1), { ai: { kind: 'decision' } }),
  // B: no request ID anywhere; the user on a non-AI span.
  span(2, 0, 'agent', at(2), { ai: { userId: 'user_b' } }),
  span(2, 1, 'agent', at(2), { ai: llm('gpt-4o', 400, 0.004), durationMs: 800 }),
  // E: request and session on the root; a call of llm-proxy with another model, and one of
  // another service with gpt-4o (both left out by the service + model filter).
  span(3, 0, 'gateway', at(3), { requestId: 'req_e', ai: { sessionId: 'sess_e' } }),
  span(3, 1, 'llm-proxy', at(3), { ai: llm('llama-3', 300, 0.003), durationMs: 30 }),
  span(3, 2, 'agent', at(3), { ai: llm('gpt-4o', 600, 0.006), durationMs: 40 }),
  // F: no AI calls; its request, session and user must not show up.
  span(4, 0, 'gateway', at(4), { requestId: 'req_f', ai: { sessionId: 'sess_f', userId: 'u_f' } }),
  span(4, 1, 'files', at(4), { requestId: 'req_f' }),
  // G: a call with a request and session of its own, in a trace whose root has others.
  span(7, 0, 'gateway', at(5), { requestId: 'req_g', ai: { sessionId: 'sess_g' } }),
  span(7, 1, 'agent', at(5), {
    requestId: 'req_own',
    ai: { ...llm('gpt-4o', 50, 0.0005), sessionId: 'sess_own' },
    durationMs: 20,
  }),
  // C: outside the window (before it and after it).
  span(5, 0, 'gateway', T0 - 60_000n * MS, { requestId: 'req_c', ai: { sessionId: 'sess_c' } }),
  span(5, 1, 'llm-proxy', T0 - 60_000n * MS, { ai: llm('gpt-4o', 700, 0.007) }),
  span(6, 0, 'gateway', at(20), { requestId: 'req_late' }),
  span(6, 1, 'llm-proxy', at(20), { ai: llm('gpt-4o', 800, 0.008) }),
  // H (a window of its own): two requests and two sessions in one trace; a call without either
  // belongs to the earliest span's (the root's), whichever sorts first or is met first.
  span(8, 0, 'gateway', at(40), { requestId: 'req_z_root', ai: { sessionId: 'sess_z_root' } }),
  span(8, 1, 'agent', at(40), { requestId: 'req_a_child', ai: { sessionId: 'sess_a_child' } }),
  span(8, 2, 'llm-proxy', at(40), { ai: llm('gpt-4o', 10, 0.0001) }),
];

/** The parts of a usage row the attribution decides. */
const brief = (r: AiUsageRow) => ({
  key: r.key,
  calls: r.calls,
  decisions: r.decisions,
  inputTokens: r.inputTokens,
  costUsd: r.costUsd,
});

let dir: string;
let bridge: ChdbHttp;
const stores: Record<string, DuckDbStore | ClickHouseStore> = {};

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'hopscope-ai-context-'));
  bridge = await startChdbHttp(join(dir, 'chdb'));
  const duck = new DuckDbStore({ dataDir: join(dir, 'duck') });
  const ch = new ClickHouseStore({ url: bridge.url, database: 'ai_context', flushMs: 5 });
  await Promise.all([duck.open(), ch.open()]);
  for (const store of [duck, ch]) await store.write({ spans: structuredClone(SPANS), logs: [] });
  stores.duckdb = duck;
  stores.clickhouse = ch;
});

afterAll(async () => {
  for (const store of Object.values(stores)) await store.close();
  await bridge?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe.each(['duckdb', 'clickhouse'])('AI roll-ups take the trace context right (%s)', (name) => {
  const reader = (): AiReader => stores[name].reader;
  const usage = async (groupBy: 'request' | 'session' | 'user', filter = {}) => {
    const u = await reader().aiUsage({ ...WINDOW, ...filter, groupBy, limit: 20 });
    return { totals: brief(u.totals), groups: u.groups.map(brief) };
  };

  it('by request: the root’s request for calls without one, the call’s own first, null without any', async () => {
    expect(await usage('request')).toEqual({
      totals: { key: null, calls: 6, decisions: 1, inputTokens: 1650, costUsd: 0.0165 },
      groups: [
        { key: 'req_e', calls: 2, decisions: 0, inputTokens: 900, costUsd: 0.009 },
        { key: null, calls: 1, decisions: 0, inputTokens: 400, costUsd: 0.004 },
        { key: 'req_a', calls: 2, decisions: 1, inputTokens: 300, costUsd: 0.003 },
        { key: 'req_own', calls: 1, decisions: 0, inputTokens: 50, costUsd: 0.0005 },
      ],
    });
  });

  it('by session and by user: each from the one non-AI span that carries it', async () => {
    expect((await usage('session')).groups).toEqual([
      { key: 'sess_e', calls: 2, decisions: 0, inputTokens: 900, costUsd: 0.009 },
      { key: null, calls: 1, decisions: 0, inputTokens: 400, costUsd: 0.004 },
      { key: 'sess_a', calls: 2, decisions: 1, inputTokens: 300, costUsd: 0.003 },
      { key: 'sess_own', calls: 1, decisions: 0, inputTokens: 50, costUsd: 0.0005 },
    ]);
    expect((await usage('user')).groups).toEqual([
      { key: null, calls: 3, decisions: 0, inputTokens: 950, costUsd: 0.0095 },
      { key: 'user_b', calls: 1, decisions: 0, inputTokens: 400, costUsd: 0.004 },
      { key: 'user_a', calls: 2, decisions: 1, inputTokens: 300, costUsd: 0.003 },
    ]);
  });

  it('service and model filters choose the calls, not the spans their context comes from', async () => {
    const filter = { service: 'llm-proxy', model: 'gpt-4o' };
    const one = { calls: 1, decisions: 0, inputTokens: 100, costUsd: 0.001 };
    expect(await usage('request', filter)).toEqual({
      totals: { key: null, ...one },
      groups: [{ key: 'req_a', ...one }],
    });
    expect((await usage('session', filter)).groups).toEqual([{ key: 'sess_a', ...one }]);
    expect((await usage('user', filter)).groups).toEqual([{ key: 'user_a', ...one }]);
  });

  it('a trace with two requests gives its calls the earliest span’s', async () => {
    const window = { startNs: at(39), endNs: at(45) };
    const one = { calls: 1, decisions: 0, inputTokens: 10, costUsd: 0.0001 };
    for (const [groupBy, key] of [
      ['request', 'req_z_root'],
      ['session', 'sess_z_root'],
    ] as const) {
      const u = await reader().aiUsage({ ...window, groupBy, limit: 5 });
      expect(u.groups.map(brief)).toEqual([{ key, ...one }]);
    }
    const calls = await reader().aiCalls({ ...window, order: 'recent', limit: 5 });
    expect(calls.map((c) => [c.spanId, c.requestId])).toEqual([[spanId(8, 2), 'req_z_root']]);
  });

  it('calls lists carry each call’s request, also when only the top calls are listed', async () => {
    const all = await reader().aiCalls({ ...WINDOW, order: 'slowest', limit: 50 });
    expect(all.map((c) => [c.spanId, c.requestId])).toEqual([
      [spanId(1, 3), 'req_a'],
      [spanId(2, 1), null],
      [spanId(1, 4), 'req_a'],
      [spanId(3, 2), 'req_e'],
      [spanId(3, 1), 'req_e'],
      [spanId(7, 1), 'req_own'],
    ]);
    const top = await reader().aiCalls({ ...WINDOW, order: 'costliest', limit: 2 });
    expect(top.map((c) => [c.spanId, c.requestId])).toEqual([
      [spanId(3, 2), 'req_e'],
      [spanId(2, 1), null],
    ]);
    const filtered = await reader().aiCalls({
      ...WINDOW,
      service: 'agent',
      order: 'recent',
      limit: 3,
    });
    expect(filtered.map((c) => [c.spanId, c.requestId])).toEqual([
      [spanId(7, 1), 'req_own'],
      [spanId(3, 2), 'req_e'],
      [spanId(2, 1), null],
    ]);
  });
});
