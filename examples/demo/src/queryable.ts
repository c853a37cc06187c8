/**
 * Waits until a request's data can be queried: every service its path passes has reported,
 * including the python-worker's hop rebuilt from its ingested log lines.
 */
import type { DebugTraceResponse } from '@hopscope/server';
import type { SentRequest } from './traffic.js';

const COMMON = ['gateway', 'python-worker', 'baseline', 'llm-gateway', 'llm-provider', 'ingestion'];
const AGENT_PATH = ['sandy', 'agent'];

export function expectedServices(request: Pick<SentRequest, 'path'>): string[] {
  return request.path === 'agent' ? [...COMMON, ...AGENT_PATH] : COMMON;
}

/** What is still missing from a request's trace; empty when it is complete. */
export function missingParts(
  request: SentRequest,
  trace: DebugTraceResponse | undefined,
): string[] {
  if (trace === undefined) return ['the request itself'];
  const missing = expectedServices(request).filter((s) => !trace.services.includes(s));
  const pythonHop = trace.spans.some((s) => s.service === 'python-worker' && s.derived_from_logs);
  if (!pythonHop) missing.push('python-worker log-derived hop');
  // the agent may outlive a timed-out sandbox: wait for its run to end too
  const agentRun = trace.spans.some(
    (s) => s.service === 'agent' && s.name.startsWith('invoke_agent'),
  );
  if (request.path === 'agent' && !agentRun) missing.push('the agent run');
  if (request.fails_at !== undefined && trace.error_count === 0)
    missing.push(`the error at ${request.fails_at}`);
  return missing;
}

export async function fetchTrace(
  serverUrl: string,
  id: string,
): Promise<DebugTraceResponse | undefined> {
  const response = await fetch(
    `${serverUrl}/api/debug/trace/${encodeURIComponent(id)}?include=spans,logs`,
  );
  if (response.status === 404) {
    await response.body?.cancel();
    return undefined;
  }
  if (!response.ok)
    throw new Error(`demo: ${serverUrl} answered ${response.status} for request ${id}`);
  return (await response.json()) as DebugTraceResponse;
}

/** Resolves to the parts still missing per request ID after `timeoutMs` (empty map: all there). */
export async function waitUntilQueryable(
  serverUrl: string,
  requests: SentRequest[],
  timeoutMs = 30_000,
): Promise<Map<string, string[]>> {
  const pending = new Map(requests.map((r) => [r.request_id, r]));
  const missing = new Map<string, string[]>();
  const deadline = Date.now() + timeoutMs;
  while (pending.size > 0) {
    for (const [id, request] of pending) {
      const parts = missingParts(request, await fetchTrace(serverUrl, id));
      if (parts.length === 0) {
        pending.delete(id);
        missing.delete(id);
      } else {
        missing.set(id, parts);
      }
    }
    if (pending.size === 0 || Date.now() > deadline) break;
    await new Promise((r) => setTimeout(r, 500));
  }
  return missing;
}
