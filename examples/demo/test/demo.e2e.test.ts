/**
 * Issue 8's end-to-end test: `hopscope demo --requests 20 --json` (a real CLI process running
 * the real topology) against a real server; then every request ID must resolve, through
 * /api/debug/trace/{id} and `hopscope trace`, to all its hops — at least six services, the
 * python-worker's hop from its log lines, the sandy hop reached only through payload metadata —
 * and the failing requests must show the failing hop and its error.
 */
import type { DebugSpan, DebugTraceResponse } from '@hopscope/server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SCENARIOS, type Scenario } from '../src/lib/scenarios.js';
import { assertSystemParts, runCli, runCliInProcess, skipHere, tempServer } from './system.js';

interface DemoLine {
  request_id: string;
  trace_id: string;
  status: 'ok' | 'error';
  scenario: string;
  fails_at?: string;
}

/** The error each failing scenario must show, at its hop. */
const EXPECTED_ERROR: Record<string, RegExp> = {
  sandy: /Sandbox execution timed out after 3000 ms/,
  'llm-provider': /The server had an error while processing your request/,
  'python-worker': /invalid literal for int\(\)/,
};

const REQUESTS = 20;

describe.skipIf(skipHere)('hopscope demo --requests 20, then every request is traceable', () => {
  let server: Awaited<ReturnType<typeof tempServer>> | undefined;
  let lines: DemoLine[] = [];
  const traces = new Map<string, DebugTraceResponse>();

  beforeAll(async () => {
    assertSystemParts();
    server = await tempServer();
    const run = await runCli([
      'demo',
      '--server',
      server.url,
      '--requests',
      String(REQUESTS),
      '--json',
    ]);
    if (run.code !== 0) throw new Error(`hopscope demo exited ${run.code}:\n${run.stderr}`);
    lines = run.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as DemoLine);
    for (const line of lines) {
      const response = await fetch(`${server.url}/api/debug/trace/${line.request_id}`);
      expect(response.status, line.request_id).toBe(200);
      traces.set(line.request_id, (await response.json()) as DebugTraceResponse);
    }
  }, 240_000);

  afterAll(async () => {
    await server?.close();
  });

  const scenarioOf = (line: DemoLine) =>
    SCENARIOS.find((s) => s.name === line.scenario) as Scenario;

  it('prints one JSON line per request, each with its own IDs, as many failures as scenarios say', () => {
    expect(lines).toHaveLength(REQUESTS);
    expect(new Set(lines.map((l) => l.request_id)).size).toBe(REQUESTS);
    for (const line of lines) {
      expect(line.request_id).toMatch(/^req_[0-9a-f]{12}$/);
      expect(line.trace_id).toMatch(/^[0-9a-f]{32}$/);
      expect(line.status, JSON.stringify(line)).toBe(scenarioOf(line).failsAt ? 'error' : 'ok');
    }
    expect(lines.filter((l) => l.status === 'error').length).toBeGreaterThanOrEqual(3);
  });

  it('resolves every request ID to one trace across at least six services, the Python hop from its logs', () => {
    for (const line of lines) {
      const trace = traces.get(line.request_id) as DebugTraceResponse;
      expect(trace.request_ids, line.scenario).toEqual([line.request_id]);
      expect(trace.trace_ids, line.scenario).toEqual([line.trace_id]);
      expect(trace.services.length, `${line.scenario}: ${trace.services}`).toBeGreaterThanOrEqual(
        6,
      );
      expect(trace.services).toEqual(
        expect.arrayContaining([
          'gateway',
          'python-worker',
          'baseline',
          'llm-gateway',
          'llm-provider',
          'ingestion',
        ]),
      );
      const python = trace.spans.filter((s) => s.service === 'python-worker');
      expect(python.length, line.scenario).toBeGreaterThan(0);
      expect(python.every((s) => s.derived_from_logs)).toBe(true);
      expect(
        trace.logs.some((l) => l.service === 'python-worker' && l.event === 'request_completed'),
      ).toBe(true);
      for (const l of trace.logs) expect(l.request_id).toBe(line.request_id);

      const route = trace.spans.find((s) => s.name === 'decision route_selection') as DebugSpan;
      expect(route.attributes['decision.result']).toBe(
        scenarioOf(line).path === 'agent' ? 'agent_path' : 'fast_path',
      );
      expect(route.attributes['decision.confidence']).toBeTypeOf('number');
      const alternatives = route.attributes['decision.alternatives'];
      expect(typeof alternatives === 'string' ? JSON.parse(alternatives) : alternatives).toEqual([
        scenarioOf(line).path === 'agent' ? 'fast_path' : 'agent_path',
      ]);
      // the model calls are GenAI spans with token usage
      const chat = trace.spans.find(
        (s) => s.service === 'llm-gateway' && s.name.startsWith('chat '),
      );
      if (line.status === 'ok') {
        const usage = chat?.attributes['gen_ai.usage.output_tokens'];
        expect(usage, `${line.scenario}: ${JSON.stringify(chat)}`).toBeGreaterThan(0);
      }
    }
  });

  it('reaches sandy only through the payload metadata, in the same request and trace', () => {
    const agentPath = lines.filter((l) => scenarioOf(l).path === 'agent');
    expect(agentPath.length).toBeGreaterThan(0);
    for (const line of agentPath) {
      const trace = traces.get(line.request_id) as DebugTraceResponse;
      const sandy = trace.spans.find(
        (s) => s.service === 'sandy' && s.kind === 'server',
      ) as DebugSpan;
      expect(sandy, line.scenario).toBeDefined();
      expect(sandy.attributes['trace.context.source']).toBe('payload_metadata');
      expect(sandy.trace_id).toBe(line.trace_id);
      expect(sandy.request_id).toBe(line.request_id);
      // its parent is baseline's server span: no client span in between, no headers were sent
      const parent = trace.spans.find((s) => s.span_id === sandy.parent_span_id) as DebugSpan;
      expect(parent.service).toBe('baseline');
      expect(parent.kind).toBe('server');
      expect(trace.logs.some((l) => l.service === 'sandy' && l.event === 'sandbox_created')).toBe(
        true,
      );
      expect(trace.services).toContain('agent');
    }
  });

  it('shows each failing request failing at its hop, with the real error', () => {
    const failed = lines.filter((l) => l.status === 'error');
    for (const line of failed) {
      const hop = line.fails_at as string;
      const trace = traces.get(line.request_id) as DebugTraceResponse;
      expect(trace.error_count, line.scenario).toBeGreaterThan(0);
      const errorSpans = trace.spans.filter((s) => s.service === hop && s.status === 'error');
      const errorLogs = trace.logs.filter(
        (l) => l.service === hop && (l.level === 'error' || l.level === 'fatal'),
      );
      const texts = [
        ...errorSpans.map((s) => `${s.status_message ?? ''} ${JSON.stringify(s.events)}`),
        ...errorLogs.map((l) => `${l.message} ${l.error ?? ''} ${JSON.stringify(l.attributes)}`),
      ].join('\n');
      expect(texts, `${line.scenario} at ${hop}`).toMatch(EXPECTED_ERROR[hop] as RegExp);
    }
  });

  it('resolves every request ID through `hopscope trace` too', async () => {
    const url = server?.url as string;
    for (let i = 0; i < lines.length; i += 5) {
      await Promise.all(
        lines.slice(i, i + 5).map(async (line) => {
          const run = await runCliInProcess([
            'trace',
            line.request_id,
            '--server',
            url,
            '--no-color',
          ]);
          // exit 1 when the request failed or had an error on the way (a retried 429)
          const hadErrors = (traces.get(line.request_id) as DebugTraceResponse).error_count > 0;
          if (line.status === 'error') expect(hadErrors).toBe(true);
          expect(run.code, `${line.scenario}: ${run.stderr}`).toBe(hadErrors ? 1 : 0);
          expect(run.stdout).toContain(`Request ${line.request_id}`);
          expect(run.stdout).toContain(`trace ${line.trace_id}`);
          for (const service of [
            'gateway',
            'python-worker',
            'baseline',
            'llm-gateway',
            'ingestion',
          ]) {
            expect(run.stdout, line.scenario).toContain(service);
          }
          if (scenarioOf(line).path === 'agent') expect(run.stdout).toContain('sandy');
          if (line.fails_at) expect(run.stdout).toMatch(EXPECTED_ERROR[line.fails_at] as RegExp);
        }),
      );
    }
  });
});
