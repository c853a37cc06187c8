// `npm run bench -- ai-query [--spans=N] [--runs=N] [--ai-traces=PCT]`: the AI roll-ups
// (/api/ai/*: usage by every key, model latency, series, calls lists) with N spans (default 2M)
// of agent-platform traffic in a real DuckDB file opened by DuckDbStore. Each roll-up runs
// through the store's AI reader twice per round on the same connections: with the `calls` CTE
// builder the reader ships now and with the one it had before (main at e7252bb, kept below), in
// alternation so load from other processes hits both alike. Prints p50 wall time and p50
// process CPU (DuckDB's worker threads included) per roll-up, and before/after ratios; checks
// that both answer the same. Needs a build (`npm run build`): it imports packages/server/dist.
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { intArg as arg } from './_args.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const dist = join(here, '..', 'packages', 'server', 'dist');

/**
 * The `calls` CTE as main had it before this change (packages/server/src/store/duckdb/ai-sql.ts
 * at e7252bb): every span of the window, and per trace the request, session and user of ALL the
 * window's traces, whatever the roll-up needs. It yields every column the new statements read.
 */
function beforeCtes(q, params) {
  params.start = q.startNs;
  params.end = q.endNs;
  const filters = [];
  if (q.service !== undefined) {
    params.service = q.service;
    filters.push('AND w.service = $service');
  }
  if (q.model !== undefined) {
    params.model = q.model;
    filters.push('AND w.ai_model = $model');
  }
  return `WITH w AS (SELECT * FROM spans WHERE start_ns BETWEEN $start AND $end),
    ctx AS (
      SELECT trace_id,
             any_value(request_id) FILTER (WHERE request_id IS NOT NULL) AS t_request,
             any_value(ai_session_id) FILTER (WHERE ai_session_id IS NOT NULL) AS t_session,
             any_value(ai_user_id) FILTER (WHERE ai_user_id IS NOT NULL) AS t_user
      FROM w WHERE request_id IS NOT NULL OR ai_session_id IS NOT NULL OR ai_user_id IS NOT NULL
      GROUP BY trace_id),
    calls AS (
      SELECT w.*, coalesce(w.request_id, ctx.t_request) AS g_request,
             coalesce(w.ai_session_id, ctx.t_session) AS g_session,
             coalesce(w.ai_user_id, ctx.t_user) AS g_user
      FROM w LEFT JOIN ctx USING (trace_id)
      WHERE w.ai_kind IN ('llm', 'decision') ${filters.join(' ')})`;
}

/**
 * Fills `spans` by INSERT … SELECT over range(), in time order as ingest appends them: traces of
 * 10 spans over the hour before `endNs`. `aiPct` % of the traces are agent runs (gateway → agent
 * → an `agent` span with a `decision`, two LLM calls — one through llm-proxy carrying the
 * request ID, one from the agent without it — and sandbox/tool/db spans); the others are plain
 * API traffic (gateway → files → postgres/redis). Request IDs sit on the gateway spans and some
 * others, session and user only on the root (as the SDK's normalisation stores them); 1 trace in
 * 50 fails. Four models, one of them unpriced; a third of calls with cache reads, half with TTFT.
 */
async function loadSql(conn, spans, endNs, aiPct) {
  const traces = Math.floor(spans / 10);
  const stepNs = 3_600_000_000_000n / BigInt(traces);
  const startNs = endNs - 3_600_000_000_000n;
  const model = (k) => `CASE ${k} WHEN 5 THEN m1 ELSE m2 END`;
  await conn.run(`
    INSERT INTO spans (trace_id, span_id, parent_span_id, name, kind, service, start_ns, duration_ns,
      status_code, status_message, request_id, attr_keys, attr_values, resource, scope_name, scope_version,
      ai_kind, ai_provider, ai_model, ai_operation, ai_input_tokens, ai_output_tokens,
      ai_cache_read_tokens, ai_cost_usd, ai_cost_source, ai_ttft_ms, ai_session_id, ai_user_id)
    SELECT (hash(t)::UHUGEINT << 64) | hash(t, 'x')::UHUGEINT, hash(i),
      CASE WHEN k = 0 THEN NULL ELSE hash(i - CASE WHEN k <= 3 THEN 1 ELSE k - 3 END) END,
      CASE WHEN ai
        THEN ['POST /v1/agents/run', 'POST agent', 'POST /run', 'invoke_agent planner', 'plan',
              'chat ' || m1, 'chat ' || m2, 'exec', 'tool.search', 'SELECT documents'][k + 1]
        ELSE ['GET /v1/files', 'GET files', 'GET /files', 'read', 'SELECT files', 'cache.get',
              'GET /meta', 'render', 'SELECT users', 'cache.set'][k + 1] END,
      CASE WHEN k IN (0, 2) THEN 2 WHEN k IN (1, 5, 6, 9) THEN 3 ELSE 1 END,
      CASE WHEN ai
        THEN ['gateway', 'gateway', 'agent', 'agent', 'agent', 'llm-proxy', 'agent', 'sandbox',
              'sandbox', 'postgres'][k + 1]
        ELSE ['gateway', 'gateway', 'files', 'files', 'postgres', 'redis', 'files', 'files',
              'postgres', 'redis'][k + 1] END,
      ${startNs}::BIGINT + t * ${stepNs}::BIGINT + k * 3000000,
      CASE WHEN ai AND k IN (5, 6) THEN 200000000 + hash(i) % 1500000000
           ELSE (100 - k * 9) * 1000000 + hash(i) % 5000000 END,
      CASE WHEN t % 50 = 7 AND k IN (0, 6) THEN 2 ELSE 0 END,
      CASE WHEN t % 50 = 7 AND k = 6 THEN 'rate limited' END,
      CASE WHEN k IN (0, 1, 2, 7) OR (ai AND k = 5) OR (NOT ai AND k % 2 = 1)
           THEN 'req_' || substr(md5('r' || t), 1, 12) END,
      '["http.response.status_code","tool.query_length","host.name"]',
      to_json([to_json(CASE WHEN t % 50 = 7 THEN 500 ELSE 200 END), to_json(t % 200),
               to_json('pod-' || (t % 16))]),
      json_object('service.name', 'svc', 'service.version', '1.4.2', 'telemetry.sdk.language', 'nodejs'),
      '@opentelemetry/instrumentation-http', '0.200.0',
      CASE WHEN ai THEN [NULL, NULL, NULL, 'agent', 'decision', 'llm', 'llm', NULL, 'tool', NULL][k + 1] END,
      CASE WHEN ai AND k IN (5, 6) THEN CASE WHEN ${model('k')} LIKE 'claude%' THEN 'anthropic'
           WHEN ${model('k')} LIKE 'gpt%' THEN 'openai' ELSE 'meta' END END,
      CASE WHEN ai AND k IN (5, 6) THEN ${model('k')} END,
      CASE WHEN ai AND k IN (5, 6) THEN 'chat' WHEN ai AND k = 3 THEN 'invoke_agent' END,
      CASE WHEN ai AND k IN (5, 6) THEN 200 + hash(i) % 4000 END,
      CASE WHEN ai AND k IN (5, 6) THEN 20 + hash(i, 1) % 800 END,
      CASE WHEN ai AND k IN (5, 6) AND t % 3 = 0 THEN hash(i, 2) % 1000 END,
      CASE WHEN ai AND k IN (5, 6) AND ${model('k')} NOT LIKE 'llama%' THEN (hash(i, 3) % 100000) / 1e7 END,
      CASE WHEN ai AND k IN (5, 6)
           THEN CASE WHEN ${model('k')} LIKE 'llama%' THEN 'unknown_model' ELSE 'table' END END,
      CASE WHEN ai AND k IN (5, 6) AND t % 2 = 0 THEN 100 + hash(i, 4) % 900 END,
      CASE WHEN k = 0 AND (ai OR t % 3 = 0) THEN 'sess_' || (hash(t // 4) % 20000) END,
      CASE WHEN k = 0 THEN 'user_' || (hash(t // 4, 'u') % 2000) END
    FROM (SELECT i, i // 10 AS t, i % 10 AS k, hash(i // 10, 'ai') % 100 < ${aiPct} AS ai,
                 ['gpt-4o', 'claude-sonnet-4', 'gpt-4o-mini', 'llama-3.1-70b'][(hash(i // 10, 'm') % 4)::BIGINT + 1] AS m1,
                 ['gpt-4o-mini', 'claude-3-5-haiku', 'gpt-4o', 'claude-sonnet-4', 'llama-3.1-70b'][(hash(i // 10, 'n') % 5)::BIGINT + 1] AS m2
          FROM range(${traces * 10}) r(i)) ORDER BY i`);
  await conn.run('CHECKPOINT');
  return traces;
}

/** Equal answers; floats within 1e-9 relative, as sums in another order differ in the last bits. */
function same(a, b) {
  if (typeof a === 'number' && typeof b === 'number') {
    return Math.abs(a - b) <= 1e-9 * Math.max(1, Math.abs(a), Math.abs(b));
  }
  if (Array.isArray(a) || (a && typeof a === 'object' && typeof a !== 'bigint')) {
    if (!b || typeof b !== 'object' || Array.isArray(a) !== Array.isArray(b)) return false;
    const keys = Object.keys(a);
    if (keys.length !== Object.keys(b).length) return false;
    return keys.every((k) => same(a[k], b[k]));
  }
  return a === b;
}

const show = (v) => JSON.stringify(v, (_k, x) => (typeof x === 'bigint' ? x.toString() : x));

const median = (xs) => [...xs].sort((a, b) => a - b)[xs.length >> 1];

export default async function main(argv = process.argv.slice(2)) {
  if (!existsSync(join(dist, 'store', 'duckdb', 'ai-sql.js'))) {
    console.error('bench ai-query: packages/server/dist is missing; run `npm run build` first');
    process.exit(2);
  }
  const spans = arg(argv, 'spans', 2_000_000);
  const runs = arg(argv, 'runs', 7);
  const aiPct = arg(argv, 'ai-traces', 40);
  if (aiPct > 100) {
    console.error(`--ai-traces: expected a percentage (1–100), got ${aiPct}`);
    process.exit(2);
  }
  const { DuckDbStore } = await import(pathToFileURL(join(dist, 'store/duckdb/store.js')).href);
  const { duckDbAiReader } = await import(pathToFileURL(join(dist, 'store/duckdb/ai-sql.js')).href);

  const dir = mkdtempSync(join(tmpdir(), 'hopscope-bench-ai-query-'));
  const store = new DuckDbStore({ dataDir: dir });
  const conns = [];
  try {
    await store.open();
    const endNs = BigInt(Date.now()) * 1_000_000n;
    const load0 = loadavg()[0];
    const t0 = Date.now();
    const loader = await store.connect();
    const traces = await loadSql(loader, spans, endNs, aiPct);
    loader.closeSync();
    const stats = await store.stats();
    console.log(
      `loaded ${stats.spansTotal.toLocaleString('en-US')} spans, ${traces.toLocaleString('en-US')} traces ` +
        `(${aiPct}% with AI calls) in ${((Date.now() - t0) / 1000).toFixed(1)} s; ${runs} runs per variant; ` +
        `load average ${load0.toFixed(2)}`,
    );

    // Two connections taken in turn, as DuckDbReader's pool (aiUsage runs its two statements side
    // by side); both builders run on the same ones.
    conns.push(await store.connect(), await store.connect());
    const idle = [...conns];
    const waiting = [];
    const run = async (sql, params) => {
      const c = idle.pop() ?? (await new Promise((resolve) => waiting.push(resolve)));
      try {
        return (await c.runAndReadAll(sql, params)).getRowObjectsJS();
      } finally {
        const next = waiting.shift();
        if (next) next(c);
        else idle.push(c);
      }
    };
    const before = duckDbAiReader(run, beforeCtes);
    const after = duckDbAiReader(run);

    const window = { startNs: endNs - 3_600_000_000_000n, endNs: endNs + 1_000_000_000n };
    const rollups = [
      ...['model', 'provider', 'service', 'request', 'trace', 'session', 'user', 'day'].map(
        (groupBy) => ({
          name: `usage by ${groupBy}`,
          ask: (r) => r.aiUsage({ ...window, groupBy, limit: 20 }),
        }),
      ),
      {
        name: 'usage by request, llm-proxy+gpt-4o',
        ask: (r) =>
          r.aiUsage({
            ...window,
            service: 'llm-proxy',
            model: 'gpt-4o',
            groupBy: 'request',
            limit: 20,
          }),
      },
      { name: 'model latency', ask: (r) => r.aiModelLatency(window) },
      ...['model', 'service'].map((by) => ({
        name: `series by ${by} (1 min)`,
        ask: (r) => r.aiSeries({ ...window, by, stepNs: 60_000_000_000n }),
      })),
      ...['slowest', 'costliest', 'recent'].map((order) => ({
        name: `calls, ${order} 50`,
        ask: (r) => r.aiCalls({ ...window, order, limit: 50 }),
      })),
    ];

    const timed = async (fn) => {
      const cpu0 = process.cpuUsage();
      const w0 = performance.now();
      await fn();
      const wall = performance.now() - w0;
      const cpu = process.cpuUsage(cpu0);
      return { wall, cpu: (cpu.user + cpu.system) / 1000 };
    };
    const fmt = (x) => (x >= 100 ? x.toFixed(0) : x.toFixed(1)).padStart(8);
    console.log(
      `${'roll-up'.padEnd(36)}${'before p50'.padStart(11)}${'CPU'.padStart(8)}` +
        `${'after p50'.padStart(11)}${'CPU'.padStart(8)}${'wall ×'.padStart(9)}${'CPU ×'.padStart(8)}`,
    );
    const results = [];
    for (const rollup of rollups) {
      // Same answers first (this also warms both): the real reader's, the new builder's, the old one's.
      const [old, now, real] = [
        await rollup.ask(before),
        await rollup.ask(after),
        await rollup.ask(store.reader),
      ];
      if (!same(now, old) || !same(real, now)) {
        throw new Error(
          `${rollup.name}: before and after answer differently:\n${show(old)}\n${show(now)}\n${show(real)}`,
        );
      }
      const b = [];
      const a = [];
      for (let i = 0; i < runs; i++) {
        b.push(await timed(() => rollup.ask(before)));
        a.push(await timed(() => rollup.ask(after)));
      }
      const row = {
        name: rollup.name,
        before: { wall: median(b.map((x) => x.wall)), cpu: median(b.map((x) => x.cpu)) },
        after: { wall: median(a.map((x) => x.wall)), cpu: median(a.map((x) => x.cpu)) },
      };
      results.push(row);
      console.log(
        `${row.name.padEnd(36)}${fmt(row.before.wall)} ms${fmt(row.before.cpu)}` +
          `${fmt(row.after.wall)} ms${fmt(row.after.cpu)}` +
          `${(row.before.wall / row.after.wall).toFixed(2).padStart(8)}x` +
          `${(row.before.cpu / row.after.cpu).toFixed(2).padStart(7)}x`,
      );
    }
    const sum = (pick) => results.reduce((n, r) => n + pick(r), 0);
    const bw = sum((r) => r.before.wall);
    const aw = sum((r) => r.after.wall);
    const bc = sum((r) => r.before.cpu);
    const ac = sum((r) => r.after.cpu);
    console.log(
      `${'all roll-ups (sum of p50s)'.padEnd(36)}${fmt(bw)} ms${fmt(bc)}${fmt(aw)} ms${fmt(ac)}` +
        `${(bw / aw).toFixed(2).padStart(8)}x${(bc / ac).toFixed(2).padStart(7)}x`,
    );
    console.log(`load average at the end ${loadavg()[0].toFixed(2)}`);
    return results;
  } finally {
    for (const c of conns) c.closeSync();
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

if (import.meta.url === pathToFileURL(process.argv[1]).href) await main();
