import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { type Attributes, ROOT_CONTEXT, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import { ExportResultCode } from '@opentelemetry/core';
import { OTLPTraceExporter as GrpcExporter } from '@opentelemetry/exporter-trace-otlp-grpc';
import { OTLPTraceExporter as HttpJsonExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { OTLPTraceExporter as ProtoExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import type { ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_LIMITS, DEFAULT_REDACTION } from '../../src/config.js';
import { IngestInputError } from '../../src/ingest/errors.js';
import { IngestWorkers } from '../../src/ingest/workers/pool.js';
import { loadPriceTable } from '../../src/pipeline/ai/prices.js';
import { startServer } from '../../src/server.js';
import { exportWith, memoryTracer, protoBody, tempDir, testServer } from './helpers.js';

type Server = Awaited<ReturnType<typeof testServer>>;

/** Spans that exercise every column: AI fields, events, links, errors, odd text, many rows. */
function makeSpans(requestId: string, extra: number): ReadableSpan[] {
  const { tracer, finished } = memoryTracer(
    { 'service.name': 'agent', 'service.version': '2.0' },
    'worker-scope',
    '0.1.0',
  );
  const root = tracer.startSpan('POST /chat café ☕', {
    kind: SpanKind.SERVER,
    attributes: {
      'request.id': requestId,
      'http.request.method': 'POST',
      'http.request.header.authorization': ['Bearer abc.def.ghi'],
      note: 'nul \u0000 inside, 日本語',
      long: 'x'.repeat(DEFAULT_LIMITS.maxValueLength + 10),
    } as Attributes,
  });
  root.addEvent('retry', { attempt: 2 });
  const ctx = trace.setSpan(ROOT_CONTEXT, root);
  const llm = tracer.startSpan(
    'chat gpt-4o-mini',
    {
      kind: SpanKind.CLIENT,
      attributes: {
        'gen_ai.operation.name': 'chat',
        'gen_ai.system': 'openai',
        'gen_ai.request.model': 'gpt-4o-mini',
        'gen_ai.usage.input_tokens': 1200,
        'gen_ai.usage.output_tokens': 300,
        'request.id': requestId,
      },
      links: [{ context: root.spanContext(), attributes: { why: 'follows' } }],
    },
    ctx,
  );
  llm.setStatus({ code: SpanStatusCode.ERROR, message: 'rate limited' });
  llm.end();
  for (let i = 0; i < extra; i++) {
    tracer.startSpan(`step ${i % 7}`, { attributes: { i, 'request.id': requestId } }, ctx).end();
  }
  root.end();
  return finished();
}

describe('ingest worker threads store exactly what the main thread stores', () => {
  let inline: Server;
  let threaded: Server;
  // A user price file: the worker must price with the same table as the main thread.
  const pricesDir = tempDir();
  const pricesFile = join(pricesDir.dir, 'prices.json');
  beforeAll(async () => {
    writeFileSync(
      pricesFile,
      JSON.stringify({
        as_of: '2026-11-01',
        models: [{ match: ['gpt-4o-mini'], input: 100, output: 1000 }],
      }),
    );
    [inline, threaded] = await Promise.all([
      testServer({ ingestWorkers: 0, pricesFile }),
      testServer({ ingestWorkers: 1, pricesFile }),
    ]);
  });
  afterAll(async () => {
    await Promise.all([inline?.stop(), threaded?.stop()]);
    pricesDir.cleanup();
  });

  const exporters: [string, (s: Server) => unknown][] = [
    ['http/protobuf', (s) => new ProtoExporter({ url: `${s.url}/v1/traces` })],
    ['http/json', (s) => new HttpJsonExporter({ url: `${s.url}/v1/traces` })],
    ['grpc', (s) => new GrpcExporter({ url: `http://127.0.0.1:${s.grpcPort}` })],
  ];
  for (const [name, make] of exporters) {
    it(`over ${name}: same spans, same Jaeger trace, same request view, same metrics`, async () => {
      const requestId = `req_workers_${name.replace(/\W/g, '')}`;
      // 2,500 spans: more than one DuckDB data chunk (2,048 rows) in a single export.
      const spans = makeSpans(requestId, 2_500);
      for (const server of [inline, threaded]) {
        const exporter = make(server) as { shutdown: () => Promise<void> };
        const result = await exportWith(exporter, spans);
        await exporter.shutdown();
        expect(result.code).toBe(ExportResultCode.SUCCESS);
      }
      const traceId = spans[0]!.spanContext().traceId;
      const [a, b] = await Promise.all(
        [inline, threaded].map((s) =>
          s.store.reader.lookup({ traceIds: [traceId], requestIds: [] }),
        ),
      );
      expect(a!.spans).toHaveLength(spans.length);
      const bySpan = (x: { spanId: string }, y: { spanId: string }) =>
        x.spanId < y.spanId ? -1 : 1;
      expect(b!.spans.sort(bySpan)).toEqual(a!.spans.sort(bySpan));
      const llm = b!.spans.find((s) => s.name === 'chat gpt-4o-mini')!;
      expect(llm.ai?.model).toBe('gpt-4o-mini');
      expect(llm.ai?.input).toBe(1200);
      // 1,200 × $100 + 300 × $1,000 per 1M tokens, from the user's file
      expect(llm.ai?.costUsd).toBeCloseTo(0.42, 10);
      expect(llm.links).toHaveLength(1);
      const root = b!.spans.find((s) => s.name === 'POST /chat café ☕')!;
      expect(root.attributes['http.request.header.authorization']).toBe('[REDACTED]');
      expect(root.attributes.note).toBe('nul \u0000 inside, 日本語');

      const get = async (s: Server, path: string) => (await fetch(`${s.url}${path}`)).json();
      for (const path of [`/api/traces/${traceId}`, `/api/debug/trace/${requestId}`]) {
        const [ja, jb] = await Promise.all([get(inline, path), get(threaded, path)]);
        expect(jb).toEqual(ja);
      }
      const counters = async (s: Server) => {
        const text = await (await fetch(`${s.url}/metrics`)).text();
        return text
          .split('\n')
          .filter((l) => /^hopscope_(redactions|truncations|spans_received|accepted)/.test(l));
      };
      expect(await counters(threaded)).toEqual(await counters(inline));
    });
  }

  it('answers bad input from a worker with the main thread’s 400 and message', async () => {
    const bodies = [
      Buffer.from('not protobuf at all \xff\xfe', 'latin1'),
      Buffer.from(protoBody(3)).subarray(0, 40),
    ];
    for (const body of bodies) {
      const answers = await Promise.all(
        [inline, threaded].map(async (s) => {
          const res = await fetch(`${s.url}/v1/traces`, {
            method: 'POST',
            headers: { 'content-type': 'application/x-protobuf' },
            body,
          });
          return { status: res.status, body: Buffer.from(await res.arrayBuffer()).toString('hex') };
        }),
      );
      expect(answers[0]!.status).toBe(400);
      expect(answers[1]).toEqual(answers[0]);
    }
    const json = await Promise.all(
      [inline, threaded].map(async (s) => {
        const res = await fetch(`${s.url}/v1/traces`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: '{"resourceSpans": [',
        });
        return { status: res.status, body: await res.text() };
      }),
    );
    expect(json[0]!.status).toBe(400);
    expect(json[0]!.body).toContain('body is not valid JSON');
    expect(json[1]).toEqual(json[0]);
  });
});

describe('IngestWorkers', () => {
  const config = {
    limits: DEFAULT_LIMITS,
    redaction: DEFAULT_REDACTION,
    prices: loadPriceTable().files,
  };

  it('fails only the requests of a thread that dies, and serves the next from a new one', async () => {
    const pool = new IngestWorkers(1, config);
    try {
      const ok = await pool.decode('traces', 'http/protobuf', protoBody(5));
      expect(ok.accepted).toBe(5);
      expect(ok.batch.encoded?.rows).toBe(5);
      const slots = (pool as unknown as { slots: { worker: { terminate(): Promise<number> } }[] })
        .slots;
      // Stopped before the job reaches it: the thread never answers, as when it crashes.
      const stopping = slots[0]!.worker.terminate();
      const pending = pool.decode('traces', 'http/protobuf', protoBody(5));
      await stopping;
      await expect(pending).rejects.toThrow(/ingest worker stopped/);
      const again = await pool.decode('traces', 'http/protobuf', protoBody(2));
      expect(again.accepted).toBe(2);
    } finally {
      await pool.close();
    }
    await expect(pool.decode('traces', 'http/protobuf', protoBody(1))).rejects.toThrow(/closed/);
  });

  it('reports input errors as IngestInputError', async () => {
    const pool = new IngestWorkers(1, config);
    try {
      await expect(
        pool.decode('traces', 'http/json', Buffer.from('{"resourceSpans":7}')),
      ).rejects.toBeInstanceOf(IngestInputError);
    } finally {
      await pool.close();
    }
  });

  it('gives up on threads that die before answering, so the server decodes on its own', async () => {
    const { dir, cleanup } = tempDir();
    const broken = join(dir, 'thread.mjs');
    writeFileSync(broken, "throw new Error('broken install');\n");
    const pool = new IngestWorkers(1, config, pathToFileURL(broken));
    try {
      await expect(pool.decode('traces', 'http/protobuf', protoBody(1))).rejects.toThrow(
        /ingest worker stopped: broken install/,
      );
      // Each failed start is replaced until the third in a row.
      while (pool.usable) await new Promise((r) => setTimeout(r, 20));
      await expect(pool.decode('traces', 'http/protobuf', protoBody(1))).rejects.toThrow(
        /gave up: broken install/,
      );
    } finally {
      await pool.close();
      cleanup();
    }
  });

  it('refuses a thread count that is not a whole number ≥ 1', () => {
    expect(() => new IngestWorkers(0, config)).toThrow(/whole number ≥ 1/);
    expect(() => new IngestWorkers(1.5, config)).toThrow(/whole number ≥ 1/);
  });

  it('a server refuses a bad ingestWorkers or HOPSCOPE_INGEST_WORKERS before opening its store', async () => {
    const { dir, cleanup } = tempDir();
    const data = join(dir, 'data');
    try {
      for (const ingestWorkers of [-1, 1.5, 65]) {
        await expect(
          startServer({ port: 0, grpcPort: false, dataDir: data, ingestWorkers }),
        ).rejects.toThrow(/ingest workers: a whole number from 0 to 64/);
      }
      process.env.HOPSCOPE_INGEST_WORKERS = 'many';
      await expect(startServer({ port: 0, grpcPort: false, dataDir: data })).rejects.toThrow(
        /HOPSCOPE_INGEST_WORKERS or ingestWorkers\), got "many"/,
      );
      expect(existsSync(data)).toBe(false);
    } finally {
      delete process.env.HOPSCOPE_INGEST_WORKERS;
      cleanup();
    }
  });
});
