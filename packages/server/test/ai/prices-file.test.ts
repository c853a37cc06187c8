/** `startServer({ pricesFile })` (`hopscope serve --prices`): a user's table prices at ingest. */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BasicTracerProvider, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { AiUsageResponse } from '../../src/api/types.js';
import { type ServerHandle, startServer } from '../../src/server.js';

let dir: string;
let server: ServerHandle;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'hopscope-ai-prices-'));
  const file = join(dir, 'prices.json');
  writeFileSync(
    file,
    JSON.stringify({
      as_of: '2026-11-01',
      models: [
        { match: ['in-house-*'], input: 0.5, output: 1 },
        { match: ['gpt-4o-mini'], input: 0.1, output: 0.4 }, // a negotiated rate
      ],
    }),
  );
  server = await startServer({
    port: 0,
    grpcPort: false,
    dataDir: join(dir, 'data'),
    pricesFile: file,
  });
});

afterAll(async () => {
  await server?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

it('prices with the user file first and the shipped table for the rest', async () => {
  const provider = new BasicTracerProvider({
    resource: resourceFromAttributes({ 'service.name': 'agent' }),
    spanProcessors: [
      new SimpleSpanProcessor(new OTLPTraceExporter({ url: `${server.url}/v1/traces` })),
    ],
  });
  const t = provider.getTracer('t');
  for (const model of ['in-house-7b', 'gpt-4o-mini', 'gpt-4o']) {
    t.startSpan(`chat ${model}`, {
      attributes: {
        'gen_ai.operation.name': 'chat',
        'gen_ai.request.model': model,
        'gen_ai.usage.input_tokens': 1000,
        'gen_ai.usage.output_tokens': 1000,
      },
    }).end();
  }
  await provider.shutdown();
  const res = await fetch(`${server.url}/api/ai/usage?group_by=model`);
  const body = (await res.json()) as AiUsageResponse;
  const cost = Object.fromEntries(body.groups.map((g) => [g.key, g.cost_usd]));
  expect(cost).toEqual({
    'gpt-4o': 0.0125, // shipped: 1000*2.5 + 1000*10 µ$
    'in-house-7b': 0.0015, // user: 1000*0.5 + 1000*1
    'gpt-4o-mini': 0.0005, // user overrides shipped: 1000*0.1 + 1000*0.4
  });
});

it('refuses to start with a bad price file, naming the file and the field', async () => {
  const bad = join(dir, 'bad.json');
  writeFileSync(
    bad,
    JSON.stringify({ as_of: '2026-11-01', models: [{ match: [], input: 1, output: 1 }] }),
  );
  await expect(
    startServer({ port: 0, grpcPort: false, dataDir: join(dir, 'other'), pricesFile: bad }),
  ).rejects.toThrow(/price file .*bad\.json: models\.0\.match: /);
});
