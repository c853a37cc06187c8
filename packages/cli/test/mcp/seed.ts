import { ROOT_CONTEXT, type Span, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BasicTracerProvider, BatchSpanProcessor } from '@opentelemetry/sdk-trace-base';

export const REQ = 'req_3f9a1c2b4d5e';
export const REQ_OK = 'req_00000000ab12';
export const REQ_BIG = 'req_b1660000f00d';
export const REQ_SPLIT = 'req_5b1177ab0c0d';
export const BIG_CHILDREN = 600;
export const BIG_LOGS = 150;

export interface Seeded {
  traceId: string;
  gatewaySpan: string;
  agentSpan: string;
  llmSpan: string;
  sandboxSpan: string;
  fanSpan: string;
}

/**
 * Sends a request through gateway → agent (with an LLM call) → sandbox (which times out) with the
 * official OpenTelemetry SDK and OTLP/protobuf exporter, one tracer provider per service as real
 * services have; plus a healthy request and a 601-span fan-out.
 */
export async function seedSpans(baseUrl: string, t0: number): Promise<Seeded> {
  const providers = new Map<string, BasicTracerProvider>();
  const tracer = (service: string) => {
    let provider = providers.get(service);
    if (!provider) {
      provider = new BasicTracerProvider({
        resource: resourceFromAttributes({ 'service.name': service }),
        spanProcessors: [
          new BatchSpanProcessor(new OTLPTraceExporter({ url: `${baseUrl}/v1/traces` }), {
            maxExportBatchSize: 1000,
            maxQueueSize: 5000,
          }),
        ],
      });
      providers.set(service, provider);
    }
    return provider.getTracer('mcp-test');
  };
  const child = (parent: Span) => trace.setSpanContext(ROOT_CONTEXT, parent.spanContext());

  const gateway = tracer('gateway').startSpan('POST /v1/chat', {
    kind: SpanKind.SERVER,
    startTime: t0,
    attributes: { 'request.id': REQ, 'http.request.method': 'POST', 'http.route': '/v1/chat' },
  });
  const agent = tracer('agent').startSpan(
    'agent.run',
    { kind: SpanKind.SERVER, startTime: t0 + 50, attributes: { 'request.id': REQ } },
    child(gateway),
  );
  const llm = tracer('agent').startSpan(
    'chat gpt-4o-mini',
    {
      kind: SpanKind.CLIENT,
      startTime: t0 + 60,
      attributes: {
        'request.id': REQ,
        'gen_ai.operation.name': 'chat',
        'gen_ai.system': 'openai',
        'gen_ai.request.model': 'gpt-4o-mini',
        'gen_ai.usage.input_tokens': 1200,
        'gen_ai.usage.output_tokens': 80,
        'gen_ai.prompt': 'x'.repeat(5000),
      },
    },
    child(agent),
  );
  llm.end(t0 + 160);
  const sandbox = tracer('sandbox').startSpan(
    'exec',
    { kind: SpanKind.SERVER, startTime: t0 + 170, attributes: { 'request.id': REQ } },
    child(agent),
  );
  sandbox.addEvent(
    'exception',
    { 'exception.type': 'TimeoutError', 'exception.message': 'exec timed out after 170 ms' },
    t0 + 339,
  );
  sandbox.setStatus({ code: SpanStatusCode.ERROR, message: 'exec timed out after 170 ms' });
  sandbox.end(t0 + 340);
  agent.setStatus({ code: SpanStatusCode.ERROR, message: 'tool failed' });
  agent.end(t0 + 350);
  gateway.end(t0 + 400);

  const ok = tracer('gateway').startSpan('POST /v1/chat', {
    kind: SpanKind.SERVER,
    startTime: t0 + 1000,
    attributes: { 'request.id': REQ_OK },
  });
  ok.end(t0 + 1120);

  const fan = tracer('fanout').startSpan('batch', {
    kind: SpanKind.SERVER,
    startTime: t0 + 2000,
    attributes: { 'request.id': REQ_BIG },
  });
  for (let i = 0; i < BIG_CHILDREN; i++) {
    tracer('fanout')
      .startSpan(
        `item ${i}`,
        { startTime: t0 + 2001 + i, attributes: { 'request.id': REQ_BIG } },
        child(fan),
      )
      .end(t0 + 2002 + i);
  }
  // Retries that each recorded a long stack trace: more detail than one answer holds.
  for (let i = 0; i < 30; i++) {
    fan.addEvent(
      'exception',
      {
        'exception.type': 'RetryableError',
        'exception.stacktrace': `attempt ${i}\n${'    at frame (file.js:1:1)\n'.repeat(60)}`,
      },
      t0 + 2000 + i,
    );
  }
  fan.end(t0 + 2000 + BIG_CHILDREN + 10);

  // One request, two traces: the worker got only x-request-id from a queue, no traceparent.
  tracer('gateway')
    .startSpan('POST /v1/jobs', { startTime: t0 + 3000, attributes: { 'request.id': REQ_SPLIT } })
    .end(t0 + 3100);
  tracer('worker')
    .startSpan('job.run', { startTime: t0 + 3150, attributes: { 'request.id': REQ_SPLIT } })
    .end(t0 + 3300);

  await Promise.all([...providers.values()].map((p) => p.shutdown()));
  return {
    traceId: gateway.spanContext().traceId,
    gatewaySpan: gateway.spanContext().spanId,
    agentSpan: agent.spanContext().spanId,
    llmSpan: llm.spanContext().spanId,
    sandboxSpan: sandbox.spanContext().spanId,
    fanSpan: fan.spanContext().spanId,
  };
}

/** Log lines through POST /api/ingest/logs, as `hopscope ingest` and log shippers send them. */
export async function seedLogs(baseUrl: string, t0: number, s: Seeded): Promise<void> {
  const iso = (ms: number) => new Date(ms).toISOString();
  const lines = [
    {
      timestamp: iso(t0 + 1),
      level: 'info',
      service: 'gateway',
      request_id: REQ,
      trace_id: s.traceId,
      span_id: s.gatewaySpan,
      event: 'request_received',
      message: 'Request received',
      method: 'POST',
      path: '/v1/chat',
    },
    {
      timestamp: iso(t0 + 339),
      level: 'error',
      service: 'sandbox',
      request_id: REQ,
      trace_id: s.traceId,
      span_id: s.sandboxSpan,
      event: 'exec_failed',
      message: 'Command timed out',
      error: 'exec timed out after 170 ms',
      error_type: 'TimeoutError',
    },
    // A Python worker that only writes logs and got only x-request-id.
    {
      timestamp: iso(t0 + 200),
      level: 'info',
      service: 'python-worker',
      request_id: REQ,
      event: 'tool_called',
      message: 'web_search called',
      tool: 'web_search',
    },
    {
      timestamp: iso(t0 + 1001),
      level: 'info',
      service: 'gateway',
      request_id: REQ_OK,
      event: 'request_completed',
      message: 'Request completed',
      duration_ms: 120,
    },
  ];
  // Long lines for the fan-out request: more than one answer can hold.
  for (let i = 0; i < BIG_LOGS; i++) {
    lines.push({
      timestamp: iso(t0 + 2001 + i),
      level: 'info',
      service: 'fanout',
      request_id: REQ_BIG,
      event: 'item_done',
      message: `item ${i} done: ${'detail '.repeat(60)}`,
    } as (typeof lines)[number]);
  }
  const response = await fetch(`${baseUrl}/api/ingest/logs`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-ndjson' },
    body: `${lines.map((l) => JSON.stringify(l)).join('\n')}\n`,
  });
  if (!response.ok) throw new Error(`seeding logs: ${response.status} ${await response.text()}`);
}
