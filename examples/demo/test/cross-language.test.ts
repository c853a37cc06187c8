/**
 * Issue 11's cross-language test: a Node service (the SDK, this test process) calls the FastAPI
 * python-worker (the Python package), which calls the Node llm-gateway (which calls the Node
 * provider). One request ID and one trace ID run through all of them, and the Python hop shows
 * in /api/debug/trace/{request_id} with its timing, built from its ingested log lines alone
 * (the worker exports no spans).
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { DebugTraceResponse } from '@hopscope/server';
import { SpanKind } from '@opentelemetry/api';
import { generateRequestId, type HopscopeHandle, init, runWithRequestId, withSpan } from 'hopscope';
import { tracedFetch } from 'hopscope/fetch';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTopology, type Topology } from '../src/topology.js';
import { assertSystemParts, skipHere, tempServer } from './system.js';

describe.skipIf(skipHere)('Node → FastAPI (python package) → Node: one request, one trace', () => {
  let server: Awaited<ReturnType<typeof tempServer>> | undefined;
  let topology: Topology | undefined;
  let telemetry: HopscopeHandle | undefined;
  let workDir = '';

  beforeAll(async () => {
    assertSystemParts();
    server = await tempServer();
    workDir = mkdtempSync(join(tmpdir(), 'hopscope-xlang-'));
    topology = await startTopology({
      hopscopeUrl: server.url,
      workDir,
      only: ['llm-provider', 'llm-gateway'],
    });
    telemetry = init({
      service: 'edge',
      endpoint: server.url,
      exportDelayMs: 50,
      prettyLogs: false,
      logLevel: 'warn',
    });
  });

  afterAll(async () => {
    await telemetry?.shutdown();
    await topology?.stop();
    await server?.close();
    if (workDir) rmSync(workDir, { recursive: true, force: true });
  });

  it('carries the request ID and trace through Python, whose hop comes from its log lines', async () => {
    const t = topology as Topology;
    const requestId = generateRequestId();
    const { status, echoed, traceId } = await runWithRequestId(requestId, () =>
      withSpan('POST /ask', { kind: SpanKind.SERVER }, async (span) => {
        const response = await tracedFetch(`${t.urls['python-worker']}/classify`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({
            text: 'Research vector databases and write code to compare them',
          }),
        });
        await response.json();
        return {
          status: response.status,
          echoed: response.headers.get('x-request-id'),
          traceId: span.spanContext().traceId,
        };
      }),
    );
    expect(status).toBe(200);
    expect(echoed).toBe(requestId);
    await telemetry?.forceFlush();

    // the worker's own file: every line of this request carries our IDs
    const lines = readFileSync(t.pythonLogFile, 'utf8')
      .split('\n')
      .filter((l) => l.includes(requestId))
      .map((l) => JSON.parse(l) as Record<string, string>);
    expect(lines.map((l) => l.event)).toEqual(
      expect.arrayContaining([
        'request_received',
        'outgoing_request_completed',
        'complexity_scored',
        'request_completed',
      ]),
    );
    for (const line of lines) expect(line.trace_id).toBe(traceId);

    const received = lines.find((l) => l.event === 'request_received') as Record<string, string>;
    let trace: DebugTraceResponse | undefined;
    // The worker ships its lines in more than one batch: wait for the hop of its request span
    // to have both ends (received and completed), not just for some line of the worker.
    const isComplete = (tr: DebugTraceResponse) =>
      ['edge', 'python-worker', 'llm-gateway', 'llm-provider'].every((s) =>
        tr.services.includes(s),
      ) &&
      tr.spans.some(
        (s) =>
          s.service === 'python-worker' &&
          s.derived_from_logs &&
          s.span_id === received.span_id &&
          s.duration_ms > 0,
      );
    for (let i = 0; i < 60; i++) {
      const response = await fetch(`${server?.url}/api/debug/trace/${requestId}`);
      if (response.ok) {
        trace = (await response.json()) as DebugTraceResponse;
        if (isComplete(trace)) break;
      } else {
        await response.body?.cancel();
      }
      await new Promise((r) => setTimeout(r, 250));
    }
    expect(trace, 'the request is queryable').toBeDefined();
    const tr = trace as DebugTraceResponse;
    expect(tr.request_ids).toEqual([requestId]);
    expect(tr.trace_ids).toEqual([traceId]);
    expect(tr.services).toEqual(
      expect.arrayContaining(['edge', 'python-worker', 'llm-gateway', 'llm-provider']),
    );

    // the Python hop: derived from log lines only, timed, under the Node caller's client span
    const pySpans = tr.spans.filter((s) => s.service === 'python-worker');
    expect(pySpans.length).toBeGreaterThan(0);
    expect(pySpans.every((s) => s.derived_from_logs)).toBe(true);
    const completed = lines.find((l) => l.event === 'request_completed') as Record<string, unknown>;
    const pyHop = pySpans.find((s) => s.span_id === received.span_id);
    expect(pyHop, 'a hop for the worker request span').toBeDefined();
    expect(pyHop?.trace_id).toBe(traceId);
    expect(pyHop?.duration_ms).toBeGreaterThan(0);
    expect(Math.abs((pyHop?.duration_ms ?? 0) - Number(completed.duration_ms))).toBeLessThan(
      Number(completed.duration_ms) * 0.5 + 5,
    );
    const edgeClient = tr.spans.find((s) => s.service === 'edge' && s.kind === 'client');
    expect(pyHop?.parent_span_id).toBe(edgeClient?.span_id);

    // and the Node service the worker called continues the same trace under the worker's call
    const gatewayServer = tr.spans.find((s) => s.service === 'llm-gateway' && s.kind === 'server');
    expect(gatewayServer?.trace_id).toBe(traceId);
    const outgoing = lines.find((l) => l.event === 'outgoing_request_completed') as Record<
      string,
      string
    >;
    expect(gatewayServer?.parent_span_id).toBe(outgoing.span_id);
    expect(gatewayServer?.request_id).toBe(requestId);
  });
});
