/** One agent-platform request across services, sent with the official OpenTelemetry SDK. */
import { context, type Span, trace } from '@opentelemetry/api';
import { OtelService, SpanKind } from './harness.js';

export const XSS_SPAN = '<img src=x onerror="window.__xss=1">exec';
export const XSS_LOG =
  '<script>window.__xss=2</script><img src=x onerror="window.__xss=3"> bad input';

export interface Scenario {
  requestId: string;
  traceId: string;
  otherTraceId: string;
  spanNames: string[];
  logMessages: string[];
  services: string[];
}

export async function sendScenario(url: string, requestId = 'req_3f9a0c1d2e4b'): Promise<Scenario> {
  const gateway = new OtelService('gateway', url);
  const agent = new OtelService('agent', url);
  const sandbox = new OtelService('sandbox', url);
  const worker = new OtelService('python-worker', url);
  const t0 = Date.now() - 5_000;
  const rid = requestId;

  // Parents are created after their children here (a span is sent when it ends), so build the
  // tree top-down with explicit times and end everything in one go.
  const root = gateway.tracer.startSpan('POST /chat', {
    kind: SpanKind.SERVER,
    startTime: t0,
    attributes: { 'request.id': rid, 'http.request.method': 'POST', 'http.route': '/chat' },
  });
  const under = (s: Span) => trace.setSpan(context.active(), s);
  const call = gateway.tracer.startSpan(
    'call agent',
    { kind: SpanKind.CLIENT, startTime: t0 + 5, attributes: { 'request.id': rid } },
    under(root),
  );
  const run = agent.tracer.startSpan(
    'agent.run',
    { kind: SpanKind.SERVER, startTime: t0 + 8, attributes: { 'request.id': rid } },
    under(call),
  );
  const llm = agent.span({
    name: 'chat gpt-4o',
    t0,
    offsetMs: 12,
    durationMs: 180,
    parent: run,
    kind: SpanKind.CLIENT,
    requestId: rid,
    attributes: {
      'gen_ai.system': 'openai',
      'gen_ai.request.model': 'gpt-4o',
      'gen_ai.usage.input_tokens': 812,
      'gen_ai.usage.output_tokens': 120,
    },
  });
  agent.span({
    name: 'choose tool',
    t0,
    offsetMs: 195,
    durationMs: 4,
    parent: run,
    requestId: rid,
    attributes: {
      'decision.type': 'tool_choice',
      'decision.result': 'sandbox',
      'decision.confidence': 0.82,
    },
  });
  const exec = agent.tracer.startSpan(
    'sandbox exec',
    { kind: SpanKind.CLIENT, startTime: t0 + 200, attributes: { 'request.id': rid } },
    under(run),
  );
  const failing = sandbox.span({
    name: XSS_SPAN,
    t0,
    offsetMs: 205,
    durationMs: 120,
    parent: exec,
    kind: SpanKind.SERVER,
    requestId: rid,
    error: Object.assign(new Error('sandbox timed out after 120ms'), { name: 'TimeoutError' }),
    attributes: { 'sandbox.image': 'python:3.12' },
  });
  exec.end(t0 + 330);
  run.end(t0 + 340);
  call.end(t0 + 345);
  root.end(t0 + 350);
  // A service that propagated only x-request-id: its own trace, tied in by the request ID.
  const job = worker.span({
    name: 'worker.job',
    t0,
    offsetMs: 360,
    durationMs: 40,
    kind: SpanKind.CONSUMER,
    requestId: rid,
    links: [root],
    events: [{ name: 'batch_loaded', offsetMs: 370, attributes: { 'batch.size': 3 } }],
  });

  gateway.log({
    message: 'request received',
    event: 'request_received',
    span: root,
    requestId: rid,
    at: t0 + 1,
  });
  agent.log({
    message: 'calling model gpt-4o',
    event: 'llm_call',
    span: llm,
    requestId: rid,
    at: t0 + 13,
  });
  sandbox.log({
    message: XSS_LOG,
    event: 'exec_failed',
    level: 'error',
    span: failing,
    requestId: rid,
    at: t0 + 320,
  });
  worker.log({
    message: 'job done',
    event: 'job_completed',
    span: job,
    requestId: rid,
    at: t0 + 399,
  });
  gateway.log({
    message: 'request completed',
    event: 'request_completed',
    span: root,
    requestId: rid,
    at: t0 + 350,
  });

  for (const s of [gateway, agent, sandbox, worker]) await s.flush();
  for (const s of [gateway, agent, sandbox, worker]) await s.shutdown();

  // A service that only writes DESIGN.md log lines (no tracing SDK), posted as NDJSON: the server
  // derives a span for it from request_received … request_completed.
  const billingSpan = 'b1b1b1b1b1b1b1b1';
  const line = (at: number, event: string, message: string, extra: object = {}) =>
    JSON.stringify({
      timestamp: new Date(t0 + at).toISOString(),
      level: 'info',
      service: 'billing',
      request_id: rid,
      trace_id: root.spanContext().traceId,
      span_id: billingSpan,
      parent_span_id: run.spanContext().spanId,
      event,
      message,
      ...extra,
    });
  const res = await fetch(`${url}/api/ingest/logs`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-ndjson' },
    body: [
      line(210, 'request_received', 'charge requested', { method: 'POST', path: '/charge' }),
      line(260, 'request_completed', 'charge settled', { duration_ms: 50, status_code: 200 }),
    ].join('\n'),
  });
  if (!res.ok) throw new Error(`NDJSON ingest answered ${res.status}: ${await res.text()}`);
  return {
    requestId: rid,
    traceId: root.spanContext().traceId,
    otherTraceId: job.spanContext().traceId,
    spanNames: [
      'POST /chat',
      'call agent',
      'agent.run',
      'chat gpt-4o',
      'sandbox exec',
      XSS_SPAN,
      'worker.job',
      'choose tool',
      'POST /charge', // billing, derived from its log lines
    ],
    logMessages: [
      'request received',
      'calling model gpt-4o',
      'charge requested',
      'charge settled',
      XSS_LOG,
      'request completed',
      'job done',
    ],
    services: ['gateway', 'agent', 'sandbox', 'python-worker', 'billing'],
  };
}

/**
 * A trace of `n` spans across five services, shaped as a 10-ary tree (depth 5 at 50,000): each
 * span's children split its time. Sent with the official SDK and OTLP/protobuf exporter.
 */
export async function sendBigTrace(
  url: string,
  n: number,
  requestId: string,
): Promise<{ traceId: string }> {
  const names = ['gateway', 'agent', 'tools', 'sandbox', 'llm-proxy'];
  const services = names.map((s) => new OtelService(s, url));
  const t0 = Date.now() - 20_000;
  const spans: Span[] = [];
  const times: Array<[number, number]> = [];
  for (let i = 0; i < n; i++) {
    let start = 0;
    let end = 10_000;
    let parent: Span | undefined;
    if (i > 0) {
      const p = Math.floor((i - 1) / 10);
      const c = (i - 1) % 10;
      const [ps, pe] = times[p];
      const w = (pe - ps) / 10;
      start = ps + c * w + w * 0.05;
      end = start + w * 0.9;
      parent = spans[p];
    }
    times.push([start, end]);
    const svc = services[i === 0 ? 0 : 1 + (i % 4)];
    const span = svc.tracer.startSpan(
      `op-${i}`,
      {
        kind: i === 0 ? SpanKind.SERVER : SpanKind.INTERNAL,
        startTime: t0 + start,
        attributes: { 'request.id': requestId, 'op.index': i },
      },
      parent ? trace.setSpan(context.active(), parent) : context.active(),
    );
    spans.push(span);
  }
  // End children before parents, as a real program would.
  for (let i = n - 1; i >= 0; i--) spans[i].end(t0 + times[i][1]);
  for (const s of services) await s.flush();
  for (const s of services) await s.shutdown();
  return { traceId: spans[0].spanContext().traceId };
}
