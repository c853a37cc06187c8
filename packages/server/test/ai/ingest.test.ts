/**
 * AI normalisation end to end: the official OTLP exporters (protobuf and JSON) send spans in the
 * dialects people use — OpenTelemetry GenAI (current and legacy names), OpenInference, the
 * Vercel AI SDK's `ai.*` and Traceloop — to a real server; the debug trace's `ai` summary and
 * the /api/ai roll-ups must give one set of models, tokens and costs.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  type Attributes,
  ROOT_CONTEXT,
  SpanKind,
  SpanStatusCode,
  type Tracer,
  trace,
} from '@opentelemetry/api';
import { OTLPTraceExporter as JsonExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { OTLPTraceExporter as ProtoExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BasicTracerProvider, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type {
  AiCallsResponse,
  AiModelsResponse,
  AiSeriesResponse,
  AiUsageResponse,
  DebugTraceResponse,
} from '../../src/api/types.js';
import { type ServerHandle, startServer } from '../../src/server.js';

const REQ = 'req_a1a1a1a1a1a1';
const OTHER = 'req_b2b2b2b2b2b2';
let dir: string;
let server: ServerHandle;
const providers: BasicTracerProvider[] = [];

function tracer(service: string, encoding: 'proto' | 'json'): Tracer {
  const url = `${server.url}/v1/traces`;
  const exporter = encoding === 'proto' ? new ProtoExporter({ url }) : new JsonExporter({ url });
  const provider = new BasicTracerProvider({
    resource: resourceFromAttributes({ 'service.name': service }),
    spanProcessors: [new SimpleSpanProcessor(exporter)],
  });
  providers.push(provider);
  return provider.getTracer(service);
}

/** A finished span of exactly `ms` milliseconds under `parent`. */
function span(
  t: Tracer,
  parent: ReturnType<Tracer['startSpan']> | undefined,
  name: string,
  attributes: Attributes,
  ms: number,
  startMs: number,
  error = false,
) {
  const ctx = parent ? trace.setSpan(ROOT_CONTEXT, parent) : ROOT_CONTEXT;
  const s = t.startSpan(name, { attributes, startTime: startMs, kind: SpanKind.CLIENT }, ctx);
  if (error) s.setStatus({ code: SpanStatusCode.ERROR, message: 'rate limited' });
  s.end(startMs + ms);
  return s;
}

async function get<T>(path: string): Promise<{ status: number; body: T }> {
  const res = await fetch(`${server.url}${path}`);
  return { status: res.status, body: (await res.json()) as T };
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'hopscope-ai-ingest-'));
  server = await startServer({ port: 0, grpcPort: false, dataDir: dir });
  const t0 = Date.now() - 60_000;

  // Trace A, protobuf: OpenTelemetry GenAI, current and legacy names; session and user on the root.
  const a = tracer('agent', 'proto');
  const root = a.startSpan('POST /agents/run', {
    kind: SpanKind.SERVER,
    startTime: t0,
    attributes: { 'request.id': REQ, 'session.id': 'sess_1', 'user.id': 'user_1' },
  });
  const agent = span(
    a,
    root,
    'invoke_agent planner',
    { 'gen_ai.operation.name': 'invoke_agent', 'gen_ai.agent.name': 'planner', 'request.id': REQ },
    3000,
    t0 + 10,
  );
  span(
    a,
    agent,
    'chat gpt-4o',
    {
      'request.id': REQ,
      'gen_ai.operation.name': 'chat',
      'gen_ai.provider.name': 'openai',
      'gen_ai.request.model': 'gpt-4o',
      'gen_ai.response.model': 'gpt-4o-2024-08-06',
      'gen_ai.usage.input_tokens': 1234,
      'gen_ai.usage.output_tokens': 56,
      'gen_ai.response.time_to_first_chunk': 0.25,
      'gen_ai.response.finish_reasons': ['stop'],
    },
    1000,
    t0 + 20,
  ); // 1234*2.5 + 56*10 = 3645 µ$
  span(
    a,
    agent,
    'chat claude-3-5-haiku',
    {
      'request.id': REQ,
      'gen_ai.system': 'anthropic',
      'gen_ai.request.model': 'claude-3-5-haiku-20241022',
      'gen_ai.usage.prompt_tokens': 100,
      'gen_ai.usage.completion_tokens': 200,
    },
    500,
    t0 + 1100,
  ); // 100*0.8 + 200*4 = 880 µ$
  span(
    a,
    agent,
    'chat in-house-7b',
    {
      'request.id': REQ,
      'gen_ai.operation.name': 'chat',
      'gen_ai.request.model': 'in-house-7b',
      'gen_ai.usage.input_tokens': 10,
      'gen_ai.usage.output_tokens': 10,
    },
    200,
    t0 + 1700,
    true,
  ); // unknown model: unpriced
  span(
    a,
    agent,
    'ai_decision',
    {
      'request.id': REQ,
      'decision.type': 'code_analysis',
      'decision.confidence': 0.95,
      'decision.factors': JSON.stringify({ complexity: 'high', lines: 500 }),
      'decision.result': 'use the sandbox',
      'decision.alternatives': JSON.stringify(['answer directly']),
    },
    1,
    t0 + 1950,
  );
  span(
    a,
    agent,
    'execute_tool search',
    { 'request.id': REQ, 'gen_ai.operation.name': 'execute_tool', 'gen_ai.tool.name': 'search' },
    100,
    t0 + 2000,
  );
  // A decision recorded only as a span event, as some services do.
  root.addEvent(
    'decision',
    { 'decision.type': 'routing', 'decision.result': 'planner', 'decision.confidence': 0.7 },
    t0 + 5,
  );
  root.end(t0 + 4000);

  // Trace B, JSON: an OpenInference (Python) service that got only the request ID.
  const b = tracer('py-agent', 'json');
  span(
    b,
    undefined,
    'ChatOpenAI',
    {
      'request.id': REQ,
      'session.id': 'sess_1',
      'openinference.span.kind': 'LLM',
      'llm.provider': 'openai',
      'llm.model_name': 'gpt-4o-mini',
      'llm.token_count.prompt': 1000,
      'llm.token_count.completion': 500,
      'llm.token_count.total': 1500,
    },
    800,
    t0 + 100,
  ); // 1000*0.15 + 500*0.6 = 450 µ$
  span(
    b,
    undefined,
    'mystery call',
    {
      'request.id': REQ,
      'openinference.span.kind': 'LLM',
      'llm.model_name': 'mystery-model',
      'llm.token_count.prompt': 5,
      'llm.token_count.completion': 5,
      'llm.cost.total': 0.01,
    },
    300,
    t0 + 200,
  ); // client-sent cost

  // Trace C, protobuf: Vercel AI SDK telemetry and a Traceloop workflow, another request.
  const c = tracer('web', 'proto');
  const outer = span(
    c,
    undefined,
    'ai.generateText',
    {
      'request.id': OTHER,
      'user.id': 'user_2',
      'ai.operationId': 'ai.generateText',
      'ai.model.id': 'gpt-4o-mini',
      'ai.model.provider': 'openai.chat',
      'ai.usage.promptTokens': 10,
      'ai.usage.completionTokens': 20,
    },
    700,
    t0 + 5000,
  );
  span(
    c,
    outer,
    'ai.generateText.doGenerate',
    {
      'request.id': OTHER,
      'ai.operationId': 'ai.generateText.doGenerate',
      'ai.model.id': 'gpt-4o-mini',
      'ai.model.provider': 'openai.chat',
      'ai.usage.inputTokens': 10,
      'ai.usage.outputTokens': 20,
      'ai.response.msToFirstChunk': 120,
    },
    600,
    t0 + 5010,
  ); // 10*0.15 + 20*0.6 = 13.5 µ$
  const wf = span(
    c,
    outer,
    'summarise.workflow',
    { 'request.id': OTHER, 'traceloop.span.kind': 'workflow' },
    100,
    t0 + 5600,
  );
  span(
    c,
    wf,
    'openai.chat',
    {
      'request.id': OTHER,
      'llm.request.type': 'chat',
      'gen_ai.system': 'openai',
      'gen_ai.request.model': 'gpt-3.5-turbo',
      'gen_ai.usage.prompt_tokens': 3,
      'gen_ai.usage.completion_tokens': 7,
    },
    50,
    t0 + 5610,
  ); // 3*0.5 + 7*1.5 = 12 µ$

  await Promise.all(providers.map((p) => p.forceFlush()));
}, 60_000);

afterAll(async () => {
  await Promise.all(providers.map((p) => p.shutdown()));
  await server?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('debug trace ai summary', () => {
  it('sums calls, tokens and cost of every dialect in the request, flags the unpriced call', async () => {
    const { status, body } = await get<DebugTraceResponse>(`/api/debug/trace/${REQ}`);
    expect(status).toBe(200);
    const ai = body.ai!;
    expect(ai.calls).toBe(5);
    expect(ai.errors).toBe(1);
    expect(ai.agents).toBe(1);
    expect(ai.tools).toBe(1);
    expect(ai.input_tokens).toBe(1234 + 100 + 10 + 1000 + 5);
    expect(ai.output_tokens).toBe(56 + 200 + 10 + 500 + 5);
    // 3645 + 880 + 450 µ$ priced from the table, 0.01 sent by the client
    expect(ai.cost_usd).toBe(0.014975);
    expect(ai.unpriced_calls).toBe(1);
    expect(
      ai.models.map((m) => [m.model, m.provider, m.calls, m.cost_usd, m.unpriced_calls]),
    ).toEqual([
      ['mystery-model', null, 1, 0.01, 0],
      ['gpt-4o-2024-08-06', 'openai', 1, 0.003645, 0],
      ['claude-3-5-haiku-20241022', 'anthropic', 1, 0.00088, 0],
      ['gpt-4o-mini', 'openai', 1, 0.00045, 0],
      ['in-house-7b', null, 1, 0, 1],
    ]);
    expect(ai.decisions).toEqual([
      expect.objectContaining({
        type: 'routing',
        result: 'planner',
        confidence: 0.7,
        factors: null,
      }),
      expect.objectContaining({
        type: 'code_analysis',
        confidence: 0.95,
        factors: { complexity: 'high', lines: 500 },
        result: 'use the sandbox',
        alternatives: ['answer directly'],
        service: 'agent',
      }),
    ]);
    expect(ai.sessions).toEqual(['sess_1']);
    expect(ai.users).toEqual(['user_1']);
  });

  it('puts the normalised columns on each AI span', async () => {
    const { body } = await get<DebugTraceResponse>(`/api/debug/trace/${REQ}`);
    const chat = body.spans.find((s) => s.name === 'chat gpt-4o')!;
    expect(chat.ai).toEqual(
      expect.objectContaining({
        kind: 'llm',
        provider: 'openai',
        model: 'gpt-4o-2024-08-06',
        operation: 'chat',
        input_tokens: 1234,
        output_tokens: 56,
        cost_usd: 0.003645,
        cost_source: 'table',
        ttft_ms: 250,
      }),
    );
    const unknown = body.spans.find((s) => s.name === 'chat in-house-7b')!;
    expect(unknown.ai).toEqual(
      expect.objectContaining({ cost_usd: null, cost_source: 'unknown_model' }),
    );
    expect(body.spans.find((s) => s.name === 'mystery call')!.ai?.cost_source).toBe('client');
    expect(body.spans.find((s) => s.name === 'invoke_agent planner')!.ai?.kind).toBe('agent');
    expect(body.spans.find((s) => s.name === 'POST /agents/run')!.ai).toBeUndefined();
  });

  it('counts Vercel inner calls only, not the outer span that repeats their usage', async () => {
    const { body } = await get<DebugTraceResponse>(`/api/debug/trace/${OTHER}`);
    expect(body.spans.find((s) => s.name === 'ai.generateText')!.ai?.kind).toBe('workflow');
    const inner = body.spans.find((s) => s.name === 'ai.generateText.doGenerate')!.ai!;
    expect(inner).toEqual(
      expect.objectContaining({
        kind: 'llm',
        provider: 'openai',
        model: 'gpt-4o-mini',
        ttft_ms: 120,
        cost_usd: 0.0000135,
      }),
    );
    expect(body.ai!.calls).toBe(2);
    expect(body.ai!.cost_usd).toBe(0.0000255);
    expect(body.ai!.input_tokens).toBe(13);
  });
});

describe('AI roll-ups', () => {
  const usage = (q: string) => get<AiUsageResponse>(`/api/ai/usage?${q}`);

  it('by model, costliest first, with an unknown model flagged', async () => {
    const { body } = await usage('group_by=model');
    const byKey = Object.fromEntries(body.groups.map((g) => [g.key, g]));
    expect(byKey['gpt-4o-mini']).toEqual(
      expect.objectContaining({
        calls: 2,
        input_tokens: 1010,
        output_tokens: 520,
        cost_usd: 0.0004635,
      }),
    );
    expect(byKey['in-house-7b']).toEqual(
      expect.objectContaining({ calls: 1, cost_usd: 0, unpriced_calls: 1, errors: 1 }),
    );
    expect(body.groups[0]!.key).toBe('mystery-model');
    expect(body.totals).toEqual(
      expect.objectContaining({ calls: 7, cost_usd: 0.0150005, unpriced_calls: 1, decisions: 1 }),
    );
  });

  it('by request, trace, session and user, reaching the root span for session and user', async () => {
    const req = (await usage('group_by=request')).body.groups;
    expect(req.map((g) => [g.key, g.calls, g.cost_usd])).toEqual([
      [REQ, 5, 0.014975],
      [OTHER, 2, 0.0000255],
    ]);
    const traces = (await usage('group_by=trace')).body.groups;
    expect(traces).toHaveLength(4); // the two OpenInference spans are roots of their own traces
    const sess = (await usage('group_by=session')).body.groups;
    expect(sess.map((g) => [g.key, g.calls, g.cost_usd])).toEqual([
      [null, 3, 0.0100255], // the client-priced call and trace C
      ['sess_1', 4, 0.004975], // trace A's three calls via its root, and the OpenInference call
    ]);
    const users = (await usage('group_by=user')).body.groups;
    expect(users.map((g) => [g.key, g.calls, g.cost_usd])).toEqual([
      [null, 2, 0.01045],
      ['user_1', 3, 0.004525],
      ['user_2', 2, 0.0000255],
    ]);
  });

  it('by service, provider and day', async () => {
    const svc = (await usage('group_by=service')).body.groups;
    expect(svc.map((g) => [g.key, g.calls])).toEqual([
      ['py-agent', 2],
      ['agent', 3],
      ['web', 2],
    ]);
    const day = (await usage('group_by=day')).body.groups;
    expect(day.map((g) => g.key)).toEqual([
      new Date(Date.now() - 60_000).toISOString().slice(0, 10),
    ]);
    expect(day[0]!.cost_usd).toBe(0.0150005);
    const prov = (await usage('group_by=provider&service=agent')).body;
    expect(prov.filters_applied).toEqual({ service: 'agent', model: null });
    expect(prov.groups.map((g) => g.key)).toEqual(['openai', 'anthropic', null]);
  });

  it('latency percentiles and time to first token per model', async () => {
    const { body } = await get<AiModelsResponse>('/api/ai/models');
    const gpt4o = body.models.find((m) => m.model === 'gpt-4o-2024-08-06')!;
    expect(gpt4o).toEqual(
      expect.objectContaining({ calls: 1, p50_ms: 1000, max_ms: 1000, ttft_p50_ms: 250 }),
    );
    // 56 tokens over the 750 ms after the first one
    expect(gpt4o.output_tokens_per_s).toBeCloseTo(74.667, 2);
    const mini = body.models.find((m) => m.model === 'gpt-4o-mini')!;
    expect(mini.calls).toBe(2);
    expect(mini.p50_ms).toBe(700);
  });

  it('single calls: costliest, slowest', async () => {
    const costly = (await get<AiCallsResponse>('/api/ai/calls?order=costliest&limit=2')).body.calls;
    expect(costly.map((c) => [c.model, c.cost_usd, c.request_id])).toEqual([
      ['mystery-model', 0.01, REQ],
      ['gpt-4o-2024-08-06', 0.003645, REQ],
    ]);
    const slow = (await get<AiCallsResponse>('/api/ai/calls')).body.calls;
    expect(slow[0]!.name).toBe('chat gpt-4o');
    expect(slow).toHaveLength(7);
  });

  it('cost and tokens over time, one series per model, costliest first', async () => {
    const { body } = await get<AiSeriesResponse>('/api/ai/series?by=model&step=1m&since=2h');
    expect(body.step_ms).toBe(60_000);
    expect(body.series.map((x) => x.key).slice(0, 2)).toEqual([
      'mystery-model',
      'gpt-4o-2024-08-06',
    ]);
    const mini = body.series.find((x) => x.key === 'gpt-4o-mini')!;
    expect(mini.calls).toBe(2);
    expect(mini.cost_usd).toBe(0.0004635);
    const points = body.series.flatMap((x) => x.points);
    expect(points.reduce((n, p) => n + p.calls, 0)).toBe(7);
    for (const p of points) expect(p.start_us % 60_000_000).toBe(0);
    const svc = (await get<AiSeriesResponse>('/api/ai/series?by=service')).body;
    expect(svc.series.map((x) => x.key).sort()).toEqual(['agent', 'py-agent', 'web']);
    const tooFine = await get<{ error: { param: string } }>('/api/ai/series?step=1s&since=7d');
    expect(tooFine.status).toBe(400);
    expect(tooFine.body.error.param).toBe('step');
  });

  it('answers bad parameters with a 400 naming them', async () => {
    const bad = await get<{ error: { param: string; message: string } }>(
      '/api/ai/usage?group_by=colour',
    );
    expect(bad.status).toBe(400);
    expect(bad.body.error.param).toBe('group_by');
    expect(bad.body.error.message).toMatch(
      /one of model, provider, service, request, trace, session, user, day/,
    );
    const order = await get<{ error: { param: string } }>('/api/ai/calls?limit=0');
    expect(order.status).toBe(400);
    expect(order.body.error.param).toBe('limit');
    const window = await get<{ error: { param: string } }>('/api/ai/models?since=1h&until=2h');
    expect(window.status).toBe(400);
    expect(window.body.error.param).toBe('since');
  });
});
