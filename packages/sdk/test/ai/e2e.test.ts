/**
 * The whole path: an agent instrumented with hopscope/ai and hopscope/openai (the real openai
 * SDK against the local provider) exports OTLP to a real Hopscope server, whose debug trace
 * answers with the request's AI summary, priced from the shipped table.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { DebugTraceResponse } from '@hopscope/server';
import { type ServerHandle, startServer } from '@hopscope/server';
import OpenAI from 'openai';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { decision, invokeAgent, toolCall } from '../../src/ai/index.js';
import { instrumentOpenAI } from '../../src/ai/openai/index.js';
import { type HopscopeHandle, init, runWithRequestId, withSpan } from '../../src/index.js';
import { LineSink } from '../line-sink.js';
import { startProvider, type TestProvider } from './provider.js';

const REQ = 'req_ae2eae2eae2e';
let dir: string;
let server: ServerHandle;
let provider: TestProvider;
let handle: HopscopeHandle;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'hopscope-ai-e2e-'));
  server = await startServer({ port: 0, grpcPort: false, dataDir: dir });
  provider = await startProvider();
  handle = init({
    service: 'code-agent',
    endpoint: server.url,
    exportDelayMs: 50,
    exportLogs: false,
    logDestination: new LineSink(),
  });
});

afterAll(async () => {
  await handle?.shutdown();
  await provider?.close();
  await server?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

it('shows the model call, its cost, the tool and the decision in the request', async () => {
  const client = instrumentOpenAI(
    new OpenAI({ baseURL: `${provider.url}/v1`, apiKey: 'sk-test', maxRetries: 0 }),
  );
  await runWithRequestId(REQ, () =>
    withSpan(
      'POST /agents/code-analyst/execute',
      { 'session.id': 'sess_42', 'user.id': 'user_001' },
      () =>
        invokeAgent({ name: 'code-analyst' }, async () => {
          await client.chat.completions.create({
            model: 'gpt-4o-mini',
            messages: [{ role: 'user', content: 'review' }],
          });
          await toolCall({ name: 'lint' }, async () => 'clean');
          decision({
            type: 'code_analysis',
            confidence: 0.9,
            factors: { lines: 500 },
            result: 'approve',
            alternatives: ['request changes'],
          });
        }),
    ),
  );
  await handle.forceFlush();

  const res = await fetch(`${server.url}/api/debug/trace/${REQ}`);
  expect(res.status).toBe(200);
  const body = (await res.json()) as DebugTraceResponse;
  const ai = body.ai!;
  expect(ai).toMatchObject({
    calls: 1,
    agents: 1,
    tools: 1,
    input_tokens: 12,
    output_tokens: 5,
    cache_read_tokens: 4,
    reasoning_tokens: 2,
    // gpt-4o-mini: (12-4)*0.15 + 4*0.075 + 5*0.6 = 4.5 µ$
    cost_usd: 0.0000045,
    unpriced_calls: 0,
    sessions: ['sess_42'],
    users: ['user_001'],
  });
  expect(ai.models).toEqual([
    expect.objectContaining({ model: 'gpt-4o-mini-2024-08-06', provider: 'openai', calls: 1 }),
  ]);
  expect(ai.decisions).toEqual([
    expect.objectContaining({
      type: 'code_analysis',
      confidence: 0.9,
      factors: { lines: 500 },
      result: 'approve',
      alternatives: ['request changes'],
      service: 'code-agent',
    }),
  ]);
  const chat = body.spans.find((s) => s.name === 'chat gpt-4o-mini')!;
  expect(chat.request_id).toBe(REQ);
  expect(chat.ai).toMatchObject({ kind: 'llm', cost_source: 'table', cost_usd: 0.0000045 });
});
