/**
 * The demo's users: chat requests sent the way the chat page sends them, through
 * @hopscope/browser's tracedFetch, so each request ID and trace is born in the "ui".
 */
import { createTracedFetch } from '@hopscope/browser';
import type { Scenario } from './lib/scenarios.js';

export interface SentRequest {
  request_id: string;
  trace_id: string;
  /** `ok` when the answer streamed to its end with a 2xx, `error` otherwise. */
  status: 'ok' | 'error';
  http_status: number | null;
  scenario: string;
  path: Scenario['path'];
  /** For requests failing on purpose: the service whose error explains it. */
  fails_at?: string;
  error?: string;
}

export function uiClient(gatewayUrl: string) {
  const tracedFetch = createTracedFetch({
    service: 'ui',
    servicesEncountered: true,
    propagateTo: [gatewayUrl],
  });
  return async function send(scenario: Scenario): Promise<SentRequest> {
    const base = {
      scenario: scenario.name,
      path: scenario.path,
      ...(scenario.failsAt ? { fails_at: scenario.failsAt } : {}),
    };
    try {
      const response = await tracedFetch(`${gatewayUrl}/v1/chat/completions`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({
          model: 'gpt-4o-mini',
          stream: true,
          messages: [{ role: 'user', content: scenario.prompt }],
        }),
      });
      const text = await response.text();
      const ids = { request_id: response.hopscope.requestId, trace_id: response.hopscope.traceId };
      if (!response.ok) {
        const message = (JSON.parse(text || '{}') as { error?: { message?: string } }).error
          ?.message;
        return {
          ...ids,
          status: 'error',
          http_status: response.status,
          ...base,
          error: message ?? `HTTP ${response.status}`,
        };
      }
      return { ...ids, status: 'ok', http_status: response.status, ...base };
    } catch (error) {
      throw new Error(
        `demo: the gateway at ${gatewayUrl} could not be reached: ${(error as Error).message}`,
      );
    }
  };
}
