import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { type ServerHandle, startServer } from '@hopscope/server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runBin } from './child.js';
import { eventually, tempDir } from './helpers.js';
import { call, type McpSession, startMcp } from './mcp/client.js';
import {
  BIG_CHILDREN,
  BIG_LOGS,
  REQ,
  REQ_BIG,
  REQ_OK,
  REQ_SPLIT,
  type Seeded,
  seedLogs,
  seedSpans,
} from './mcp/seed.js';

let server: ServerHandle;
let mcp: McpSession;
let seeded: Seeded;
let cleanup: () => void;
const t0 = Date.now() - 60_000;

beforeAll(async () => {
  const tmp = tempDir();
  cleanup = tmp.cleanup;
  server = await startServer({ port: 0, grpcPort: false, dataDir: join(tmp.dir, 'data') });
  seeded = await seedSpans(server.url, t0);
  await seedLogs(server.url, t0, seeded);
  // Ingest is acknowledged before it is queryable: wait until the store shows every part.
  await eventually(async () => {
    for (const [id, spans, logs] of [
      [REQ, 4, 3],
      [REQ_BIG, BIG_CHILDREN + 1, BIG_LOGS],
      [REQ_SPLIT, 2, 0],
    ] as const) {
      const r = await fetch(`${server.url}/api/debug/trace/${id}?include=hops`);
      const body = (await r.json()) as { span_count?: number; log_count?: number };
      expect(body.span_count).toBe(spans);
      expect(body.log_count).toBe(logs);
    }
  }, 30_000);
  mcp = await startMcp({ HOPSCOPE_URL: server.url });
}, 90_000);

afterAll(async () => {
  await mcp?.close();
  await server?.close();
  cleanup?.();
});

const TOOLS = [
  'find_request',
  'get_critical_path',
  'get_logs',
  'get_service_map',
  'get_span',
  'get_trace_summary',
  'search_traces',
];

describe('hopscope mcp over stdio', () => {
  it('lists the tools of issue 5, each saying when to use it and with an input schema', async () => {
    const { tools } = await mcp.client.listTools();
    expect(tools.map((t) => t.name).sort()).toEqual(TOOLS);
    for (const tool of tools) {
      expect(tool.description).toMatch(/use|start here/i);
      expect(tool.inputSchema.type).toBe('object');
      expect(tool.annotations?.readOnlyHint).toBe(true);
    }
    const find = tools.find((t) => t.name === 'find_request');
    expect(find?.inputSchema.required).toEqual(['id']);
    expect(mcp.client.getInstructions()).toContain('find_request');
    const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'));
    expect(mcp.client.getServerVersion()).toMatchObject({ name: 'hopscope', version: pkg.version });
  });

  it('find_request answers a small summary: services, duration, status, first error, hops', async () => {
    const r = await call(mcp, 'find_request', { id: REQ });
    expect(r.isError).toBe(false);
    const s = r.json;
    expect(s.request_id).toBe(REQ);
    expect(s.status).toBe('error');
    // In order of first appearance: the sandbox span starts at 170 ms, the worker's line at 200 ms.
    expect(s.service_path).toBe('gateway → agent → sandbox → python-worker');
    expect(s.services).toContainEqual({ service: 'sandbox', spans: 1, errors: 1 });
    expect(s.duration_ms).toBeCloseTo(400, 0);
    expect(s.hop_count).toBe(3);
    expect(s.span_count).toBe(4);
    expect(s.log_count).toBe(3);
    expect(s.first_error).toMatchObject({
      service: 'sandbox',
      message: expect.stringContaining('exec timed out'),
      span_id: seeded.sandboxSpan,
    });
    expect(s.ai).toMatchObject({ llm_calls: 1, input_tokens: 1200, output_tokens: 80 });
    expect(s.next.join('\n')).toContain(
      `get_span {"id":"${REQ}","span_id":"${seeded.sandboxSpan}"}`,
    );
    // Progressive disclosure: no spans, attributes or log lines in the summary.
    expect(s).not.toHaveProperty('spans');
    expect(r.text).not.toContain('xxxxxxxx');
  });

  it('finds the same request by trace ID and by traceparent', async () => {
    const byTrace = await call(mcp, 'find_request', { id: seeded.traceId });
    expect(byTrace.json.request_id).toBe(REQ);
    const tp = `00-${seeded.traceId}-${seeded.gatewaySpan}-01`;
    const byParent = await call(mcp, 'find_request', { id: tp });
    expect(byParent.json.request_id).toBe(REQ);
  });

  it('get_trace_summary lists the hops as compact rows, filtered and paged', async () => {
    const all = await call(mcp, 'get_trace_summary', { id: REQ });
    const rows = all.json.spans as Array<Record<string, unknown>>;
    expect(rows.map((r) => `${r.depth} ${r.service} ${r.name}`)).toEqual([
      '0 gateway POST /v1/chat',
      '1 agent agent.run',
      '2 agent chat gpt-4o-mini',
      '2 sandbox exec',
    ]);
    expect(rows[3]).toMatchObject({ status: 'error', error: 'exec timed out after 170 ms' });
    expect(rows[2].llm).toBe('gpt-4o-mini 1200→80 tokens');
    expect(rows[0]).not.toHaveProperty('attributes');

    const errors = await call(mcp, 'get_trace_summary', { id: REQ, errors_only: true });
    expect((errors.json.spans as unknown[]).length).toBe(2);

    const page = await call(mcp, 'get_trace_summary', { id: REQ, limit: 1, offset: 1 });
    expect(page.json.next_offset).toBe(2);
    expect(page.json.note).toMatch(/Spans 2–2 of 4.*offset 2/);
  });

  it('a 601-span request stays small: capped rows and a note on how to page', async () => {
    const r = await call(mcp, 'get_trace_summary', { id: REQ_BIG });
    expect((r.json.spans as unknown[]).length).toBe(40);
    expect(r.json.next_offset).toBe(40);
    expect(r.json.note).toContain(`of ${BIG_CHILDREN + 1}`);
    expect(r.json.not_shown_by_service).toEqual({ fanout: BIG_CHILDREN + 1 - 40 });
    expect(r.text.length).toBeLessThan(24_000);
    const summary = await call(mcp, 'find_request', { id: REQ_BIG });
    expect(summary.json.span_count).toBe(BIG_CHILDREN + 1);
    expect(summary.text.length).toBeLessThan(2_000);
    const roots = await call(mcp, 'get_trace_summary', { id: REQ_BIG, max_depth: 0 });
    expect((roots.json.spans as unknown[]).length).toBe(1);
  });

  it('a request split over two traces is one request: both traces, the gap between them', async () => {
    const found = await call(mcp, 'find_request', { id: REQ_SPLIT });
    expect(found.json.trace_ids).toHaveLength(2);
    expect(found.json.service_path).toBe('gateway → worker');
    expect(found.json.duration_ms).toBe(300);
    const rows = (await call(mcp, 'get_trace_summary', { id: REQ_SPLIT })).json.spans;
    // Rows name their trace when the request has several.
    expect(new Set(rows.map((r: { trace_id: string }) => r.trace_id)).size).toBe(2);
    const path = (await call(mcp, 'get_critical_path', { id: REQ_SPLIT })).json;
    expect(path.path.map((p: { name: string; ms: number }) => `${p.name} ${p.ms}`)).toEqual([
      'POST /v1/jobs 100',
      'gap: no span covers this time 50',
      'job.run 150',
    ]);
    expect(path.by_service).toContainEqual({ service: '(no span)', ms: 50, percent: 16.7 });
  });

  it('asking for more rows than fit gives the most that do, and the way to the rest', async () => {
    const hops = await call(mcp, 'get_trace_summary', { id: REQ_BIG, limit: 200 });
    const shown = hops.json.spans.length;
    expect(shown).toBeGreaterThan(40);
    expect(shown).toBeLessThan(200);
    expect(hops.text.length).toBeLessThanOrEqual(24_000);
    expect(hops.json.next_offset).toBe(shown);
    expect(hops.json.note).toContain(`Only ${shown} of 200 rows fit the answer size cap`);

    const seen = new Set<string>();
    let cursor: string | undefined;
    let pages = 0;
    do {
      const page = await call(mcp, 'get_logs', { request_id: REQ_BIG, limit: 200, cursor });
      expect(page.isError).toBe(false);
      expect(page.text.length).toBeLessThanOrEqual(24_000);
      for (const line of page.json.logs) seen.add(line.message);
      cursor = page.json.next_cursor;
      pages++;
    } while (cursor && pages < 20);
    expect(pages).toBeGreaterThan(1);
    expect(seen.size).toBe(BIG_LOGS);
  });

  it('get_span shows one span: attributes cut, exception event, parent, children and its logs', async () => {
    const r = await call(mcp, 'get_span', { id: REQ, span_id: seeded.sandboxSpan });
    expect(r.isError).toBe(false);
    const s = r.json;
    expect(s).toMatchObject({
      service: 'sandbox',
      name: 'exec',
      status: 'error',
      status_message: 'exec timed out after 170 ms',
      parent: { span_id: seeded.agentSpan, service: 'agent', name: 'agent.run' },
      log_count: 1,
    });
    expect(s.events[0].attributes['exception.type']).toBe('TimeoutError');
    expect(s.logs[0]).toMatchObject({ level: 'error', event: 'exec_failed' });

    const agent = await call(mcp, 'get_span', { id: REQ, span_id: seeded.agentSpan });
    expect(agent.json.child_count).toBe(2);

    const llm = await call(mcp, 'get_span', { id: REQ, span_id: seeded.llmSpan });
    const prompt = (llm.json.attributes as Record<string, string>)['gen_ai.prompt'];
    expect(prompt.length).toBeLessThan(500);
    expect(prompt).toContain('(+4600 chars)');
    expect(llm.json.ai).toMatchObject({ model: 'gpt-4o-mini', input_tokens: 1200 });
  });

  it('get_span of a span with more detail than fits shows less of each part, and says so', async () => {
    const r = await call(mcp, 'get_span', { id: REQ_BIG, span_id: seeded.fanSpan });
    expect(r.isError).toBe(false);
    expect(r.text.length).toBeLessThanOrEqual(24_000);
    expect(r.json.events).toHaveLength(5);
    expect(r.json.child_count).toBe(BIG_CHILDREN);
    expect(r.json.children).toHaveLength(5);
    expect(r.json.note).toContain('5 of 30 events');
  });

  it('get_critical_path names what the request waited on, per span and per service', async () => {
    const r = await call(mcp, 'get_critical_path', { id: REQ });
    const path = r.json.path as Array<Record<string, unknown>>;
    // gateway → agent → llm (60–160) → agent → sandbox (170–340) → agent → gateway.
    expect(path.map((p) => p.name)).toEqual([
      'POST /v1/chat',
      'agent.run',
      'chat gpt-4o-mini',
      'agent.run',
      'exec',
      'agent.run',
      'POST /v1/chat',
    ]);
    const sandbox = path.find((p) => p.name === 'exec');
    expect(sandbox).toMatchObject({ ms: 170, status: 'error', span_id: seeded.sandboxSpan });
    const total = (r.json.by_service as Array<{ ms: number }>).reduce((a, b) => a + b.ms, 0);
    expect(total).toBeCloseTo(r.json.duration_ms as number, 1);
  });

  it('get_logs reads a request’s lines, a log-only service included, and filters by level', async () => {
    const r = await call(mcp, 'get_logs', { request_id: REQ });
    const logs = r.json.logs as Array<Record<string, unknown>>;
    expect(logs.map((l) => l.service).sort()).toEqual(['gateway', 'python-worker', 'sandbox']);
    expect(logs.find((l) => l.service === 'python-worker')?.fields).toEqual({ tool: 'web_search' });
    const errors = await call(mcp, 'get_logs', { level: 'error', since: '1h' });
    expect(errors.json.logs).toEqual([
      expect.objectContaining({ service: 'sandbox', error_type: 'TimeoutError', request_id: REQ }),
    ]);
    const paged = await call(mcp, 'get_logs', { request_id: REQ, limit: 1 });
    expect(paged.json.next_cursor).toEqual(expect.any(String));
    const next = await call(mcp, 'get_logs', {
      request_id: REQ,
      limit: 1,
      cursor: paged.json.next_cursor,
    });
    expect((next.json.logs as unknown[]).length).toBe(1);
    expect(next.json.logs).not.toEqual(paged.json.logs);
  });

  it('search_traces finds recent requests without an ID, one line each', async () => {
    const failed = await call(mcp, 'search_traces', { errors_only: true });
    expect(failed.json.traces).toEqual([
      expect.objectContaining({
        request_id: REQ,
        trace_id: seeded.traceId,
        root: 'gateway: POST /v1/chat',
        spans: 4,
        errors: 2,
        // The sandbox failed first (its caller, the agent, failed after it).
        first_error: 'sandbox: exec timed out after 170 ms',
      }),
    ]);
    const gateway = await call(mcp, 'search_traces', { service: 'gateway', limit: 5 });
    const ids = (gateway.json.traces as Array<{ request_id: string }>).map((t) => t.request_id);
    expect(ids.sort()).toEqual([REQ_OK, REQ, REQ_SPLIT].sort());
    const byOperation = await call(mcp, 'search_traces', { operation: 'exec' });
    expect(byOperation.json.traces.map((t: { request_id: string }) => t.request_id)).toEqual([REQ]);
    const byAttribute = await call(mcp, 'search_traces', {
      attributes: { 'gen_ai.request.model': 'gpt-4o-mini' },
    });
    expect(byAttribute.json.traces.map((t: { request_id: string }) => t.request_id)).toEqual([REQ]);
    const none = await call(mcp, 'search_traces', { service: 'nobody' });
    expect(none.json.count).toBe(0);
    expect(none.json.note).toMatch(/No traces matched/);
  });

  it('get_service_map shows who calls whom with RED numbers', async () => {
    const r = await call(mcp, 'get_service_map', {});
    expect(r.json.edges).toEqual(
      expect.arrayContaining([
        { from: 'gateway', to: 'agent', calls: 1, errors: 1 },
        { from: 'agent', to: 'sandbox', calls: 1, errors: 1 },
      ]),
    );
    const services = r.json.services as Array<{ service: string; requests: number }>;
    expect(services.find((s) => s.service === 'gateway')?.requests).toBe(3);
  });
});

describe('hopscope mcp errors are tool errors, never crashes', () => {
  it('an unknown ID says so and points to search_traces', async () => {
    const r = await call(mcp, 'find_request', { id: 'req_ffffffffffff' });
    expect(r.isError).toBe(true);
    expect(r.text).toContain('No spans or logs for "req_ffffffffffff"');
    expect(r.text).toContain('search_traces');
    const span = await call(mcp, 'get_span', { id: REQ, span_id: 'ffffffffffffffff' });
    expect(span.isError).toBe(true);
    expect(span.text).toContain('Span ffffffffffffffff is not part of');
  });

  it('bad arguments say what was expected', async () => {
    const id = await call(mcp, 'find_request', { id: 'not an id!' });
    expect(id.isError).toBe(true);
    expect(id.text).toMatch(/expected a request ID .* got "not an id!"/);
    const limit = await call(mcp, 'get_trace_summary', { id: REQ, limit: 0 });
    expect(limit.isError).toBe(true);
    expect(limit.text).toContain('expected at least 1');
    const span = await call(mcp, 'get_span', { id: REQ, span_id: 'xyz' });
    expect(span.text).toContain('expected a span ID of 16 hex characters');
    const level = await call(mcp, 'get_logs', { level: 'loud' });
    expect(level.text).toContain('expected one of debug, info, warn, error, fatal');
    // Checked by the server (Jaeger-style 400): passed on as the server words it.
    const range = await call(mcp, 'search_traces', { min_duration: '2s', max_duration: '1s' });
    expect(range.isError).toBe(true);
    expect(range.text).toBe(
      'The server rejected the search: minDuration: expected at most maxDuration',
    );
    const missing = await call(mcp, 'find_request', {});
    expect(missing.isError).toBe(true);
    expect(missing.text).toMatch(/id/);
    // Still serving after all that.
    expect((await call(mcp, 'find_request', { id: REQ_OK })).json.status).toBe('ok');
  });

  it('a server that is down is named with how to start one, and the MCP server lives on', async () => {
    // A port that was just in use and is now closed.
    const tmp = tempDir();
    const probe = await startServer({ port: 0, grpcPort: false, dataDir: join(tmp.dir, 'd') });
    const deadUrl = probe.url;
    await probe.close();
    tmp.cleanup();
    const down = await startMcp({ HOPSCOPE_URL: deadUrl });
    try {
      const r = await call(down, 'find_request', { id: REQ });
      expect(r.isError).toBe(true);
      expect(r.text).toContain(`Cannot reach the Hopscope server at ${deadUrl}`);
      expect(r.text).toContain('npx hopscope serve');
      const map = await call(down, 'get_service_map', {});
      expect(map.isError).toBe(true);
      expect((await down.client.listTools()).tools.length).toBe(TOOLS.length);
    } finally {
      await down.close();
    }
  });

  it('ends when the client closes stdin, and says on stderr what it serves', async () => {
    const r = await runBin(['mcp'], { env: { HOPSCOPE_URL: server.url } });
    expect(r.code).toBe(0);
    expect(r.stdout).toBe('');
    expect(r.stderr).toContain(`serving MCP on stdio, querying ${server.url}`);
  });

  it('a bad --server is a usage error before the protocol starts', async () => {
    const r = await runBin(['mcp', '--server', 'ftp://example.com']);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toContain('--server: expected an http:// or https:// URL');
  });

  it('a rejected token says which one, from --token', async () => {
    const tmp = tempDir();
    const locked = await startServer({
      port: 0,
      grpcPort: false,
      dataDir: join(tmp.dir, 'data'),
      queryToken: 'right-token',
    });
    const session = await startMcp({ HOPSCOPE_URL: locked.url }, ['--token', 'wrong-token']);
    try {
      const r = await call(session, 'search_traces', {});
      expect(r.isError).toBe(true);
      expect(r.text).toContain('401');
      expect(r.text).toContain('The token from --token was rejected');
    } finally {
      await session.close();
      await locked.close();
      tmp.cleanup();
    }
  });
});
