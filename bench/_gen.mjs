// Synthetic agent-platform traffic for benchmarks: traces of 8 spans across gateway → agent →
// llm-proxy / sandbox → db, with the attributes real instrumentation sets (HTTP, GenAI, DB),
// a request ID on every root, 1 trace in 50 failing. Deterministic for a given seed.
//
//   import { traceBatches, spanRecords } from './_gen.mjs';
//   traceBatches({ spans: 512 * 100, perBatch: 512 })  → OTLP ExportTraceServiceRequest objects
//   spanRecords({ spans: 1e6 })                         → SpanRecord objects for Store.write()

export function rng(seed = 1) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function hexOf(rand, bytes) {
  let s = '';
  for (let i = 0; i < bytes; i += 4) {
    s += Math.floor(rand() * 0x100000000)
      .toString(16)
      .padStart(8, '0');
  }
  return s.slice(0, bytes * 2);
}

const ROUTES = ['/v1/chat', '/v1/agents/run', '/v1/tools/search', '/v1/files', '/v1/sessions'];
const MODELS = ['gpt-4o', 'claude-sonnet-4', 'llama-3.1-70b'];

/**
 * One trace as plain span descriptions (hex ids, bigint ns, typed attributes), the shape both
 * generators below render.
 */
function trace(rand, startNs) {
  const traceId = hexOf(rand, 16);
  const requestId = `req_${hexOf(rand, 6)}`;
  const route = ROUTES[Math.floor(rand() * ROUTES.length)];
  const model = MODELS[Math.floor(rand() * MODELS.length)];
  const failed = rand() < 0.02;
  const ids = Array.from({ length: 8 }, () => hexOf(rand, 8));
  const ms = (n) => BigInt(Math.floor(n * 1e6));
  const llmMs = 200 + rand() * 1500;
  const total = llmMs + 40 + rand() * 60;
  const spans = [
    [
      'gateway',
      `POST ${route}`,
      2,
      0,
      total,
      undefined,
      {
        'http.request.method': 'POST',
        'http.route': route,
        'http.response.status_code': failed ? 502 : 200,
        'request.id': requestId,
        'user_agent.original': 'hopscope-bench/1.0',
      },
    ],
    [
      'gateway',
      'POST agent',
      3,
      1,
      total - 2,
      0,
      {
        'http.request.method': 'POST',
        'server.address': 'agent',
        'http.response.status_code': failed ? 502 : 200,
        'request.id': requestId,
      },
    ],
    [
      'agent',
      'POST /run',
      2,
      2,
      total - 4,
      1,
      {
        'http.request.method': 'POST',
        'http.route': '/run',
        'request.id': requestId,
        'agent.name': 'planner',
      },
    ],
    [
      'agent',
      'plan',
      1,
      3,
      8 + rand() * 10,
      2,
      {
        'decision.type': 'tool_choice',
        'decision.confidence': Math.round(rand() * 100) / 100,
        'decision.result': 'search',
      },
    ],
    [
      'llm-proxy',
      `chat ${model}`,
      3,
      15,
      llmMs,
      2,
      {
        'gen_ai.system': 'openai',
        'gen_ai.request.model': model,
        'gen_ai.usage.input_tokens': Math.floor(200 + rand() * 2000),
        'gen_ai.usage.output_tokens': Math.floor(20 + rand() * 500),
        'request.id': requestId,
      },
    ],
    [
      'sandbox',
      'exec',
      2,
      20 + llmMs,
      12 + rand() * 20,
      2,
      {
        'sandbox.id': `sb-${Math.floor(rand() * 64)}`,
        'process.exit_code': failed ? 1 : 0,
        'request.id': requestId,
      },
    ],
    [
      'sandbox',
      'tool.search',
      1,
      22 + llmMs,
      8 + rand() * 10,
      5,
      { 'tool.name': 'search', 'tool.query_length': Math.floor(rand() * 200) },
    ],
    [
      'postgres',
      'SELECT documents',
      3,
      24 + llmMs,
      1 + rand() * 5,
      6,
      {
        'db.system': 'postgresql',
        'db.operation.name': 'SELECT',
        'db.collection.name': 'documents',
      },
    ],
  ];
  return spans.map(([service, name, kind, offsetMs, durMs, parent, attributes], i) => ({
    traceId,
    spanId: ids[i],
    parentSpanId: parent === undefined ? undefined : ids[parent],
    service,
    name,
    kind,
    startNs: startNs + ms(offsetMs),
    durationNs: ms(durMs),
    statusCode: failed && (i === 0 || i === 5) ? 2 : 0,
    statusMessage: failed && i === 5 ? 'tool process exited with 1' : undefined,
    requestId: attributes['request.id'],
    attributes,
  }));
}

/** Spans in time order across `seconds` ending at `endMs`, as trace-sized groups. */
function* traces({ spans, seed = 1, endMs = Date.now(), seconds = 3600 }) {
  const rand = rng(seed);
  const count = Math.ceil(spans / 8);
  const startNs = BigInt(endMs - seconds * 1000) * 1_000_000n;
  const stepNs = (BigInt(seconds) * 1_000_000_000n) / BigInt(count);
  for (let t = 0; t < count; t++) yield trace(rand, startNs + BigInt(t) * stepNs);
}

function anyValue(v) {
  if (typeof v === 'string') return { stringValue: v };
  if (typeof v === 'boolean') return { boolValue: v };
  if (Number.isInteger(v)) return { intValue: v };
  return { doubleValue: v };
}

/**
 * One span (hex IDs, bigint ns, plain attributes: a SpanRecord will do) as an OTLP Span object
 * for protobufjs.
 */
export function otlpSpan(s) {
  return {
    traceId: Buffer.from(s.traceId, 'hex'),
    spanId: Buffer.from(s.spanId, 'hex'),
    parentSpanId: s.parentSpanId ? Buffer.from(s.parentSpanId, 'hex') : undefined,
    name: s.name,
    kind: s.kind,
    startTimeUnixNano: s.startNs.toString(),
    endTimeUnixNano: (s.startNs + s.durationNs).toString(),
    attributes: Object.entries(s.attributes).map(([key, v]) => ({ key, value: anyValue(v) })),
    status: { code: s.statusCode, message: s.statusMessage ?? '' },
  };
}

/**
 * OTLP ExportTraceServiceRequest objects (protobufjs field names, Buffer ids, decimal-string
 * nanoseconds), `perBatch` spans each, grouped by service as an SDK would send them.
 */
export function traceBatches({ spans, perBatch = 512, seed = 1, endMs, seconds }) {
  const batches = [];
  let current = [];
  const flush = () => {
    const byService = new Map();
    for (const s of current) {
      if (!byService.has(s.service)) byService.set(s.service, []);
      byService.get(s.service).push(s);
    }
    batches.push({
      resourceSpans: [...byService].map(([service, list]) => ({
        resource: {
          attributes: [
            { key: 'service.name', value: { stringValue: service } },
            { key: 'service.version', value: { stringValue: '1.4.2' } },
            { key: 'telemetry.sdk.language', value: { stringValue: 'nodejs' } },
          ],
        },
        scopeSpans: [
          {
            scope: { name: '@opentelemetry/instrumentation-http', version: '0.200.0' },
            spans: list.map(otlpSpan),
          },
        ],
      })),
    });
    current = [];
  };
  for (const group of traces({ spans, seed, endMs, seconds })) {
    for (const s of group) {
      current.push(s);
      if (current.length === perBatch) flush();
    }
  }
  if (current.length > 0) flush();
  return batches;
}

/** SpanRecord objects (packages/server/src/store/records.ts) for Store.write(). */
export function* spanRecords({ spans, seed = 1, endMs, seconds }) {
  for (const group of traces({ spans, seed, endMs, seconds })) {
    for (const s of group) {
      yield {
        ...s,
        resource: {
          'service.name': s.service,
          'service.version': '1.4.2',
          'telemetry.sdk.language': 'nodejs',
        },
        scopeName: '@opentelemetry/instrumentation-http',
        scopeVersion: '0.200.0',
        events: [],
        links: [],
      };
    }
  }
}
