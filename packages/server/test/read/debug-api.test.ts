import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DebugLogsResponse, DebugTraceResponse } from '../../src/api/types.js';
import { BASE_NS, type Fixture, openFixture, REQ_A, REQ_B, S, T1, T2, T3 } from './fixtures.js';
import { serveApi, type TestApi } from './http.js';

let fx: Fixture;
let api: TestApi;

beforeAll(async () => {
  fx = await openFixture();
  api = await serveApi({ reader: fx.store.reader });
});
afterAll(async () => {
  await api?.close();
  await fx?.close();
});

const baseUs = Number(BASE_NS / 1000n);

describe('GET /api/debug/trace/:id by request ID', () => {
  let r: DebugTraceResponse;
  beforeAll(async () => {
    const res = await api.get(`/api/debug/trace/${REQ_A}`);
    expect(res.status).toBe(200);
    r = res.body;
  });

  it('stitches the trace that shares only the request ID and the lines with no trace', () => {
    expect(r.query).toEqual({ input: REQ_A, kind: 'request_id' });
    expect(r.request_id).toBe(REQ_A);
    expect(r.request_ids).toEqual([REQ_A]);
    expect(r.trace_ids).toEqual([T2, T1].sort());
    expect(new Set(r.services)).toEqual(
      new Set(['gateway', 'agent', 'sandbox', 'python-worker', 'billing']),
    );
    expect(r.services[0]).toBe('gateway');
    // Request B stays out.
    expect(r.spans.map((s) => s.trace_id)).not.toContain(T3);
    expect(r.logs.some((l) => l.service === 'billing' && l.trace_id === null)).toBe(true);
    // The agent's OTLP log line has no request ID; it comes through its trace.
    expect(r.logs.some((l) => l.event === 'tool_selected' && l.request_id === null)).toBe(true);
    expect(r.log_count).toBe(7);
  });

  it('orders hops by time with spans, derived spans and lines', () => {
    const times = r.hops.map((h) => h.timestamp_us);
    expect(times).toEqual([...times].sort((a, b) => a - b));
    expect(r.hops[0]).toMatchObject({
      service: 'gateway',
      event: 'POST /chat',
      type: 'span',
      duration_ms: 400,
      status: 'ok',
      error: null,
      level: null,
      depth: 0,
      offset_ms: 0,
      timestamp_us: baseUs,
      timestamp: new Date(baseUs / 1000).toISOString(),
    });
    const billing = r.hops.find((h) => h.service === 'billing')!;
    expect(billing).toMatchObject({
      type: 'log',
      event: 'usage_recorded',
      trace_id: null,
      span_id: null,
      offset_ms: 380,
      level: 'info',
    });
    // 3 real spans of T1, 1 of T2, 1 derived, 7 lines.
    expect(r.hops).toHaveLength(12);
    expect(r.span_count).toBe(5);
  });

  it('shows the log-only service as a span under its parent, marked as derived', () => {
    const worker = r.spans.find((s) => s.service === 'python-worker')!;
    expect(worker).toMatchObject({
      trace_id: T1,
      span_id: S.worker,
      parent_span_id: S.agent,
      name: 'POST /embed',
      kind: 'server',
      derived_from_logs: true,
      status: 'unset',
      request_id: REQ_A,
      start_us: baseUs + 150_000,
      // The service's own duration_ms wins over the gap between its two lines.
      duration_ms: 95.5,
      depth: 2,
    });
    const agent = r.spans.find((s) => s.span_id === S.agent)!;
    expect(agent.derived_from_logs).toBe(false);
    expect(agent.depth).toBe(1);
    const hop = r.hops.find((h) => h.type === 'log_span')!;
    expect(hop).toMatchObject({ service: 'python-worker', duration_ms: 95.5, depth: 2 });
    // Its lines sit at its depth.
    expect(r.hops.find((h) => h.event === 'embedding_done')!.depth).toBe(2);
  });

  it('reports total duration and the first error', () => {
    expect(r.start_us).toBe(baseUs);
    expect(r.end_us).toBe(baseUs + 400_000);
    expect(r.total_duration_ms).toBe(400);
    expect(r.error_count).toBe(2);
    expect(r.first_error).toEqual({
      timestamp: new Date(baseUs / 1000 + 280).toISOString(),
      timestamp_us: baseUs + 280_000,
      service: 'sandbox',
      event: 'POST /exec',
      message: 'exec timed out',
      error_type: 'TimeoutError',
      trace_id: T2,
      span_id: S.sandbox,
      type: 'span',
    });
    const sandboxHop = r.hops.find((h) => h.service === 'sandbox' && h.type === 'span')!;
    expect(sandboxHop).toMatchObject({ status: 'error', error: 'exec timed out' });
  });

  it('keeps typed attributes, events and links on spans', () => {
    const agent = r.spans.find((s) => s.span_id === S.agent)!;
    expect(agent.attributes).toEqual({
      'request.id': REQ_A,
      'gen_ai.request.model': 'gpt-4o',
      'decision.confidence': 0.82,
    });
    expect(agent.events).toEqual([
      {
        timestamp: new Date(baseUs / 1000 + 60).toISOString(),
        timestamp_us: baseUs + 60_000,
        name: 'decision',
        attributes: { 'decision.type': 'route', ok: true },
      },
    ]);
    const sandbox = r.spans.find((s) => s.span_id === S.sandbox)!;
    expect(sandbox.links).toEqual([{ trace_id: T1, span_id: S.agentClient, attributes: {} }]);
    expect(sandbox.attributes.tags).toEqual(['a', 'b']);
  });
});

describe('GET /api/debug/trace/:id by trace ID or traceparent', () => {
  it('widens a trace ID to its request: the other trace and the traceless lines come too', async () => {
    const res = await api.get(`/api/debug/trace/${T1}`);
    expect(res.status).toBe(200);
    const r: DebugTraceResponse = res.body;
    expect(r.query.kind).toBe('trace_id');
    expect(r.request_id).toBe(REQ_A);
    expect(r.trace_ids).toEqual([T2, T1].sort());
    expect(r.services).toContain('billing');
  });

  it('accepts a pasted traceparent, with or without the header name', async () => {
    for (const input of [
      `00-${T2}-${S.sandbox}-01`,
      `traceparent: 00-${T2.toUpperCase()}-${S.sandbox}-01`,
    ]) {
      const res = await api.get(`/api/debug/trace/${encodeURIComponent(input)}`);
      expect(res.status).toBe(200);
      const r: DebugTraceResponse = res.body;
      expect(r.query.kind).toBe('traceparent');
      expect(r.request_id).toBe(REQ_A);
      expect(r.trace_ids).toEqual([T2, T1].sort());
    }
  });

  it('leaves out the parts not asked for with include', async () => {
    const res = await api.get(`/api/debug/trace/${REQ_A}?include=spans,logs`);
    expect(res.status).toBe(200);
    expect(res.body.included).toEqual(['spans', 'logs']);
    expect(res.body.hops).toEqual([]);
    expect(res.body.spans).toHaveLength(5);
    expect(res.body.span_count).toBe(5);
    const bad = await api.get(`/api/debug/trace/${REQ_A}?include=spans,waterfall`);
    expect(bad.status).toBe(400);
    expect(bad.body.error).toMatchObject({
      param: 'include',
      expected: 'a comma list of hops, spans, logs',
    });
  });

  it('sends spans and lines as columns with format=columns', async () => {
    const objects = (await api.get(`/api/debug/trace/${REQ_A}?include=spans,logs`)).body;
    const res = await api.get(`/api/debug/trace/${REQ_A}?include=spans,logs&format=columns`);
    expect(res.status).toBe(200);
    const r: DebugTraceResponse = res.body;
    expect(r.spans).toEqual([]);
    expect(r.logs).toEqual([]);
    const c = r.span_columns;
    if (!c || !r.log_columns || r.start_us === null) throw new Error('no columns');
    expect(c.count).toBe(objects.spans.length);
    expect(c.span_id).toEqual(objects.spans.map((s: { span_id: string }) => s.span_id));
    const startUs = c.start_offset_us.map((o) => (r.start_us ?? 0) + o);
    expect(startUs).toEqual(objects.spans.map((s: { start_us: number }) => s.start_us));
    const services = c.service.index.map((i) => c.service.values[i]);
    expect(services).toEqual(objects.spans.map((s: { service: string }) => s.service));
    expect(r.log_columns.message).toEqual(objects.logs.map((l: { message: string }) => l.message));
    const bad = await api.get(`/api/debug/trace/${REQ_A}?format=csv`);
    expect(bad.status).toBe(400);
    expect(bad.body.error).toMatchObject({ param: 'format' });
    expect(bad.body.error.expected).toContain('columns');
  });

  it('leaves span details out with outline=true, and gives one span whole', async () => {
    const whole: DebugTraceResponse = (await api.get(`/api/debug/trace/${REQ_A}?include=spans`))
      .body;
    const res = await api.get(`/api/debug/trace/${REQ_A}?include=spans&outline=true`);
    expect(res.status).toBe(200);
    const r: DebugTraceResponse = res.body;
    expect(r.spans.map((s) => s.span_id)).toEqual(whole.spans.map((s) => s.span_id));
    expect(r.first_error).toEqual(whole.first_error);
    const left = r.spans.filter((s) => s.outline);
    expect(left.length).toBeGreaterThan(0);
    // Errors come whole: the summary and the waterfall's error marks read them.
    for (const s of r.spans.filter((s) => s.status === 'error')) expect(s.outline).toBeUndefined();
    for (const s of left) {
      expect(s.attributes).toEqual({});
      const full = whole.spans.find((w) => w.span_id === s.span_id);
      const one = await api.get(`/api/debug/span/${s.trace_id}/${s.span_id}`);
      expect(one.status).toBe(200);
      expect(one.body.span).toEqual({ ...full, depth: 0 });
    }
    const columns = (
      await api.get(`/api/debug/trace/${REQ_A}?include=spans&outline=true&format=columns`)
    ).body as DebugTraceResponse;
    const attrs = columns.span_columns?.attributes ?? [];
    expect(attrs.filter((a) => a === null)).toHaveLength(left.length);
  });

  it('answers 404 for an unknown span and 400 for malformed IDs', async () => {
    const missing = await api.get(`/api/debug/span/${T1}/${'0'.repeat(15)}9`);
    expect(missing.status).toBe(404);
    expect(missing.body.error.message).toContain(T1);
    const bad = await api.get(`/api/debug/span/${T1}/xyz`);
    expect(bad.status).toBe(400);
    expect(bad.body.error).toMatchObject({ param: 'span_id' });
    const badTrace = await api.get(`/api/debug/span/nothex/${'1'.repeat(16)}`);
    expect(badTrace.body.error).toMatchObject({ param: 'trace_id' });
    const badFlag = await api.get(`/api/debug/trace/${REQ_A}?outline=maybe`);
    expect(badFlag.status).toBe(400);
    expect(badFlag.body.error).toMatchObject({ param: 'outline', expected: 'true or false' });
  });

  it('answers 404 for an unknown request and 400 for an ID of no known shape', async () => {
    const missing = await api.get('/api/debug/trace/req_000000000000');
    expect(missing.status).toBe(404);
    expect(missing.body.error).toMatchObject({ status: 404, code: 'not_found' });
    expect(missing.body.error.message).toContain('req_000000000000');
    const bad = await api.get(`/api/debug/trace/${encodeURIComponent('req 1; DROP TABLE spans')}`);
    expect(bad.status).toBe(400);
    expect(bad.body.error).toMatchObject({ status: 400, code: 'bad_request', param: 'id' });
    expect(bad.body.error.expected).toContain('request ID');
  });
});

describe('GET /api/debug/logs', () => {
  it('filters by request ID, newest first, with filters_applied', async () => {
    const res = await api.get(`/api/debug/logs?request_id=${REQ_A}`);
    expect(res.status).toBe(200);
    const r: DebugLogsResponse = res.body;
    expect(r.logs.map((l) => l.event)).toEqual([
      'usage_recorded',
      'exec_failed',
      'request_completed',
      'embedding_done',
      'request_received',
      'request_received',
    ]);
    expect(r.count).toBe(6);
    expect(r.next_cursor).toBeNull();
    expect(r.filters_applied).toMatchObject({
      request_id: REQ_A,
      trace_id: null,
      service: null,
      level: null,
      // A request ID is its own bound: no default 1h.
      since: null,
      since_time: null,
      until: null,
      q: null,
      limit: 100,
      cursor: null,
    });
    expect(r.logs[0]).toMatchObject({
      service: 'billing',
      level: 'info',
      message: 'usage recorded: 1234 tokens',
      request_id: REQ_A,
      trace_id: null,
      attributes: { tokens: 1234 },
      source: 'ndjson',
    });
  });

  it('filters by minimum level, service, trace, text and time', async () => {
    const warn = await api.get('/api/debug/logs?level=warn');
    expect(warn.body.logs.map((l: { event: string }) => l.event)).toEqual([
      'slow_upstream',
      'exec_failed',
    ]);
    const svc = await api.get('/api/debug/logs?service=python-worker&q=EMBEDDED');
    expect(svc.body.logs.map((l: { event: string }) => l.event)).toEqual(['embedding_done']);
    const byError = await api.get('/api/debug/logs?q=timeouterror');
    expect(byError.body.logs).toHaveLength(0);
    const byErrorField = await api.get('/api/debug/logs?q=exec%20timed');
    expect(byErrorField.body.logs.map((l: { event: string }) => l.event)).toEqual(['exec_failed']);
    const trace = await api.get(`/api/debug/logs?trace_id=${T3}`);
    expect(trace.body.logs.map((l: { request_id: string }) => l.request_id)).toEqual([
      REQ_B,
      REQ_B,
    ]);
    const old = await api.get('/api/debug/logs?since=1m');
    expect(old.body.logs).toHaveLength(0);
    const until = new Date(Number(BASE_NS / 1_000_000n) + 100).toISOString();
    const early = await api.get(`/api/debug/logs?until=${until}`);
    expect(early.body.logs.map((l: { event: string }) => l.event)).toEqual([
      'tool_selected',
      'request_received',
    ]);
    expect(early.body.filters_applied.until).toBe(until);
  });

  it('pages with a cursor through every line exactly once', async () => {
    const all = (await api.get('/api/debug/logs?limit=1000')).body.logs as unknown[];
    expect(all).toHaveLength(9);
    const seen: unknown[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const res = await api.get(`/api/debug/logs?limit=2${cursor ? `&cursor=${cursor}` : ''}`);
      expect(res.status).toBe(200);
      seen.push(...res.body.logs);
      cursor = res.body.next_cursor;
      pages++;
    } while (cursor);
    expect(pages).toBe(5);
    expect(seen).toEqual(all);
  });

  it('answers 400 naming the parameter', async () => {
    const cases: Array<[string, string, string]> = [
      ['limit=0', 'limit', 'an integer from 1 to 1000'],
      ['limit=abc', 'limit', 'an integer from 1 to 1000'],
      ['since=yesterday', 'since', 'a duration like 100ms'],
      ['level=verbose', 'level', 'one of debug, info, warn, error, fatal'],
      ['request_id=a%20b', 'request_id', 'a request ID'],
      ['trace_id=xyz', 'trace_id', 'a trace ID of 32 hex digits'],
      ['cursor=!!', 'cursor', 'the next_cursor value'],
      ['cursor=abcdef', 'cursor', 'the next_cursor value'],
    ];
    for (const [query, param, expected] of cases) {
      const res = await api.get(`/api/debug/logs?${query}`);
      expect(res.status, query).toBe(400);
      expect(res.body.error.param, query).toBe(param);
      expect(res.body.error.code).toBe('bad_request');
      expect(res.body.error.message, query).toContain(`${param}: `);
      expect(res.body.error.message, query).toContain(expected);
    }
  });
});
