import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type ServerHandle, startServer } from '@hopscope/server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runWithRequestId } from '../../context/index.js';
import { init } from '../../init.js';
import { withSpan } from '../../trace/index.js';
import { createLogger } from '../logger.js';

interface DebugLog {
  level: string;
  service: string;
  event: string | null;
  message: string;
  request_id: string | null;
  trace_id: string | null;
  span_id: string | null;
  timestamp: string;
  attributes: Record<string, unknown>;
  resource: Record<string, unknown>;
  source: string;
}

/**
 * End to end: the SDK's line export to a real Hopscope server (DuckDB in a temp dir), the lines
 * read back through its query API by request ID.
 */
describe('log lines reach a Hopscope server over OTLP', () => {
  let server: ServerHandle;
  let dataDir: string;

  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'hopscope-sdk-logs-'));
    server = await startServer({ port: 0, grpcPort: false, dataDir });
  });

  afterAll(async () => {
    await server?.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('stores every line with its level, event, message, IDs, fields and resource', async () => {
    const handle = init({
      service: 'e2e-logs',
      version: '3.1.0',
      environment: 'test',
      endpoint: server.url,
      exportTraces: false,
    });
    const lines: Record<string, unknown>[] = [];
    const log = createLogger({
      destination: { write: (s: string) => lines.push(JSON.parse(s)) },
    }).bind({ agent: 'planner' });
    const requestId = `req_${Date.now().toString(16).slice(-12).padStart(12, '0')}`;
    runWithRequestId(requestId, () =>
      withSpan('plan', () => {
        log.info('plan_made', { steps: 3, ratio: 0.5, ok: true, nested: { model: 'm' } });
        log.warn('slow_tool', 'The tool took 3 s');
        log.error('tool_failed', { error: new TypeError('bad input') });
      }),
    );
    await handle.shutdown();

    const stored = await poll(server.url, requestId, 3);
    expect(stored.map((l) => l.event)).toEqual(['plan_made', 'slow_tool', 'tool_failed']);
    for (const [i, got] of stored.entries()) {
      const line = lines[i] as Record<string, string>;
      expect(got.source).toBe('otlp');
      expect(got.service).toBe('e2e-logs');
      expect(got.level).toBe(line.level);
      expect(got.message).toBe(line.message);
      expect(got.request_id).toBe(requestId);
      expect(got.trace_id).toBe(line.trace_id);
      expect(got.span_id).toBe(line.span_id);
      expect(Date.parse(got.timestamp)).toBe(Date.parse(line.timestamp as string));
      expect(got.attributes.agent).toBe('planner');
      expect(got.resource['service.version']).toBe('3.1.0');
      expect(got.resource['deployment.environment.name']).toBe('test');
    }
    expect(stored[0]?.attributes).toMatchObject({ steps: 3, ratio: 0.5, ok: true });
    expect(stored[2]?.attributes).toMatchObject({ error: 'bad input', error_type: 'TypeError' });
  });
});

/** The request's logs, oldest first, once `count` of them are stored (ingest commits async). */
async function poll(url: string, requestId: string, count: number): Promise<DebugLog[]> {
  for (let attempt = 0; ; attempt++) {
    const res = await fetch(`${url}/api/debug/logs?request_id=${requestId}`);
    expect(res.status).toBe(200);
    const body = (await res.json()) as { logs: DebugLog[] };
    if (body.logs.length >= count || attempt === 100) return body.logs.reverse();
    await new Promise((r) => setTimeout(r, 100));
  }
}
